"""A model of the floor for the random-days test: which ticket is where, which counter is
open, and what each ended visit's statistics row must say according to its events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction

from skranke.catalogue.models import Queue
from skranke.lib.localtime import local_date, local_zone
from skranke.queue.errors import IllegalTransition, NotYours, QueueError
from skranke.queue.models import (
    AT_COUNTER,
    ENDED,
    CounterSession,
    DailySequence,
    Ending,
    EventKind,
    Priority,
    QueueClosure,
    Ticket,
    TicketEvent,
    TicketStatus,
    VisitFact,
)
from skranke.queue.tests.factories import Centre, copenhagen

# A Tuesday morning; a long run of steps may carry the floor past midnight into Wednesday.
START = copenhagen(dt.date(2026, 6, 9), 8, 0)

TICK = dt.timedelta(seconds=30)

# Which queues a counter serves, by index into (passports, general, back office).
QUEUE_SETS = [(0,), (1,), (2,), (0, 1), (0, 1, 2)]

# What the ticket's status is after each kind of event (DESIGN.md: every change is an event).
STATUS_AFTER = {
    EventKind.ISSUED: TicketStatus.WAITING,
    EventKind.CALLED: TicketStatus.CALLED,
    EventKind.RESUMED: TicketStatus.CALLED,
    EventKind.RECALLED: TicketStatus.CALLED,
    EventKind.SERVING: TicketStatus.SERVING,
    EventKind.PARKED: TicketStatus.PARKED,
    EventKind.TRANSFERRED: TicketStatus.WAITING,
    EventKind.NO_SHOW: TicketStatus.NO_SHOW,
    EventKind.REINSTATED: TicketStatus.WAITING,
    EventKind.CANCELLED: TicketStatus.CANCELLED,
    EventKind.FINISHED: TicketStatus.FINISHED,
}
LEG_STARTS = {EventKind.CALLED, EventKind.RESUMED}
# A leg at the counter ends with these and counts as service time; a no-show's leg was time
# spent waiting for someone who never came, and counts as none.
LEG_ENDS = {EventKind.PARKED, EventKind.TRANSFERRED, EventKind.FINISHED, EventKind.CANCELLED}
ENDINGS = {
    EventKind.FINISHED: Ending.SERVED,
    EventKind.NO_SHOW: Ending.NO_SHOW,
    EventKind.CANCELLED: Ending.CANCELLED,
}


@dataclass
class ExpectedTicket:
    """What the model says of one ticket."""

    pk: int
    queue: int
    priority: str
    waiting_since: dt.datetime
    issue_date: dt.date
    subject_area: int
    status: str = TicketStatus.WAITING
    counter: int | None = None
    recalls: int = 0


@dataclass
class Desk:
    """The latest session at one counter, as the model has it."""

    session: CounterSession
    staff: User
    queues: list[Queue]
    longest_waiting_first: bool
    paused: bool = False
    closed: bool = False


@dataclass
class Replay:
    """A ticket as its events tell it."""

    status: str
    issued: TicketEvent
    queue: int
    first_call_at: dt.datetime | None = None
    last_call: TicketEvent | None = None
    leg_started_at: dt.datetime | None = None
    service_seconds: int = 0
    recalls: int = 0
    transfers: int = 0
    ended: TicketEvent | None = None


def replay(events: list[TicketEvent]) -> Replay:
    """Return the ticket that ``events`` (its own, in order) describe."""
    assert events and events[0].kind == EventKind.ISSUED, events
    told = Replay(status=TicketStatus.WAITING, issued=events[0], queue=events[0].queue_id or 0)
    for event in events[1:]:
        told.status = STATUS_AFTER[EventKind(event.kind)]
        if event.kind in LEG_STARTS:
            told.first_call_at = told.first_call_at or event.at
            told.last_call = event
            told.leg_started_at = event.at
            told.recalls = 0
        elif event.kind == EventKind.RECALLED:
            told.recalls += 1
        elif event.kind in LEG_ENDS and told.leg_started_at is not None:
            leg = (event.at - told.leg_started_at).total_seconds()
            assert leg >= 0, f"a leg of negative length ends at event {event.pk}"
            told.service_seconds += int(leg)
            told.leg_started_at = None
        elif event.kind == EventKind.NO_SHOW:
            told.leg_started_at = None
        if event.kind == EventKind.TRANSFERRED:
            told.queue = event.queue_id or 0
            told.transfers += 1
        if event.kind in ENDINGS:
            told.ended = event
        elif event.kind == EventKind.REINSTATED:
            told.ended = None
    return told


def check_against_events(
    ticket: Ticket, events: list[TicketEvent], fact: VisitFact | None, expected: ExpectedTicket
) -> None:
    """Check that the ticket row and its visit fact say what its events say."""
    told = replay(events)
    assert ticket.status == told.status
    assert ticket.queue_id == told.queue
    assert ticket.first_queue_id == told.issued.queue_id
    assert ticket.first_called_at == told.first_call_at
    assert ticket.leg_started_at == told.leg_started_at
    assert ticket.service_seconds == told.service_seconds
    assert ticket.recall_count == told.recalls
    assert ticket.ended_at == (told.ended.at if told.ended else None)
    if told.ended is None:
        assert fact is None
        return
    assert fact is not None
    ending = ENDINGS[EventKind(told.ended.kind)]
    wait = None
    if told.first_call_at is not None and ending != Ending.CANCELLED:
        # Negative only for an appointment called before its time: no wait, then.
        wait = max(0, int((told.first_call_at - ticket.waiting_since).total_seconds()))
    issued_local = told.issued.at.astimezone(local_zone())
    assert fact.wait_seconds == wait
    assert fact.service_seconds == (told.service_seconds if ending == Ending.SERVED else None)
    assert fact.wait_seconds is None or fact.wait_seconds >= 0
    assert fact.service_seconds is None or fact.service_seconds >= 0
    assert fact.ending == ending
    assert fact.cancel_reason == told.ended.data.get("reason", "")
    assert fact.outcome == told.ended.data.get("outcome", "")
    assert fact.issue_date == issued_local.date() == ticket.issue_date
    assert (fact.issue_hour, fact.issue_weekday) == (issued_local.hour, issued_local.weekday())
    assert fact.first_queue_id == told.issued.queue_id
    assert fact.transferred == (told.transfers > 0)
    assert fact.served_queue_id == told.queue
    assert fact.first_called_at == told.first_call_at
    assert fact.ended_at == told.ended.at
    assert fact.counter_id == (told.last_call.counter_id if told.last_call else None)
    assert fact.staff_id == (told.last_call.staff_id if told.last_call else None)
    assert fact.subject_area_id == expected.subject_area
    assert fact.is_appointment == (expected.priority == Priority.APPOINTMENT)


def check_legal_state(ticket: Ticket, open_counters: set[int]) -> None:
    """Check the fields a ticket's status requires."""
    ended = ticket.status in ENDED
    assert ended == (ticket.ended_at is not None)
    if ticket.status in AT_COUNTER:
        assert ticket.counter_id in open_counters
        assert ticket.leg_started_at is not None
    else:
        assert ticket.counter_id is None
        assert ticket.leg_started_at is None
    if ticket.status == TicketStatus.FINISHED:
        assert ticket.outcome
    if ticket.status == TicketStatus.CANCELLED:
        assert ticket.cancel_reason


class FloorModel:
    """The model's bookkeeping of one centre with three counters and three staff members, and a
    team lead who sits at no counter."""

    centre: Centre
    staff: list[User]
    team_lead: User

    def __init__(self) -> None:
        super().__init__()
        # Each example starts from the same empty floor: its rows are rolled back at teardown.
        self.savepoint = transaction.atomic()
        self.savepoint.__enter__()
        self.now = START
        self.expected: dict[int, ExpectedTicket] = {}
        self.desks: dict[int, Desk] = {}
        self.numbers: dict[tuple[int, dt.date], int] = {}
        self.closures: set[tuple[int, dt.date]] = set()
        self.queues = [self.centre.passports, self.centre.general, self.centre.back_office]
        # Who acts: None is the rightful employee (the one at the ticket's or session's
        # counter); otherwise an index into staff + [team_lead], acting whatever the rule says.
        self.stranger: int | None = None

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.savepoint.__exit__(None, None, None)

    # Helpers -----------------------------------------------------------------------------------

    def snapshot(self) -> tuple[list[Any], ...]:
        location = self.centre.location
        return (
            list(Ticket.objects.filter(location=location).order_by("id").values()),
            list(TicketEvent.objects.filter(location=location).values_list("id", flat=True)),
            list(VisitFact.objects.filter(location=location).order_by("id").values()),
            list(CounterSession.objects.filter(counter__location=location).order_by("id").values()),
            list(QueueClosure.objects.filter(queue__location=location).order_by("id").values()),
            list(DailySequence.objects.filter(queue__location=location).order_by("id").values()),
        )

    def refused(self, error: type[QueueError], code: str, action: Callable[[], object]) -> None:
        """Check that ``action`` is refused with ``error`` and ``code`` and changes nothing."""
        before = self.snapshot()
        with pytest.raises(error) as refusal:
            action()
        assert refusal.value.code == code
        assert self.snapshot() == before

    def tick(self) -> None:
        # Every action happens a little after the one before, so that no leg at a counter is
        # empty; time_passes adds the longer gaps.
        self.now += TICK

    def fresh(self, pk: int) -> Ticket:
        # As the API does: every action reads the ticket as it is now.
        return Ticket.objects.get(pk=pk)

    def holding(self, counter_pk: int) -> bool:
        return any(
            ticket.counter == counter_pk and ticket.status in AT_COUNTER
            for ticket in self.expected.values()
        )

    def staff_for(self, expected: ExpectedTicket) -> User:
        """The employee at the ticket's counter, or the first one for a ticket at none."""
        return self.holder(expected.counter) or self.staff[0]

    def holder(self, counter_pk: int | None) -> User | None:
        for desk in self.desks.values():
            if desk.session.counter_id == counter_pk and not desk.closed:
                return desk.staff
        return None

    def acting(self, rightful: User) -> User:
        """Who acts now: ``rightful``, or the stranger the test chose."""
        if self.stranger is None:
            return rightful
        return [*self.staff, self.team_lead][self.stranger]

    def refused_as_not_yours(self, desk: Desk, staff: User, action: Callable[[], object]) -> bool:
        """Check that another employee's session is refused to ``staff``; True if refused."""
        if staff == desk.staff:
            return False
        self.refused(NotYours, "not_your_session", action)
        return True

    def rank(self, ticket: ExpectedTicket) -> tuple[int, dt.datetime, int]:
        if ticket.priority == Priority.URGENT:
            group = 0
        elif ticket.priority == Priority.APPOINTMENT and ticket.waiting_since <= self.now:
            group = 1
        else:
            group = 2
        return group, ticket.waiting_since, ticket.pk

    def next_in_line(self, desk: Desk) -> int | None:
        queue_ids = [queue.pk for queue in sorted(desk.queues, key=lambda queue: queue.prefix)]
        groups = [queue_ids] if desk.longest_waiting_first else [[pk] for pk in queue_ids]
        for group in groups:
            waiting = [
                ticket
                for ticket in self.expected.values()
                if ticket.status == TicketStatus.WAITING
                and ticket.queue in group
                and ticket.issue_date == local_date(self.now)
            ]
            if waiting:
                return min(waiting, key=self.rank).pk
        return None

    def called_to(self, pk: int, counter_pk: int) -> None:
        expected = self.expected[pk]
        expected.status, expected.counter, expected.recalls = TicketStatus.CALLED, counter_pk, 0

    def leaves_counter(self, pk: int, status: str) -> None:
        expected = self.expected[pk]
        expected.status, expected.counter = status, None

    # The morning: counters open and the first citizens arrive --------------------------------

    def refused_by_desk(self, desk: Desk, action: Callable[[], object]) -> bool:
        """Check the refusals of calling at a closed or paused counter; True if refused."""
        if desk.closed:
            self.refused(IllegalTransition, "not_open", action)
        elif desk.paused:
            self.refused(IllegalTransition, "paused", action)
        else:
            return False
        return True

    def act(
        self,
        pk: int,
        allowed: bool,
        code: str,
        action: Callable[[Ticket, User], object],
        from_statuses: tuple[str, ...] = (),
    ) -> bool:
        """Do ``action`` on the ticket, expecting it done when ``allowed``, else refused with
        ``code``; returns whether it was done.

        The rule of who acts (docs/permissions.md): a ticket in one of the action's
        ``from_statuses`` at another employee's counter is refused as not yours, whoever asks
        (a team lead too), and nothing changes.
        """
        expected = self.expected[pk]
        staff = self.acting(self.staff_for(expected))
        elsewhere = (
            expected.status in from_statuses
            and expected.counter is not None
            and self.holder(expected.counter) != staff
        )
        if elsewhere:
            self.refused(NotYours, "not_your_counter", lambda: action(self.fresh(pk), staff))
            return False
        if allowed:
            action(self.fresh(pk), staff)
        else:
            self.refused(IllegalTransition, code, lambda: action(self.fresh(pk), staff))
        return allowed

    def pick(self, which: int, statuses: tuple[str, ...]) -> int | None:
        """Return the ``which``-th (wrapping round) number in one of ``statuses``, or None."""
        chosen = sorted(pk for pk, ticket in self.expected.items() if ticket.status in statuses)
        return chosen[which % len(chosen)] if chosen else None
