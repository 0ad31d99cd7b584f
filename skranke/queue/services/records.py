"""What every change of a ticket writes: the conditional UPDATE that decides it, its event and the
ended visit's statistics row (DESIGN.md, Definitions).

Shared by the modules of skranke.queue.services. Side effects beyond these rows, such as the SMS
notices, are scheduled by the transition that causes them, where a reader sees them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NoReturn

from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from skranke.catalogue.models import QueueKind
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
    counter), the session whose team its visit record names and the queue whose kind the next
    leg's end reads, in one statement rather than one per relation afterwards."""
    ticket.refresh_from_db(
        from_queryset=Ticket.objects.select_related("service", "counter", "session", "queue")
    )


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


def end_leg(ticket: Ticket, now: dt.datetime) -> dict[str, Any]:
    """Return what ending ``ticket``'s time at a counter sets: the leg's seconds added to its
    service time, and to the back-office part when it was served from a back-office queue."""
    seconds = leg_seconds(ticket, now)
    values: dict[str, Any] = {
        "service_seconds": F("service_seconds") + seconds,
        "leg_started_at": None,
    }
    if seconds and ticket.queue.kind == QueueKind.BACK:
        values["back_office_service_seconds"] = F("back_office_service_seconds") + seconds
    return values


# Visit facts ----------------------------------------------------------------------------------


def write_visit_fact(ticket: Ticket, ending: Ending) -> VisitFact:
    """Write the statistics row of an ended visit (DESIGN.md, Definitions: wait, service time,
    ending, team).

    The team is the one recorded on the counter session that called the visit last, which is
    the session that finished it (or marked it a no-show); a visit never called has none.
    """
    assert ticket.ended_at is not None, "a visit record is written as the visit ends"
    wait = None
    # DESIGN.md: the wait is over called visits that were served or did not show up; one
    # cancelled after its call keeps its first call but has no wait.
    if ticket.first_called_at is not None and ending != Ending.CANCELLED:
        wait = max(0, int((ticket.first_called_at - ticket.waiting_since).total_seconds()))
    zone = local_zone()
    issued_local = ticket.issued_at.astimezone(zone)
    served = ending == Ending.SERVED
    back_office = ticket.back_office_service_seconds
    team_id = ticket.session.team_id if ticket.session is not None else None
    fact = VisitFact.objects.create(
        ticket=ticket,
        source=ticket.source,
        location_id=ticket.location_id,
        first_queue_id=ticket.first_queue_id,
        served_queue_id=ticket.queue_id,
        subject_area_id=ticket.subject_area_id or ticket.service.subject_area_id,
        service_id=ticket.service_id,
        issued_at=ticket.issued_at,
        issue_date=ticket.issue_date,
        issue_hour=issued_local.hour,
        issue_weekday=issued_local.weekday(),
        first_called_at=ticket.first_called_at,
        first_call_hour=(
            ticket.first_called_at.astimezone(zone).hour if ticket.first_called_at else None
        ),
        ended_at=ticket.ended_at,
        wait_seconds=wait,
        service_seconds=ticket.service_seconds if served else None,
        front_service_seconds=ticket.service_seconds - back_office if served else None,
        back_office_service_seconds=back_office if served else None,
        back_office_wait_seconds=(
            ticket.back_office_wait_seconds if ticket.back_office_wait_seconds else None
        ),
        outcome=ticket.outcome,
        referred_to=ticket.referred_to,
        ending=ending,
        cancel_reason=ticket.cancel_reason,
        is_appointment=ticket.priority == Priority.APPOINTMENT,
        transferred=ticket.transfers > 0,
        counter_id=ticket.last_counter_id,
        team_id=team_id,
        staff_id=ticket.served_by_id,
    )
    return fact
