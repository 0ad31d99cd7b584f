"""The history's bookings: each appointment visit was booked beforehand and checked in at the
kiosk, and beside them some bookings nobody came for (no-shows) and some cancelled, by the
citizen or by staff; then the Appointment rows of all of them, inserted in bulk.

The bookings are drawn with a random generator of their own (per centre and day), so the day's
visits are the same with them as without. Contact details are made up, and erased as the
worker erases them (booking.services.erase_personal_data) once the appointment lies more than
SKRANKE_BOOKING_RETENTION_DAYS back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils import timezone

from skranke.booking.models import (
    CODE_ALPHABET,
    CODE_LENGTH,
    Appointment,
    AppointmentStatus,
    BookingSource,
    CancelReason,
)
from skranke.core.demo_booking import NAMES, SETUPS
from skranke.core.demo_history import script
from skranke.core.demo_history.context import CentreContext
from skranke.core.demo_history.demand import Arrival, Window, appointment_time
from skranke.core.demo_history.rows import RowInserter

# Of the bookings not cancelled, the share nobody came for; of all bookings, the share
# cancelled (a fifth of them by staff). Municipal centres report no-shows of 5-8 %.
NO_SHOW_SHARE = 0.065
CANCELLED_SHARE = 0.10
CANCELLED_BY_STAFF = 0.2
BOOKED_BY_PHONE = 0.25
IN_ENGLISH = 0.1
# How long before their time bookings are made: a week on average, at least the notice.
MEAN_LEAD_DAYS = 7.0
NOTICE = dt.timedelta(hours=1)
HORIZON_DAYS = 60
# The check-in window closes this long after the booked time (the calendar's default), and the
# worker's sweep records the no-show within its interval after that.
CHECK_IN_LATE = dt.timedelta(minutes=5)
SWEEP_SECONDS = 600
REMINDER_BEFORE = dt.timedelta(hours=24)

APPOINTMENT_FIELDS = [
    field.attname for field in Appointment._meta.concrete_fields if not field.primary_key
]


def draw_bookings(
    context: CentreContext,
    day: dt.date,
    arrivals: list[Arrival],
    windows: list[Window],
    clock: Callable[[int], dt.datetime],
) -> tuple[dict[int, script.Booking], list[script.MissedBooking]]:
    """Return the booking behind each appointment arrival (by its place in ``arrivals``) and
    the day's bookings that never became a visit, those in order of their step's time."""
    rng = random.Random(f"bookings:{context.location.slug}:{day.isoformat()}")  # noqa: S311
    kept: dict[int, script.Booking] = {}
    missed: list[script.MissedBooking] = []
    # Per checked-in booking, the no-shows and the cancellations that go with it on average.
    no_shows_per = NO_SHOW_SHARE / (1 - NO_SHOW_SHARE)
    cancelled_per = CANCELLED_SHARE / (1 - CANCELLED_SHARE) * (1 + no_shows_per)
    for order, arrival in enumerate(arrivals):
        if arrival.booked is None:
            continue
        kept[order] = _booking(
            context, arrival.service.id, arrival.service.slug, clock(arrival.booked), rng
        )
        for share, status in (
            (no_shows_per, AppointmentStatus.NO_SHOW),
            (cancelled_per, AppointmentStatus.CANCELLED),
        ):
            if rng.random() >= share:
                continue
            second = appointment_time(windows, rng)
            if second is None:
                continue
            booking = _booking(
                context, arrival.service.id, arrival.service.slug, clock(second), rng
            )
            missed.append(_missed(context, booking, status, rng))
    missed.sort(key=lambda step: step.at)
    return kept, missed


def _booking(
    context: CentreContext, service_id: int, slug: str, starts: dt.datetime, rng: random.Random
) -> script.Booking:
    days = min(rng.expovariate(1 / MEAN_LEAD_DAYS), HORIZON_DAYS)
    lead = dt.timedelta(seconds=round(days * 86_400))
    by_phone = rng.random() < BOOKED_BY_PHONE
    minutes = SETUPS.get(slug, (15, 0, 1))[0]
    return script.Booking(
        booked_at=starts - max(lead, NOTICE) - dt.timedelta(seconds=rng.randrange(3600)),
        location_id=context.location.pk,
        service_id=service_id,
        starts_at=starts,
        ends_at=starts + dt.timedelta(minutes=minutes),
        code="".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)),
        source=(BookingSource.PHONE if by_phone else BookingSource.ONLINE).value,
        language="en" if rng.random() < IN_ENGLISH else "da",
        staff_id=rng.choice(context.staff).user_id if by_phone else None,
    )


def _missed(
    context: CentreContext, booking: script.Booking, status: str, rng: random.Random
) -> script.MissedBooking:
    if status == AppointmentStatus.NO_SHOW:
        closed = booking.starts_at + CHECK_IN_LATE
        return script.MissedBooking(
            at=closed + dt.timedelta(seconds=rng.randrange(1, SWEEP_SECONDS)),
            booking=booking,
            status=status,
        )
    by_staff = rng.random() < CANCELLED_BY_STAFF
    between = (booking.starts_at - booking.booked_at).total_seconds()
    return script.MissedBooking(
        at=booking.booked_at + dt.timedelta(seconds=round(rng.uniform(0.2, 0.95) * between)),
        booking=booking,
        status=status,
        cancel_reason=(CancelReason.STAFF if by_staff else CancelReason.CITIZEN).value,
        staff_id=rng.choice(context.staff).user_id if by_staff else None,
    )


class BookingRows:
    """The Appointment rows of the bookings played (checked_in, missed), inserted by flush once
    their tickets have ids."""

    def __init__(self, prepared: dict[Any, Any]) -> None:
        self.now = timezone.now()
        self.retention = dt.timedelta(days=settings.SKRANKE_BOOKING_RETENTION_DAYS)
        self.rows: list[dict[str, Any]] = []
        self._inserter = RowInserter(Appointment, APPOINTMENT_FIELDS, prepared)

    def checked_in(self, booking: script.Booking, at: dt.datetime, ticket: Any) -> None:
        """booking.services.check_in at ``at``: checked in, linked to ``ticket`` (a TicketRow,
        whose id is read at flush)."""
        self.rows.append(
            self._row(booking, status=AppointmentStatus.CHECKED_IN, checked_in_at=at, ticket=ticket)
        )

    def missed(self, step: script.MissedBooking) -> None:
        if step.status == AppointmentStatus.NO_SHOW:
            row = self._row(step.booking, status=step.status, no_show_at=step.at)
        else:
            row = self._row(
                step.booking,
                status=step.status,
                cancelled_at=step.at,
                cancelled_by_id=step.staff_id,
                cancel_reason=step.cancel_reason,
            )
        self.rows.append(row)

    def _row(self, booking: script.Booking, **fields: Any) -> dict[str, Any]:
        starts = booking.starts_at
        reminded = starts - REMINDER_BEFORE
        ended = fields.get("cancelled_at")
        row = dict.fromkeys(APPOINTMENT_FIELDS)
        row.update(
            code=booking.code,
            secret_hash=hashlib.sha256(f"demo:{booking.code}".encode()).hexdigest(),
            location_id=booking.location_id,
            service_id=booking.service_id,
            starts_at=starts,
            ends_at=booking.ends_at,
            people=1,
            language=booking.language,
            source=booking.source,
            created_by_id=booking.staff_id,
            created_at=booking.booked_at,
            sequence=0,
            cancel_reason="",
            # booking.services.send_due_reminders: a day before, if booked (and not yet
            # cancelled) by then.
            reminder_sent_at=(
                reminded + dt.timedelta(seconds=30)
                if booking.booked_at <= reminded and (ended is None or ended > reminded)
                else None
            ),
            ticket=None,
        )
        row.update(fields)
        row.update(self._contact(booking))
        return row

    def _contact(self, booking: script.Booking) -> dict[str, Any]:
        """Made-up contact details, or none once the worker has erased them."""
        erased = booking.starts_at + self.retention + dt.timedelta(minutes=10)
        if erased <= self.now:
            return {"name": "", "phone": "", "email": "", "erased_at": erased}
        seed = int(hashlib.sha256(booking.code.encode()).hexdigest()[:8], 16)
        return {
            "name": NAMES[seed % len(NAMES)],
            "phone": f"+452{seed % 10_000_000:07d}",
            "email": "",
            "erased_at": None,
        }

    def flush(self) -> int:
        """Insert the rows played (their tickets written already); returns how many."""
        self._unique_codes()
        rows = []
        for row in self.rows:
            ticket = row.pop("ticket")
            row["ticket_id"] = ticket.pk if ticket is not None else None
            rows.append([row[name] for name in APPOINTMENT_FIELDS])
        self.rows = []
        return self._inserter.insert(rows)

    def _unique_codes(self) -> None:
        """Draw a new code for a row whose code is taken (by a booking already written, or by
        one of these): 8 of 32 characters rarely meet, but the column is unique."""
        codes = [row["code"] for row in self.rows]
        taken: set[str] = set()
        for start in range(0, len(codes), 500):
            taken.update(
                Appointment.objects.filter(code__in=codes[start : start + 500]).values_list(
                    "code", flat=True
                )
            )
        seen: set[str] = set()
        rng = random.Random(len(codes))  # noqa: S311 - a code, not a secret
        for row in self.rows:
            while row["code"] in taken or row["code"] in seen:
                row["code"] = "".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            seen.add(row["code"])
