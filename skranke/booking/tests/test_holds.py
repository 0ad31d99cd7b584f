"""Holds keep a slot for ten minutes; a lapsed hold is free at once and given back once."""

from __future__ import annotations

import datetime as dt

import pytest

from skranke.booking.errors import BookingNotFound, BookingRefused, SlotTaken
from skranke.booking.models import Appointment, CalendarTick, Hold
from skranke.booking.services import (
    HOLDS_PER_CLIENT,
    book,
    book_held,
    free_slots,
    hold_slot,
    release_expired_holds,
)
from skranke.booking.tests.factories import at, citizen, make_booking_centre

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 10)
NOW = at(DAY, 9)
START = at(DAY, 12)
LAPSED = NOW + dt.timedelta(minutes=10)


def starts(booking_centre: object, now: dt.datetime) -> set[dt.datetime]:
    return {
        slot.start
        for slot in free_slots(
            booking_centre.location,  # type: ignore[attr-defined]
            booking_centre.passport,  # type: ignore[attr-defined]
            DAY,
            now=now,
        )
    }


def used(location_id: int, tick: dt.datetime) -> int:
    return CalendarTick.objects.get(location_id=location_id, starts_at=tick).used


def test_a_hold_takes_the_slot_for_ten_minutes(settings: object) -> None:
    booking = make_booking_centre()

    held = hold_slot(booking.location, booking.passport, START, client="address:192.0.2.1", now=NOW)

    assert held.hold.expires_at == NOW + dt.timedelta(minutes=10)
    assert held.hold.token_hash != held.token
    assert START not in starts(booking, NOW + dt.timedelta(minutes=9, seconds=59))
    with pytest.raises(SlotTaken) as taken:
        book(booking.location, booking.passport, START, citizen(), now=NOW)
    assert taken.value.next_free[0].start == START + dt.timedelta(minutes=15)


def test_a_lapsed_hold_is_free_before_the_job_runs_and_given_back_once() -> None:
    booking = make_booking_centre()
    hold_slot(booking.location, booking.passport, START, client="address:192.0.2.1", now=NOW)

    # Lapsed, not yet released: the reads count it as free, the row still as taken.
    assert START in starts(booking, LAPSED)
    assert used(booking.location.pk, START) == 1
    made = book(booking.location, booking.passport, START, citizen(), now=LAPSED)

    # The booking gave the lapsed hold's place back and took its own: one place, not two.
    assert used(booking.location.pk, START) == 1
    assert not Hold.objects.exists()
    assert made.appointment.starts_at == START
    assert release_expired_holds(now=LAPSED) == 0
    assert used(booking.location.pk, START) == 1


def test_the_job_gives_lapsed_holds_back() -> None:
    booking = make_booking_centre(slot_minutes=30)
    hold_slot(booking.location, booking.passport, START, client="address:192.0.2.1", now=NOW)

    assert release_expired_holds(now=LAPSED - dt.timedelta(seconds=1)) == 0
    assert release_expired_holds(now=LAPSED) == 1

    assert not Hold.objects.exists()
    assert set(CalendarTick.objects.values_list("used", flat=True)) == {0}
    assert START in starts(booking, LAPSED)


def test_booking_with_the_hold_keeps_its_place() -> None:
    booking = make_booking_centre()
    held = hold_slot(booking.location, booking.passport, START, client="address:192.0.2.1", now=NOW)

    made = book_held(held.token, citizen(), now=NOW + dt.timedelta(minutes=5))

    assert made.appointment.starts_at == START
    assert used(booking.location.pk, START) == 1
    assert not Hold.objects.exists()
    with pytest.raises(BookingNotFound):
        book_held(held.token, citizen(1), now=NOW + dt.timedelta(minutes=6))


def test_a_lapsed_hold_is_booked_afresh_when_its_time_is_still_free() -> None:
    booking = make_booking_centre()
    held = hold_slot(booking.location, booking.passport, START, client="address:192.0.2.1", now=NOW)

    made = book_held(held.token, citizen(), now=LAPSED + dt.timedelta(minutes=1))

    assert made.appointment.starts_at == START
    assert used(booking.location.pk, START) == 1


def test_a_lapsed_hold_whose_time_was_taken_meanwhile_is_refused() -> None:
    booking = make_booking_centre()
    held = hold_slot(booking.location, booking.passport, START, client="address:192.0.2.1", now=NOW)
    book(booking.location, booking.passport, START, citizen(1), now=LAPSED)

    with pytest.raises(BookingNotFound):
        book_held(held.token, citizen(2), now=LAPSED)
    assert Appointment.objects.count() == 1


def test_one_client_holds_at_most_two_slots_at_once() -> None:
    booking = make_booking_centre(capacity=5)
    client = "network:2001:db8::/64"
    for minutes in range(HOLDS_PER_CLIENT):
        hold_slot(
            booking.location,
            booking.passport,
            START + dt.timedelta(minutes=15 * minutes),
            client=client,
            now=NOW,
        )

    with pytest.raises(BookingRefused) as refused:
        hold_slot(booking.location, booking.passport, START, client=client, now=NOW)
    # Others, staff (no client) and the same client once a hold has lapsed are not held back.
    hold_slot(booking.location, booking.passport, START, client="address:192.0.2.9", now=NOW)
    hold_slot(booking.location, booking.passport, START, client=None, now=NOW)
    hold_slot(booking.location, booking.passport, START, client=client, now=LAPSED)

    assert refused.value.code == "hold_limit"
    # The last one gave back the lapsed holds on its time; only it is live.
    assert Hold.objects.filter(expires_at__gt=LAPSED).count() == 1
