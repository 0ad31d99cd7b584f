"""The number system's JSON API: citizens by unguessable token, staff by session or token.

Refusals (closed centre, cut-off, quota, closed queue, an action the ticket's state does not
allow, a busy counter) answer 409 with `detail` and a stable `code`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import StringConstraints

from skranke.access.auth import STAFF
from skranke.access.permissions import Capability, check_capability
from skranke.catalogue.models import Queue, Service, SubjectArea
from skranke.lib.ids import parse_id
from skranke.lib.localtime import local_date
from skranke.lib.validators import NoCprStr
from skranke.organisation.models import Counter, Location
from skranke.queue import services, streams
from skranke.queue.errors import IllegalTransition
from skranke.queue.estimates import estimate_for_ticket
from skranke.queue.models import (
    CancelReason,
    CounterSession,
    Outcome,
    Priority,
    ReferredTo,
    Source,
    Ticket,
)
from skranke.queue.status import LocationState, current_location_status

router = Router(tags=["number system"])


class ErrorOut(Schema):
    detail: str


class InputErrorOut(Schema):
    """422: what in the path or body is wrong, one entry (loc, msg, type) per problem."""

    detail: list[dict[str, Any]]


class RefusalOut(Schema):
    detail: str
    code: str
    next_opening: dt.datetime | None = None


# PostgreSQL cannot store or even look up text holding the NUL character (SQLite can), so text
# taken in, from the path or the body, refuses it: a 422 rather than a database error.
NO_NUL = r"^[^\x00]*$"
Text = Annotated[str, StringConstraints(pattern=NO_NUL)]


class IssueIn(Schema):
    location: Text
    service: Text


class TicketOut(Schema):
    id: int
    number: str
    queue: str
    status: str
    position: int | None
    expected_wait_minutes: int | None
    counter: int | None
    ticket_url: str
    token: str


class CitizenTicketOut(Schema):
    number: str
    queue: str
    location: str
    status: str
    position: int | None
    expected_wait_minutes: int | None
    counter: int | None
    sms_notice: bool = Field(
        description="Whether the citizen left a phone number for the SMS notice (never the number)"
    )


class StaffTicketOut(Schema):
    id: int
    number: str
    queue: int
    service: str
    status: str
    priority: str
    note: str
    counter: int | None
    waiting_since: dt.datetime
    recall_count: int


class CallOut(Schema):
    ticket: StaffTicketOut | None


class SessionOut(Schema):
    id: int
    counter: int
    staff: str
    queues: list[int]
    state: str
    longest_waiting_first: bool


class OpenIn(Schema):
    queues: list[int] | None = None
    longest_waiting_first: bool = True


class CallIn(Schema):
    number: Text


class TransferIn(Schema):
    queue: int


class ResumeIn(Schema):
    counter: int


class FinishIn(Schema):
    outcome: Outcome
    subject_area: int | None = None
    referred_to: ReferredTo | None = None


class CancelIn(Schema):
    pass


# Free text is limited to its column's length (200), so a longer text is a 422, not a database
# error (PostgreSQL refuses it; SQLite would store it).
class CloseQueueIn(Schema):
    reason: NoCprStr = Field(min_length=1, max_length=200, pattern=NO_NUL)


class StaffIssueIn(Schema):
    location: Text
    service: Text
    urgent: bool = False
    note: NoCprStr = Field("", max_length=200, pattern=NO_NUL)


STAFF_ERRORS: dict[int, Any] = {
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: RefusalOut,
    422: InputErrorOut,
}


def _service(identifier: str) -> Service:
    lookup = Q(slug=identifier)
    pk = parse_id(identifier)
    if pk is not None:
        lookup |= Q(pk=pk)
    service = Service.objects.filter(lookup, active=True).select_related("subject_area").first()
    if service is None:
        raise Http404(_("No such service."))
    return service


def _ticket_url(request: HttpRequest, ticket: Ticket) -> str:
    return request.build_absolute_uri(reverse("api:ticket", args=[ticket.token]))


def _ticket_out(request: HttpRequest, ticket: Ticket) -> TicketOut:
    estimate = estimate_for_ticket(ticket)
    return TicketOut(
        id=ticket.pk,
        number=ticket.display_number,
        queue=ticket.queue.display_name(),
        status=ticket.status,
        position=estimate.position,
        expected_wait_minutes=estimate.expected_wait_minutes,
        counter=ticket.counter.number if ticket.counter else None,
        ticket_url=_ticket_url(request, ticket),
        token=ticket.token,
    )


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


def _source(request: HttpRequest) -> Source:
    device = getattr(request, "device", None)
    return Source.KIOSK if device is not None and device.purpose == "kiosk" else Source.MOBILE


# Citizens ---------------------------------------------------------------------------------------


@router.post(
    "/tickets",
    response={201: TicketOut, 404: ErrorOut, 409: RefusalOut, 422: InputErrorOut, 429: ErrorOut},
    summary="Draw a number for a service at a centre",
)
def draw_number(request: HttpRequest, payload: IssueIn) -> Status[TicketOut]:
    location = get_object_or_404(Location, slug=payload.location, active=True)
    ticket = services.issue_ticket(location, _service(payload.service), source=_source(request))
    return Status(201, _ticket_out(request, ticket))


def _citizen_ticket(token: str) -> Ticket:
    return get_object_or_404(
        Ticket.objects.select_related("queue", "counter", "location"), token=token
    )


@router.get(
    "/tickets/{token}",
    response={200: CitizenTicketOut, 404: ErrorOut, 422: InputErrorOut, 429: ErrorOut},
    url_name="ticket",
    summary="A citizen's number: place in line, expected wait, counter when called",
)
def ticket_status(request: HttpRequest, token: Text) -> CitizenTicketOut:
    return citizen_ticket_out(_citizen_ticket(token))


def citizen_ticket_out(ticket: Ticket) -> CitizenTicketOut:
    """Return what a citizen sees of their ticket (also sent by its live stream)."""
    estimate = estimate_for_ticket(ticket)
    return CitizenTicketOut(
        number=ticket.display_number,
        queue=ticket.queue.display_name(),
        location=ticket.location.slug,
        status=ticket.status,
        position=estimate.position,
        expected_wait_minutes=estimate.expected_wait_minutes,
        counter=ticket.counter.number if ticket.counter else None,
        sms_notice=bool(ticket.notify_phone),
    )


@router.post(
    "/tickets/{token}/cancel",
    response={
        200: CitizenTicketOut,
        404: ErrorOut,
        409: RefusalOut,
        422: InputErrorOut,
        429: ErrorOut,
    },
    summary="The citizen gives up their number",
)
def cancel_by_citizen(request: HttpRequest, token: Text) -> CitizenTicketOut:
    services.cancel(_citizen_ticket(token), CancelReason.CITIZEN)
    return ticket_status(request, token)


@router.get(
    "/locations/{slug}/status",
    response={200: LocationState, 404: ErrorOut, 422: InputErrorOut, 429: ErrorOut},
    url_name="location-status",
    summary="Queues, waiting counts, expected waits, open counters and recent calls",
)
def status(request: HttpRequest, slug: Text) -> LocationState:
    return current_location_status(get_object_or_404(Location, slug=slug, active=True))


# Live streams -----------------------------------------------------------------------------------
# Server-sent events (skranke.queue.streams): plain streaming responses, so the 200 answer is
# described here by hand; the anonymous rate limit counts each connection like any request.

_EVENT_STREAM: dict[str, Any] = {
    "responses": {
        200: {
            "description": "text/event-stream: `retry`, a `snapshot`, then events (`id:` is the "
            "event id, `event:` its kind, `data:` JSON) and `: keepalive` comments; reconnect "
            "with `Last-Event-ID` (or `?last_event_id=`) to get exactly the events missed.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    }
}
STREAM_ERRORS: dict[int, Any] = {404: ErrorOut, 429: ErrorOut, 503: ErrorOut}


@router.get(
    "/locations/{slug}/events",
    response=STREAM_ERRORS,
    summary="Live events at a centre for displays, kiosks and counters (server-sent events)",
    openapi_extra=_EVENT_STREAM,
)
async def location_events(request: HttpRequest, slug: str) -> HttpResponseBase:
    try:
        return await streams.location_stream(request, slug)
    except streams.LiveUpdatesUnavailable as error:
        raise HttpError(503, str(error)) from None


@router.get(
    "/tickets/{token}/events",
    response=STREAM_ERRORS,
    summary="A citizen's number live: its own events and its place in line (server-sent events)",
    openapi_extra=_EVENT_STREAM,
)
async def ticket_events(request: HttpRequest, token: str) -> HttpResponseBase:
    try:
        return await streams.ticket_stream(request, token, citizen_ticket_out)
    except streams.LiveUpdatesUnavailable as error:
        raise HttpError(503, str(error)) from None


@router.get(
    "/locations/{slug}/staff-events",
    auth=STAFF,
    response={401: ErrorOut, 403: ErrorOut, **STREAM_ERRORS},
    summary="Live events at a centre with outcomes and staff, for the live floor "
    "(server-sent events)",
    openapi_extra=_EVENT_STREAM,
)
async def location_staff_events(request: HttpRequest, slug: str) -> HttpResponseBase:
    try:
        return await streams.staff_location_stream(request, slug)
    except streams.LiveUpdatesUnavailable as error:
        raise HttpError(503, str(error)) from None


# Staff ------------------------------------------------------------------------------------------


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
    state = "closed" if session.closed_at else ("paused" if session.paused_at else "open")
    return SessionOut(
        id=session.pk,
        counter=session.counter.number,
        staff=session.staff.get_username(),
        queues=sorted(queue.pk for queue in session.queues.all()),
        state=state,
        longest_waiting_first=session.longest_waiting_first,
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
def open_counter(request: HttpRequest, counter_id: int, payload: OpenIn) -> SessionOut:
    counter = _counter(request, counter_id)
    queues = None
    if payload.queues is not None:
        queues = list(Queue.objects.filter(pk__in=payload.queues, location=counter.location))
        if len(queues) != len(set(payload.queues)):
            raise HttpError(404, _("No such queue at this centre."))
    session = services.open_counter(
        counter, request.user, queues, longest_waiting_first=payload.longest_waiting_first
    )
    return _session_out(session)


@router.post(
    "/counters/{counter_id}/pause",
    auth=STAFF,
    response={200: SessionOut, **STAFF_ERRORS},
    summary="Pause the counter: it calls nobody until resumed",
)
def pause_counter(request: HttpRequest, counter_id: int) -> SessionOut:
    session = _my_counter_session(request, counter_id)
    return _session_out(services.pause_counter(session, request.user))


@router.post(
    "/counters/{counter_id}/resume",
    auth=STAFF,
    response={200: SessionOut, **STAFF_ERRORS},
    summary="Resume a paused counter",
)
def resume_counter(request: HttpRequest, counter_id: int) -> SessionOut:
    session = _my_counter_session(request, counter_id)
    return _session_out(services.resume_counter(session, request.user))


@router.post(
    "/counters/{counter_id}/close",
    auth=STAFF,
    response={200: SessionOut, **STAFF_ERRORS},
    summary="Close the counter",
)
def close_counter(request: HttpRequest, counter_id: int) -> SessionOut:
    session = _my_counter_session(request, counter_id)
    return _session_out(services.close_counter(session, request.user))


@router.post(
    "/counters/{counter_id}/close-abandoned",
    auth=STAFF,
    response={200: SessionOut, **STAFF_ERRORS},
    summary="Team lead: close a colleague's abandoned counter session; a citizen at it is parked",
)
def close_abandoned_session(request: HttpRequest, counter_id: int) -> SessionOut:
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
def call_next(request: HttpRequest, counter_id: int) -> CallOut:
    session = _my_counter_session(request, counter_id)
    ticket = services.call_next(session, request.user)
    return CallOut(ticket=_staff_ticket_out(ticket) if ticket else None)


@router.post(
    "/counters/{counter_id}/call",
    auth=STAFF,
    response={200: StaffTicketOut, **STAFF_ERRORS},
    summary="Call a specific number of today, e.g. P012 (also resumes a parked one)",
)
def call_number(request: HttpRequest, counter_id: int, payload: CallIn) -> StaffTicketOut:
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
def recall(request: HttpRequest, ticket_id: int) -> StaffTicketOut:
    return _staff_ticket_out(services.recall(_staff_ticket(request, ticket_id), request.user))


@_ticket_action("The citizen has come to the counter", "serve")
def serve(request: HttpRequest, ticket_id: int) -> StaffTicketOut:
    ticket = _staff_ticket(request, ticket_id)
    return _staff_ticket_out(services.start_serving(ticket, request.user))


@_ticket_action("The called citizen did not come", "no-show")
def no_show(request: HttpRequest, ticket_id: int) -> StaffTicketOut:
    ticket = _staff_ticket(request, ticket_id)
    return _staff_ticket_out(services.mark_no_show(ticket, request.user))


@_ticket_action("Put today's no-show back in line", "reinstate")
def reinstate(request: HttpRequest, ticket_id: int) -> StaffTicketOut:
    ticket = _staff_ticket(request, ticket_id)
    return _staff_ticket_out(services.reinstate(ticket, request.user))


@_ticket_action("Set the citizen aside; the counter is free for the next one", "park")
def park(request: HttpRequest, ticket_id: int) -> StaffTicketOut:
    return _staff_ticket_out(services.park(_staff_ticket(request, ticket_id), request.user))


@_ticket_action("Call a parked citizen back to a counter", "resume")
def resume(request: HttpRequest, ticket_id: int, payload: ResumeIn) -> StaffTicketOut:
    ticket = _staff_ticket(request, ticket_id)
    session = _my_counter_session(request, payload.counter)
    return _staff_ticket_out(services.resume(ticket, session, request.user))


@_ticket_action("Send the citizen to wait in another queue, keeping their place", "transfer")
def transfer(request: HttpRequest, ticket_id: int, payload: TransferIn) -> StaffTicketOut:
    ticket = _staff_ticket(request, ticket_id)
    queue = get_object_or_404(Queue, pk=payload.queue, location=ticket.location)
    return _staff_ticket_out(services.transfer(ticket, queue, request.user))


@_ticket_action("End the visit with subject area and outcome", "finish")
def finish(request: HttpRequest, ticket_id: int, payload: FinishIn) -> StaffTicketOut:
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
def cancel_by_staff(request: HttpRequest, ticket_id: int) -> StaffTicketOut:
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
        _service(payload.service),
        source=Source.FLOOR_GUIDE,
        priority=Priority.URGENT if payload.urgent else Priority.NORMAL,
        note=payload.note,
        staff=request.user,
    )
    return Status(201, _staff_ticket_out(ticket))


@router.post(
    "/queues/{queue_id}/close",
    auth=STAFF,
    response={200: ErrorOut, **STAFF_ERRORS},
    summary="Close a queue for new numbers for the rest of today, with a reason for citizens",
)
def close_queue(request: HttpRequest, queue_id: int, payload: CloseQueueIn) -> ErrorOut:
    queue = get_object_or_404(Queue.objects.select_related("location"), pk=queue_id)
    check_capability(request, Capability.MANAGE_QUEUES, queue.location)
    services.close_queue_now(queue, payload.reason, request.user)
    return ErrorOut(detail=_("The queue is closed for new numbers today."))
