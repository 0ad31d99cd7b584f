"""Arrival: a citizen checks in at a centre's kiosk with the booking's reference code, and the
booking becomes a priority ticket in the service's queue.

The ticket is issued through the number system's own issuing path (source and priority
"appointment"), waiting from the later of check-in and the booked time (DESIGN.md, Definitions:
wait). The booking changes BOOKED → CHECKED_IN by one conditional UPDATE in the transaction
that issues the ticket, so of two check-ins at once exactly one issues a ticket and the other
rolls its ticket back and answers with the winner's.

What a kiosk shows of the result is the number and the booked time, never the citizen's name
or contact details.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from skranke.booking.errors import BookingRefused
from skranke.booking.models import Appointment, AppointmentStatus, BookingCalendar, LateArrival
from skranke.booking.services.bookings import normalise_code
from skranke.catalogue.models import Service
from skranke.lib.localtime import local_date, local_zone
from skranke.organisation.models import Location
from skranke.queue.errors import IssueRefused
from skranke.queue.models import Priority, Source, Ticket
from skranke.queue.services import issue_ticket, takes_walk_ins_now

# Check-in attempts per kiosk (or client address) and minute, pages and API in one budget: a
# reference code is 8 of 32 characters, so guessing one takes far more attempts than this allows.
CHECK_IN_SCOPE = "kiosk-check-in"
CHECK_IN_RATE = "20/min"


class CheckInRefused(BookingRefused):
    """A check-in the engine refuses; ``code`` is one of:

    not_found (no such code, or not a code at all), other_centre (``centre`` names the centre
    booked), cancelled, not_today, too_early (``come_back_at``: when check-in opens), too_late
    (also for a booking already recorded as a no-show; ``walk_in_service`` is the service when
    a walk-in number can be drawn for it now instead, else None), checked_in (checked in, but its
    ticket has gone), and the number system's refusals for a queue not in use (inactive,
    no_queue).
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        come_back_at: dt.datetime | None = None,
        walk_in_service: Service | None = None,
        centre: str = "",
    ) -> None:
        super().__init__(code, message)
        self.come_back_at = come_back_at
        self.walk_in_service = walk_in_service
        self.centre = centre

    @property
    def walk_in_offered(self) -> bool:
        return self.walk_in_service is not None


@dataclass(frozen=True)
class CheckedIn:
    """A checked-in appointment and its ticket; ``already`` when it was checked in before
    (the same ticket again, no second one)."""

    appointment: Appointment
    ticket: Ticket
    already: bool


class _Lost(Exception):
    """Someone else changed the booking between reading it and the conditional UPDATE."""


def check_in(location: Location, code_text: str, *, now: dt.datetime | None = None) -> CheckedIn:
    """Check in the appointment whose reference code is ``code_text`` (as typed or scanned:
    lower case, spaces and dashes are fine) at ``location``, and return it with its ticket.

    Raises CheckInRefused (see its codes). Not refused by the walk-in rules (closed for the
    day, cut-off, quota, centre not open yet): the time was promised.
    """
    now = now or timezone.now()
    code = normalise_code(code_text)
    appointment = _find(code)
    _check(appointment, location, now)
    if appointment.status == AppointmentStatus.BOOKED:
        try:
            ticket = _issue(appointment, now)
        except _Lost:
            # Checked in (or cancelled) by someone else a moment ago: answer as to them now.
            appointment = _find(code)
            _check(appointment, location, now)
        else:
            return CheckedIn(appointment, ticket, already=False)
    if appointment.status == AppointmentStatus.CHECKED_IN and appointment.ticket is not None:
        return CheckedIn(appointment, appointment.ticket, already=True)
    raise CheckInRefused(
        "checked_in",
        _("You are already checked in, but we cannot find your number. Please speak to staff."),
    )


def _find(code: str | None) -> Appointment:
    appointment = (
        Appointment.objects.select_related(
            "location", "service", "ticket__queue", "ticket__service"
        )
        .filter(code=code)
        .first()
        if code is not None
        else None
    )
    if appointment is None:
        raise CheckInRefused(
            "not_found",
            _("We cannot find a booking with that code. Check the code and try again."),
        )
    return appointment


def _clock(instant: dt.datetime) -> str:
    return instant.astimezone(local_zone()).strftime("%H:%M")


def _day(instant: dt.datetime) -> str:
    return formats.date_format(instant.astimezone(local_zone()), "l j. F Y")


def _check(appointment: Appointment, location: Location, now: dt.datetime) -> None:
    """Return quietly when ``appointment`` may be checked in at ``location`` at ``now`` (or was
    checked in already); raise CheckInRefused otherwise."""
    if appointment.location_id != location.pk:
        centre = appointment.location.name
        raise CheckInRefused(
            "other_centre",
            _("This booking is at %(centre)s, not here. Please go there.") % {"centre": centre},
            centre=centre,
        )
    if appointment.status == AppointmentStatus.CANCELLED:
        raise CheckInRefused("cancelled", _("This booking has been cancelled."))
    starts = appointment.starts_at
    if local_date(starts) != local_date(now):
        if starts > now:
            message = _(
                "Your appointment is on %(day)s at %(time)s. Check in on the day, when you arrive."
            )
        else:
            message = _("Your appointment was on %(day)s at %(time)s.")
        raise CheckInRefused("not_today", message % {"day": _day(starts), "time": _clock(starts)})
    if appointment.status == AppointmentStatus.CHECKED_IN:
        return
    calendar = _calendar(appointment)
    opens = starts - dt.timedelta(minutes=calendar.checkin_early_minutes)
    closes = starts + dt.timedelta(minutes=calendar.checkin_late_minutes)
    if appointment.status == AppointmentStatus.BOOKED and now < opens:
        raise CheckInRefused(
            "too_early",
            _(
                "You are early: your appointment is at %(time)s. Please come back and check in "
                "from %(opens)s."
            )
            % {"time": _clock(starts), "opens": _clock(opens)},
            come_back_at=opens,
        )
    if appointment.status == AppointmentStatus.NO_SHOW or now >= closes:
        walk_in = calendar.late_arrival == LateArrival.WALK_IN and takes_walk_ins_now(
            location, appointment.service, now
        )
        late = _("Check-in for your appointment at %(time)s closed at %(closes)s.") % {
            "time": _clock(starts),
            "closes": _clock(closes),
        }
        advice = (
            _("You can take an ordinary number instead.")
            if walk_in
            else _("Please speak to a member of staff.")
        )
        raise CheckInRefused(
            "too_late", f"{late} {advice}", walk_in_service=appointment.service if walk_in else None
        )


def _calendar(appointment: Appointment) -> BookingCalendar:
    """Return the centre's calendar, or one with the default check-in settings."""
    found = BookingCalendar.objects.filter(location_id=appointment.location_id).first()
    return found or BookingCalendar(location_id=appointment.location_id)


def _issue(appointment: Appointment, now: dt.datetime) -> Ticket:
    """Issue the appointment's ticket and check it in, in one transaction; return the ticket.

    Raises _Lost (everything rolled back, the number too) when the booking was no longer
    BOOKED at the UPDATE, and CheckInRefused when no queue takes the service.
    """
    try:
        with transaction.atomic():
            ticket = issue_ticket(
                appointment.location,
                appointment.service,
                source=Source.APPOINTMENT,
                priority=Priority.APPOINTMENT,
                waiting_since=max(now, appointment.starts_at),
                now=now,
            )
            won = Appointment.objects.filter(
                pk=appointment.pk, status=AppointmentStatus.BOOKED
            ).update(status=AppointmentStatus.CHECKED_IN, checked_in_at=now, ticket=ticket)
            if not won:
                raise _Lost
    except IssueRefused as refused:
        raise CheckInRefused(
            refused.code,
            _("We cannot check you in at the kiosk right now. Please speak to a member of staff."),
        ) from None
    appointment.status = AppointmentStatus.CHECKED_IN
    appointment.checked_in_at = now
    appointment.ticket = ticket
    return ticket
