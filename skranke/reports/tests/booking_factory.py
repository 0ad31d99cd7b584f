"""Bookings made by hand for the appointment figures' tests: one row in the state a test names,
as the booking engine leaves it (the time of check-in, no-show or cancellation set), so a test
states its bookings in a few lines and works the figures out beside them. Also the test's
bookings worked out by hand over March and April 2026 at two centres."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from skranke.booking.models import (
    CODE_ALPHABET,
    CODE_LENGTH,
    Appointment,
    AppointmentStatus,
    BookingSource,
    CancelReason,
)
from skranke.catalogue.models import Service
from skranke.queue.tests.factories import Centre, copenhagen, make_centre

_codes = itertools.count(1)


def _code(number: int) -> str:
    digits = []
    for _place in range(CODE_LENGTH):
        number, digit = divmod(number, len(CODE_ALPHABET))
        digits.append(CODE_ALPHABET[digit])
    return "".join(reversed(digits))


def make_booking(
    centre: Centre,
    day: dt.date,
    hour: int = 10,
    minute: int = 0,
    *,
    status: AppointmentStatus = AppointmentStatus.BOOKED,
    reason: CancelReason | None = None,
    service: Service | None = None,
) -> Appointment:
    """Write one booking at ``hour:minute`` Copenhagen time on ``day`` (the centre's passports
    unless told otherwise), in ``status``; a cancelled one with ``reason`` (by the citizen
    unless told otherwise)."""
    starts = copenhagen(day, hour, minute)
    fields: dict[str, object] = {}
    if status == AppointmentStatus.CHECKED_IN:
        fields["checked_in_at"] = starts - dt.timedelta(minutes=4)
    elif status == AppointmentStatus.NO_SHOW:
        fields["no_show_at"] = starts + dt.timedelta(minutes=5)
    elif status == AppointmentStatus.CANCELLED:
        fields["cancelled_at"] = starts - dt.timedelta(days=1)
        fields["cancel_reason"] = reason or CancelReason.CITIZEN
    number = next(_codes)
    return Appointment.objects.create(
        code=_code(number),
        secret_hash=f"{number:064d}",
        location=centre.location,
        service=service or centre.passport,
        starts_at=starts,
        ends_at=starts + dt.timedelta(minutes=15),
        name="Anna Jensen",
        phone=f"2000{number:04d}",
        email="anna@example.dk",
        language="da",
        status=status,
        source=BookingSource.ONLINE,
        created_at=starts - dt.timedelta(days=7),
        **fields,
    )


@dataclass(frozen=True)
class TwoCentres:
    first: Centre
    second: Centre


def march_and_april() -> TwoCentres:
    """Bookings over March and April 2026 at two centres, and three a year earlier.

    First centre, passports: 1 March 00:10 (22:10 UTC the day before) checked in; 2 March two
    checked in; 3 March a no-show; 31 March 23:30 cancelled by the citizen; 1 April 00:30
    (22:30 UTC on 31 March) a no-show; 2 April cancelled by a closure; 3 April still booked.
    Its moving-house service: 7 April checked in. Second centre, passports: 10 March checked
    in, 11 March cancelled by staff, 12 March a no-show. Outside the period: 28 February 23:30
    and 1 May 00:10 (30 April in UTC), both checked in. A year earlier at the first centre:
    4 March 2025 two checked in and a no-show.
    """
    first, second = make_centre(), make_centre()
    checked_in, no_show = AppointmentStatus.CHECKED_IN, AppointmentStatus.NO_SHOW
    cancelled = AppointmentStatus.CANCELLED
    make_booking(first, dt.date(2026, 3, 1), 0, 10, status=checked_in)
    make_booking(first, dt.date(2026, 3, 2), 10, status=checked_in)
    make_booking(first, dt.date(2026, 3, 2), 10, 15, status=checked_in)
    make_booking(first, dt.date(2026, 3, 3), 11, status=no_show)
    make_booking(first, dt.date(2026, 3, 31), 23, 30, status=cancelled)
    make_booking(first, dt.date(2026, 4, 1), 0, 30, status=no_show)
    make_booking(first, dt.date(2026, 4, 2), 10, status=cancelled, reason=CancelReason.CLOSURE)
    make_booking(first, dt.date(2026, 4, 3), 10)
    make_booking(first, dt.date(2026, 4, 7), 9, status=checked_in, service=first.moving)
    make_booking(second, dt.date(2026, 3, 10), 10, status=checked_in)
    make_booking(second, dt.date(2026, 3, 11), 10, status=cancelled, reason=CancelReason.STAFF)
    make_booking(second, dt.date(2026, 3, 12), 10, status=no_show)
    make_booking(first, dt.date(2026, 2, 28), 23, 30, status=checked_in)
    make_booking(first, dt.date(2026, 5, 1), 0, 10, status=checked_in)
    make_booking(first, dt.date(2025, 3, 4), 10, status=checked_in)
    make_booking(first, dt.date(2025, 3, 4), 11, status=checked_in)
    make_booking(first, dt.date(2025, 3, 4), 12, status=no_show)
    return TwoCentres(first, second)
