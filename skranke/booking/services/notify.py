"""The messages a citizen gets about their appointment: booked, moved, cancelled, the reminder
before it, and the notice that the centre closed over it.

Each goes by SMS to the phone number and by e-mail to the address, whichever were given, in the
citizen's language, through skranke.messaging.services.send_message: stored with its sending
job in the booking's own transaction (no message when the booking rolls back), sent by the
worker outside the request, retried on failure and never sent twice. The messages are linked to
the appointment, so erasing its personal data purges them too.
"""

from __future__ import annotations

from enum import StrEnum

from django.conf import settings
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from skranke.booking.models import Appointment
from skranke.lib.localtime import local_zone
from skranke.messaging.models import Channel, Message
from skranke.messaging.services import send_message


class Notice(StrEnum):
    BOOKED = "booked"
    MOVED = "moved"
    CANCELLED = "cancelled"
    REMINDER = "reminder"
    # The centre closed or shortened its hours over the appointment, which is cancelled; the
    # link is to the service's free times at the centre, to choose a new one.
    CLOSURE = "closure"


def manage_url(appointment: Appointment, secret: str) -> str:
    """Return the path of the citizen's page to see, move or cancel ``appointment``:
    ``/booking/manage/<code>/<secret>/``. The secret is in the path, never in a query string,
    and every log line masks it (skranke.core.secret_paths names the parameter ``secret``)."""
    return f"/booking/manage/{appointment.code}/{secret}/"


def calendar_url(appointment: Appointment, secret: str) -> str:
    """Return the path of the appointment's calendar file (.ics), beside the manage page."""
    return manage_url(appointment, secret) + "calendar.ics"


def new_time_url(appointment: Appointment) -> str:
    """Return the path of the free times of the appointment's service at its centre."""
    return reverse(
        "booking:times",
        kwargs={"slug": appointment.location.slug, "service_slug": appointment.service.slug},
    )


def absolute(path: str, site_url: str = "") -> str:
    """Return ``path`` on the site: ``site_url`` (e.g. "https://borgerservice.example.dk"),
    else SKRANKE_SITE_URL; the bare path when neither is known."""
    base = (site_url or settings.SKRANKE_SITE_URL).rstrip("/")
    return base + path


def when_text(appointment: Appointment) -> str:
    """Return the start in the active language: "Tuesday 10 November 2026 at 10:30"."""
    local = appointment.starts_at.astimezone(local_zone())
    return _("%(weekday)s %(date)s at %(time)s") % {
        "weekday": formats.date_format(local, "l"),
        "date": formats.date_format(local, "DATE_FORMAT"),
        "time": formats.time_format(local, "H:i"),
    }


def _facts(appointment: Appointment) -> dict[str, str]:
    location, service = appointment.location, appointment.service
    return {
        "code": appointment.display_code,
        "service": service.display_name(appointment.language),
        "centre": location.name,
        "address": location.full_address or location.name,
        "when": when_text(appointment),
        "people": str(appointment.people),
        "bring": service.display_what_to_bring(appointment.language).strip(),
    }


def _sms_text(notice: Notice, facts: dict[str, str], link: str) -> str:
    if notice == Notice.CANCELLED:
        return _("Cancelled: %(service)s at %(centre)s, %(when)s (reference %(code)s).") % facts
    if notice == Notice.CLOSURE:
        text = (
            _(
                "Cancelled: %(centre)s is closed at the time of your appointment (%(service)s, "
                "%(when)s, reference %(code)s). We are sorry."
            )
            % facts
        )
        if link:
            text += " " + _("Choose a new time: %(link)s") % {"link": link}
        return text
    if notice == Notice.REMINDER:
        text = _("Reminder: %(service)s at %(centre)s, %(when)s. Reference %(code)s.") % facts
    elif notice == Notice.MOVED:
        text = _("Moved: %(service)s at %(centre)s, now %(when)s. Reference %(code)s.") % facts
    else:
        text = _("Booked: %(service)s at %(centre)s, %(when)s. Reference %(code)s.") % facts
    parts = [text, _("Address: %(address)s.") % facts]
    if facts["bring"]:
        parts.append(_("Bring: %(bring)s") % facts)
    parts.append(_("Check in at the kiosk with your reference code when you arrive."))
    if link:
        parts.append(_("Move or cancel: %(link)s") % {"link": link})
    return " ".join(parts)


def _email(
    notice: Notice, facts: dict[str, str], name: str, link: str, calendar: str
) -> tuple[str, str]:
    if notice == Notice.CANCELLED:
        subject = _("Appointment cancelled: %(service)s, %(when)s") % facts
        opening = _("your appointment has been cancelled.")
    elif notice == Notice.CLOSURE:
        subject = _("Appointment cancelled: %(service)s, %(when)s") % facts
        opening = (
            _(
                "%(centre)s is closed at the time of your appointment, so it has been cancelled. "
                "We are sorry for the inconvenience."
            )
            % facts
        )
    elif notice == Notice.REMINDER:
        subject = _("Reminder of your appointment: %(service)s, %(when)s") % facts
        opening = _("this is a reminder of your appointment.")
    elif notice == Notice.MOVED:
        subject = _("Appointment moved: %(service)s, %(when)s") % facts
        opening = _("your appointment has been moved.")
    else:
        subject = _("Appointment booked: %(service)s, %(when)s") % facts
        opening = _("your appointment is booked.")
    lines = [
        _("Dear %(name)s,") % {"name": name} if name else _("Hello,"),
        "",
        str(opening),
        "",
        ngettext(
            "What: %(service)s, for %(count)d person",
            "What: %(service)s, for %(count)d people",
            int(facts["people"]),
        )
        % {"service": facts["service"], "count": int(facts["people"])},
        _("When: %(when)s") % facts,
        _("Where: %(centre)s, %(address)s") % facts,
        _("Reference code: %(code)s") % facts,
    ]
    if notice == Notice.CLOSURE:
        if link:
            lines += ["", _("Choose a new time: %(link)s") % {"link": link}]
    elif notice != Notice.CANCELLED:
        if facts["bring"]:
            lines += ["", _("What to bring: %(bring)s") % facts]
        lines += ["", _("When you arrive, check in at the kiosk with your reference code.")]
        if link:
            lines += ["", _("See, move or cancel your appointment: %(link)s") % {"link": link}]
        if calendar:
            lines += [_("Add it to your calendar: %(link)s") % {"link": calendar}]
    lines += ["", _("Kind regards"), facts["centre"]]
    # A subject is one line of at most 200 characters (skranke.messaging).
    return subject[:200], "\n".join(str(line) for line in lines)


def send_notice(
    appointment: Appointment,
    notice: Notice,
    *,
    secret: str | None,
    site_url: str = "",
    by_sms: bool = True,
    by_email: bool = True,
) -> list[Message]:
    """Store and enqueue the messages about ``appointment`` (SMS and/or e-mail); return them.

    ``secret`` gives the messages the manage and calendar links; without it they have none
    (a closure notice links to the service's free times instead). ``by_sms``/``by_email`` leave
    a channel out. Call inside the transaction that changed the appointment.
    """
    if notice == Notice.CLOSURE:
        link, calendar = absolute(new_time_url(appointment), site_url), ""
    else:
        link = absolute(manage_url(appointment, secret), site_url) if secret else ""
        calendar = absolute(calendar_url(appointment, secret), site_url) if secret else ""
    sent = []
    with translation.override(appointment.language):
        facts = _facts(appointment)
        if appointment.phone and by_sms:
            sent.append(
                send_message(
                    channel=Channel.SMS,
                    recipient=appointment.phone,
                    body=_sms_text(notice, facts, link),
                    language=appointment.language,
                )
            )
        if appointment.email and by_email:
            subject, body = _email(notice, facts, appointment.name, link, calendar)
            sent.append(
                send_message(
                    channel=Channel.EMAIL,
                    recipient=appointment.email,
                    subject=subject,
                    body=body,
                    language=appointment.language,
                )
            )
    appointment.messages.add(*sent)
    return sent
