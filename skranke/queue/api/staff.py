"""The number system's API for staff: counters, calls, what happens to a citizen at and after the
counter, issuing on a citizen's behalf and closing a queue, by session or token.

Refusals (an action the ticket's state does not allow, a busy counter, a number at someone
else's counter) answer 409 or 403 with `detail` and a stable `code`.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.errors import HttpError

from skranke.access.auth import STAFF
from skranke.access.permissions import Capability, check_capability
from skranke.catalogue.models import Queue, SubjectArea
from skranke.lib.localtime import local_date
from skranke.organisation.models import Counter, Location, Team
from skranke.queue import services
from skranke.queue.api.citizen import find_service
from skranke.queue.api.schemas import (
    STAFF_ERRORS,
    CallIn,
    CallOut,
    CloseQueueIn,
    FinishIn,
    OpenIn,
    QueueClosureOut,
    ResumeIn,
    SessionOut,
    StaffIssueIn,
    StaffTicketOut,
    TransferIn,
)
from skranke.queue.errors import IllegalTransition
from skranke.queue.models import (
    CancelReason,
    CounterSession,
    Priority,
    Source,
    Ticket,
)

router = Router(tags=["number system"])


def _staff_ticket_out(ticket: Ticket) -> StaffTicketOut:
    return StaffTicketOut(
        id=ticket.pk,
        number=ticket.display_number,
        queue=ticket.queue_id,
        service=ticket.service.display_name(),
        status=ticket.status,
        priority=ticket.priority,
        note=ticket.note,
        counter=ticket.counter.number if ticket.counter else None,
        waiting_since=ticket.waiting_since,
        recall_count=ticket.recall_count,
    )


def _counter(request: HttpRequest, counter_id: int) -> Counter:
    counter = get_object_or_404(Counter.objects.select_related("location"), pk=counter_id)
    check_capability(request, Capability.SERVE_AT_COUNTER, counter.location)
    return counter


def _my_counter_session(request: HttpRequest, counter_id: int) -> CounterSession:
    """Return the caller's open session at the counter (services.session_at).

    404 for an unknown counter and 403 for one at a centre the caller does not serve at, before
    anything is said of its session.
    """
    session = services.open_session(counter_id)
    if session is None:
        _counter(request, counter_id)
    else:
        check_capability(request, Capability.SERVE_AT_COUNTER, session.counter.location)
    return services.own_session(session, request.user)


def _session_out(session: CounterSession) -> SessionOut:
    return SessionOut(
        id=session.pk,
        counter=session.counter.number,
        staff=session.staff.get_username(),
        queues=sorted(queue.pk for queue in session.queues.all()),
        state=session.state,
        longest_waiting_first=session.longest_waiting_first,
        team=session.team.name if session.team is not None else None,
    )


def _staff_ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    ticket = get_object_or_404(
        Ticket.objects.select_related("location", "queue", "service", "counter"), pk=ticket_id
    )
    check_capability(request, Capability.SERVE_AT_COUNTER, ticket.location)
    return ticket


@router.post(
    "/counters/{counter_id}/open",
    auth=STAFF,
    response={200: SessionOut, **STAFF_ERRORS},
    summary="Open (or resume) a counter for the signed-in staff member",
)
def counter_open(request: HttpRequest, counter_id: int, payload: OpenIn) -> SessionOut:
    counter = _counter(request, counter_id)
    queues = None
    if payload.queues is not None:
        queues = list(Queue.objects.filter(pk__in=payload.queues, location=counter.location))
        if len(queues) != len(set(payload.queues)):
            raise HttpError(404, _("No such queue at this centre."))
    team = None
    if payload.team is not None:
        team = Team.objects.filter(pk=payload.team).first()
        if team is None:
            raise HttpError(404, _("No such team."))
    session = services.open_counter(
        counter,
        request.user,
        queues,
        team=team,
        longest_waiting_first=payload.longest_waiting_first,
    )
    return _session_out(session)


@router.post(
    "/counters/{counter_id}/pause",
    auth=STAFF,
    response={200: SessionOut, **STAFF_ERRORS},
    summary="Pause the counter: it calls nobody until resumed",
)
def counter_pause(request: HttpRequest, counter_id: int) -> SessionOut:
    session = _my_counter_session(request, counter_id)
    return _session_out(services.pause_counter(session, request.user))


@router.post(
    "/counters/{counter_id}/resume",
    auth=STAFF,
    response={200: SessionOut, **STAFF_ERRORS},
    summary="Resume a paused counter",
)
def counter_resume(request: HttpRequest, counter_id: int) -> SessionOut:
    session = _my_counter_session(request, counter_id)
    return _session_out(services.resume_counter(session, request.user))


@router.post(
    "/counters/{counter_id}/close",
    auth=STAFF,
    response={200: SessionOut, **STAFF_ERRORS},
    summary="Close the counter",
)
def counter_close(request: HttpRequest, counter_id: int) -> SessionOut:
    session = _my_counter_session(request, counter_id)
    return _session_out(services.close_counter(session, request.user))


@router.post(
    "/counters/{counter_id}/close-abandoned",
    auth=STAFF,
    response={200: SessionOut, **STAFF_ERRORS},
    summary="Team lead: close a colleague's abandoned counter session; a citizen at it is parked",
)
def counter_close_abandoned(request: HttpRequest, counter_id: int) -> SessionOut:
    counter = get_object_or_404(Counter.objects.select_related("location"), pk=counter_id)
    check_capability(request, Capability.MANAGE_QUEUES, counter.location)
    session = services.open_session(counter)
    if session is None:
        raise IllegalTransition("not_open", _("The counter is not open."))
    return _session_out(services.close_abandoned_session(session, request.user))


@router.post(
    "/counters/{counter_id}/call-next",
    auth=STAFF,
    response={200: CallOut, **STAFF_ERRORS},
    summary="Call the next citizen by the priority rules; `ticket` is null when nobody waits",
)
def counter_call_next(request: HttpRequest, counter_id: int) -> CallOut:
    session = _my_counter_session(request, counter_id)
    ticket = services.call_next(session, request.user)
    return CallOut(ticket=_staff_ticket_out(ticket) if ticket else None)


@router.post(
    "/counters/{counter_id}/call",
    auth=STAFF,
    response={200: StaffTicketOut, **STAFF_ERRORS},
    summary="Call a specific number of today, e.g. P012 (also resumes a parked one)",
)
def counter_call(request: HttpRequest, counter_id: int, payload: CallIn) -> StaffTicketOut:
    session = _my_counter_session(request, counter_id)
    ticket = services.find_ticket(
        session.counter.location, payload.number.strip(), local_date(timezone.now())
    )
    if ticket is None:
        raise HttpError(404, _("No number %(number)s today.") % {"number": payload.number})
    return _staff_ticket_out(services.call_ticket(session, ticket, request.user))


def _ticket_action(summary: str, path: str) -> Any:
    return router.post(
        f"/tickets/{{ticket_id}}/{path}",
        auth=STAFF,
        response={200: StaffTicketOut, **STAFF_ERRORS},
        summary=summary,
    )


@_ticket_action("Show the called number again on the display", "recall")
def ticket_recall(request: HttpRequest, ticket_id: int) -> StaffTicketOut:
    return _staff_ticket_out(services.recall(_staff_ticket(request, ticket_id), request.user))


@_ticket_action("The citizen has come to the counter", "serve")
def ticket_serve(request: HttpRequest, ticket_id: int) -> StaffTicketOut:
    ticket = _staff_ticket(request, ticket_id)
    return _staff_ticket_out(services.start_serving(ticket, request.user))


@_ticket_action("The called citizen did not come", "no-show")
def ticket_no_show(request: HttpRequest, ticket_id: int) -> StaffTicketOut:
    ticket = _staff_ticket(request, ticket_id)
    return _staff_ticket_out(services.mark_no_show(ticket, request.user))


@_ticket_action("Put today's no-show back in line", "reinstate")
def ticket_reinstate(request: HttpRequest, ticket_id: int) -> StaffTicketOut:
    ticket = _staff_ticket(request, ticket_id)
    return _staff_ticket_out(services.reinstate(ticket, request.user))


@_ticket_action("Set the citizen aside; the counter is free for the next one", "park")
def ticket_park(request: HttpRequest, ticket_id: int) -> StaffTicketOut:
    return _staff_ticket_out(services.park(_staff_ticket(request, ticket_id), request.user))


@_ticket_action("Call a parked citizen back to a counter", "resume")
def ticket_resume(request: HttpRequest, ticket_id: int, payload: ResumeIn) -> StaffTicketOut:
    ticket = _staff_ticket(request, ticket_id)
    session = _my_counter_session(request, payload.counter)
    return _staff_ticket_out(services.resume_parked_ticket(ticket, session, request.user))


@_ticket_action("Send the citizen to wait in another queue, keeping their place", "transfer")
def ticket_transfer(request: HttpRequest, ticket_id: int, payload: TransferIn) -> StaffTicketOut:
    ticket = _staff_ticket(request, ticket_id)
    queue = get_object_or_404(Queue, pk=payload.queue, location=ticket.location)
    return _staff_ticket_out(services.transfer(ticket, queue, request.user))


@_ticket_action("End the visit with subject area and outcome", "finish")
def ticket_finish(request: HttpRequest, ticket_id: int, payload: FinishIn) -> StaffTicketOut:
    ticket = _staff_ticket(request, ticket_id)
    area = None
    if payload.subject_area is not None:
        area = get_object_or_404(SubjectArea, pk=payload.subject_area)
    done = services.finish(
        ticket,
        request.user,
        outcome=payload.outcome,
        subject_area=area,
        referred_to=payload.referred_to or "",
    )
    return _staff_ticket_out(done)


# Not ".../cancel": that path is the citizen's POST /tickets/{token}/cancel, which would answer
# every staff cancel (Django matches the first pattern, and both segments are plain strings).
@_ticket_action("Cancel the visit (staff)", "staff-cancel")
def ticket_staff_cancel(request: HttpRequest, ticket_id: int) -> StaffTicketOut:
    ticket = _staff_ticket(request, ticket_id)
    return _staff_ticket_out(services.cancel(ticket, CancelReason.STAFF, request.user))


@router.post(
    "/staff/tickets",
    auth=STAFF,
    response={201: StaffTicketOut, **STAFF_ERRORS},
    summary="Issue a number on a citizen's behalf (floor guide), optionally urgent with a note",
)
def issue_for_citizen(request: HttpRequest, payload: StaffIssueIn) -> Status[StaffTicketOut]:
    location = get_object_or_404(Location, slug=payload.location, active=True)
    check_capability(request, Capability.ISSUE_TICKET_FOR_CITIZEN, location)
    if payload.urgent:
        check_capability(request, Capability.MANAGE_QUEUES, location)
    ticket = services.issue_ticket(
        location,
        find_service(payload.service),
        source=Source.FLOOR_GUIDE,
        priority=Priority.URGENT if payload.urgent else Priority.NORMAL,
        note=payload.note,
        staff=request.user,
    )
    return Status(201, _staff_ticket_out(ticket))


@router.post(
    "/queues/{queue_id}/close",
    auth=STAFF,
    response={200: QueueClosureOut, **STAFF_ERRORS},
    summary="Close a queue for new numbers for the rest of today, with a reason for citizens",
)
def queue_close(request: HttpRequest, queue_id: int, payload: CloseQueueIn) -> QueueClosureOut:
    queue = get_object_or_404(Queue.objects.select_related("location"), pk=queue_id)
    check_capability(request, Capability.MANAGE_QUEUES, queue.location)
    closure = services.close_queue_now(queue, payload.reason, request.user)
    return QueueClosureOut(
        queue=queue.pk,
        date=closure.date,
        reason=closure.reason,
        detail=_("The queue is closed for new numbers today."),
    )
