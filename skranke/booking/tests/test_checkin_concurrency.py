"""Check-ins with the same code at the same moment (two kiosks, a double tap, a scanner reading
twice) give exactly one ticket, and every one of them gets that ticket.

The racers start together at a barrier (skranke.queue.tests.services.test_concurrency.race),
each on its own database connection. The guard is the ``status=BOOKED`` condition of the UPDATE
in checkin._issue, in the transaction that issues the ticket: the loser's UPDATE changes no row,
so its ticket and number are rolled back and it answers with the winner's ticket.

The condition was removed once (in a scratch copy of the code, since thrown away) and the tests
run on both databases: the two-thread race left 2 tickets on PostgreSQL and on SQLite (where
the IMMEDIATE transactions serialise the racers, but the second still found the booking BOOKED
when it read it and issued a ticket of its own), the eight-thread race 7 on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

import pytest

from skranke.booking.models import Appointment, AppointmentStatus
from skranke.booking.services import CheckedIn, book, check_in
from skranke.booking.tests.factories import at, citizen, make_booking_centre
from skranke.queue.models import DailySequence, Ticket
from skranke.queue.tests.services.test_concurrency import (  # noqa: F401
    race,
    room_for_racers,
)

pytestmark = pytest.mark.django_db(transaction=True)

DAY = dt.date(2026, 11, 10)
START = at(DAY, 12)
NOW = at(DAY, 11, 55)


def check_in_race(racers: int) -> None:
    booking = make_booking_centre()
    appointment = book(
        booking.location,
        booking.passport,
        START,
        citizen(),
        send_confirmation=False,
        now=at(DAY, 8),
    ).appointment

    def racer(_index: int, _round: int) -> CheckedIn:
        return check_in(booking.location, appointment.code, now=NOW)

    results = [result for (result,) in race(racers, racer)]

    ticket = Ticket.objects.get()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CHECKED_IN
    assert appointment.ticket == ticket
    assert {result.ticket.pk for result in results} == {ticket.pk}
    assert sorted(result.already for result in results) == [False] + [True] * (racers - 1)
    # The losers' numbers were rolled back with their tickets: no gap in the sequence.
    assert ticket.display_number == "P001"
    assert DailySequence.objects.get(queue=ticket.queue).last_number == 1
    assert Appointment.objects.filter(ticket__isnull=False).count() == 1


def test_two_check_ins_with_the_same_code_at_once_give_one_ticket() -> None:
    check_in_race(2)


@pytest.mark.postgres
def test_eight_check_ins_with_the_same_code_at_once_give_one_ticket(
    room_for_racers: None,  # noqa: F811
) -> None:
    check_in_race(8)
