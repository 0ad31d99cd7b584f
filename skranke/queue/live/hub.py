"""The event hub: one per server process, it reads each new floor event once and hands it to the
live streams of that process (DESIGN.md, Architecture: Live updates).

On PostgreSQL the hub holds one dedicated async psycopg connection (autocommit, straight to the
database, not through Django's pool) that LISTENs on the channel `record_event` notifies; on
SQLite, where a single process writes, it polls the event table a few times a second. Either way
it fans each event out to bounded asyncio queues, one per connected client, in id order (the
PostgreSQL hub and its ordering of events: hub_postgres.py).

Each event is read once with the username of the staff member who caused it, and offered in three
forms, each encoded once however many clients it goes to (skranke.queue.live.streams picks one):

- `public_message`: what a waiting-room screen may show. A call (called, recalled, resumed) and a
  change of a counter or queue (counter_opened/paused/resumed/closed, queue_closed) keep their
  kind with `id, kind, at, number, queue, counter, counter_id`, plus the queues a counter opened
  for and a queue's closing reason, which the display shows citizens anyway. Every other kind
  (issued, serving, parked, transferred, no_show, reinstated, cancelled, finished) becomes
  `changed` with only `id, at, queue`: a number's end, its outcome, cancel reason, transfer
  source, ticket id or staff member would let a waiting room tie what happened to the number it
  saw called. `queue` is where the waiting count changed (for a transfer the new queue: the old
  one's count is unchanged, as the number was at a counter); clients that need more re-read the
  centre's status. Staff-only kinds (STAFF_ONLY_KINDS) reach no public stream (streams.py).
- `ticket_message`: the whole event without the staff member, for the stream of the citizen whose
  ticket it is (their own visit's outcome is theirs to see).
- `staff_message`: the whole event plus `staff` (username, or null), for signed-in staff.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as dt
import functools
import json
import logging
import signal
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import FrameType
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connections
from django.db.models import QuerySet

from skranke.queue.models import EventKind, TicketEvent

logger = logging.getLogger(__name__)

# The columns every event row is read with, by the hub and by a stream's replay alike.
ROW_FIELDS = (
    "id",
    "location_id",
    "kind",
    "at",
    "ticket_id",
    "queue_id",
    "counter_id",
    "counter__number",
    "data",
    "staff__username",
)
EventRow = tuple[Any, ...]

# Kinds a waiting room sees as they are; every other kind reaches it as CHANGED.
PUBLIC_CALLS = frozenset({EventKind.CALLED, EventKind.RECALLED, EventKind.RESUMED})
PUBLIC_FLOOR_CHANGES = frozenset(
    {
        EventKind.COUNTER_OPENED,
        EventKind.COUNTER_PAUSED,
        EventKind.COUNTER_RESUMED,
        EventKind.COUNTER_CLOSED,
        EventKind.QUEUE_CLOSED,
    }
)
CHANGED = "changed"
# The kinds the public stream sends (pages listen for these).
PUBLIC_KINDS = (*sorted(PUBLIC_CALLS | PUBLIC_FLOOR_CHANGES), CHANGED)
# What the transition added that a waiting room may see: the queues a counter opened for, and
# the reason a queue closed (the display shows it to citizens).
_PUBLIC_EXTRAS = ("queues", "reason")

# Rows read per query; a longer backlog (after a reconnect) is read in several rounds.
BATCH = 500
# A stream waits this long for the hub to start (connect, LISTEN, read the newest id).
START_TIMEOUT_SECONDS = 10.0


class HubUnavailable(Exception):
    """The hub cannot serve: the database is unreachable, or the process is shutting down."""


def encode_message(
    *, data: Any, event: str | None = None, event_id: int | None = None, retry_ms: int | None = None
) -> bytes:
    """Return one server-sent-events message: optional retry, id and event lines, JSON data."""
    lines = []
    if retry_ms is not None:
        lines.append(f"retry: {retry_ms}")
    if event_id is not None:
        lines.append(f"id: {event_id}")
    if event is not None:
        lines.append(f"event: {event}")
    # JSON text holds no raw newline, so the data is always one line.
    lines.append("data: " + json.dumps(data, cls=DjangoJSONEncoder, separators=(",", ":")))
    return ("\n".join(lines) + "\n\n").encode()


@dataclass(frozen=True)
class HubEvent:
    """One floor event as streams send it: `payload` is its whole JSON without the staff member,
    `staff` their username; the `*_message` properties are its SSE bytes for each audience."""

    id: int
    location_id: int
    ticket_id: int | None
    queue_id: int | None
    counter_id: int | None
    kind: str
    payload: dict[str, Any]
    staff: str | None = None

    @classmethod
    def from_row(cls, row: EventRow) -> HubEvent:
        """Return the event of a row read with ROW_FIELDS (from the ORM or from psycopg)."""
        (
            event_id,
            location_id,
            kind,
            at,
            ticket_id,
            queue_id,
            counter_id,
            counter_number,
            data,
            staff,
        ) = row
        if isinstance(data, str):
            data = json.loads(data)
        data = data or {}
        at_utc = at.astimezone(dt.UTC) if isinstance(at, dt.datetime) else at
        payload: dict[str, Any] = {
            "id": event_id,
            "kind": kind,
            "at": at_utc,
            "ticket": ticket_id,
            "number": data.get("number"),
            "queue": queue_id,
            "counter": counter_number,
            "counter_id": counter_id,
        }
        # What the transition added (recalls, outcome, reason, from_queue, queues); the staff
        # member is the `staff` column, named only on the staff stream.
        for key, value in data.items():
            if key != "staff":
                payload.setdefault(key, value)
        return cls(event_id, location_id, ticket_id, queue_id, counter_id, kind, payload, staff)

    def public_payload(self) -> dict[str, Any]:
        """Return what a waiting-room screen may see of the event (see the module docstring)."""
        payload = self.payload
        if self.kind not in PUBLIC_CALLS and self.kind not in PUBLIC_FLOOR_CHANGES:
            return {"id": self.id, "kind": CHANGED, "at": payload["at"], "queue": self.queue_id}
        public = {
            key: payload[key]
            for key in ("id", "kind", "at", "number", "queue", "counter", "counter_id")
        }
        if self.kind in PUBLIC_FLOOR_CHANGES:
            public["number"] = None  # Not a ticket's event; never anything but null.
            public.update((key, payload[key]) for key in _PUBLIC_EXTRAS if key in payload)
        return public

    @functools.cached_property
    def public_message(self) -> bytes:
        """The SSE message for public streams (displays, kiosks, counters), encoded once."""
        public = self.public_payload()
        return encode_message(data=public, event=public["kind"], event_id=self.id)

    @functools.cached_property
    def ticket_message(self) -> bytes:
        """The SSE message for the stream of the citizen whose ticket it is, encoded once."""
        return encode_message(data=self.payload, event=self.kind, event_id=self.id)

    @functools.cached_property
    def staff_message(self) -> bytes:
        """The SSE message for the staff stream (with the staff member), encoded once."""
        return encode_message(
            data={**self.payload, "staff": self.staff}, event=self.kind, event_id=self.id
        )


def event_rows(events: QuerySet[TicketEvent], limit: int) -> list[EventRow]:
    """Return the first ``limit`` rows of ``events`` in id order, as ROW_FIELDS tuples."""
    return list(events.order_by("id").values_list(*ROW_FIELDS)[:limit])


# Subscriptions ----------------------------------------------------------------------------------


class Subscription:
    """One connected client's bounded queue of events at one location.

    The hub offers every event of the location that `accepts` (if given) takes, each with an id
    above `since`, in id order. When the client falls `buffer` events behind, or the hub stops,
    the subscription ends: `next_batch` then reports the end and the stream closes.
    """

    def __init__(
        self,
        hub: EventHub,
        location_id: int,
        accepts: Callable[[HubEvent], bool] | None,
        since: int,
        buffer: int,
    ) -> None:
        self.hub = hub
        self.location_id = location_id
        self.accepts = accepts
        self.since = since
        self.buffer = buffer
        self.ended = False
        # One place more than the buffer, so the end marker always fits.
        self._queue: asyncio.Queue[HubEvent | None] = asyncio.Queue(maxsize=buffer + 1)

    def offer(self, event: HubEvent) -> bool:
        """Queue ``event``; False when the client is `buffer` events behind (nothing queued)."""
        if self.ended:
            return True
        if self._queue.qsize() >= self.buffer:
            return False
        self._queue.put_nowait(event)
        return True

    def end(self) -> None:
        """Mark the end: the events queued before it are still handed out, then the end."""
        if not self.ended:
            self.ended = True
            self._queue.put_nowait(None)

    async def next_batch(self, timeout: float) -> tuple[list[HubEvent], bool]:
        """Wait up to ``timeout`` s for events; return those queued now and whether it ended.

        Returns ([], False) when nothing came in time (the stream sends a heartbeat then).
        """
        try:
            item = await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return [], False
        events: list[HubEvent] = []
        while item is not None:
            events.append(item)
            try:
                item = self._queue.get_nowait()
            except asyncio.QueueEmpty:
                return events, False
        return events, True

    def close(self) -> None:
        """Leave the hub (the stream ended or its client went away)."""
        self.hub.unsubscribe(self)


# The hub ----------------------------------------------------------------------------------------


class EventHub:
    """Fans events out to this process's subscriptions; `start` it, then `subscribe`."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.delivered_upto = 0
        self.stopping = False
        self._subscriptions: dict[int, set[Subscription]] = {}
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the hub once; return when it serves. Raises HubUnavailable."""
        if self.stopping:
            raise HubUnavailable("the server is shutting down")
        if self._task is None or self._task.done():
            # A context of its own: the hub outlives the request that starts it, whose context
            # (the audit log's current request, asgiref's thread of that request) it must not
            # keep alive.
            self._task = self.loop.create_task(
                self._run(), name="skranke-event-hub", context=contextvars.Context()
            )
        try:
            await asyncio.wait_for(self._ready.wait(), START_TIMEOUT_SECONDS)
        except TimeoutError:
            raise HubUnavailable("the event hub could not read the database") from None
        if self.stopping:
            raise HubUnavailable("the server is shutting down")

    async def subscribe(
        self, location_id: int, accepts: Callable[[HubEvent], bool] | None = None
    ) -> Subscription:
        """Return a new subscription to ``location_id``'s events after `delivered_upto`.

        Its `since` is the id up to which every event has been handed out (or never will be),
        so a snapshot read after this call reflects at least every event up to `since`, and the
        subscription receives every event after it. Raises HubUnavailable.
        """
        await self.start()
        await self.sync()
        if self.stopping:
            raise HubUnavailable("the server is shutting down")
        # No await from here on: no event can be handed out between reading `since` and
        # registering, so none is missed or repeated.
        subscription = Subscription(
            self, location_id, accepts, self.delivered_upto, settings.SKRANKE_STREAM_CLIENT_BUFFER
        )
        self._subscriptions.setdefault(location_id, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        subscribers = self._subscriptions.get(subscription.location_id)
        if subscribers is not None:
            subscribers.discard(subscription)
            if not subscribers:
                del self._subscriptions[subscription.location_id]

    @property
    def subscriber_count(self) -> int:
        return sum(len(subscribers) for subscribers in self._subscriptions.values())

    async def sync(self) -> None:
        """Bring `delivered_upto` up to the newest committed event, where that takes a read."""

    def stop(self) -> None:
        """End every subscription and the hub's own work (the process is shutting down)."""
        if self.stopping:
            return
        self.stopping = True
        for subscribers in self._subscriptions.values():
            for subscription in subscribers:
                subscription.end()
        self._subscriptions.clear()
        if self._task is not None:
            self._task.cancel()

    def deliver(self, events: Iterable[HubEvent]) -> None:
        """Hand ``events`` (in id order) to the subscriptions that take them.

        A subscription whose client is too far behind is ended rather than allowed to hold the
        others up; its browser reconnects and resumes from the last event it received.
        """
        for event in events:
            for subscription in tuple(self._subscriptions.get(event.location_id, ())):
                if subscription.accepts is not None and not subscription.accepts(event):
                    continue
                if not subscription.offer(event):
                    logger.info(
                        "ending a live stream whose client is %d events behind",
                        subscription.buffer,
                    )
                    self.unsubscribe(subscription)
                    subscription.end()
            self.delivered_upto = max(self.delivered_upto, event.id)

    async def _run(self) -> None:  # pragma: no cover - each kind of hub has its own
        raise NotImplementedError


# SQLite: polling --------------------------------------------------------------------------------


def _newest_event_id() -> int:
    return TicketEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _event_rows_after(last_id: int, limit: int) -> list[EventRow]:
    return event_rows(TicketEvent.objects.filter(id__gt=last_id), limit)


class PollingHub(EventHub):
    """SQLite: reads `id > last seen` every SKRANKE_STREAM_POLL_MILLISECONDS.

    SQLite runs one writer at a time and ids grow with each insert, so events become visible in
    id order and a plain "after the last id" read never skips one.
    """

    def __init__(self) -> None:
        super().__init__()
        # One thread of its own, so the hub keeps one SQLite connection however many streams
        # are open, and never waits behind a request's thread.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="skranke-event-hub")
        self._lock = asyncio.Lock()

    async def _in_thread(self, function: Callable[..., Any], *args: Any) -> Any:
        return await sync_to_async(function, thread_sensitive=False, executor=self._executor)(*args)

    async def sync(self) -> None:
        # Read now rather than at the next tick, so a new stream's snapshot and the events
        # it is then sent overlap as little as possible.
        # Should the read fail, the stream starts from the last event read and the next poll
        # catches up.
        async with self._lock:
            with contextlib.suppress(DatabaseError):
                await self._poll()

    async def _poll(self) -> None:
        if not self._ready.is_set():
            self.delivered_upto = await self._in_thread(_newest_event_id)
            self._ready.set()
            return
        while True:
            rows = await self._in_thread(_event_rows_after, self.delivered_upto, BATCH)
            self.deliver(HubEvent.from_row(row) for row in rows)
            if len(rows) < BATCH:
                return

    async def _run(self) -> None:
        interval = settings.SKRANKE_STREAM_POLL_MILLISECONDS / 1000
        failures = 0
        try:
            while not self.stopping:
                try:
                    async with self._lock:
                        await self._poll()
                    failures = 0
                except DatabaseError as error:
                    failures += 1
                    if failures == 1:
                        logger.warning("the event hub could not read new events: %s", error)
                except Exception:
                    # A bug must not silence every stream of the process for good.
                    failures += 1
                    logger.exception("the event hub failed; trying again")
                await asyncio.sleep(interval if failures == 0 else min(interval * 2**failures, 5.0))
        finally:
            with contextlib.suppress(Exception):
                self._executor.submit(connections.close_all)
            self._executor.shutdown(wait=False)


# One hub per process ----------------------------------------------------------------------------

_hub: EventHub | None = None
_stop_signals_chained = False


def get_hub() -> EventHub:
    """Return this process's hub, made on first use in the running event loop.

    A new event loop (as in some tests) gets a new hub: the old one's task died with its loop.
    """
    global _hub
    loop = asyncio.get_running_loop()
    if _hub is None or _hub.loop is not loop:
        if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
            from skranke.queue.live.hub_postgres import ListeningHub

            _hub = ListeningHub()
        else:
            _hub = PollingHub()
        _end_streams_on_stop_signals()
    return _hub


def _stop_current_hub() -> None:
    hub = _hub
    if hub is not None:
        with contextlib.suppress(RuntimeError):  # Its loop has already closed.
            hub.loop.call_soon_threadsafe(hub.stop)


def _end_streams_on_stop_signals() -> None:
    """Make SIGTERM and SIGINT end the open streams at once, then do what they did before.

    uvicorn answers them by waiting for open responses for the graceful-shutdown timeout before
    cancelling them; live streams never finish by themselves, so every restart would wait the
    full timeout. Ending them first lets the server stop at once, and the browsers reconnect
    (to the new process, or to another one behind the load balancer). Only the main thread
    can set signal handlers; elsewhere (a server that runs the loop in a thread) this does
    nothing and the graceful-shutdown timeout ends the streams instead.
    """
    global _stop_signals_chained
    if _stop_signals_chained or threading.current_thread() is not threading.main_thread():
        return
    _stop_signals_chained = True
    for number in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(number)
        if callable(previous):
            signal.signal(number, _stopping_first(previous))


def _stopping_first(
    previous: Callable[[int, FrameType | None], Any],
) -> Callable[[int, FrameType | None], None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        _stop_current_hub()
        previous(signum, frame)

    return handler
