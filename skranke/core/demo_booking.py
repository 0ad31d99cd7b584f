"""The demo's appointments: each centre books the demo's bookable services that its front queues
take, with capacity by hour of the week, one dated change, and a handful of appointments a day
from today over the coming weeks, booked through the booking engine itself.

Loading again adds nothing: calendars, booked services and capacity rows are made once (an
administrator's changes stay), and each day is only topped up to its number of appointments.
No confirmation is sent for the demo's appointments.
"""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from skranke.booking.errors import BookingError
from skranke.booking.models import (
    Appointment,
    AppointmentStatus,
    BookingCalendar,
    BookingSetup,
    CapacityChange,
    WeeklyCapacity,
    in_front_queue,
)
from skranke.booking.services import book, clean_contact, free_slots
from skranke.catalogue.models import Service
from skranke.lib.localtime import end_of_local_day, local_date, start_of_local_day
from skranke.organisation.models import MIDNIGHT, Location

# How each bookable service is booked: slot minutes, extra minutes per person, most people.
SETUPS = {
    "pas-voksen": (15, 10, 4),
    "pas-barn": (15, 10, 4),
    "koerekort-fornyelse": (10, 0, 1),
    "koerekort-erhvervelse": (15, 0, 1),
    "koerekort-ombytning": (20, 0, 1),
    "indrejse": (20, 10, 4),
    "aegteskabsbetingelser": (30, 0, 2),
    "borgerlig-vielse": (30, 0, 2),
}
MON, TUE, WED, THU, FRI, SAT = range(6)
# Appointments in parallel by centre: (weekday, from, to, capacity). Two counters take
# appointments at the town hall, three on Monday mornings; one at the library.
CAPACITY = {
    "raadhuset": [
        (MON, "10:00", "12:00", 3),
        (MON, "12:00", "17:00", 2),
        *((day, "10:00", "18:00", 2) for day in (TUE, WED, THU, FRI)),
    ],
    "biblioteket": [(day, "10:00", "17:00", 1) for day in (TUE, THU, SAT)],
    "demo": [(day, "00:00", "00:00", 2) for day in range(7)],
}
APPOINTMENTS_PER_DAY = {"raadhuset": 4, "biblioteket": 2, "demo": 4}
DAYS_AHEAD = 14
NAMES = [
    "Anna Jensen",
    "Mikkel Nielsen",
    "Fatima Hansen",
    "Oliver Pedersen",
    "Emma Andersen",
    "Noah Christensen",
    "Ida Larsen",
    "William Sørensen",
    "Freja Rasmussen",
    "Ali Jørgensen",
]


def load_booking_demo(locations: list[Location]) -> int:
    """Set up appointments at ``locations`` and top up their coming days; return how many
    appointments were booked this time."""
    booked = 0
    for index, location in enumerate(locations):
        calendar, _created = BookingCalendar.objects.get_or_create(location=location)
        services = _book_services(calendar)
        if not calendar.weekly_capacity.exists():
            WeeklyCapacity.objects.bulk_create(
                WeeklyCapacity(
                    calendar=calendar,
                    weekday=day,
                    starts=dt.time.fromisoformat(starts),
                    ends=dt.time.fromisoformat(ends),
                    capacity=capacity,
                )
                for day, starts, ends, capacity in CAPACITY.get(location.slug, [])
            )
        if location.slug == "raadhuset":
            _colleagues_on_a_course(calendar)
        booked += _appointments(location, index, services)
    return booked


def _book_services(calendar: BookingCalendar) -> list[Service]:
    """Book the demo's bookable services that a front queue at the centre takes."""
    booked = []
    for service in Service.objects.filter(slug__in=SETUPS, bookable=True).order_by("sort_order"):
        if not in_front_queue(calendar.pk, service.pk):
            continue
        slot, extra, people = SETUPS[service.slug]
        BookingSetup.objects.get_or_create(
            calendar=calendar,
            service=service,
            defaults={
                "slot_minutes": slot,
                "extra_minutes_per_person": extra,
                "max_people": people,
                "horizon_days": 60,
                "minimum_notice_minutes": 60,
            },
        )
        booked.append(service)
    return booked


def _colleagues_on_a_course(calendar: BookingCalendar) -> None:
    """One appointment counter fewer next Wednesday afternoon (made once)."""
    today = local_date(timezone.now())
    wednesday = today + dt.timedelta(days=(WED - today.weekday()) % 7 or 7)
    CapacityChange.objects.get_or_create(
        calendar=calendar,
        reason="To kolleger på kursus",
        defaults={
            "date": wednesday,
            "starts": dt.time(13),
            "ends": MIDNIGHT,
            "adjustment": -1,
        },
    )


def _appointments(location: Location, centre_index: int, services: list[Service]) -> int:
    """Top each of the coming days up to its number of appointments; return how many."""
    if not services:
        return 0
    today = local_date(timezone.now())
    wanted = APPOINTMENTS_PER_DAY.get(location.slug, 2)
    made = 0
    for offset in range(DAYS_AHEAD + 1):
        day = today + dt.timedelta(days=offset)
        existing = Appointment.objects.filter(
            location=location,
            status=AppointmentStatus.BOOKED,
            starts_at__gte=start_of_local_day(day),
            starts_at__lt=end_of_local_day(day),
        ).count()
        rotation = itertools.islice(itertools.cycle(services), offset, None)
        for number in range(existing, wanted):
            service = next(rotation)
            made += _book_one(location, service, day, centre_index, offset, number, wanted)
    return made


def _book_one(
    location: Location,
    service: Service,
    day: dt.date,
    centre_index: int,
    offset: int,
    number: int,
    wanted: int,
) -> int:
    try:
        slots = free_slots(location, service, day)
    except BookingError:
        return 0  # closed that day
    if not slots:
        return 0
    # Spread over the day: the first, a third of the way in, and so on.
    slot = slots[len(slots) * number // wanted]
    contact = clean_contact(
        NAMES[(offset * 3 + number + centre_index) % len(NAMES)],
        # A number of its own for each, so the limit per phone number never applies.
        phone=f"2{centre_index}{offset:03d}{number:03d}",
        language="da" if number % 3 else "en",
    )
    try:
        book(location, service, slot.start, contact, send_confirmation=False)
    except BookingError:
        return 0
    return 1
