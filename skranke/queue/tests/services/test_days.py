"""Local days in the number system: numbering restarts at local midnight, daylight-saving days
work, and the end of a day closes what was never served (DESIGN.md, Definitions)."""

from __future__ import annotations

import datetime as dt

import pytest

from skranke.queue import services
from skranke.queue.errors import IllegalTransition
from skranke.queue.models import (
    CancelReason,
    Ending,
    EventKind,
    Outcome,
    TicketEvent,
    TicketStatus,
    VisitFact,
)
from skranke.queue.tests.factories import copenhagen, issue, make_centre, open_counters

pytestmark = pytest.mark.django_db

SUMMER_DAY = dt.date(2026, 6, 10)
SPRING_FORWARD = dt.date(2026, 3, 29)  # 02:00 CET becomes 03:00 CEST: 23 hours
FALL_BACK = dt.date(2026, 10, 25)  # 03:00 CEST becomes 02:00 CET: 25 hours, 02:30 twice


def test_numbers_restart_at_local_midnight_not_at_utc_midnight() -> None:
    centre = make_centre()
    late = issue(centre, now=copenhagen(SUMMER_DAY, 23, 59))
    # 00:01 in Copenhagen is 22:01 UTC the evening before: still SUMMER_DAY in UTC.
    after_midnight = copenhagen(SUMMER_DAY + dt.timedelta(days=1), 0, 1)
    assert after_midnight.date() == SUMMER_DAY
    early = issue(centre, now=after_midnight)

    assert (late.display_number, late.issue_date) == ("P001", SUMMER_DAY)
    assert (early.display_number, early.issue_date) == (
        "P001",
        SUMMER_DAY + dt.timedelta(days=1),
    )
    assert issue(centre, now=after_midnight).display_number == "P002"


def test_numbers_and_hours_on_the_spring_forward_day() -> None:
    centre = make_centre(counters=1)
    before = issue(centre, now=copenhagen(SPRING_FORWARD, 1, 30))
    after = issue(centre, now=copenhagen(SPRING_FORWARD, 3, 30))
    assert [before.number, after.number] == [1, 2]
    assert before.issue_date == after.issue_date == SPRING_FORWARD
    [(staff, session)] = open_counters(centre, [centre.passports])

    called_at = copenhagen(SPRING_FORWARD, 3, 45)
    for ticket in (before, after):
        called = services.call_next(session, staff, now=called_at)
        assert called is not None and called.pk == ticket.pk
        services.finish(called, staff, outcome=Outcome.RESOLVED_FIRST_CONTACT, now=called_at)

    facts = {fact.ticket_id: fact for fact in VisitFact.objects.all()}
    assert facts[before.pk].issue_hour == 1 and facts[after.pk].issue_hour == 3
    # 01:30 CET to 03:45 CEST is 1 h 15 min: the hour that does not exist is not waited.
    assert facts[before.pk].wait_seconds == 75 * 60
    assert facts[after.pk].wait_seconds == 15 * 60
    assert {fact.issue_date for fact in facts.values()} == {SPRING_FORWARD}


def test_the_repeated_hour_of_the_fall_back_day_gets_distinct_numbers() -> None:
    centre = make_centre(counters=1)
    first = issue(centre, now=copenhagen(FALL_BACK, 2, 30, fold=0))
    second = issue(centre, now=copenhagen(FALL_BACK, 2, 30, fold=1))
    late = issue(centre, now=copenhagen(FALL_BACK, 23, 30))
    assert second.issued_at - first.issued_at == dt.timedelta(hours=1)
    assert [first.number, second.number, late.number] == [1, 2, 3]
    assert {first.issue_date, second.issue_date, late.issue_date} == {FALL_BACK}
    [(staff, session)] = open_counters(centre, [centre.passports])

    for ticket in (first, second, late):
        called_at = ticket.issued_at + dt.timedelta(minutes=10)
        called = services.call_next(session, staff, now=called_at)
        assert called is not None and called.pk == ticket.pk
        services.finish(called, staff, outcome=Outcome.RESOLVED_FIRST_CONTACT, now=called_at)

    hours = dict(VisitFact.objects.values_list("ticket_id", "issue_hour"))
    assert hours == {first.pk: 2, second.pk: 2, late.pk: 23}
    assert set(VisitFact.objects.values_list("wait_seconds", flat=True)) == {600}


def test_closing_the_day_cancels_what_was_left_and_keeps_what_it_knows() -> None:
    centre = make_centre(counters=2)
    yesterday = SUMMER_DAY
    morning = copenhagen(yesterday, 9, 0)
    waiting = issue(centre, now=morning)
    parked = issue(centre, now=morning)
    at_counter = issue(centre, service=centre.moving, now=morning)
    served = issue(centre, now=morning)
    queues = [centre.passports, centre.general]
    (staff, desk), (colleague, busy_desk) = open_counters(centre, queues, now=morning)
    services.call_ticket(desk, parked, staff, now=copenhagen(yesterday, 9, 10))
    services.park(parked, staff, now=copenhagen(yesterday, 9, 15))
    services.call_ticket(desk, served, staff, now=copenhagen(yesterday, 9, 20))
    services.finish(served, staff, outcome=Outcome.RESOLVED_FIRST_CONTACT)
    services.call_ticket(busy_desk, at_counter, colleague, now=copenhagen(yesterday, 9, 30))
    services.start_serving(at_counter, colleague, now=copenhagen(yesterday, 9, 31))
    today = yesterday + dt.timedelta(days=1)
    todays = issue(centre, now=copenhagen(today, 0, 2))

    closed = services.close_days_before(today, now=copenhagen(today, 0, 5))

    assert closed == 3
    facts = {fact.ticket_id: fact for fact in VisitFact.objects.all()}
    for ticket in (waiting, parked, at_counter):
        ticket.refresh_from_db()
        assert ticket.status == TicketStatus.CANCELLED and ticket.counter_id is None
        assert ticket.cancel_reason == CancelReason.CLOSED
        assert facts[ticket.pk].ending == Ending.CANCELLED
        assert facts[ticket.pk].cancel_reason == CancelReason.CLOSED
        assert facts[ticket.pk].service_seconds is None
        assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.CANCELLED).count() == 1
    # A cancelled visit has no wait (DESIGN.md: over served and no-show visits), but keeps
    # when it was first called.
    assert facts[waiting.pk].wait_seconds is None and facts[waiting.pk].first_called_at is None
    assert facts[parked.pk].wait_seconds is None
    assert facts[parked.pk].first_called_at == parked.issued_at + dt.timedelta(minutes=10)
    assert facts[at_counter.pk].wait_seconds is None
    assert facts[at_counter.pk].first_called_at == at_counter.issued_at + dt.timedelta(minutes=30)
    assert facts[served.pk].ending == Ending.SERVED
    todays.refresh_from_db()
    assert todays.status == TicketStatus.WAITING and todays.pk not in facts
    # The counter that held yesterday's citizen is free again and calls today's; closing twice
    # closes nothing.
    called = services.call_next(busy_desk, colleague, now=copenhagen(today, 8, 0))
    assert called is not None and called.pk == todays.pk
    assert services.close_days_before(today, now=copenhagen(today, 0, 6)) == 0


def test_a_no_show_can_be_reinstated_only_on_its_own_local_day() -> None:
    centre = make_centre(counters=1)
    ticket = issue(centre, now=copenhagen(SUMMER_DAY, 23, 40))
    [(staff, session)] = open_counters(centre, [centre.passports])

    def no_show(minute: int) -> None:
        services.call_ticket(session, ticket, staff, now=copenhagen(SUMMER_DAY, 23, minute))
        services.recall(ticket, staff, now=copenhagen(SUMMER_DAY, 23, minute))
        services.mark_no_show(ticket, staff, now=copenhagen(SUMMER_DAY, 23, minute + 1))

    no_show(45)
    services.reinstate(ticket, staff, now=copenhagen(SUMMER_DAY, 23, 50))
    no_show(55)
    # 00:10 the next local day is still SUMMER_DAY in UTC; the local day decides.
    next_morning = copenhagen(SUMMER_DAY + dt.timedelta(days=1), 0, 10)
    assert next_morning.date() == SUMMER_DAY

    with pytest.raises(IllegalTransition) as refused:
        services.reinstate(ticket, staff, now=next_morning)

    assert refused.value.code == "not_no_show"
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NO_SHOW
    fact = VisitFact.objects.get(ticket=ticket)
    assert fact.ending == Ending.NO_SHOW and fact.wait_seconds == 5 * 60
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.REINSTATED).count() == 1
