"""Calling citizens to a counter: the next one by the call order, a given number, or a parked one
back (DESIGN.md, Definitions).

Each call is a conditional UPDATE whose row count says whether it happened (two counters can
never both take a ticket), with its TicketEvent in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from skranke.lib.localtime import local_date
from skranke.organisation.models import Counter
from skranke.queue.errors import CounterConflict, IllegalTransition
from skranke.queue.models import (
    AT_COUNTER,
    Actor,
    CounterSession,
    EventKind,
    Ticket,
    TicketStatus,
)
from skranke.queue.services.notices import enqueue_due_notices
from skranke.queue.services.records import (
    move_ticket_if,
    record_ticket_event,
    reread,
    resolve_now,
)
from skranke.queue.services.sessions import check_own_session

# Calling ----------------------------------------------------------------------------------------


def _active_session(session: CounterSession, staff: Actor) -> CounterSession:
    """Lock ``session``'s row in the caller's transaction, refresh it and return it.

    Calling checks the session under this lock, and closing or pausing the counter takes the same
    lock, so no citizen is called to a counter closed at the same moment. (On SQLite the IMMEDIATE
    transaction serialises them instead.) Raises NotYours for another employee's session,
    IllegalTransition when closed or paused.
    """
    check_own_session(session, staff)
    session.refresh_from_db(from_queryset=CounterSession.objects.select_for_update())
    if session.closed_at is not None:
        raise IllegalTransition("not_open", _("The counter is not open."))
    if session.paused_at is not None:
        raise IllegalTransition("paused", _("The counter is paused; resume it first."))
    return session


def _call_values(session: CounterSession, staff: Actor, now: dt.datetime) -> dict[str, Any]:
    """Return what a call sets on the ticket, as the UPDATE writes it and as the caller's copy
    of the ticket takes it (first_called_at aside: a ticket called before keeps its first call)."""
    return {
        "status": TicketStatus.CALLED,
        "counter": session.counter,
        "last_counter": session.counter,
        "session": session,
        "served_by": staff,
        "leg_started_at": now,
        "recall_count": 0,
        "back_office_since": None,
    }


def _back_office_wait(ticket: Ticket, now: dt.datetime) -> int:
    """Seconds ``ticket`` waited in a back-office queue since its transfer there, if it did."""
    if ticket.back_office_since is None:
        return 0
    return max(0, int((now - ticket.back_office_since).total_seconds()))


def _to_counter(
    ticket: Ticket,
    from_statuses: tuple[str, ...],
    session: CounterSession,
    staff: Actor,
    now: dt.datetime,
) -> bool:
    # No savepoint: a refusal ends the caller's transaction (rolled back), and the conditional
    # UPDATE's row count, not an exception, tells a lost race.
    try:
        return move_ticket_if(
            ticket.pk,
            from_statuses,
            staff,
            # Waiting and parked numbers are at no counter; _active_session checked the session.
            anywhere=True,
            first_called_at=Coalesce(
                F("first_called_at"), Value(now), output_field=DateTimeField()
            ),
            back_office_wait_seconds=F("back_office_wait_seconds") + _back_office_wait(ticket, now),
            **_call_values(session, staff, now),
        )
    except IntegrityError:
        # The constraint "one ticket at each counter" decided: this counter already holds one.
        raise _counter_busy() from None


def _counter_busy() -> CounterConflict:
    return CounterConflict("counter_busy", _("This counter already has a number; finish it first."))


def _ordered_queue_ids(session: CounterSession) -> list[int]:
    return list(session.queues.order_by("sort_order", "prefix").values_list("id", flat=True))


def call_next(
    session: CounterSession, staff: Actor, now: dt.datetime | None = None
) -> Ticket | None:
    """Call the next citizen to ``session``'s counter; returns the ticket, or None if nobody
    waits. Raises IllegalTransition when the counter is not open or is paused, CounterConflict
    when it already holds a ticket."""
    now = resolve_now(now)
    # Read before the lock below refreshes the session, which drops its cached counter (set
    # back after it).
    counter = session.counter
    with transaction.atomic():
        session = _active_session(session, staff)
        session.counter = counter
        queue_ids = _ordered_queue_ids(session)
        groups = (
            [queue_ids] if session.longest_waiting_first else [[queue_id] for queue_id in queue_ids]
        )
        for group in groups:
            ticket = _call_first_waiting(group, counter, session, staff, now)
            if ticket is not None:
                return ticket
        # A busy counter calling someone is refused by the constraint "one ticket at each
        # counter" (in _to_counter); with nobody to call it is refused here all the same.
        if Ticket.objects.filter(counter=session.counter_id, status__in=AT_COUNTER).exists():
            raise _counter_busy()
    return None


def _call_first_waiting(
    queue_ids: list[int], counter: Counter, session: CounterSession, staff: Actor, now: dt.datetime
) -> Ticket | None:
    # Only today's numbers: yesterday's leftovers wait for the end-of-day job to close them, and
    # calling one in the minutes before it runs would serve a citizen who went home long ago.
    waiting = (
        Ticket.objects.waiting()
        .in_queues(queue_ids)
        .filter(location=counter.location_id, issue_date=local_date(now))
    )
    # A bounded number of attempts: each lost race means another counter took that ticket.
    for _attempt in range(20):
        ticket = None
        for part in waiting.select_related("service", "queue").next_in_line(now):
            if connection.features.has_select_for_update_skip_locked:
                # PostgreSQL: skip rows other counters are taking right now instead of waiting.
                part = part.select_for_update(skip_locked=True, of=("self",))
            ticket = part.first()
            if ticket is not None:
                break
        if ticket is None:
            return None
        if _to_counter(ticket, (TicketStatus.WAITING,), session, staff, now):
            # The row was read under its lock (PostgreSQL) or in the write transaction (SQLite),
            # so the UPDATE's changes are applied here rather than read back.
            ticket.back_office_wait_seconds += _back_office_wait(ticket, now)
            for field, value in _call_values(session, staff, now).items():
                setattr(ticket, field, value)
            ticket.first_called_at = ticket.first_called_at or now
            record_ticket_event(ticket, EventKind.CALLED, staff, now, counter_id=session.counter_id)
            # The line moved: someone further back may now be owed their SMS notice.
            transaction.on_commit(functools.partial(enqueue_due_notices, ticket.queue_id))
            return ticket
    return None


def call_ticket(
    session: CounterSession, ticket: Ticket, staff: Actor, now: dt.datetime | None = None
) -> Ticket:
    """Call a specific waiting (or parked: resume) ticket of today to the counter; returns it.

    Raises IllegalTransition when it is not waiting or parked, is from another day or belongs to
    another centre.
    """
    now = resolve_now(now)
    was_parked = ticket.status == TicketStatus.PARKED
    with transaction.atomic():
        session = _active_session(session, staff)
        if ticket.location_id != session.counter.location_id:
            raise IllegalTransition("other_centre", _("This number belongs to another centre."))
        if ticket.issue_date != local_date(now):
            raise IllegalTransition("not_today", _("Only today's numbers can be called."))
        if not _to_counter(
            ticket, (TicketStatus.WAITING, TicketStatus.PARKED), session, staff, now
        ):
            raise IllegalTransition("not_waiting", _("This number is not waiting."))
        reread(ticket)
        kind = EventKind.RESUMED if was_parked else EventKind.CALLED
        record_ticket_event(ticket, kind, staff, now, counter_id=session.counter_id)
        # The line moved (or a parked citizen was called back, who may be owed a notice).
        transaction.on_commit(functools.partial(enqueue_due_notices, ticket.queue_id))
    return ticket


def resume_parked_ticket(
    ticket: Ticket, session: CounterSession, staff: Actor, now: dt.datetime | None = None
) -> Ticket:
    """Call a parked citizen back to ``session``'s counter. Raises IllegalTransition."""
    if ticket.status != TicketStatus.PARKED:
        raise IllegalTransition("not_parked", _("Only a parked number can be resumed."))
    return call_ticket(session, ticket, staff, now)
