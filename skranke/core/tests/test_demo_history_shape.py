"""The demo's full history (two full years plus this year so far) has the shape of the seeds'
centres, ends every visit it begins, and is made once: a second run adds nothing.

The history is generated once for the module (rolled back afterwards); the tests read the
figures taken from it.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from skranke.booking.models import Appointment
from skranke.core.demo import load_demo
from skranke.core.demo_history import HistoryReport, default_first_day, ensure_history
from skranke.lib.localtime import local_date, start_of_local_day
from skranke.queue.models import CounterSession, Source, Ticket, TicketEvent, VisitFact
from skranke.reports.kpi import AppointmentCounts, VisitFilter, appointment_figures


@dataclass(frozen=True)
class Figures:
    today: dt.date
    first: HistoryReport
    again: HistoryReport
    visits_per_day: dict[dt.date, int]
    endings: Counter[str]
    waits: list[float]
    teams: set[str]
    open_tickets: int
    open_sessions: int
    tickets_without_visit: int
    events_per_kind: Counter[str]
    hours: Counter[int]
    bookings: Counter[str]
    appointment_visits: int
    checked_in_with_ticket: int
    # (erased, with a phone number) of the bookings older and younger than the retention.
    old_contacts: tuple[int, int]
    recent_contacts: tuple[int, int]
    last_year: AppointmentCounts


@pytest.fixture(scope="module")
def figures(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Figures]:
    today = local_date(timezone.now())
    with django_db_blocker.unblock(), transaction.atomic():
        first = load_demo(history_from=default_first_day(today)).history
        assert first is not None
        again = ensure_history(first.first_day, first.last_day)
        history = VisitFact.objects.filter(issue_date__lt=today)
        booked = Appointment.objects.filter(starts_at__lt=start_of_local_day(today))
        retained = timezone.now() - dt.timedelta(days=settings.SKRANKE_BOOKING_RETENTION_DAYS)
        per_day: Counter[dt.date] = Counter(history.values_list("issue_date", flat=True))
        yield Figures(
            today=today,
            first=first,
            again=again,
            visits_per_day=dict(per_day),
            endings=Counter(history.values_list("ending", flat=True)),
            waits=[
                seconds / 60
                for seconds in history.exclude(wait_seconds=None).values_list(
                    "wait_seconds", flat=True
                )
            ],
            teams=set(history.exclude(team=None).values_list("team__name", flat=True)),
            open_tickets=Ticket.objects.filter(issue_date__lt=today)
            .exclude(status__in=["finished", "no_show", "cancelled"])
            .count(),
            open_sessions=CounterSession.objects.filter(
                opened_at__lt=timezone.now() - dt.timedelta(days=1), closed_at=None
            ).count(),
            tickets_without_visit=Ticket.objects.filter(issue_date__lt=today, fact=None).count(),
            events_per_kind=Counter(
                TicketEvent.objects.filter(
                    at__lt=timezone.now() - dt.timedelta(days=1)
                ).values_list("kind", flat=True)
            ),
            hours=Counter(history.values_list("issue_hour", flat=True)),
            bookings=Counter(booked.values_list("status", flat=True)),
            appointment_visits=history.filter(source=Source.APPOINTMENT).count(),
            checked_in_with_ticket=booked.filter(
                status="checked_in", ticket__waiting_since__gte=F("starts_at")
            ).count(),
            old_contacts=contacts(booked.filter(starts_at__lt=retained)),
            recent_contacts=contacts(booked.filter(starts_at__gte=retained)),
            last_year=appointment_figures(
                VisitFilter(dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31))
            ).total,
        )
        transaction.set_rollback(True)


def contacts(bookings: Any) -> tuple[int, int]:
    return (bookings.exclude(erased_at=None).count(), bookings.exclude(phone="").count())


def mean_per_opening_day(figures: Figures, weekday: int) -> float:
    return statistics.mean(
        count for day, count in figures.visits_per_day.items() if day.weekday() == weekday
    )


def visits_in(figures: Figures, year: int, month: int | None = None) -> int:
    return sum(
        count
        for day, count in figures.visits_per_day.items()
        if day.year == year and (month is None or day.month == month)
    )


def test_it_covers_two_full_years_and_this_year_up_to_yesterday(figures: Figures) -> None:
    days = sorted(figures.visits_per_day)
    assert days[0].year == figures.today.year - 2
    assert days[0] <= dt.date(figures.today.year - 2, 1, 10)
    assert figures.today - dt.timedelta(days=7) <= days[-1] < figures.today
    assert figures.first.visits == sum(figures.visits_per_day.values())
    assert figures.first.visits > 60_000


def test_monday_is_busier_than_wednesday(figures: Figures) -> None:
    assert mean_per_opening_day(figures, 0) > 1.2 * mean_per_opening_day(figures, 2)


def test_may_is_busier_than_july(figures: Figures) -> None:
    for year in (figures.today.year - 2, figures.today.year - 1):
        assert visits_in(figures, year, 5) > 1.3 * visits_in(figures, year, 7)


def test_each_year_is_busier_than_the_last(figures: Figures) -> None:
    last_year, year_before = figures.today.year - 1, figures.today.year - 2
    change = (visits_in(figures, last_year) - visits_in(figures, year_before)) / visits_in(
        figures, year_before
    )
    assert 0.02 < change < 0.12


def test_lunchtime_is_the_busiest_hour(figures: Figures) -> None:
    assert figures.hours.most_common(1)[0][0] == 12


def test_waits_follow_from_the_queue(figures: Figures) -> None:
    waits = sorted(figures.waits)
    assert 3 < statistics.mean(waits) < 15
    assert waits[len(waits) // 2] < statistics.mean(waits)  # a long tail
    assert waits[int(len(waits) * 0.99)] > 30


def test_visits_end_as_at_a_real_centre(figures: Figures) -> None:
    total = sum(figures.endings.values())
    assert 0.02 < figures.endings["no_show"] / total < 0.07
    assert 0.005 < figures.endings["cancelled"] / total < 0.05
    assert figures.events_per_kind["transferred"] > 100
    assert len(figures.teams) >= 3


def test_every_visit_ends_and_every_counter_closes(figures: Figures) -> None:
    assert figures.open_tickets == 0
    assert figures.open_sessions == 0
    assert figures.tickets_without_visit == 0


def test_a_second_run_adds_nothing(figures: Figures) -> None:
    assert figures.again.visits == 0


def test_bookings_end_as_at_a_real_centre(figures: Figures) -> None:
    """Every appointment visit was a booking checked in (its ticket waiting from the booked
    time or later); some bookings nobody came for, some cancelled."""
    bookings = figures.bookings
    assert bookings["checked_in"] == figures.appointment_visits == figures.checked_in_with_ticket
    assert bookings["booked"] == 0
    no_show_rate = bookings["no_show"] / (bookings["checked_in"] + bookings["no_show"])
    assert 0.04 < no_show_rate < 0.10
    assert 0.06 < bookings["cancelled"] / sum(bookings.values()) < 0.15
    # Last year's report shows them too.
    rate = figures.last_year.no_show_rate.fraction
    assert rate is not None and 0.04 < rate < 0.10
    assert figures.last_year.cancelled_by["staff"] > 0


def test_bookings_past_the_retention_hold_no_contact_details(figures: Figures) -> None:
    old, recent = figures.old_contacts, figures.recent_contacts
    erased, with_phone = old
    assert erased > 1000 and with_phone == 0
    erased, with_phone = recent
    assert erased == 0 and with_phone > 50
