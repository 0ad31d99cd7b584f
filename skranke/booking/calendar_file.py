"""The calendar file (.ics, RFC 5545) of an appointment, for the citizen's own calendar.

One VEVENT with the times in UTC (``…Z``, so no time zone definition is needed and daylight
saving cannot go wrong), a UID that stays the same when the appointment moves and a SEQUENCE
that counts the moves (so a calendar replaces the event it has), and STATUS CANCELLED once
cancelled (a checked-in or missed appointment stays CONFIRMED). Text values are escaped
(backslash, semicolon, comma, new line), lines end in CRLF and are folded at 75 octets without
splitting a UTF-8 character.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from skranke.booking.models import Appointment, AppointmentStatus

PRODUCT_ID = "-//Skranke//Appointments//EN"
UID_DOMAIN = "skranke.booking"
LINE_OCTETS = 75


def escape_text(value: str) -> str:
    """Return ``value`` as an iCalendar TEXT value (RFC 5545, 3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Return ``line`` folded into pieces of at most 75 octets, joined by CRLF and a space."""
    pieces: list[str] = []
    current = ""
    limit = LINE_OCTETS
    for character in line:
        if len((current + character).encode()) > limit:
            pieces.append(current)
            current = character
            limit = LINE_OCTETS - 1  # continuation lines begin with a space
        else:
            current += character
    pieces.append(current)
    return "\r\n ".join(pieces)


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def appointment_ics(appointment: Appointment, now: dt.datetime | None = None) -> str:
    """Return the calendar file of ``appointment`` in the citizen's language."""
    now = now or timezone.now()
    location, service = appointment.location, appointment.service
    with translation.override(appointment.language):
        summary = _("%(service)s at %(centre)s") % {
            "service": service.display_name(appointment.language),
            "centre": location.name,
        }
        description = [_("Reference code: %(code)s") % {"code": appointment.display_code}]
        bring = service.display_what_to_bring(appointment.language).strip()
        if bring:
            description.append(_("What to bring: %(bring)s") % {"bring": bring})
    # Checked in and no-show are what happened at the time, not a change to it: the event stays
    # confirmed in the citizen's calendar. Only a cancellation withdraws it.
    cancelled = appointment.status == AppointmentStatus.CANCELLED
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT_ID}",
        "CALSCALE:GREGORIAN",
        "METHOD:CANCEL" if cancelled else "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{appointment.code}@{UID_DOMAIN}",
        f"DTSTAMP:{_utc(now)}",
        f"DTSTART:{_utc(appointment.starts_at)}",
        f"DTEND:{_utc(appointment.ends_at)}",
        f"SEQUENCE:{appointment.sequence}",
        f"SUMMARY:{escape_text(summary)}",
        f"LOCATION:{escape_text(', '.join(filter(None, [location.name, location.full_address])))}",
        f"DESCRIPTION:{escape_text(chr(10).join(description))}",
        "STATUS:CANCELLED" if cancelled else "STATUS:CONFIRMED",
        "TRANSP:OPAQUE",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(fold(line) + "\r\n" for line in lines)
