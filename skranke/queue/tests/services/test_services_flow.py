"""A visit's whole life through the services, read back from the database."""

from __future__ import annotations

import datetime as dt

import pytest

from skranke.queue import services
from skranke.queue.errors import CounterConflict, IllegalTransition
from skranke.queue.models import (
    CancelReason,
    Ending,
    EventKind,
    Outcome,
    Priority,
    Source,
    TicketEvent,
    TicketStatus,
    VisitFact,
)
from skranke.queue.tests.factories import copenhagen, make_centre, make_staff

pytestmark = pytest.mark.django_db

# A fixed morning: minutes after the real clock may already be tomorrow, whose counters do not
# call today's numbers.
MORNING = copenhagen(dt.date(2026, 11, 10), 10)


def test_numbers_run_per_queue_and_a_visit_is_called_served_and_finished() -> None:
    centre = make_centre()
    start = MORNING
    first = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK, now=start)
    second = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK, now=start)
    other = services.issue_ticket(centre.location, centre.moving, source=Source.KIOSK, now=start)
    assert [first.display_number, second.display_number, other.display_number] == [
        "P001",
        "P002",
        "B001",
    ]
    staff = make_staff()
    session = services.open_counter(centre.counters[0], staff, [centre.passports])
    called = services.call_next(session, staff, now=start + dt.timedelta(minutes=4))
    assert called is not None and called.pk == first.pk
    assert called.status == TicketStatus.CALLED and called.counter_id == centre.counters[0].pk
    with pytest.raises(CounterConflict):
        services.call_next(session, staff)
    services.start_serving(called, staff, now=start + dt.timedelta(minutes=5))
    done = services.finish(
        called, staff, outcome=Outcome.RESOLVED_FIRST_CONTACT, now=start + dt.timedelta(minutes=12)
    )
    assert done.status == TicketStatus.FINISHED and done.counter_id is None
    fact = VisitFact.objects.get(ticket=done)
    assert fact.wait_seconds == 240
    assert fact.service_seconds == 480
    assert fact.ending == Ending.SERVED
    assert fact.subject_area_id == centre.passport.subject_area_id
    kinds = list(TicketEvent.objects.filter(ticket=done).values_list("kind", flat=True))
    assert kinds == [EventKind.ISSUED, EventKind.CALLED, EventKind.SERVING, EventKind.FINISHED]


def test_urgent_then_due_appointments_then_arrival_order() -> None:
    centre = make_centre()
    now = MORNING
    issue = services.issue_ticket
    walk_in = issue(centre.location, centre.passport, source=Source.KIOSK, now=now)
    future_appointment = issue(
        centre.location,
        centre.passport,
        source=Source.APPOINTMENT,
        priority=Priority.APPOINTMENT,
        waiting_since=now + dt.timedelta(hours=1),
        now=now,
    )
    due_appointment = issue(
        centre.location,
        centre.passport,
        source=Source.APPOINTMENT,
        priority=Priority.APPOINTMENT,
        waiting_since=now + dt.timedelta(minutes=1),
        now=now,
    )
    urgent = issue(
        centre.location, centre.passport, source=Source.STAFF, priority=Priority.URGENT, now=now
    )
    staff = make_staff()
    session = services.open_counter(centre.counters[0], staff, [centre.passports])
    order = []
    later = now + dt.timedelta(minutes=2)
    for _ in range(4):
        ticket = services.call_next(session, staff, now=later)
        assert ticket is not None
        order.append(ticket.pk)
        services.finish(ticket, staff, outcome=Outcome.RESOLVED_FIRST_CONTACT, now=later)
    assert order == [urgent.pk, due_appointment.pk, walk_in.pk, future_appointment.pk]
    assert services.call_next(session, staff, now=later) is None


def test_transfer_keeps_number_and_arrival_and_sums_service_legs() -> None:
    centre = make_centre()
    now = MORNING
    ticket = services.issue_ticket(centre.location, centre.moving, source=Source.KIOSK, now=now)
    front, back = make_staff(), make_staff()
    front_session = services.open_counter(centre.counters[0], front, [centre.general])
    back_session = services.open_counter(centre.counters[1], back, [centre.back_office])
    called = services.call_next(front_session, front, now=now + dt.timedelta(minutes=1))
    assert called is not None
    moved = services.transfer(called, centre.back_office, front, now=now + dt.timedelta(minutes=3))
    assert moved.status == TicketStatus.WAITING and moved.display_number == "B001"
    assert moved.waiting_since == ticket.waiting_since
    again = services.call_next(back_session, back, now=now + dt.timedelta(minutes=10))
    assert again is not None and again.pk == ticket.pk
    services.finish(again, back, outcome=Outcome.NOT_RESOLVED, now=now + dt.timedelta(minutes=15))
    fact = VisitFact.objects.get(ticket=ticket)
    assert fact.wait_seconds == 60
    assert fact.service_seconds == 120 + 300
    assert fact.transferred and fact.first_queue_id == centre.general.pk


def test_no_show_after_recall_and_reinstated_the_same_day() -> None:
    centre = make_centre()
    ticket = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    staff = make_staff()
    session = services.open_counter(centre.counters[0], staff, [centre.passports])
    called = services.call_next(session, staff)
    assert called is not None
    with pytest.raises(IllegalTransition):
        services.mark_no_show(called, staff)
    services.recall(called, staff)
    gone = services.mark_no_show(called, staff)
    assert gone.status == TicketStatus.NO_SHOW
    assert VisitFact.objects.get(ticket=ticket).ending == Ending.NO_SHOW
    back = services.reinstate(gone, staff)
    assert back.status == TicketStatus.WAITING
    assert not VisitFact.objects.filter(ticket=ticket).exists()


def test_citizen_cancels_while_waiting_but_not_once_called() -> None:
    centre = make_centre()
    first = services.issue_ticket(centre.location, centre.passport, source=Source.MOBILE)
    second = services.issue_ticket(centre.location, centre.passport, source=Source.MOBILE)
    services.cancel(first, CancelReason.CITIZEN)
    staff = make_staff()
    session = services.open_counter(centre.counters[0], staff, [centre.passports])
    called = services.call_next(session, staff)
    assert called is not None and called.pk == second.pk
    with pytest.raises(IllegalTransition):
        services.cancel(called, CancelReason.CITIZEN)
    assert VisitFact.objects.get(ticket=first).wait_seconds is None
