"""What every change of a ticket writes: the conditional UPDATE that decides it, its event, the
ended visit's statistics row, and the SMS notice bookkeeping (DESIGN.md, Definitions).

Shared by skranke.queue.services (issuing, counter sessions, calling) and
skranke.queue.transitions (what happens to a citizen at and after the counter).
"""

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from skranke.jobs.services import enqueue
from skranke.lib.localtime import local_zone
from skranke.messaging.services import purge_messages
from skranke.queue.events import record_event
from skranke.queue.models import (
    Ending,
    EventKind,
    Priority,
    Ticket,
    VisitFact,
)


def resolve_now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def reread(ticket: Ticket) -> None:
    """Read ``ticket`` back after its UPDATE, with what callers show of it (its service and
    counter), in one statement rather than one per relation afterwards."""
    ticket.refresh_from_db(from_queryset=Ticket.objects.select_related("service", "counter"))


def take(ticket_id: int, from_statuses: tuple[str, ...], **changes: Any) -> bool:
    """Move one ticket out of ``from_statuses``; True when this caller won."""
    return Ticket.objects.filter(pk=ticket_id, status__in=from_statuses).update(**changes) == 1


def record_ticket_event(
    ticket: Ticket, kind: EventKind, staff: Any, now: dt.datetime, **extra: Any
) -> None:
    if kind in LINE_MOVES:
        check_sms_notices_on_commit(ticket.queue_id)
    counter_id = extra.pop("counter_id", ticket.counter_id or ticket.last_counter_id)
    record_event(
        kind,
        location_id=ticket.location_id,
        at=now,
        ticket=ticket,
        queue_id=ticket.queue_id,
        counter_id=counter_id,
        staff=staff,
        data={"number": ticket.display_number, **extra},
    )


def leg_seconds(ticket: Ticket, now: dt.datetime) -> int:
    if ticket.leg_started_at is None:
        return 0
    return max(0, int((now - ticket.leg_started_at).total_seconds()))


# SMS "your turn is coming" (skranke.queue.notices) ---------------------------------------------

SMS_NOTICE_JOB = "queue.send_sms_notices"
# Events after which citizens further back are nearer the front, or one is called.
LINE_MOVES = (EventKind.CALLED, EventKind.RESUMED, EventKind.CANCELLED)


def check_sms_notices_on_commit(queue_id: int) -> None:
    """Once the caller's transaction commits, have the worker send the SMS notices now due in
    ``queue_id`` (skranke.queue.notices.send_due_notices).

    After commit, so calling a citizen never waits for it; and only queues where someone is
    still owed a notice get a job, so a call costs one read of a small partial index.
    """

    def check() -> None:
        owed = Ticket.objects.filter(queue_id=queue_id, notice_sent_at__isnull=True).exclude(
            notify_phone=""
        )
        if owed.exists():
            enqueue(SMS_NOTICE_JOB, {"queue_id": queue_id})

    transaction.on_commit(check)


def forget_sms_notice(ticket: Ticket, now: dt.datetime) -> None:
    """Erase the phone number from the notice message of a visit that has just ended.

    Every transition that ends a visit blanks ``notify_phone`` in its own conditional UPDATE;
    this helper, called in the same transaction, purges the message made from it, if any (a
    notice still waiting for the gateway is then never sent: the visit it was about is over).
    Tickets without a notice cost no query.
    """
    if ticket.notice_message_id is not None:
        purge_messages([ticket.notice_message_id], now)


# Visit facts ----------------------------------------------------------------------------------


def write_visit_fact(ticket: Ticket, ending: Ending) -> VisitFact:
    """Write the statistics row of an ended visit (DESIGN.md: wait, service time, ending)."""
    wait = None
    if ticket.first_called_at is not None:
        wait = max(0, int((ticket.first_called_at - ticket.waiting_since).total_seconds()))
    issued_local = ticket.issued_at.astimezone(local_zone())
    fact = VisitFact.objects.create(
        ticket=ticket,
        location_id=ticket.location_id,
        first_queue_id=ticket.first_queue_id,
        subject_area_id=ticket.subject_area_id or ticket.service.subject_area_id,
        service_id=ticket.service_id,
        issue_date=ticket.issue_date,
        issue_hour=issued_local.hour,
        issue_weekday=issued_local.weekday(),
        wait_seconds=wait,
        service_seconds=ticket.service_seconds if ending == Ending.SERVED else None,
        outcome=ticket.outcome,
        referred_to=ticket.referred_to,
        ending=ending,
        cancel_reason=ticket.cancel_reason,
        is_appointment=ticket.priority == Priority.APPOINTMENT,
        transferred=ticket.queue_id != ticket.first_queue_id,
        counter_id=ticket.last_counter_id,
        staff_id=ticket.served_by_id,
    )
    return fact
