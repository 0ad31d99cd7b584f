"""Free slots: opening hours (holidays, optional days, closures, daylight saving), capacity by
hour of the week and dated changes, minimum notice, horizon, several people."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from skranke.booking.errors import BadBookingInput, BookingRefused, NotBookable
from skranke.booking.models import CapacityChange, WeeklyCapacity
from skranke.booking.services import (
    book,
    first_free_slot,
    free_slots,
    next_free_slots,
)
from skranke.booking.slots import check_slot
from skranke.booking.tests.factories import BookingCentre, at, citizen, make_booking_centre
from skranke.lib.localtime import local_zone
from skranke.organisation.models import OpeningException, OpeningHours

pytestmark = pytest.mark.django_db

SPRING_FORWARD = dt.date(2026, 3, 29)
FALL_BACK = dt.date(2026, 10, 25)
TUESDAY = dt.date(2026, 11, 10)
MONDAY_BEFORE = at(dt.date(2026, 11, 9), 9)
SPRING_NOW = at(dt.date(2026, 3, 20), 9)
AUTUMN_NOW = at(dt.date(2026, 10, 20), 9)


def wall_clock(slot_start: dt.datetime) -> str:
    return slot_start.astimezone(local_zone()).strftime("%H:%M%z")


def weekday_centre(**fields: object) -> BookingCentre:
    """A centre open Monday to Friday 10:00–15:00 (not around the clock)."""
    booking = make_booking_centre(always_open=False, **fields)  # type: ignore[arg-type]
    for weekday in range(5):
        OpeningHours.objects.create(
            location=booking.location,
            weekday=weekday,
            opens=dt.time(10),
            closes=dt.time(15),
        )
    return booking


def early_hours_centre(day: dt.date) -> BookingCentre:
    """A centre open 00:00–06:00 local time on ``day`` only, across the clock change."""
    booking = make_booking_centre(always_open=False)
    OpeningException.objects.create(
        location=booking.location, date=day, opens=dt.time(0), closes=dt.time(6)
    )
    return booking


# Daylight saving ----------------------------------------------------------------------------


def test_the_spring_day_has_no_slots_in_the_missing_hour() -> None:
    booking = early_hours_centre(SPRING_FORWARD)

    slots = free_slots(booking.location, booking.passport, SPRING_FORWARD, now=SPRING_NOW)

    # 00:00–06:00 on the wall clock is five real hours: twenty quarter-hour slots.
    assert len(slots) == 20
    times = [wall_clock(slot.start) for slot in slots]
    assert times[7:9] == ["01:45+0100", "03:00+0200"]
    assert not any(time.startswith("02:") for time in times)
    assert all(slot.end - slot.start == dt.timedelta(minutes=15) for slot in slots)
    assert all(later.start == earlier.end for earlier, later in itertools.pairwise(slots))


def test_the_autumn_day_has_the_repeated_hour_twice() -> None:
    booking = early_hours_centre(FALL_BACK)
    WeeklyCapacity.objects.filter(calendar=booking.calendar, weekday=6).delete()
    WeeklyCapacity.objects.create(
        calendar=booking.calendar, weekday=6, starts=dt.time(0), ends=dt.time(2), capacity=1
    )
    WeeklyCapacity.objects.create(
        calendar=booking.calendar, weekday=6, starts=dt.time(2), ends=dt.time(3), capacity=2
    )
    WeeklyCapacity.objects.create(
        calendar=booking.calendar, weekday=6, starts=dt.time(3), ends=dt.time(0), capacity=1
    )

    slots = free_slots(booking.location, booking.passport, FALL_BACK, now=AUTUMN_NOW)

    # Seven real hours: twenty-eight slots, 02:00–02:45 twice (summer time, then winter time).
    assert len(slots) == 28
    times = [wall_clock(slot.start) for slot in slots]
    assert times.count("02:00+0200") == times.count("02:00+0100") == 1
    second_hour = [slot for slot in slots if wall_clock(slot.start).startswith("02:")]
    assert len(second_hour) == 8
    # The hour-of-the-week capacity follows the wall clock, in both of the repeated hours.
    assert {slot.remaining for slot in second_hour} == {2}
    assert {slot.remaining for slot in slots if slot not in second_hour} == {1}


def test_a_centre_open_around_the_clock_has_23_and_25_hours_of_slots() -> None:
    booking = make_booking_centre()

    spring = free_slots(booking.location, booking.passport, SPRING_FORWARD, now=SPRING_NOW)
    autumn = free_slots(booking.location, booking.passport, FALL_BACK, now=AUTUMN_NOW)

    assert (len(spring), len(autumn)) == (23 * 4, 25 * 4)


def test_a_booking_across_the_spring_change_takes_real_time() -> None:
    booking = early_hours_centre(SPRING_FORWARD)
    booking.setup.max_people = 3
    booking.setup.extra_minutes_per_person = 15
    booking.setup.save()

    made = book(
        booking.location,
        booking.passport,
        at(SPRING_FORWARD, 1, 30),
        citizen(),
        people=3,
        send_confirmation=False,
        now=SPRING_NOW,
    )

    # 01:30 + 45 real minutes is 03:15 summer time.
    assert wall_clock(made.appointment.ends_at) == "03:15+0200"
    starts = {
        wall_clock(slot.start)
        for slot in free_slots(booking.location, booking.passport, SPRING_FORWARD, now=SPRING_NOW)
    }
    assert not {"01:30+0100", "01:45+0100", "03:00+0200"} & starts
    assert {"01:15+0100", "03:15+0200"} <= starts


# Closed days --------------------------------------------------------------------------------


def test_a_public_holiday_is_closed_with_the_next_free_times() -> None:
    booking = weekday_centre()
    christmas = dt.date(2026, 12, 25)

    with pytest.raises(BookingRefused) as refused:
        free_slots(booking.location, booking.passport, christmas, now=MONDAY_BEFORE)

    assert refused.value.code == "closed"
    assert "Juledag" in refused.value.message or "Christmas" in refused.value.message
    # The 26th is a holiday too, then a weekend: Monday the 28th at opening time.
    assert [slot.start for slot in refused.value.next_free][:2] == [
        at(dt.date(2026, 12, 28), 10),
        at(dt.date(2026, 12, 28), 10, 15),
    ]


def test_an_optional_day_is_closed_unless_the_centre_opens() -> None:
    booking = weekday_centre()
    christmas_eve = dt.date(2026, 12, 24)

    with pytest.raises(BookingRefused):
        free_slots(booking.location, booking.passport, christmas_eve, now=MONDAY_BEFORE)
    booking.location.open_on_christmas_eve = True
    booking.location.save()
    slots = free_slots(booking.location, booking.passport, christmas_eve, now=MONDAY_BEFORE)

    assert len(slots) == 20
    assert slots[0].start == at(christmas_eve, 10)


def test_a_dated_closure_is_closed_and_left_out_of_a_range() -> None:
    booking = weekday_centre()
    OpeningException.objects.create(location=booking.location, date=TUESDAY, reason="Personalemøde")

    with pytest.raises(BookingRefused) as refused:
        free_slots(booking.location, booking.passport, TUESDAY, now=MONDAY_BEFORE)
    week = free_slots(
        booking.location,
        booking.passport,
        TUESDAY - dt.timedelta(days=1),
        TUESDAY + dt.timedelta(days=1),
        now=MONDAY_BEFORE,
    )

    assert "Personalemøde" in refused.value.message
    assert {slot.start.astimezone(local_zone()).date() for slot in week} == {
        TUESDAY - dt.timedelta(days=1),
        TUESDAY + dt.timedelta(days=1),
    }


# Capacity -------------------------------------------------------------------------------------


def test_one_off_capacity_changes_add_set_and_take_away() -> None:
    booking = weekday_centre()
    calendar = booking.calendar
    CapacityChange.objects.create(
        calendar=calendar, date=TUESDAY, starts=dt.time(10), ends=dt.time(11), adjustment=1
    )
    CapacityChange.objects.create(
        calendar=calendar, date=TUESDAY, starts=dt.time(11), ends=dt.time(12), capacity=0
    )
    CapacityChange.objects.create(
        calendar=calendar, date=TUESDAY + dt.timedelta(days=1), adjustment=-1, reason="Syg"
    )

    tuesday = free_slots(booking.location, booking.passport, TUESDAY, now=MONDAY_BEFORE)
    wednesday = free_slots(
        booking.location, booking.passport, TUESDAY + dt.timedelta(days=1), now=MONDAY_BEFORE
    )

    remaining = {wall_clock(slot.start)[:5]: slot.remaining for slot in tuesday}
    assert remaining["10:00"] == remaining["10:45"] == 2
    assert not any(time.startswith("11:") for time in remaining)
    assert remaining["12:00"] == remaining["14:45"] == 1
    assert wednesday == []


def test_hours_without_weekly_capacity_take_no_appointments() -> None:
    booking = weekday_centre()
    WeeklyCapacity.objects.filter(calendar=booking.calendar).delete()
    WeeklyCapacity.objects.create(
        calendar=booking.calendar,
        weekday=TUESDAY.weekday(),
        starts=dt.time(13),
        ends=dt.time(14),
        capacity=3,
    )

    slots = free_slots(booking.location, booking.passport, TUESDAY, now=MONDAY_BEFORE)

    assert [wall_clock(slot.start)[:5] for slot in slots] == ["13:00", "13:15", "13:30", "13:45"]
    assert {slot.remaining for slot in slots} == {3}


def test_a_booking_takes_a_place_and_the_full_slot_is_no_longer_offered() -> None:
    booking = weekday_centre(capacity=2)
    start = at(TUESDAY, 10, 30)

    book(booking.location, booking.passport, start, citizen(1), now=MONDAY_BEFORE)
    after_one = free_slots(booking.location, booking.passport, TUESDAY, now=MONDAY_BEFORE)
    book(booking.location, booking.passport, start, citizen(2), now=MONDAY_BEFORE)
    after_two = free_slots(booking.location, booking.passport, TUESDAY, now=MONDAY_BEFORE)

    assert next(slot for slot in after_one if slot.start == start).remaining == 1
    assert start not in {slot.start for slot in after_two}
    assert len(after_two) == 19


# Notice, horizon, people ------------------------------------------------------------------------


def test_the_minimum_notice_hides_slots_too_soon() -> None:
    booking = weekday_centre(minimum_notice_minutes=60)
    now = at(TUESDAY, 10, 7)

    slots = free_slots(booking.location, booking.passport, TUESDAY, now=now)

    assert slots[0].start == at(TUESDAY, 11, 15)
    with pytest.raises(BadBookingInput) as refused:
        check_slot(booking.location, booking.setup, at(TUESDAY, 11), 1, now)
    assert refused.value.code == "too_soon"


def test_the_horizon_limits_the_days() -> None:
    booking = weekday_centre(horizon_days=14)
    now = at(TUESDAY, 9)
    last = TUESDAY + dt.timedelta(days=14)

    with pytest.raises(BadBookingInput) as refused:
        free_slots(booking.location, booking.passport, last + dt.timedelta(days=1), now=now)
    clipped = free_slots(
        booking.location,
        booking.passport,
        last - dt.timedelta(days=1),
        last + dt.timedelta(7),
        now=now,
    )

    assert refused.value.code == "beyond_horizon"
    assert max(slot.start for slot in clipped).astimezone(local_zone()).date() == last
    with pytest.raises(BadBookingInput):
        check_slot(booking.location, booking.setup, at(last + dt.timedelta(days=1), 10), 1, now)


def test_a_past_day_and_bad_ranges_are_refused() -> None:
    booking = weekday_centre()
    now = at(TUESDAY, 9)

    for first, last, code in [
        (TUESDAY - dt.timedelta(days=1), None, "past_date"),
        (TUESDAY, TUESDAY - dt.timedelta(days=1), "bad_range"),
        (TUESDAY, TUESDAY + dt.timedelta(days=40), "bad_range"),
    ]:
        with pytest.raises(BadBookingInput) as refused:
            free_slots(booking.location, booking.passport, first, last, now=now)
        assert refused.value.code == code


def test_several_people_take_consecutive_slots_within_the_opening_hours() -> None:
    booking = weekday_centre(slot_minutes=15, extra_minutes_per_person=10, max_people=5)

    family = free_slots(booking.location, booking.passport, TUESDAY, people=3, now=MONDAY_BEFORE)
    made = book(
        booking.location,
        booking.passport,
        at(TUESDAY, 10, 30),
        citizen(),
        people=3,
        now=MONDAY_BEFORE,
    )
    single = free_slots(booking.location, booking.passport, TUESDAY, now=MONDAY_BEFORE)

    # 15 + 2 × 10 = 35 minutes need three slots: 45 minutes, the last ending by 15:00.
    assert {slot.end - slot.start for slot in family} == {dt.timedelta(minutes=45)}
    assert family[-1].start == at(TUESDAY, 14, 15)
    assert made.appointment.ends_at == at(TUESDAY, 11, 15)
    taken = {at(TUESDAY, 10, 30), at(TUESDAY, 10, 45), at(TUESDAY, 11)}
    assert not taken & {slot.start for slot in single}
    assert at(TUESDAY, 11, 15) in {slot.start for slot in single}
    with pytest.raises(BadBookingInput) as refused:
        free_slots(booking.location, booking.passport, TUESDAY, people=6, now=MONDAY_BEFORE)
    assert refused.value.code == "people"


def test_a_start_off_the_grid_or_outside_the_hours_is_not_a_slot() -> None:
    booking = weekday_centre()

    for start in (at(TUESDAY, 10, 5), at(TUESDAY, 9, 45), at(TUESDAY, 14, 50)):
        with pytest.raises(BadBookingInput) as refused:
            check_slot(booking.location, booking.setup, start, 1, MONDAY_BEFORE)
        assert refused.value.code == "not_a_slot"


def test_the_first_free_slot_skips_full_and_closed_days() -> None:
    booking = weekday_centre()
    OpeningException.objects.create(location=booking.location, date=TUESDAY)
    now = at(dt.date(2026, 11, 9), 16)  # Monday after closing

    first = first_free_slot(booking.location, booking.passport, now=now)
    following = next_free_slots(booking.location, booking.passport, first.start, now=now)  # type: ignore[union-attr]

    assert first is not None
    assert first.start == at(TUESDAY + dt.timedelta(days=1), 10)
    assert [slot.start for slot in following] == [
        at(TUESDAY + dt.timedelta(days=1), 10),
        at(TUESDAY + dt.timedelta(days=1), 10, 15),
        at(TUESDAY + dt.timedelta(days=1), 10, 30),
    ]


def test_a_service_not_booked_at_the_centre_has_no_slots() -> None:
    booking = weekday_centre()
    other = make_booking_centre()

    with pytest.raises(NotBookable):
        free_slots(booking.location, other.passport, TUESDAY, now=MONDAY_BEFORE)
    booking.setup.active = False
    booking.setup.save()
    with pytest.raises(NotBookable):
        free_slots(booking.location, booking.passport, TUESDAY, now=MONDAY_BEFORE)
    assert first_free_slot(booking.location, booking.passport, now=MONDAY_BEFORE) is None
