"""Parallel bookings never double-book, and the limits hold under parallel requests.

Every race starts its threads together at a barrier (skranke.queue.tests.services.
test_concurrency.race), each on its own database connection. The 100-racer test runs on
PostgreSQL, where the racers really overlap (through a pool of up to 60 connections, the
server's own limit being 100 for everyone); the smaller races run on SQLite too, where the
IMMEDIATE transactions serialise the writers.

Each guard was removed once (monkeypatched in a scratch test, since deleted) and the races run
on both databases:

- The ``WHERE used + n <= capacity`` of the tick upsert (capacity._take) removed: the 100-racer
  race failed on both, the losers getting IntegrityError from the check constraint
  ``calendar_tick_within_capacity`` instead of a refusal with other times (the constraint alone
  keeps the calendar right, but not the answers).
- That condition removed and the constraint defeated too (the upsert raising ``capacity`` to the
  new ``used``): 100 bookings of the one place, on both.
- The limits' guard rows not locked (limits.lock_guards doing nothing): on PostgreSQL 3 of 10
  parallel holds of one client and 3 of 10 bookings of one phone number went through; on SQLite
  both still held, as the IMMEDIATE transaction serialises the count with the write.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable

import pytest
from django.conf import settings
from django.utils import translation

from skranke.booking.capacity import SLOT_TAKEN_MESSAGE
from skranke.booking.errors import BookingError, SlotTaken
from skranke.booking.models import Appointment, AppointmentStatus, CalendarTick, Hold
from skranke.booking.services import (
    FUTURE_BOOKINGS_PER_CONTACT,
    HOLDS_PER_CLIENT,
    book,
    book_held,
    cancel_appointment,
    hold_slot,
)
from skranke.booking.tests.factories import at, citizen, make_booking_centre
from skranke.queue.tests.services.test_concurrency import (  # noqa: F401
    race,
    room_for_racers,
)

pytestmark = pytest.mark.django_db(transaction=True)

DAY = dt.date(2026, 11, 10)
NOW = at(DAY, 9)
START = at(DAY, 12)


def outcomes(results: list[list[object]]) -> Counter[str]:
    return Counter(
        result.code if isinstance(result, BookingError) else "ok"
        for per_thread in results
        for result in per_thread
    )


def attempt(action: Callable[[], object]) -> object:
    try:
        return action()
    except BookingError as refused:
        return refused


def booking_race(racers: int) -> None:
    booking = make_booking_centre(capacity=1)

    def racer(index: int, _round: int) -> object:
        return attempt(
            lambda: book(
                booking.location,
                booking.passport,
                START,
                citizen(index),
                send_confirmation=False,
                now=NOW,
            )
        )

    results = race(racers, racer)

    assert outcomes(results) == {"ok": 1, "slot_taken": racers - 1}
    refusals = [result for (result,) in results if isinstance(result, SlotTaken)]
    assert all(
        refusal.next_free and refusal.next_free[0].start == START + dt.timedelta(minutes=15)
        for refusal in refusals
    )
    # The racers' threads speak the site's language (no request activated another one).
    with translation.override(settings.LANGUAGE_CODE):
        expected = str(SLOT_TAKEN_MESSAGE)
    assert all(refusal.message == expected for refusal in refusals)
    assert Appointment.objects.count() == 1
    assert CalendarTick.objects.get(starts_at=START).used == 1


@pytest.mark.postgres
def test_a_hundred_citizens_racing_for_the_last_place_get_one_booking(
    room_for_racers: None,  # noqa: F811
) -> None:
    booking_race(100)


def test_eight_citizens_racing_for_the_last_place_get_one_booking() -> None:
    booking_race(8)


def test_one_client_holds_two_times_however_many_it_asks_for_at_once(
    room_for_racers: None,  # noqa: F811
) -> None:
    booking = make_booking_centre(capacity=20)

    def racer(index: int, _round: int) -> object:
        start = START + dt.timedelta(minutes=15 * index)
        return attempt(
            lambda: hold_slot(
                booking.location, booking.passport, start, client="address:192.0.2.7", now=NOW
            )
        )

    results = race(10, racer)

    assert outcomes(results) == {"ok": HOLDS_PER_CLIENT, "hold_limit": 10 - HOLDS_PER_CLIENT}
    assert Hold.objects.count() == HOLDS_PER_CLIENT


def test_one_phone_number_books_twice_however_many_it_sends_at_once(
    room_for_racers: None,  # noqa: F811
) -> None:
    booking = make_booking_centre(capacity=20)
    same_phone = citizen(42)

    def racer(index: int, _round: int) -> object:
        start = START + dt.timedelta(minutes=15 * index)
        return attempt(
            lambda: book(
                booking.location,
                booking.passport,
                start,
                same_phone,
                send_confirmation=False,
                now=NOW,
            )
        )

    results = race(10, racer)

    assert outcomes(results) == {
        "ok": FUTURE_BOOKINGS_PER_CONTACT,
        "contact_limit": 10 - FUTURE_BOOKINGS_PER_CONTACT,
    }
    assert Appointment.objects.count() == FUTURE_BOOKINGS_PER_CONTACT


def test_an_appointment_cancelled_many_times_at_once_gives_its_place_back_once(
    room_for_racers: None,  # noqa: F811
) -> None:
    booking = make_booking_centre(capacity=3)
    for number in (1, 2):
        book(booking.location, booking.passport, START, citizen(number), now=NOW)
    appointment = Appointment.objects.first()
    assert appointment is not None

    def racer(_index: int, _round: int) -> object:
        mine = Appointment.objects.get(pk=appointment.pk)
        return attempt(lambda: cancel_appointment(mine, send_confirmation=False, now=NOW))

    results = race(8, racer)

    assert outcomes(results) == {"ok": 1, "cancelled": 7}
    assert CalendarTick.objects.get(starts_at=START).used == 1
    assert Appointment.objects.filter(status=AppointmentStatus.BOOKED).count() == 1


def test_a_lapsed_hold_is_given_back_once_while_others_race_for_its_place(
    room_for_racers: None,  # noqa: F811
) -> None:
    booking = make_booking_centre(capacity=1)
    held = hold_slot(booking.location, booking.passport, START, client="address:192.0.2.8", now=NOW)
    lapsed = NOW + dt.timedelta(minutes=11)

    def racer(index: int, _round: int) -> object:
        if index == 0:  # the holder, a minute late
            return attempt(lambda: book_held(held.token, citizen(index), now=lapsed))
        return attempt(
            lambda: book(booking.location, booking.passport, START, citizen(index), now=lapsed)
        )

    results = race(8, racer)

    assert outcomes(results)["ok"] == 1
    assert set(outcomes(results)) <= {"ok", "slot_taken", "hold_gone"}
    assert CalendarTick.objects.get(starts_at=START).used == 1
    assert not Hold.objects.exists()
