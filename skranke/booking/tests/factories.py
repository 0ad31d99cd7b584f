"""Small builders for booking tests: a centre whose passports are booked, with capacity."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from skranke.booking.models import BookingCalendar, BookingSetup, WeeklyCapacity
from skranke.booking.services import ContactDetails, clean_contact
from skranke.catalogue.models import Service
from skranke.organisation.models import MIDNIGHT, Location
from skranke.queue.tests.factories import Centre, copenhagen, make_centre

__all__ = [
    "BookingCentre",
    "book_passports_at",
    "citizen",
    "copenhagen",
    "make_booking_centre",
]


@dataclass
class BookingCentre:
    centre: Centre
    calendar: BookingCalendar
    setup: BookingSetup

    @property
    def location(self) -> Location:
        return self.centre.location

    @property
    def passport(self) -> Service:
        return self.centre.passport


def make_booking_centre(
    *,
    capacity: int = 1,
    slot_minutes: int = 15,
    extra_minutes_per_person: int = 0,
    max_people: int = 1,
    horizon_days: int = 60,
    minimum_notice_minutes: int = 0,
    **location_fields: Any,
) -> BookingCentre:
    """Return a centre (always open unless told otherwise) booking its passports, with
    ``capacity`` appointments in parallel around the clock every day."""
    return book_passports_at(
        make_centre(**location_fields),
        capacity=capacity,
        slot_minutes=slot_minutes,
        extra_minutes_per_person=extra_minutes_per_person,
        max_people=max_people,
        horizon_days=horizon_days,
        minimum_notice_minutes=minimum_notice_minutes,
    )


def book_passports_at(centre: Centre, *, capacity: int = 1, **setup: Any) -> BookingCentre:
    """Make ``centre``'s passports bookable there (``setup``: BookingSetup's fields), with
    ``capacity`` appointments in parallel around the clock every day."""
    Service.objects.filter(pk=centre.passport.pk).update(bookable=True)
    centre.passport.refresh_from_db()
    calendar = BookingCalendar.objects.create(location=centre.location)
    booked = BookingSetup.objects.create(calendar=calendar, service=centre.passport, **setup)
    WeeklyCapacity.objects.bulk_create(
        WeeklyCapacity(
            calendar=calendar, weekday=day, starts=MIDNIGHT, ends=MIDNIGHT, capacity=capacity
        )
        for day in range(7)
    )
    return BookingCentre(centre, calendar, booked)


def citizen(number: int = 0, **fields: Any) -> ContactDetails:
    """Return contact details of a citizen; ``number`` gives each a phone number of their own."""
    details = {"name": "Anna Jensen", "phone": f"20 00 {number:04d}"[:11], "email": ""}
    details.update(fields)
    return clean_contact(**details)


def at(day: dt.date, hour: int, minute: int = 0, *, fold: int = 0) -> dt.datetime:
    """The instant Copenhagen clocks show ``hour:minute`` on ``day`` (UTC)."""
    return copenhagen(day, hour, minute, fold=fold)
