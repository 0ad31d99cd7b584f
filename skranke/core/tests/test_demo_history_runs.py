"""Running the demo history again, or later for the days since, adds only what is missing, and
the same rows as one run over the whole period (each day is simulated from its own seed)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from django.db import transaction

from skranke.booking.models import Appointment
from skranke.core.demo import load_demo
from skranke.core.demo_history import ensure_history
from skranke.queue.models import Ticket, VisitFact

pytestmark = pytest.mark.django_db


def days_and_numbers() -> dict[dt.date, list[tuple[str, str, int | None]]]:
    """Each day's numbers with how their visits ended and waited, in order."""
    numbers: defaultdict[dt.date, list[tuple[str, str, int | None]]] = defaultdict(list)
    for day, number, ending, wait in VisitFact.objects.order_by(
        "issue_date", "ticket__display_number"
    ).values_list("issue_date", "ticket__display_number", "ending", "wait_seconds"):
        numbers[day].append((number, ending, wait))
    return dict(numbers)


def bookings() -> list[tuple[str, str, dt.datetime, str | None]]:
    """Every booking with what became of it and the number it checked in for."""
    return list(
        Appointment.objects.order_by("code").values_list(
            "code", "status", "starts_at", "ticket__display_number"
        )
    )


def test_a_later_run_adds_only_the_days_since_and_the_same_ones() -> None:
    load_demo()
    first, middle, last = dt.date(2025, 5, 1), dt.date(2025, 5, 9), dt.date(2025, 5, 20)
    # The demo's own visits are today's (its appointments), none in the period.
    assert not VisitFact.objects.filter(issue_date__lte=last).exists()
    with transaction.atomic():
        at_once = ensure_history(first, last)
        expected = days_and_numbers()
        booked = bookings()
        transaction.set_rollback(True)
    before = ensure_history(first, middle)
    after = ensure_history(first, last)
    assert after.visits == at_once.visits - before.visits > 0
    assert days_and_numbers() == expected
    assert bookings() == booked
    assert {"checked_in", "no_show", "cancelled"} <= {status for _code, status, *_ in booked}
    assert ensure_history(first, last).visits == 0
    assert bookings() == booked


def test_days_with_tickets_already_are_left_alone() -> None:
    """A day the demo's centres were used live (or imported) gets no second set of numbers."""
    load_demo()
    day = dt.date(2025, 5, 5)
    ensure_history(day, day)
    tickets = Ticket.objects.filter(issue_date=day).count()
    VisitFact.objects.filter(issue_date=day).delete()
    assert tickets > 0
    assert ensure_history(day, day).visits == 0
    assert Ticket.objects.filter(issue_date=day).count() == tickets
