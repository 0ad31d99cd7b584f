"""Two reminder sweeps running at once (two workers) still send each citizen one reminder
(skranke.booking.services.reminders; DESIGN.md, Targets: a concurrency test proves itself).

The sweeps start together at a barrier, each thread on its own database connection, and both
read the same due bookings before either claims one. The guard was removed once, in a scratch
copy (the ``reminder_sent_at__isnull=True`` condition of ``reminders._claim``'s UPDATE, the
status and start conditions and the read's filter kept), and the race run on both databases: it
failed on both, every time, with all 30 citizens reminded twice (60 sent), as both sweeps had
read their candidates before the first claim and each claim is a transaction of its own.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from skranke.booking.models import Appointment
from skranke.booking.services import book, send_due_reminders
from skranke.booking.tests.factories import at, citizen, make_booking_centre
from skranke.messaging.models import Message
from skranke.queue.tests.services.test_concurrency import (  # noqa: F401 (room_for_racers is a fixture)
    race,
    room_for_racers,
)

pytestmark = pytest.mark.django_db(transaction=True)

DAY = dt.date(2026, 11, 10)
START = at(DAY, 12)
BOOKED = at(DAY - dt.timedelta(days=7), 9)
DUE = START - dt.timedelta(hours=24)
CITIZENS = 30


def test_two_sweeps_at_once_send_each_reminder_once(
    room_for_racers: None,  # noqa: F811 (the fixture imported above)
) -> None:
    booking = make_booking_centre(capacity=CITIZENS)
    for number in range(CITIZENS):
        contact = citizen(number, email=f"citizen{number}@example.dk")
        book(
            booking.location, booking.passport, START, contact, send_confirmation=False, now=BOOKED
        )

    sent = race(2, lambda _index, _round: send_due_reminders(now=DUE))

    assert sum(count for (count,) in sent) == CITIZENS
    # One SMS and one e-mail for each citizen, and nothing else.
    assert Message.objects.count() == 2 * CITIZENS
    per_appointment = Counter(
        Appointment.messages.through.objects.values_list("appointment_id", flat=True)
    )
    assert sorted(per_appointment.values()) == [2] * CITIZENS
    assert Counter(Message.objects.values_list("recipient", flat=True)).most_common(1)[0][1] == 1
    assert not Appointment.objects.filter(reminder_sent_at__isnull=True).exists()
