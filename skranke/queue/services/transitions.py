"""What happens to a citizen at and after the counter: recall, serve, no-show, reinstate, park,
transfer, finish, cancel and the staff note, and closing queues and days (DESIGN.md,
Definitions).

Each public function is one transition, decided by a conditional UPDATE
(records.move_ticket_if) whose row count says whether it happened, with its TicketEvent in the
same transaction and the VisitFact when the visit ends. The same UPDATE applies the rule of who
acts on a ticket (records.acted_on_by): one at a counter only the employee in that counter's open
session; the refusal says which of the two (state or counter) stood in the way. The staff
decisions a manager may review later (no-show, reinstate, transfer, staff cancel, queue closing)
are written to the audit log in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import functools

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from skranke.audit.services import record_action
from skranke.catalogue.models import Queue, QueueKind, SubjectArea
from skranke.lib.localtime import local_date
from skranke.lib.validators import validate_no_cpr
from skranke.queue.errors import IllegalTransition
from skranke.queue.models import (
    AT_COUNTER,
    Actor,
    CancelReason,
    Ending,
    EventKind,
    Outcome,
    QueueClosure,
    ReferredTo,
    Ticket,
    TicketStatus,
    VisitFact,
)
from skranke.queue.services.events import record_event
from skranke.queue.services.notices import enqueue_due_notices, forget_sms_notice
from skranke.queue.services.records import (
    acted_on_by,
    end_leg,
    move_ticket_if,
    record_ticket_event,
    refuse,
    reread,
    resolve_now,
    write_visit_fact,
)


def recall(ticket: Ticket, staff: Actor, now: dt.datetime | None = None) -> Ticket:
    """Show a called number again on the display. Raises IllegalTransition unless called."""
    now = resolve_now(now)
    called = (TicketStatus.CALLED,)
    with transaction.atomic():
        if not move_ticket_if(ticket.pk, called, staff, recall_count=F("recall_count") + 1):
            refuse(
                ticket,
                called,
                staff,
                IllegalTransition("not_called", _("Only a called number can be recalled.")),
            )
        reread(ticket)
        record_ticket_event(ticket, EventKind.RECALLED, staff, now, recalls=ticket.recall_count)
    return ticket


def start_serving(ticket: Ticket, staff: Actor, now: dt.datetime | None = None) -> Ticket:
    """The citizen has come to the counter. Raises IllegalTransition unless called."""
    now = resolve_now(now)
    called = (TicketStatus.CALLED,)
    with transaction.atomic():
        if not move_ticket_if(ticket.pk, called, staff, status=TicketStatus.SERVING):
            refuse(
                ticket,
                called,
                staff,
                IllegalTransition("not_called", _("Only a called number can be served.")),
            )
        reread(ticket)
        record_ticket_event(ticket, EventKind.SERVING, staff, now)
    return ticket


def mark_no_show(ticket: Ticket, staff: Actor, now: dt.datetime | None = None) -> Ticket:
    """End a called visit whose citizen did not come, after SKRANKE_NO_SHOW_AFTER_RECALLS recalls.

    Raises IllegalTransition when the number is not called or not recalled often enough.
    """
    now = resolve_now(now)
    needed = settings.SKRANKE_NO_SHOW_AFTER_RECALLS
    with transaction.atomic():
        won = Ticket.objects.filter(
            acted_on_by(staff), pk=ticket.pk, status=TicketStatus.CALLED, recall_count__gte=needed
        ).update(
            status=TicketStatus.NO_SHOW,
            counter=None,
            ended_at=now,
            leg_started_at=None,
            notify_phone="",
        )
        if won != 1:
            refuse(
                ticket,
                (TicketStatus.CALLED,),
                staff,
                IllegalTransition(
                    "not_recalled",
                    _("Recall the number %(count)d times before marking a no-show.")
                    % {"count": needed},
                ),
            )
        reread(ticket)
        record_ticket_event(ticket, EventKind.NO_SHOW, staff, now)
        record_action(staff, "ticket_no_show", ticket, {"number": ticket.display_number})
        write_visit_fact(ticket, Ending.NO_SHOW)
        forget_sms_notice(ticket, now)
    return ticket


def reinstate(ticket: Ticket, staff: Actor, now: dt.datetime | None = None) -> Ticket:
    """Put a no-show back in line the same day, at its original place; the visit goes on.

    Raises IllegalTransition when it is not a no-show of today.
    """
    now = resolve_now(now)
    with transaction.atomic():
        won = Ticket.objects.filter(
            pk=ticket.pk, status=TicketStatus.NO_SHOW, issue_date=local_date(now)
        ).update(status=TicketStatus.WAITING, ended_at=None)
        if won != 1:
            raise IllegalTransition(
                "not_no_show", _("Only today's no-shows can be put back in line.")
            )
        VisitFact.objects.filter(ticket=ticket).delete()
        reread(ticket)
        record_ticket_event(ticket, EventKind.REINSTATED, staff, now)
        record_action(staff, "ticket_reinstated", ticket, {"number": ticket.display_number})
    return ticket


def park(ticket: Ticket, staff: Actor, now: dt.datetime | None = None) -> Ticket:
    """Set a citizen aside (e.g. to fetch a document); the counter is free for the next one.

    Raises IllegalTransition unless the number is at a counter.
    """
    now = resolve_now(now)
    with transaction.atomic():
        won = move_ticket_if(
            ticket.pk,
            AT_COUNTER,
            staff,
            status=TicketStatus.PARKED,
            counter=None,
            **end_leg(ticket, now),
        )
        if not won:
            refuse(
                ticket,
                AT_COUNTER,
                staff,
                IllegalTransition("not_at_counter", _("Only a number at a counter can be parked.")),
            )
        reread(ticket)
        record_ticket_event(ticket, EventKind.PARKED, staff, now)
    return ticket


def transfer(
    ticket: Ticket, to_queue: Queue, staff: Actor, now: dt.datetime | None = None
) -> Ticket:
    """Send the citizen to wait in ``to_queue`` (front or back office), keeping their arrival
    time and number. Raises IllegalTransition unless the number is at a counter or parked, or
    when the queue is at another centre."""
    now = resolve_now(now)
    if to_queue.location_id != ticket.location_id or not to_queue.active:
        raise IllegalTransition("foreign_queue", _("Choose an active queue at this centre."))
    movable = (*AT_COUNTER, TicketStatus.PARKED)
    with transaction.atomic():
        won = move_ticket_if(
            ticket.pk,
            movable,
            staff,
            status=TicketStatus.WAITING,
            queue=to_queue,
            counter=None,
            # Time waited again in a back-office queue is counted from here (DESIGN.md).
            back_office_since=now if to_queue.kind == QueueKind.BACK else None,
            transfers=F("transfers") + 1,
            **end_leg(ticket, now),
        )
        if not won:
            refuse(
                ticket,
                movable,
                staff,
                IllegalTransition(
                    "not_at_counter", _("Only a number at a counter can be transferred.")
                ),
            )
        from_queue = ticket.queue_id
        reread(ticket)
        record_ticket_event(ticket, EventKind.TRANSFERRED, staff, now, from_queue=from_queue)
        record_action(
            staff,
            "ticket_transferred",
            ticket,
            {"number": ticket.display_number, "from_queue": from_queue, "to_queue": to_queue.pk},
        )
    return ticket


def finish(
    ticket: Ticket,
    staff: Actor,
    *,
    outcome: Outcome,
    subject_area: SubjectArea | None = None,
    referred_to: ReferredTo | str = "",
    now: dt.datetime | None = None,
) -> Ticket:
    """End a visit at the counter with its subject area (default: the service's) and outcome.

    Raises IllegalTransition unless the number is at a counter, or when "referred" lacks the
    authority (or another outcome names one).
    """
    now = resolve_now(now)
    if (outcome == Outcome.REFERRED) != bool(referred_to):
        raise IllegalTransition(
            "referral", _("Name the authority exactly when the outcome is a referral.")
        )
    area_id = subject_area.pk if subject_area else ticket.service.subject_area_id
    with transaction.atomic():
        won = move_ticket_if(
            ticket.pk,
            AT_COUNTER,
            staff,
            status=TicketStatus.FINISHED,
            counter=None,
            **end_leg(ticket, now),
            subject_area_id=area_id,
            outcome=outcome,
            referred_to=referred_to,
            ended_at=now,
            notify_phone="",
        )
        if not won:
            refuse(
                ticket,
                AT_COUNTER,
                staff,
                IllegalTransition(
                    "not_at_counter", _("Only a number at a counter can be finished.")
                ),
            )
        reread(ticket)
        record_ticket_event(ticket, EventKind.FINISHED, staff, now, outcome=outcome)
        write_visit_fact(ticket, Ending.SERVED)
        forget_sms_notice(ticket, now)
    return ticket


def cancel(
    ticket: Ticket, reason: CancelReason, staff: Actor = None, now: dt.datetime | None = None
) -> Ticket:
    """Cancel a visit: a citizen may cancel while waiting; staff also a parked or called one.

    Raises IllegalTransition when the visit cannot be cancelled in its state.
    """
    now = resolve_now(now)
    allowed: tuple[str, ...] = (TicketStatus.WAITING,)
    if reason != CancelReason.CITIZEN:
        allowed = (TicketStatus.WAITING, TicketStatus.PARKED, *AT_COUNTER)
    with transaction.atomic():
        won = move_ticket_if(
            ticket.pk,
            allowed,
            staff,
            # The end-of-day job ends every visit left over, wherever it is.
            anywhere=reason == CancelReason.CLOSED,
            status=TicketStatus.CANCELLED,
            cancel_reason=reason,
            counter=None,
            **end_leg(ticket, now),
            ended_at=now,
            notify_phone="",
        )
        if not won:
            refuse(
                ticket,
                allowed,
                staff,
                IllegalTransition("cannot_cancel", _("This number can no longer be cancelled.")),
            )
        reread(ticket)
        record_ticket_event(ticket, EventKind.CANCELLED, staff, now, reason=reason)
        # The line moved: someone further back may now be owed their SMS notice.
        transaction.on_commit(functools.partial(enqueue_due_notices, ticket.queue_id))
        if reason == CancelReason.STAFF:
            record_action(staff, "ticket_cancelled", ticket, {"number": ticket.display_number})
        write_visit_fact(ticket, Ending.CANCELLED)
        forget_sms_notice(ticket, now)
    return ticket


# Closing --------------------------------------------------------------------------------------


def close_queue_now(
    queue: Queue, reason: str, staff: Actor, now: dt.datetime | None = None
) -> QueueClosure:
    """Stop new numbers in ``queue`` for the rest of today; waiting citizens stay in line.

    Closing it again replaces the reason. Returns the closure. Raises
    django.core.exceptions.ValidationError (code "cpr") when ``reason`` holds a CPR number.
    """
    validate_no_cpr(reason)
    now = resolve_now(now)
    with transaction.atomic():
        closure, _created = QueueClosure.objects.update_or_create(
            queue=queue, date=local_date(now), defaults={"reason": reason, "closed_by": staff}
        )
        record_event(
            EventKind.QUEUE_CLOSED,
            location_id=queue.location_id,
            at=now,
            queue_id=queue.pk,
            staff=staff,
            data={"reason": reason},
        )
        record_action(staff, "queue_closed", queue, {"date": closure.date, "reason": reason})
    return closure


def close_days_before(day: dt.date, now: dt.datetime | None = None) -> int:
    """End every visit from before ``day`` still open as cancelled with reason `closed`.

    Returns how many were closed. Run by the worker after each local midnight.
    """
    now = resolve_now(now)
    closed = 0
    open_tickets = Ticket.objects.filter(issue_date__lt=day).exclude(
        status__in=[TicketStatus.FINISHED, TicketStatus.NO_SHOW, TicketStatus.CANCELLED]
    )
    for ticket in open_tickets.iterator():
        try:
            cancel(ticket, CancelReason.CLOSED, now=now)
        except IllegalTransition:
            continue  # It ended meanwhile; nothing to close.
        closed += 1
    return closed


def save_note(ticket: Ticket, staff: Actor, text: str) -> Ticket:
    """Replace the staff note of the ticket at ``staff``'s counter; returns the ticket.

    A note is not a step of the visit, so it writes no event. Raises
    django.core.exceptions.ValidationError (code "cpr") for text holding a CPR number, NotYours
    when the ticket is at another employee's counter, IllegalTransition when at no counter.
    """
    validate_no_cpr(text)
    with transaction.atomic():
        if not move_ticket_if(ticket.pk, AT_COUNTER, staff, note=text):
            refuse(
                ticket,
                AT_COUNTER,
                staff,
                IllegalTransition(
                    "not_at_counter", _("Only a number at a counter can have a note.")
                ),
            )
    ticket.note = text
    return ticket
