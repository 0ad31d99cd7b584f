"""Live streams (server-sent events) for displays, kiosks, counters, citizens' phones and staff.

Three streams, each reading its events from this process's hub (skranke.queue.live.hub) and wired
into the API in skranke.queue.api:

- `GET /api/v1/locations/{slug}/events`, public: what a waiting-room screen shows. Calls and
  counter and queue changes as they are, every other event as a bare `changed` (which queue's
  waiting count moved, no number): `HubEvent.public_message` has the exact rules.
- `GET /api/v1/tickets/{token}/events`, for the citizen holding the token: their own ticket's
  events, whole but without staff (`HubEvent.ticket_message`), and after anything that may move
  it in line (a call, a cancel, a counter opening …) a `ticket` message with its state, only when
  that state changed; it never carries other citizens' events.
- `GET /api/v1/locations/{slug}/staff-events` (staff_location_stream), for staff who may watch the
  live floor (Capability.VIEW_LIVE_FLOOR at that centre): every event whole, plus `staff`, the
  username of whoever caused it (`HubEvent.staff_message`), and the staff-only events the other
  two never carry (a device heard from again, `device_back`). Access is checked when the stream
  opens, and the stream ends after STAFF_STREAM_SECONDS, so that the reconnect (which browsers
  make by themselves, resuming exactly) checks it again: a staff member signed out or moved to
  another centre stops receiving within minutes, not when they close the page.

What a client receives, in this order:

1. `retry: 2000` (reconnect after 2 s when the connection drops).
2. A `snapshot` whose `id:` is the hub's position N: every event up to N is reflected in it, and
   every event after N follows (the snapshot, read a moment later, may already show the first
   of them; clients apply events idempotently). Location (public and staff alike): the centre's
   state as GET .../status has it (skranke.queue.reads.status, waiting-room data only), with
   `last_event_id` = N. Ticket: as GET /api/v1/tickets/{token} has it.
3. The events after N, in id order, each as `id: <event id>`, `event: <kind>` and JSON `data:`.
4. A `: keepalive` comment every SKRANKE_STREAM_HEARTBEAT_SECONDS when nothing else is sent.

Resuming: a reconnect with `Last-Event-ID: M` (browsers send it themselves; a page that makes a
new EventSource passes `?last_event_id=M`) gets no snapshot but exactly the events after M, read
once from the table and then live, so nothing is missed or sent twice. The ticket stream adds a
`ticket` message when something in that time may have moved it. Only the current local day is
replayed (Europe/Copenhagen, skranke.lib.localtime): when M is from an earlier day, the stream
sends a fresh snapshot instead, so an old id cannot page back through past days' events. So does
an id from the future (a database restored since) and one more than REPLAY_LIMIT events back.

A stream holds no database connection while it waits: its reads run in the request's thread,
which closes the connection (returning it to the pool) as soon as each read is done.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError, connections
from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import BaseModel, TypeAdapter

from skranke.access.permissions import Capability, check_capability
from skranke.lib.ids import parse_id
from skranke.lib.localtime import local_date, start_of_local_day
from skranke.organisation.models import Location
from skranke.queue.live.hub import (
    ROW_FIELDS,
    EventHub,
    EventRow,
    HubEvent,
    HubUnavailable,
    encode_message,
    event_rows,
    get_hub,
)
from skranke.queue.models import STAFF_ONLY_KINDS, EventKind, Ticket, TicketEvent, TicketStatus
from skranke.queue.reads.status import LocationState, location_status

logger = logging.getLogger(__name__)

# Browsers wait about 3 s before reconnecting; 2 s brings a display back sooner after a restart.
RETRY_MILLISECONDS = 2000
# A client further behind than this gets a new snapshot instead of a replay.
REPLAY_LIMIT = 1000
HEARTBEAT = b": keepalive\n\n"
# A staff stream ends after this long; the browser reconnects, resumes, and is checked again.
STAFF_STREAM_SECONDS = 300.0
# Where an event row (hub.ROW_FIELDS) holds the event's time.
_AT = ROW_FIELDS.index("at")

# Events that change whether a counter is free or open, which moves the expected wait of every
# queue the counter serves (estimates.py), beside those in the ticket's own queue.
_COUNTER_CHANGES = frozenset(
    {
        EventKind.CALLED,
        EventKind.RESUMED,
        EventKind.PARKED,
        EventKind.TRANSFERRED,
        EventKind.NO_SHOW,
        EventKind.CANCELLED,
        EventKind.FINISHED,
        EventKind.COUNTER_OPENED,
        EventKind.COUNTER_PAUSED,
        EventKind.COUNTER_RESUMED,
        EventKind.COUNTER_CLOSED,
    }
)

_LOCATION_STATE = TypeAdapter(LocationState)

Params = ParamSpec("Params")
Result = TypeVar("Result")


class LiveUpdatesUnavailable(Exception):
    """Live updates cannot be served right now (shutting down, or the database is away)."""


# Database work ----------------------------------------------------------------------------------


def _release_connections() -> None:
    # Django closes a request's connections when the response ends, which for a stream may be
    # hours away; this thread's connection goes back to the pool now.
    connections.close_all()


def database_read(
    function: Callable[Params, Result],
) -> Callable[Params, Coroutine[Any, Any, Result]]:
    """Wrap a sync ORM function for a stream: it runs in a thread of the shared pool, not the
    request's own (which skranke.asgi ends once the stream starts, so that an open stream keeps
    no thread), and closes that thread's connections afterwards.

    The wrapped function is awaited like the original called.
    """

    @functools.wraps(function)
    def run_and_release(*args: Params.args, **kwargs: Params.kwargs) -> Result:
        try:
            return function(*args, **kwargs)
        finally:
            _release_connections()

    return sync_to_async(run_and_release, thread_sensitive=False)


@database_read
def _location_id(slug: str) -> int | None:
    return Location.objects.filter(slug=slug, active=True).values_list("id", flat=True).first()


@database_read
def _ticket_ids(token: str) -> tuple[int, int] | None:
    return Ticket.objects.filter(token=token).values_list("id", "location_id").first()


@database_read
def _location_snapshot(location_id: int, since: int) -> dict[str, Any] | None:
    location = Location.objects.filter(pk=location_id, active=True).first()
    if location is None:
        return None  # Deleted or taken out of use since the stream was asked for.
    state = location_status(location)
    # The state is at least as new as `since`; the stream goes on from there.
    snapshot: dict[str, Any] = _LOCATION_STATE.dump_python(
        dataclasses.replace(state, last_event_id=since), mode="json"
    )
    return snapshot


@database_read
def _replay_rows(location_id: int, after: int, upto: int) -> list[EventRow] | None:
    """Return the location's events in (after, upto], or None when a snapshot must do.

    None when ``after`` is from an earlier local day than today (or precedes every stored
    event), is an id this database never gave out, or lies more than REPLAY_LIMIT events back.
    """
    newest = TicketEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    if after > newest:
        return None  # An id this database never gave out: it was restored or reset since.
    day_start = start_of_local_day(local_date(timezone.now()))
    # When the client's last event happened, by the newest event at or before it (at any
    # centre, as ids are shared; the id itself may have been a rolled-back gap). One read down
    # the primary key, and before today it means a snapshot, however few events came since.
    resumed_at = (
        TicketEvent.objects.filter(id__lte=after)
        .order_by("-id")
        .values_list("at", flat=True)
        .first()
    )
    if resumed_at is None or resumed_at < day_start:
        return None
    missed = TicketEvent.objects.filter(location_id=location_id, id__gt=after, id__lte=upto)
    rows = event_rows(missed, REPLAY_LIMIT + 1)
    if len(rows) > REPLAY_LIMIT or any(row[_AT] < day_start for row in rows):
        return None
    return rows


@database_read
def _live_floor_location_id(request: HttpRequest, slug: str) -> int:
    """Return the id of the active centre ``slug`` if the request may watch its live floor.

    Raises NotSignedIn, PermissionDenied (see check_capability) and Http404, in that order, so
    that nobody learns which centres exist without the capability.
    """
    location = Location.objects.filter(slug=slug, active=True).first()
    # Without a centre this checks the role alone.
    check_capability(request, Capability.VIEW_LIVE_FLOOR, location)
    if location is None:
        raise Http404(_("No such centre."))
    return location.pk


@dataclass(frozen=True)
class TicketState:
    """A ticket as its stream sends it, plus what decides which events concern it."""

    data: dict[str, Any]
    queue_id: int
    waiting: bool


@database_read
def _ticket_state(ticket_id: int, describe: Callable[[Ticket], BaseModel]) -> TicketState | None:
    ticket = Ticket.objects.select_related("queue", "counter", "location").filter(pk=ticket_id)
    found = ticket.first()
    if found is None:
        return None
    return TicketState(
        data=describe(found).model_dump(mode="json"),
        queue_id=found.queue_id,
        waiting=found.status == TicketStatus.WAITING,
    )


# Responses --------------------------------------------------------------------------------------


def last_event_id(request: HttpRequest) -> int | None:
    """Return the id a reconnecting client has seen (Last-Event-ID, else ?last_event_id=).

    None for a first connection and for anything that is not a plain non-negative number.
    """
    raw = request.headers.get("Last-Event-ID") or request.GET.get("last_event_id") or ""
    return parse_id(raw.strip())


def event_stream_response(messages: AsyncIterator[bytes]) -> StreamingHttpResponse:
    """Return the streaming response that sends ``messages`` as server-sent events."""
    response = StreamingHttpResponse(messages, content_type="text/event-stream")
    # Nothing between the server and the browser may keep a copy or hold the bytes back:
    # proxies (nginx reads X-Accel-Buffering) would otherwise deliver events in bursts.
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


async def _started_hub() -> EventHub:
    hub = get_hub()
    try:
        await hub.start()
    except HubUnavailable:
        raise LiveUpdatesUnavailable(
            _("Live updates are not available right now. Please try again in a moment.")
        ) from None
    return hub


def _retry() -> bytes:
    return f"retry: {RETRY_MILLISECONDS}\n\n".encode()


def _heartbeat_seconds() -> float:
    return float(settings.SKRANKE_STREAM_HEARTBEAT_SECONDS)


# The centre's streams ---------------------------------------------------------------------------


def _public_message(event: HubEvent) -> bytes:
    # A device heard from again is the centre's equipment, not the line: nothing of it at all.
    return b"" if event.kind in STAFF_ONLY_KINDS else event.public_message


def _staff_message(event: HubEvent) -> bytes:
    return event.staff_message


async def location_stream(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    """Return the public live stream of the active centre ``slug``.

    Raises Http404 for an unknown or inactive centre and LiveUpdatesUnavailable while the
    hub cannot serve.
    """
    location_id = await _location_id(slug)
    if location_id is None:
        raise Http404(_("No such centre."))
    hub = await _started_hub()
    return event_stream_response(
        _location_messages(hub, location_id, last_event_id(request), _public_message)
    )


async def staff_location_stream(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    """Return the staff live stream of the active centre ``slug``: every event whole, with the
    username of the staff member who caused it.

    Raises NotSignedIn when nobody is signed in, PermissionDenied without
    Capability.VIEW_LIVE_FLOOR at that centre, Http404 for an unknown or inactive centre, and
    LiveUpdatesUnavailable while the hub cannot serve.
    """
    location_id = await _live_floor_location_id(request, slug)
    hub = await _started_hub()
    return event_stream_response(
        _location_messages(
            hub,
            location_id,
            last_event_id(request),
            _staff_message,
            lasts_seconds=STAFF_STREAM_SECONDS,
        )
    )


async def _location_messages(
    hub: EventHub,
    location_id: int,
    resume_after: int | None,
    encoded: Callable[[HubEvent], bytes],
    lasts_seconds: float | None = None,
) -> AsyncIterator[bytes]:
    try:
        subscription = await hub.subscribe(location_id)
    except HubUnavailable:
        return
    ends_at = None if lasts_seconds is None else hub.loop.time() + lasts_seconds
    try:
        yield _retry()
        since = subscription.since
        replay = None
        if resume_after is not None:
            replay = await _replay_rows(location_id, resume_after, since)
        if replay is None:
            snapshot = await _location_snapshot(location_id, since)
            if snapshot is None:
                return
            yield encode_message(data=snapshot, event="snapshot", event_id=since)
            after = since
        else:
            # A public stream's form of a staff-only event is empty: nothing to send.
            replayed = b"".join(encoded(HubEvent.from_row(row)) for row in replay)
            if replayed:
                yield replayed
            after = max(since, resume_after or 0)
        while True:
            wait = _heartbeat_seconds()
            if ends_at is not None:
                wait = min(wait, ends_at - hub.loop.time())
                if wait <= 0:
                    return
            events, ended = await subscription.next_batch(wait)
            if not events and not ended:
                yield HEARTBEAT
                continue
            chunk = b"".join(encoded(event) for event in events if event.id > after)
            if chunk:
                yield chunk
            if ended:
                return
    except DatabaseError as error:
        # The client reconnects and resumes; a traceback per open stream would help no one.
        logger.warning("a live stream ended early: %s", error)
    finally:
        subscription.close()


# A citizen's stream -----------------------------------------------------------------------------


class _TicketWatch:
    """Decides which of the centre's events may concern one ticket; follows its queue."""

    def __init__(self, ticket_id: int) -> None:
        self.ticket_id = ticket_id
        self.queue_id: int | None = None
        self.waiting = True

    def follow(self, state: TicketState) -> None:
        self.queue_id = state.queue_id
        self.waiting = state.waiting

    def concerns(self, event: HubEvent) -> bool:
        if event.kind in STAFF_ONLY_KINDS:
            return False  # The centre's equipment, never a citizen's business.
        if event.ticket_id == self.ticket_id or self.queue_id is None:
            # Until its state is read, take everything: that read may miss what comes now.
            return True
        if not self.waiting:
            return False  # Called, served or ended: only its own events change it now.
        if event.queue_id == self.queue_id or event.payload.get("from_queue") == self.queue_id:
            return True
        return event.kind in _COUNTER_CHANGES


async def ticket_stream(
    request: HttpRequest, token: str, describe: Callable[[Ticket], BaseModel]
) -> StreamingHttpResponse:
    """Return the live stream of the ticket with ``token``; ``describe`` renders its state.

    Raises Http404 for an unknown token and LiveUpdatesUnavailable while the hub cannot serve.
    """
    ids = await _ticket_ids(token)
    if ids is None:
        raise Http404(_("No such number."))
    ticket_id, location_id = ids
    hub = await _started_hub()
    return event_stream_response(
        _ticket_messages(hub, ticket_id, location_id, describe, last_event_id(request))
    )


async def _ticket_messages(
    hub: EventHub,
    ticket_id: int,
    location_id: int,
    describe: Callable[[Ticket], BaseModel],
    resume_after: int | None,
) -> AsyncIterator[bytes]:
    watch = _TicketWatch(ticket_id)
    try:
        subscription = await hub.subscribe(location_id, accepts=watch.concerns)
    except HubUnavailable:
        return
    try:
        yield _retry()
        since = subscription.since
        state = await _ticket_state(ticket_id, describe)
        if state is None:
            return  # Deleted in the meantime (a purge).
        watch.follow(state)
        replay = None
        if resume_after is not None:
            replay = await _replay_rows(location_id, resume_after, since)
        if replay is None:
            yield encode_message(data=state.data, event="snapshot", event_id=since)
            after = since
        else:
            events = [HubEvent.from_row(row) for row in replay]
            own = [event for event in events if event.ticket_id == ticket_id]
            if own:
                yield b"".join(event.ticket_message for event in own)
            if any(watch.concerns(event) for event in events):
                yield encode_message(data=state.data, event="ticket", event_id=since)
            after = max(since, resume_after or 0)
        sent = state
        while True:
            events, ended = await subscription.next_batch(_heartbeat_seconds())
            if not events and not ended:
                yield HEARTBEAT
                continue
            news = [event for event in events if event.id > after]
            chunk = b"".join(event.ticket_message for event in news if event.ticket_id == ticket_id)
            if news:
                # One read however many events came together, and a message only if the
                # citizen would see a difference.
                current = await _ticket_state(ticket_id, describe)
                if current is None:
                    return
                watch.follow(current)
                if current.data != sent.data:
                    chunk += encode_message(data=current.data, event="ticket", event_id=news[-1].id)
                    sent = current
            if chunk:
                yield chunk
            if ended:
                return
    except DatabaseError as error:
        logger.warning("a live stream ended early: %s", error)
    finally:
        subscription.close()
