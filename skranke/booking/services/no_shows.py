"""No-shows: a booking nobody checked in for by the time its check-in window closed (the start
plus the calendar's ``checkin_late_minutes``) is recorded as a no-show on the booking.

Each batch is one conditional UPDATE (the booking still booked), as a check-in is (booked →
checked in), so a citizen checking in while the sweep runs is never lost: whichever commits
first wins, and the other finds the booking no longer booked. A no-show keeps its places in the
calendar: the time is past.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db.models import Q, QuerySet
from django.utils import timezone

from skranke.booking.models import Appointment, AppointmentStatus, BookingCalendar

logger = logging.getLogger("skranke.booking")

NO_SHOW_BATCH = 500

# The window of a centre without a calendar (deleted since it was booked): the model's default.
DEFAULT_LATE_MINUTES: int = BookingCalendar._meta.get_field("checkin_late_minutes").get_default()


def record_no_shows(now: dt.datetime | None = None) -> int:
    """Record as no-shows the bookings still booked whose check-in window closed before ``now``
    (default: the current time); return how many."""
    now = now or timezone.now()
    windows = [
        (Q(location_id=location_id), late_minutes)
        for location_id, late_minutes in BookingCalendar.objects.values_list(
            "location_id", "checkin_late_minutes"
        )
    ]
    windows.append((Q(location__booking_calendar__isnull=True), DEFAULT_LATE_MINUTES))
    recorded = 0
    for at_centre, late_minutes in windows:
        closed = now - dt.timedelta(minutes=late_minutes)
        recorded += _record(
            Appointment.objects.filter(
                at_centre, status=AppointmentStatus.BOOKED, starts_at__lt=closed
            ),
            closed,
            now,
        )
    if recorded:
        logger.info("Recorded %d appointments as no-shows", recorded)
    return recorded


def _read_batch(missed: QuerySet[Appointment]) -> list[int]:
    """Return the ids of the next batch; a check-in may commit between this read and the
    UPDATE (the race tests step in here)."""
    return list(missed.order_by("pk").values_list("pk", flat=True)[:NO_SHOW_BATCH])


def _record(missed: QuerySet[Appointment], closed: dt.datetime, now: dt.datetime) -> int:
    """Mark the bookings of ``missed`` as no-shows, a bounded batch per statement."""
    recorded = 0
    while True:
        ids = _read_batch(missed)
        if not ids:
            return recorded
        # The read's condition again, on the row alone (no join, so PostgreSQL rechecks it on a
        # row a check-in changed meanwhile): each id read leaves the set, recorded here or
        # checked in, so the loop ends.
        recorded += Appointment.objects.filter(
            pk__in=ids, status=AppointmentStatus.BOOKED, starts_at__lt=closed
        ).update(status=AppointmentStatus.NO_SHOW, no_show_at=now)
