"""What every change of a ticket writes: the conditional UPDATE that decides it, its event and the
ended visit's statistics row (DESIGN.md, Definitions).

Shared by the modules of skranke.queue.services. Side effects beyond these rows, such as the SMS
notices, are scheduled by the transition that causes them, where a reader sees them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NoReturn

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from skranke.lib.localtime import local_zone
from skranke.queue.errors import IllegalTransition, NotYours
from skranke.queue.models import (
    Actor,
    CounterSession,
    Ending,
    EventKind,
    Priority,
    Ticket,
    VisitFact,
)
from skranke.queue.services.events import record_event


def resolve_now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def reread(ticket: Ticket) -> None:
    """Read ``ticket`` back after its UPDATE, with what callers show of it (its service and
    counter), in one statement rather than one per relation afterwards."""
    ticket.refresh_from_db(from_queryset=Ticket.objects.select_related("service", "counter"))


def acted_on_by(staff: Actor) -> Q:
    """The tickets ``staff`` may act on (docs/permissions.md, "Who acts on a ticket").

    A ticket at a counter is acted on only by the employee in that counter's open session; one
    at no counter (waiting, parked, ended) by anyone whose capability allows the action. Used
    inside each transition's conditional UPDATE, so the rule and the state are decided together.
    """
    at_no_counter = Q(counter__isnull=True)
    if staff is None or not staff.is_authenticated:
        return at_no_counter
    own_counter = CounterSession.objects.filter(staff=staff, closed_at__isnull=True)
    return at_no_counter | Q(counter__in=own_counter.values("counter_id"))


def move_ticket_if(
    ticket_id: int,
    from_statuses: tuple[str, ...],
    staff: Actor,
    *,
    anywhere: bool = False,
    **changes: Any,
) -> bool:
    """Apply ``changes`` to one ticket if it is in one of ``from_statuses`` and ``staff`` may act
    on it, in one conditional UPDATE; True when it moved (this caller won the race).

    The UPDATE applies the rule of acted_on_by, unless ``anywhere`` (the end-of-day job, and
    calls, whose session the caller has checked already).
    """
    tickets = Ticket.objects.filter(pk=ticket_id, status__in=from_statuses)
    if not anywhere:
        tickets = tickets.filter(acted_on_by(staff))
    return tickets.update(**changes) == 1


def refuse(
    ticket: Ticket, from_statuses: tuple[str, ...], staff: Actor, refusal: IllegalTransition
) -> NoReturn:
    """Raise why a transition from ``from_statuses`` did not happen: NotYours when the ticket is
    in such a state but at another employee's counter, else ``refusal`` (its state is wrong)."""
    elsewhere = (
        Ticket.objects.filter(pk=ticket.pk, status__in=from_statuses)
        .exclude(acted_on_by(staff))
        .exists()
    )
    if elsewhere:
        raise NotYours(
            "not_your_counter",
            _("Number %(number)s is not at your counter.") % {"number": ticket.display_number},
        )
    raise refusal


def record_ticket_event(
    ticket: Ticket, kind: EventKind, staff: Actor, now: dt.datetime, **extra: Any
) -> None:
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
