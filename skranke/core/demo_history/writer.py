"""Turning scripts into rows: the tickets, counter sessions, events, visit records, daily
sequences and bookings (bookings.BookingRows) the engine's functions write for the same steps,
inserted in bulk.

Each step changes an in-memory ticket or session exactly as the engine's function does (the
function is named in each method), and writes the same event and, when a visit ends, the same
visit record (records.write_visit_fact). skranke/core/tests/test_demo_history_equal.py plays
one script both ways and compares the rows field by field; change both together. The audit
log is not written: it records when staff acted, which for a made-up past is no one's action.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from skranke.catalogue.models import Queue, QueueKind, Service
from skranke.core.demo_history import script
from skranke.core.demo_history.bookings import BookingRows
from skranke.core.demo_history.rows import RowInserter
from skranke.lib.localtime import local_zone
from skranke.organisation.models import Location
from skranke.queue import services
from skranke.queue.models import (
    CancelReason,
    CounterSession,
    DailySequence,
    Ending,
    EventKind,
    Priority,
    Ticket,
    TicketEvent,
    TicketStatus,
    VisitFact,
)

TICKET_FIELDS = [field.attname for field in Ticket._meta.concrete_fields if not field.primary_key]
EVENT_FIELDS = [
    "location_id",
    "kind",
    "at",
    "ticket_id",
    "queue_id",
    "counter_id",
    "staff_id",
    "data",
]
FACT_FIELDS = [field.attname for field in VisitFact._meta.concrete_fields if not field.primary_key]


@dataclass(slots=True)
class TicketRow:
    """A ticket as the engine leaves it after each step: its columns (TICKET_FIELDS), then the
    session whose id goes into session_id, its id once written, and its service's area."""

    location_id: int
    queue_id: int
    first_queue_id: int
    service_id: int
    issue_date: dt.date
    number: int
    display_number: str
    token: str
    status: str
    priority: str
    source: str
    issued_at: dt.datetime
    waiting_since: dt.datetime
    subject_area_of_service: int
    note: str = ""
    first_called_at: dt.datetime | None = None
    leg_started_at: dt.datetime | None = None
    service_seconds: int = 0
    back_office_service_seconds: int = 0
    back_office_wait_seconds: int = 0
    back_office_since: dt.datetime | None = None
    transfers: int = 0
    session_id: int | None = None
    counter_id: int | None = None
    last_counter_id: int | None = None
    served_by_id: int | None = None
    recall_count: int = 0
    subject_area_id: int | None = None
    outcome: str = ""
    referred_to: str = ""
    cancel_reason: str = ""
    ended_at: dt.datetime | None = None
    notify_phone: str = ""
    notify_language: str = ""
    notice_sent_at: dt.datetime | None = None
    notice_message_id: int | None = None
    session: CounterSession | None = None
    pk: int | None = None


class HistoryWriter:
    """Plays scripts (play) and writes what they made (flush), in the caller's transaction."""

    def __init__(self) -> None:
        self.zone = local_zone()
        self.queues = {queue.pk: queue for queue in Queue.objects.all()}
        self.locations = Location.objects.in_bulk()
        self.services = Service.objects.in_bulk()
        self._queue_of_service: dict[tuple[int, int], int] = {}
        self._sequences: dict[tuple[int, dt.date], int] = {}
        self._sequence_days: set[dt.date] = set()
        self.sessions: dict[script.OpenCounter, CounterSession] = {}
        self.tickets: dict[script.Issue, TicketRow] = {}
        self.events: list[list[Any]] = []
        self.facts: list[list[Any]] = []
        self._open: list[TicketRow] = []
        self.visits_written = 0
        self._prepared: dict[Any, Any] = {}
        self._ticket_rows = RowInserter(Ticket, TICKET_FIELDS, self._prepared)
        self._event_rows = RowInserter(TicketEvent, EVENT_FIELDS, self._prepared)
        self._fact_rows = RowInserter(VisitFact, FACT_FIELDS, self._prepared)
        self.bookings = BookingRows(self._prepared)

    @property
    def pending_visits(self) -> int:
        return len(self.tickets)

    def play(self, steps: list[script.Step]) -> None:
        """Apply ``steps`` in order; a step refers to a visit or session begun by an earlier one
        (of this script, or of one played before since the last flush)."""
        handlers: dict[type[Any], Callable[[Any], None]] = {
            script.OpenCounter: self.open_counter,
            script.CloseCounter: self.close_counter,
            script.Issue: self.issue_ticket,
            script.Call: self.call_next,
            script.Recall: self.recall,
            script.NoShow: self.mark_no_show,
            script.Transfer: self.transfer,
            script.Finish: self.finish,
            script.CitizenCancel: self.cancel_by_citizen,
            script.CloseDay: self.close_days_before,
            script.MissedBooking: self.bookings.missed,
        }
        for step in steps:
            handlers[type(step)](step)

    # Counter sessions (sessions.open_counter, close_counter) ---------------------------------

    def open_counter(self, step: script.OpenCounter) -> None:
        session = CounterSession(
            counter_id=step.counter_id,
            staff_id=step.staff_id,
            team_id=step.team_id,
            longest_waiting_first=True,
            opened_at=step.at,
        )
        self.sessions[step] = session
        self._event(
            EventKind.COUNTER_OPENED,
            step.location_id,
            step.at,
            None,
            None,
            step.counter_id,
            step.staff_id,
            {"queues": sorted(step.queue_ids)},
        )

    def close_counter(self, step: script.CloseCounter) -> None:
        session = self.sessions[step.session]
        session.closed_at = step.at
        session.paused_at = None
        self._event(
            EventKind.COUNTER_CLOSED,
            step.session.location_id,
            step.at,
            None,
            None,
            session.counter_id,
            session.staff_id,
            {},
        )

    # Issuing (issuing.issue_ticket) -----------------------------------------------------------

    def issue_ticket(self, step: script.Issue) -> None:
        queue = self.queues[self._queue_for(step.location_id, step.service_id)]
        day = step.at.astimezone(self.zone).date()
        number = self._next_number(queue.pk, day)
        ticket = TicketRow(
            location_id=step.location_id,
            queue_id=queue.pk,
            first_queue_id=queue.pk,
            service_id=step.service_id,
            issue_date=day,
            number=number,
            display_number=f"{queue.prefix}{number:03d}",
            token=secrets.token_urlsafe(16),
            status=TicketStatus.WAITING.value,
            priority=step.priority,
            source=step.source,
            issued_at=step.at,
            waiting_since=step.waiting_since,
            subject_area_of_service=self.services[step.service_id].subject_area_id,
        )
        self.tickets[step] = ticket
        self._open.append(ticket)
        self._ticket_event(EventKind.ISSUED, ticket, step.at, step.staff_id)
        if step.booking is not None:
            # booking.services.check_in: the booking checked in, with the ticket just issued.
            self.bookings.checked_in(step.booking, step.at, ticket)

    # At the counter (calling.call_next, transitions.*) ----------------------------------------

    def call_next(self, step: script.Call) -> None:
        ticket = self.tickets[step.visit]
        session = self.sessions[step.session]
        if ticket.back_office_since is not None:
            ticket.back_office_wait_seconds += _seconds(ticket.back_office_since, step.at)
        ticket.first_called_at = ticket.first_called_at or step.at
        ticket.status = TicketStatus.CALLED.value
        ticket.counter_id = session.counter_id
        ticket.last_counter_id = session.counter_id
        ticket.session = session
        ticket.served_by_id = session.staff_id
        ticket.leg_started_at = step.at
        ticket.recall_count = 0
        ticket.back_office_since = None
        self._ticket_event(EventKind.CALLED, ticket, step.at, session.staff_id)

    def recall(self, step: script.Recall) -> None:
        ticket = self.tickets[step.visit]
        ticket.recall_count += 1
        self._ticket_event(
            EventKind.RECALLED,
            ticket,
            step.at,
            self.sessions[step.session].staff_id,
            recalls=ticket.recall_count,
        )

    def mark_no_show(self, step: script.NoShow) -> None:
        ticket = self.tickets[step.visit]
        ticket.status = TicketStatus.NO_SHOW.value
        ticket.counter_id = None
        ticket.ended_at = step.at
        ticket.leg_started_at = None
        ticket.notify_phone = ""
        self._ticket_event(EventKind.NO_SHOW, ticket, step.at, self.sessions[step.session].staff_id)
        self._end_visit(ticket, Ending.NO_SHOW)

    def transfer(self, step: script.Transfer) -> None:
        ticket = self.tickets[step.visit]
        from_queue = ticket.queue_id
        self._end_leg(ticket, step.at)
        ticket.status = TicketStatus.WAITING.value
        ticket.queue_id = step.queue_id
        ticket.counter_id = None
        to_back_office = self.queues[step.queue_id].kind == QueueKind.BACK
        ticket.back_office_since = step.at if to_back_office else None
        ticket.transfers += 1
        self._ticket_event(
            EventKind.TRANSFERRED,
            ticket,
            step.at,
            self.sessions[step.session].staff_id,
            from_queue=from_queue,
        )

    def finish(self, step: script.Finish) -> None:
        ticket = self.tickets[step.visit]
        self._end_leg(ticket, step.at)
        ticket.status = TicketStatus.FINISHED.value
        ticket.counter_id = None
        ticket.subject_area_id = step.subject_area_id
        ticket.outcome = step.outcome
        ticket.referred_to = step.referred_to
        ticket.ended_at = step.at
        ticket.notify_phone = ""
        self._ticket_event(
            EventKind.FINISHED,
            ticket,
            step.at,
            self.sessions[step.session].staff_id,
            outcome=step.outcome,
        )
        self._end_visit(ticket, Ending.SERVED)

    def cancel_by_citizen(self, step: script.CitizenCancel) -> None:
        self._cancel(self.tickets[step.visit], CancelReason.CITIZEN, step.at)

    def close_days_before(self, step: script.CloseDay) -> None:
        """transitions.close_days_before(day + 1): the open visits in the order of issue."""
        left = [ticket for ticket in self._open if ticket.issue_date <= step.day]
        for ticket in sorted(left, key=lambda ticket: ticket.issued_at):
            self._cancel(ticket, CancelReason.CLOSED, step.at)

    def _cancel(self, ticket: TicketRow, reason: CancelReason, at: dt.datetime) -> None:
        self._end_leg(ticket, at)
        ticket.status = TicketStatus.CANCELLED.value
        ticket.cancel_reason = reason.value
        ticket.counter_id = None
        ticket.ended_at = at
        ticket.notify_phone = ""
        self._ticket_event(EventKind.CANCELLED, ticket, at, None, reason=reason.value)
        self._end_visit(ticket, Ending.CANCELLED)

    def _end_leg(self, ticket: TicketRow, at: dt.datetime) -> None:
        """records.end_leg: the time at the counter added to the service time (and to the
        back-office part when served from a back-office queue)."""
        seconds = 0 if ticket.leg_started_at is None else _seconds(ticket.leg_started_at, at)
        ticket.service_seconds += seconds
        ticket.leg_started_at = None
        if seconds and self.queues[ticket.queue_id].kind == QueueKind.BACK:
            ticket.back_office_service_seconds += seconds

    # Events and visit records ------------------------------------------------------------------

    def _ticket_event(
        self,
        kind: EventKind,
        ticket: TicketRow,
        at: dt.datetime,
        staff_id: int | None,
        **extra: Any,
    ) -> None:
        """records.record_ticket_event: at the ticket's counter, else the last one (none for a
        number not called yet, as events.record_event writes the issue)."""
        self._event(
            kind,
            ticket.location_id,
            at,
            ticket,
            ticket.queue_id,
            ticket.counter_id or ticket.last_counter_id,
            staff_id,
            {"number": ticket.display_number, **extra},
        )

    def _event(self, kind: EventKind, location_id: int, *values: Any) -> None:
        """events.record_event, as a row in EVENT_FIELDS' order (the ticket until written)."""
        self.events.append([location_id, kind.value, *values])

    def _end_visit(self, ticket: TicketRow, ending: Ending) -> None:
        """records.write_visit_fact."""
        self._open.remove(ticket)
        wait = None
        # A visit cancelled after its call keeps its first call but has no wait (DESIGN.md).
        if ticket.first_called_at is not None and ending != Ending.CANCELLED:
            wait = max(0, int((ticket.first_called_at - ticket.waiting_since).total_seconds()))
        issued_local = ticket.issued_at.astimezone(self.zone)
        served = ending == Ending.SERVED
        back_office = ticket.back_office_service_seconds
        session = ticket.session
        first_call = ticket.first_called_at
        self.facts.append(
            [
                ticket,  # ticket_id, once the ticket is inserted
                None,
                ticket.source,
                ticket.location_id,
                ticket.first_queue_id,
                ticket.queue_id,
                ticket.subject_area_id or ticket.subject_area_of_service,
                ticket.service_id,
                ticket.issued_at,
                ticket.issue_date,
                issued_local.hour,
                issued_local.weekday(),
                first_call,
                first_call.astimezone(self.zone).hour if first_call else None,
                ticket.ended_at,
                wait,
                ticket.service_seconds if served else None,
                ticket.service_seconds - back_office if served else None,
                back_office if served else None,
                ticket.back_office_wait_seconds or None,
                ticket.outcome,
                ticket.referred_to,
                ending.value,
                ticket.cancel_reason,
                ticket.priority == Priority.APPOINTMENT,
                ticket.transfers > 0,
                ticket.last_counter_id,
                session.team_id if session is not None else None,
                ticket.served_by_id,
                "",
            ]
        )

    # Numbers -----------------------------------------------------------------------------------

    def _queue_for(self, location_id: int, service_id: int) -> int:
        key = (location_id, service_id)
        if key not in self._queue_of_service:
            queue = services.queue_for_service(
                self.locations[location_id], self.services[service_id]
            )
            self._queue_of_service[key] = queue.pk
        return self._queue_of_service[key]

    def _next_number(self, queue_id: int, day: dt.date) -> int:
        """issuing._draw_number: the day's sequence row of the queue, plus one."""
        if day not in self._sequence_days:
            self._sequence_days.add(day)
            for sequence in DailySequence.objects.filter(date=day):
                self._sequences[(sequence.queue_id, day)] = sequence.last_number
        number = self._sequences.get((queue_id, day), 0) + 1
        self._sequences[(queue_id, day)] = number
        return number

    # Writing -----------------------------------------------------------------------------------

    def flush(self) -> None:
        """Insert everything played since the last flush; every visit played must have ended."""
        if self._open:
            raise ValueError("flush() with visits still open; end the day with CloseDay first")
        sessions = list(self.sessions.values())
        CounterSession.objects.bulk_create(sessions)
        through = CounterSession.queues.through
        through.objects.bulk_create(
            through(countersession_id=session.pk, queue_id=queue_id)
            for step, session in self.sessions.items()
            for queue_id in step.queue_ids
        )
        tickets = list(self.tickets.values())
        for ticket in tickets:
            ticket.session_id = ticket.session.pk if ticket.session is not None else None
        self._ticket_rows.insert(
            [getattr(ticket, name) for name in TICKET_FIELDS] for ticket in tickets
        )
        if tickets:
            self._read_back_ids(tickets)
        for event in self.events:
            if event[3] is not None:
                event[3] = event[3].pk
        self._event_rows.insert(self.events)
        for fact in self.facts:
            fact[0] = fact[0].pk
        self._fact_rows.insert(self.facts)
        self.bookings.flush()
        self._write_sequences()
        self.visits_written += len(tickets)
        self.sessions, self.tickets, self.events, self.facts = {}, {}, [], []
        self._prepared.clear()

    def _read_back_ids(self, tickets: list[TicketRow]) -> None:
        days = [ticket.issue_date for ticket in tickets]
        written = Ticket.objects.filter(
            location_id__in={ticket.location_id for ticket in tickets},
            issue_date__range=(min(days), max(days)),
        )
        ids = dict(written.values_list("token", "pk"))
        for ticket in tickets:
            ticket.pk = ids[ticket.token]

    def _write_sequences(self) -> None:
        DailySequence.objects.bulk_create(
            [
                DailySequence(queue_id=queue_id, date=day, last_number=number)
                for (queue_id, day), number in self._sequences.items()
            ],
            update_conflicts=True,
            unique_fields=["queue", "date"],
            update_fields=["last_number"],
        )
        self._sequences, self._sequence_days = {}, set()


def _seconds(since: dt.datetime, until: dt.datetime) -> int:
    return max(0, int((until - since).total_seconds()))


def written_days(
    location_ids: list[int], first: dt.date, last: dt.date
) -> set[tuple[int, dt.date]]:
    """Return the (centre, date) pairs from ``first`` to ``last`` that have any ticket."""
    return set(
        Ticket.objects.filter(location_id__in=location_ids, issue_date__range=(first, last))
        .values_list("location_id", "issue_date")
        .distinct()
    )
