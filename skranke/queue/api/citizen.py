"""The number system's API for citizens and screens: drawing a number, a citizen's number by its
unguessable token, a centre's live status, and the live streams.

Refusals (closed centre, cut-off, quota, closed queue, an action the ticket's state does not
allow) answer 409 with `detail` and a stable `code`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.errors import HttpError

from skranke.access.auth import STAFF
from skranke.access.models import DevicePurpose
from skranke.catalogue.models import Service
from skranke.lib.ids import parse_id
from skranke.organisation.models import Location
from skranke.queue import services
from skranke.queue.api.schemas import (
    CitizenTicketOut,
    ErrorOut,
    InputErrorOut,
    IssueIn,
    RefusalOut,
    Text,
    TicketOut,
)
from skranke.queue.live import streams
from skranke.queue.models import (
    CancelReason,
    Source,
    Ticket,
)
from skranke.queue.reads.estimates import estimate_for_ticket
from skranke.queue.reads.status import LocationState, current_location_status

router = Router(tags=["number system"])


def find_service(identifier: str) -> Service:
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


def ticket_out(request: HttpRequest, ticket: Ticket) -> TicketOut:
    """Return a drawn number as the kiosk sees it (also answered by check-in)."""
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


def _source(request: HttpRequest) -> Source:
    device = getattr(request, "device", None)
    return (
        Source.KIOSK
        if device is not None and device.purpose == DevicePurpose.KIOSK
        else Source.MOBILE
    )


# Citizens ---------------------------------------------------------------------------------------


@router.post(
    "/tickets",
    response={201: TicketOut, 404: ErrorOut, 409: RefusalOut, 422: InputErrorOut, 429: ErrorOut},
    summary="Draw a number for a service at a centre",
)
def draw_number(request: HttpRequest, payload: IssueIn) -> Status[TicketOut]:
    location = get_object_or_404(Location, slug=payload.location, active=True)
    ticket = services.issue_ticket(location, find_service(payload.service), source=_source(request))
    return Status(201, ticket_out(request, ticket))


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
# Server-sent events (skranke.queue.live.streams): plain streaming responses, so the 200 answer is
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
