"""The world of the closure tests: a centre open on weekdays 9-15 with bookings around the hours
an administrator is about to change, another centre, and the admin's forms as a browser posts
them.

The clock stands at NOW (Monday 16 November 2026, 08:00 in Copenhagen). At the centre:

| booking        | when                           | note                                  |
| -------------- | ------------------------------ | ------------------------------------- |
| inside         | Tue 24 Nov 11:00-11:15         |                                       |
| edge           | Tue 24 Nov 13:45-14:00         | ends when a 14:00 closing closes      |
| after_two      | Tue 24 Nov 14:00-14:15         | starts when a 14:00 closing closes    |
| cancelled      | Tue 24 Nov 14:30-14:45         | cancelled by the citizen              |
| past           | Tue 10 Nov 14:30-14:45         | before now                            |
| next_tuesday   | Tue 1 Dec 14:15-14:30          |                                       |
| christmas_eve  | Thu 24 Dec 10:00-10:15         | the centre opens on 24 December       |

and at the other centre, with the same hours: other_centre, Tue 24 Nov 14:00-14:15.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from skranke.booking.models import Appointment, CalendarTick
from skranke.booking.services import book, cancel_appointment
from skranke.booking.tests.factories import BookingCentre, at, citizen, make_booking_centre
from skranke.organisation.models import HoursKind, Location, OpeningException, OpeningHours

NOW = dt.datetime(2026, 11, 16, 8, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))
DAY = dt.date(2026, 11, 24)  # a Tuesday
NEXT_TUESDAY = dt.date(2026, 12, 1)
PAST_TUESDAY = dt.date(2026, 11, 10)
CHRISTMAS_EVE = dt.date(2026, 12, 24)  # a Thursday, an optional holiday
SATURDAY = dt.date(2026, 11, 28)
NEXT_SATURDAY = dt.date(2026, 12, 5)
TUESDAY = 1

_phones = iter(range(1000, 10000))


def clock(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def open_weekdays(location: Location, opens: str = "09:00", closes: str = "15:00") -> None:
    """Give ``location`` attendance hours Monday to Friday and telephone hours on Tuesdays."""
    OpeningHours.objects.bulk_create(
        OpeningHours(
            location=location,
            kind=HoursKind.ATTENDANCE,
            weekday=weekday,
            opens=clock(opens),
            closes=clock(closes),
        )
        for weekday in range(5)
    )
    OpeningHours.objects.create(
        location=location,
        kind=HoursKind.TELEPHONE,
        weekday=TUESDAY,
        opens=clock("08:00"),
        closes=clock("16:00"),
    )


def make_hours_centre(**fields: Any) -> BookingCentre:
    """Return a centre open on weekdays 9-15 booking passports (15 minutes, one at a time)."""
    fields.setdefault("always_open", False)
    booking = make_booking_centre(horizon_days=60, **fields)
    open_weekdays(booking.location)
    return booking


def book_at(
    booking: BookingCentre, day: dt.date, hour: int, minute: int = 0, now: dt.datetime = NOW
) -> Appointment:
    """Book a passport at ``day`` ``hour:minute``, as a citizen with a phone and an e-mail."""
    number = next(_phones)
    contact = citizen(number, email=f"borger{number}@example.dk")
    made = book(
        booking.location,
        booking.passport,
        at(day, hour, minute),
        contact,
        send_confirmation=False,
        now=now,
    )
    return made.appointment


@dataclass
class Scene:
    booking: BookingCentre
    other: BookingCentre
    inside: Appointment
    edge: Appointment
    after_two: Appointment
    cancelled: Appointment
    past: Appointment
    next_tuesday: Appointment
    christmas_eve: Appointment
    other_centre: Appointment

    @property
    def location(self) -> Location:
        return self.booking.location


def make_scene() -> Scene:
    """Build the table above; call it with the clock at NOW."""
    booking = make_hours_centre(open_on_christmas_eve=True)
    other = make_hours_centre()
    cancelled = book_at(booking, DAY, 14, 30)
    cancel_appointment(cancelled, now=NOW)
    return Scene(
        booking=booking,
        other=other,
        inside=book_at(booking, DAY, 11),
        edge=book_at(booking, DAY, 13, 45),
        after_two=book_at(booking, DAY, 14),
        cancelled=cancelled,
        past=book_at(booking, PAST_TUESDAY, 14, 30, now=NOW - dt.timedelta(days=7)),
        next_tuesday=book_at(booking, NEXT_TUESDAY, 14, 15),
        christmas_eve=book_at(booking, CHRISTMAS_EVE, 10),
        other_centre=book_at(other, DAY, 14),
    )


def open_on(location: Location, day: dt.date, opens: str, closes: str) -> OpeningException:
    return OpeningException.objects.create(
        location=location,
        date=day,
        kind=HoursKind.ATTENDANCE,
        opens=clock(opens),
        closes=clock(closes),
        reason="Ekstra åbent",
    )


def places_taken(appointment: Appointment) -> int:
    """Return the places taken in the first tick of ``appointment``."""
    used = CalendarTick.objects.filter(
        location_id=appointment.location_id, starts_at=appointment.starts_at
    ).values_list("used", flat=True)
    return sum(used)


# The centre's admin form, as the browser posts it -------------------------------------------

FLAGS = (
    "active",
    "always_open",
    "open_on_may_day",
    "open_on_constitution_day",
    "open_on_christmas_eve",
    "open_on_new_years_eve",
)


def _management(prefix: str, total: int, initial: int) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def _time(value: dt.time | None) -> str:
    return f"{value:%H:%M}" if value is not None else ""


def centre_form(location: Location) -> dict[str, str]:
    """Return the centre's change form as saved: its fields and every inline row with its id."""
    location.refresh_from_db()
    data = {
        "name": location.name,
        "slug": location.slug,
        "sort_order": str(location.sort_order),
        "address": location.address,
        "postal_code": location.postal_code,
        "city": location.city,
        "phone": location.phone,
        "email": location.email,
    }
    data |= {flag: "on" for flag in FLAGS if getattr(location, flag)}
    hours = list(location.opening_hours.order_by("pk"))
    data |= _management("opening_hours", len(hours), len(hours))
    for index, row in enumerate(hours):
        data |= _row(
            "opening_hours",
            index,
            id=str(row.pk),
            location=str(location.pk),
            kind=row.kind,
            weekday=str(row.weekday),
            opens=_time(row.opens),
            closes=_time(row.closes),
        )
    exceptions = list(location.opening_exceptions.order_by("pk"))
    data |= _management("opening_exceptions", len(exceptions), len(exceptions))
    for index, exception in enumerate(exceptions):
        data |= _row(
            "opening_exceptions",
            index,
            id=str(exception.pk),
            location=str(location.pk),
            date=exception.date.isoformat(),
            kind=exception.kind,
            opens=_time(exception.opens),
            closes=_time(exception.closes),
            reason=exception.reason,
        )
    data |= _management("counters", 0, 0)
    return data


def _row(prefix: str, index: int, **fields: str) -> dict[str, str]:
    return {f"{prefix}-{index}-{name}": value for name, value in fields.items()}


def add_row(data: dict[str, str], prefix: str, **fields: str) -> None:
    """Add a new inline row to the form ``data``."""
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data |= _row(prefix, index, **fields)
    data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)


def weekly_row(data: dict[str, str], weekday: int, kind: HoursKind = HoursKind.ATTENDANCE) -> str:
    """Return the prefix ("opening_hours-1-") of the weekly row of ``weekday`` and ``kind``."""
    total = int(data["opening_hours-TOTAL_FORMS"])
    for index in range(total):
        prefix = f"opening_hours-{index}-"
        if data[prefix + "weekday"] == str(weekday) and data[prefix + "kind"] == kind:
            return prefix
    raise LookupError(weekday)
