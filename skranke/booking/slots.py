"""Free times: which slots of a booked service at a centre can still be booked, and whether a
given start can.

Slots come from the centre's attendance hours of each local day (skranke.organisation.hours:
weekly hours, dated exceptions, public holidays and the optional days), starting at the first
tick of each opening interval and following each other every slot length; a booking for N people
takes as many consecutive slots as its time needs and must end inside the same interval. A slot
is offered when it starts at least the minimum notice after now, lies within the booking horizon
(today + horizon days, local dates) and has a place free in every tick it covers
(skranke.booking.capacity). Everything is computed on instants, so daylight-saving days come
out right: the slots of an interval are consecutive in real time.

These functions only read. skranke.booking.services books, holds, moves and cancels.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from skranke.booking.capacity import (
    CapacityRules,
    local_days,
    next_tick,
    remaining_places,
    taken_places,
)
from skranke.booking.errors import BadBookingInput, BookingRefused, NotBookable
from skranke.booking.models import Appointment, AppointmentStatus, BookingSetup, in_front_queue
from skranke.catalogue.models import Service
from skranke.lib.intervals import Interval
from skranke.lib.localtime import (
    end_of_local_day,
    local_date,
    start_of_local_day,
    wall_clock_instant,
)
from skranke.organisation.hours import DayHours, day_hours
from skranke.organisation.models import Location

# A query of free slots covers at most this many days (the page shows a week or a month).
MAX_DAYS_PER_QUERY = 31
# How many free times a refusal suggests instead.
NEXT_FREE_COUNT = 3


@dataclass(frozen=True)
class Slot:
    """A bookable time: ``start`` to ``end`` (UTC), with ``remaining`` places free in it."""

    start: dt.datetime
    end: dt.datetime
    remaining: int


def booking_setup(location: Location, service: Service) -> BookingSetup:
    """Return how ``service`` is booked at ``location``.

    Raises NotBookable unless the centre is active and takes appointments, the service is
    active, bookable and booked there, and a front-office queue there takes it.
    """
    setup = (
        BookingSetup.objects.select_related("calendar", "service")
        .filter(calendar_id=location.pk, service=service)
        .first()
    )
    if (
        setup is None
        or not (location.active and setup.calendar.active and setup.active)
        or not (service.active and service.bookable)
        or not in_front_queue(location.pk, service.pk)
    ):
        raise NotBookable(
            "not_booked_here",
            _("%(service)s cannot be booked at %(centre)s.")
            % {"service": service.display_name(), "centre": location.name},
        )
    return setup


def check_people(setup: BookingSetup, people: int) -> None:
    """Raise BadBookingInput unless ``people`` is between 1 and the service's maximum."""
    if not 1 <= people <= setup.max_people:
        raise BadBookingInput(
            "people",
            _("A booking is for 1 to %(most)d people.") % {"most": setup.max_people},
            field="people",
        )


def last_bookable_day(setup: BookingSetup, now: dt.datetime) -> dt.date:
    return local_date(now) + dt.timedelta(days=setup.horizon_days)


def _beyond_horizon(setup: BookingSetup, now: dt.datetime) -> BadBookingInput:
    return BadBookingInput(
        "beyond_horizon",
        _("Appointments can be booked at most %(days)d days ahead, until %(date)s.")
        % {
            "days": setup.horizon_days,
            "date": formats.date_format(last_bookable_day(setup, now)),
        },
        field="start",
    )


def _closed(hours: DayHours) -> BookingRefused:
    day = formats.date_format(hours.date)
    if hours.closed_reason:
        message = _("The centre is closed on %(date)s (%(reason)s).") % {
            "date": day,
            "reason": hours.closed_reason,
        }
    else:
        message = _("The centre is closed on %(date)s.") % {"date": day}
    return BookingRefused("closed", message)


def _slot_starts(
    interval: Interval[dt.datetime], setup: BookingSetup, length: dt.timedelta
) -> Iterator[dt.datetime]:
    """Yield the starts of the slots in an opening interval that leave ``length`` before its
    end."""
    step = dt.timedelta(minutes=setup.slot_minutes)
    start = next_tick(interval.start)
    while start + length <= interval.end:
        yield start
        start += step


def _days(first_day: dt.date, last_day: dt.date) -> list[dt.date]:
    return [first_day + dt.timedelta(days=n) for n in range((last_day - first_day).days + 1)]


def _free_on_days(
    location: Location,
    setup: BookingSetup,
    days: list[dt.date],
    people: int,
    now: dt.datetime,
    after: dt.datetime | None = None,
) -> list[Slot]:
    """Return the free slots on ``days`` (starting at or after ``after``, if given)."""
    length = setup.duration_for(people)
    earliest = now + dt.timedelta(minutes=setup.minimum_notice_minutes)
    if after is not None:
        earliest = max(earliest, after)
    candidates = [
        (start, start + length)
        for day in days
        for interval in day_hours(location, day).intervals
        for start in _slot_starts(interval, setup, length)
        if start >= earliest
    ]
    if not candidates:
        return []
    first, last = candidates[0][0], max(end for _start, end in candidates)
    rules = CapacityRules.load(location.pk, *local_days(first, last))
    taken = taken_places(location.pk, first, last, now)
    slots = []
    for start, end in candidates:
        remaining = remaining_places(rules, taken, start, end)
        if remaining > 0:
            slots.append(Slot(start, end, remaining))
    return slots


def free_slots(
    location: Location,
    service: Service,
    first_day: dt.date,
    last_day: dt.date | None = None,
    *,
    people: int = 1,
    now: dt.datetime | None = None,
) -> list[Slot]:
    """Return the free slots for ``people`` on the local dates ``first_day`` to ``last_day``
    (default: that one day), earliest first; days past the booking horizon are left out.

    Raises NotBookable (not booked at the centre), BadBookingInput (a past first day, one beyond
    the horizon, a range backwards or longer than MAX_DAYS_PER_QUERY days, people out of range)
    and, when one day is asked for and the centre is closed all of it (a holiday, a dated
    closure), BookingRefused "closed" with the next free slots.
    """
    now = now or timezone.now()
    setup = booking_setup(location, service)
    check_people(setup, people)
    last_day = last_day or first_day
    if first_day < local_date(now):
        raise BadBookingInput("past_date", _("That day has passed."), field="date")
    if last_day < first_day:
        raise BadBookingInput("bad_range", _("The end date is before the start date."))
    if (last_day - first_day).days >= MAX_DAYS_PER_QUERY:
        raise BadBookingInput(
            "bad_range",
            _("Ask for at most %(days)d days at a time.") % {"days": MAX_DAYS_PER_QUERY},
        )
    horizon = last_bookable_day(setup, now)
    if first_day > horizon:
        raise _beyond_horizon(setup, now)
    if first_day == last_day:
        hours = day_hours(location, first_day)
        if hours.is_closed_all_day:
            refusal = _closed(hours)
            after = end_of_local_day(first_day)
            raise refusal.with_next_free(
                next_free_slots(location, service, after, people=people, now=now)
            )
    return _free_on_days(location, setup, _days(first_day, min(last_day, horizon)), people, now)


def next_free_slots(
    location: Location,
    service: Service,
    after: dt.datetime,
    *,
    people: int = 1,
    now: dt.datetime | None = None,
    limit: int = NEXT_FREE_COUNT,
) -> list[Slot]:
    """Return up to ``limit`` free slots starting at or after ``after``, earliest first, within
    the booking horizon; [] when the service is not (or no longer) booked there."""
    now = now or timezone.now()
    try:
        setup = booking_setup(location, service)
        check_people(setup, people)
    except (NotBookable, BadBookingInput):
        return []
    day = max(local_date(after), local_date(now))
    horizon = last_bookable_day(setup, now)
    found: list[Slot] = []
    # A week at a time: one read of capacity and taken places per week.
    while day <= horizon and len(found) < limit:
        week = _days(day, min(day + dt.timedelta(days=6), horizon))
        found += _free_on_days(location, setup, week, people, now, after=after)
        day = week[-1] + dt.timedelta(days=1)
    return found[:limit]


def first_free_slot(
    location: Location,
    service: Service,
    *,
    people: int = 1,
    now: dt.datetime | None = None,
) -> Slot | None:
    """Return the earliest free slot from now on ("første ledige tid"), or None when there is
    none within the booking horizon (or the service is not booked there)."""
    now = now or timezone.now()
    slots = next_free_slots(location, service, now, people=people, now=now, limit=1)
    return slots[0] if slots else None


def as_instant(value: dt.datetime) -> dt.datetime:
    """Return ``value`` as an aware instant in UTC; a naive value is read as local wall-clock
    time (skranke.lib.localtime.wall_clock_instant)."""
    if timezone.is_naive(value):
        value = wall_clock_instant(value.date(), value.time())
    return value.astimezone(dt.UTC)


def check_slot(
    location: Location,
    setup: BookingSetup,
    start: dt.datetime,
    people: int,
    now: dt.datetime,
) -> tuple[dt.datetime, dt.datetime]:
    """Return (start, end) in UTC of a booking for ``people`` starting at ``start``.

    Capacity is not checked here: taking the places decides that (skranke.booking.capacity).
    Raises BadBookingInput when the start has passed, is sooner than the minimum notice, is
    beyond the horizon, or is not a slot start with time for all the people before closing;
    BookingRefused "closed" when the centre is closed all that day.
    """
    check_people(setup, people)
    try:
        start = as_instant(start)
        day = local_date(start)
    except (OverflowError, ValueError):
        # A year outside what dates can hold once moved to local time.
        raise BadBookingInput(
            "not_a_slot", _("That is not a time that can be booked."), field="start"
        ) from None
    if start < now:
        raise BadBookingInput("past", _("That time has passed."), field="start")
    if day > last_bookable_day(setup, now):
        raise _beyond_horizon(setup, now)
    notice = dt.timedelta(minutes=setup.minimum_notice_minutes)
    if start < now + notice:
        raise BadBookingInput(
            "too_soon",
            _("Appointments must be booked at least %(minutes)d minutes ahead.")
            % {"minutes": setup.minimum_notice_minutes},
            field="start",
        )
    hours = day_hours(location, day)
    if hours.is_closed_all_day:
        raise _closed(hours)
    length = setup.duration_for(people)
    for interval in hours.intervals:
        if interval.contains(start) and start in set(_slot_starts(interval, setup, length)):
            return start, start + length
    raise BadBookingInput(
        "not_a_slot",
        _("That is not a time that can be booked for %(people)d; choose one of the free times.")
        % {"people": people},
        field="start",
    )


def lies_within(
    start: dt.datetime, end: dt.datetime, intervals: list[Interval[dt.datetime]]
) -> bool:
    """Return True when ``start``–``end`` lies within one of the opening ``intervals``: what a
    booking must do to stay booked when the hours change (skranke.booking.services.closures)."""
    return any(interval.start <= start and end <= interval.end for interval in intervals)


def check_open(location: Location, start: dt.datetime, end: dt.datetime) -> None:
    """Raise BookingRefused "closed" unless ``start``–``end`` lies within one attendance opening
    interval of its local day, as the hours in the database say now.

    The booking writes ask it again inside their transaction, having taken the centre's lock
    (skranke.booking.services.centre_lock), so a change of hours saved meanwhile refuses them.
    """
    hours = day_hours(location, local_date(start))
    if hours.is_closed_all_day:
        raise _closed(hours)
    if not lies_within(start, end, hours.intervals):
        raise BookingRefused(
            "closed",
            _("The centre's opening hours have changed and it is closed at that time."),
        )


def appointments_booked_on(location: Location, day: dt.date) -> int:
    """Return how many appointments are booked (not cancelled) at ``location`` starting on the
    local date ``day``: the staff home's "appointments today"."""
    return Appointment.objects.filter(
        location=location,
        status=AppointmentStatus.BOOKED,
        starts_at__gte=start_of_local_day(day),
        starts_at__lt=end_of_local_day(day),
    ).count()
