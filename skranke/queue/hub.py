"""The event hub: one per server process, it reads each new floor event once and hands it to the
live streams of that process (DESIGN.md, Architecture: Live updates).

On PostgreSQL the hub holds one dedicated async psycopg connection (autocommit, straight to the
database, not through Django's pool) that LISTENs on the channel `record_event` notifies; on
SQLite, where a single process writes, it polls the event table a few times a second. Either way
it fans each event out to bounded asyncio queues, one per connected client, in id order.

Ids are handed out when a row is inserted but become visible when its transaction commits, and
on PostgreSQL two transactions may commit in the opposite order. A stream that resumes "after id
N" would then miss the smaller id that committed later, so the PostgreSQL hub never passes an id
on while a smaller one may still commit: it holds later events back until the gap fills, or until
every transaction that was writing events when the gap was seen has ended (then the id was rolled
back and never comes). Every subscriber therefore sees every event exactly once, in id order, and
`delivered_upto` always means "every event up to here is delivered or will never exist". (One
exception: a writer stuck for GAP_PATIENCE_SECONDS is passed over, and its event, should it
commit after all, is sent late and out of order.)
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
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import psycopg
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connections
from django.db.models import QuerySet
from psycopg import sql

from skranke.organisation.models import Counter
from skranke.queue.events import NOTIFY_CHANNEL
from skranke.queue.models import TicketEvent

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
)
EventRow = tuple[Any, ...]

# Rows read per query; a longer backlog (after a reconnect) is read in several rounds.
BATCH = 500
# A stream waits this long for the hub to start (connect, LISTEN, read the newest id).
START_TIMEOUT_SECONDS = 10.0
# Reconnecting after the LISTEN connection dropped: the first wait, doubled up to the last.
RECONNECT_FIRST_SECONDS = 0.5
RECONNECT_LONGEST_SECONDS = 10.0
# Without notifications the hub still reads the table this often: it keeps the connection
# checked (a dead one is noticed and replaced) and picks up any event written without NOTIFY.
IDLE_CHECK_SECONDS = 10.0
# While an event waits behind a gap, the hub looks again this often.
GAP_CHECK_SECONDS = 0.05
# The longest the LISTEN loop waits before it looks whether a new stream asks for a fresh read.
SYNC_CHECK_SECONDS = 0.1
# A gap whose writers are still busy after this long is passed over, so one stuck transaction
# cannot stop the whole floor's updates; should its event commit after all, it is sent late.
GAP_PATIENCE_SECONDS = 10.0
# A new stream waits at most this long for the hub to have read everything committed before it.
SYNC_PATIENCE_SECONDS = 1.0
# How far back a starting hub looks for ids that were taken but not yet committed.
START_LOOKBACK = 100
# How many passed-over ids are remembered for a late delivery.
ABANDONED_REMEMBERED = 1000
# More skipped ids than this in one read are not waited for (a huge rolled-back import, a
# sequence moved by hand): they are taken as never coming, instead of tracked one by one.
MOST_GAPS_TRACKED = 10_000


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
    """One floor event as streams send it; `payload` is its JSON, `message` its SSE bytes."""

    id: int
    location_id: int
    ticket_id: int | None
    queue_id: int | None
    counter_id: int | None
    kind: str
    payload: dict[str, Any]

    @classmethod
    def from_row(cls, row: EventRow) -> HubEvent:
        """Return the event of a row read with ROW_FIELDS (from the ORM or from psycopg)."""
        event_id, location_id, kind, at, ticket_id, queue_id, counter_id, counter_number, data = row
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
        # What the transition added (recalls, outcome, reason, from_queue, queues); staff are
        # never named on a public stream, and record_event keeps them out of `data` anyway.
        for key, value in data.items():
            payload.setdefault(key, value)
        return cls(event_id, location_id, ticket_id, queue_id, counter_id, kind, payload)

    @functools.cached_property
    def message(self) -> bytes:
        """The SSE message, encoded once however many clients it goes to."""
        return encode_message(data=self.payload, event=self.kind, event_id=self.id)


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


# PostgreSQL: LISTEN/NOTIFY ----------------------------------------------------------------------


@dataclass
class _Gap:
    """An id that was skipped: not committed when a larger one was read."""

    first_seen: float
    writers: frozenset[str] | None = None  # transactions writing events when it was seen
    settled: bool = False  # they have all ended (or patience ran out): look once more, then skip
    timed_out: bool = False


@dataclass
class Sequencer:
    """Puts events read in commit order back into id order, holding later ones behind gaps.

    Pure bookkeeping (no database), so the ordering rules can be tested on their own. Usage per
    round: `settle` the open gaps with the transactions writing events now, read the rows after
    `fetched_upto` plus `ids_to_read`, `add` them, give new gaps their `writers`, then `release`.
    """

    delivered_upto: int
    fetched_upto: int
    pending: dict[int, HubEvent] = field(default_factory=dict)
    gaps: dict[int, _Gap] = field(default_factory=dict)
    abandoned: dict[int, None] = field(default_factory=dict)
    late: list[HubEvent] = field(default_factory=list)
    # Ids up to here that are neither pending nor gaps will never come (MOST_GAPS_TRACKED).
    skipped_upto: int = 0

    def ids_to_read(self, notified: Iterable[int] = ()) -> list[int]:
        """Return the ids below `fetched_upto` worth reading again: gaps, late arrivals."""
        late = [event_id for event_id in notified if event_id in self.abandoned]
        return sorted({*self.gaps, *late})

    def settle(self, writing_now: set[str], now: float) -> None:
        """Settle each gap whose writers have all ended, or that waited past its patience."""
        for gap in self.gaps.values():
            if gap.writers is None or gap.settled:
                continue
            if gap.writers.isdisjoint(writing_now):
                gap.settled = True
            elif now - gap.first_seen > GAP_PATIENCE_SECONDS:
                gap.settled = gap.timed_out = True

    def add(self, events: Iterable[HubEvent], now: float) -> list[int]:
        """Take events just read (in id order); return the ids of new gaps."""
        top = self.fetched_upto
        for event in events:
            if event.id <= self.delivered_upto:
                # Only an id passed over as stuck can come this late; anything else at or
                # below `delivered_upto` was handed out already.
                if event.id in self.abandoned:
                    del self.abandoned[event.id]
                    self.late.append(event)
                continue
            self.gaps.pop(event.id, None)
            self.pending[event.id] = event
            top = max(top, event.id)
        missing = (top - self.fetched_upto) - sum(
            1 for event_id in self.pending if event_id > self.fetched_upto
        )
        if missing > MOST_GAPS_TRACKED:
            logger.warning("live streams skip %d event ids that were never committed", missing)
            self.skipped_upto, self.fetched_upto = top, top
            return []
        new_gaps = [
            event_id
            for event_id in range(self.fetched_upto + 1, top + 1)
            if event_id not in self.pending
        ]
        for event_id in new_gaps:
            self.gaps[event_id] = _Gap(first_seen=now)
        self.fetched_upto = top
        return new_gaps

    def note_writers(self, gap_ids: Iterable[int], writing_now: set[str]) -> None:
        """Record who was writing events just after the read that revealed ``gap_ids``.

        A transaction that took a skipped id holds its lock on the event table from before it
        took the id until it ends, so it is among these; once none of them is writing any more,
        the id either committed (the next read finds it) or never will.
        """
        writers = frozenset(writing_now)
        for event_id in gap_ids:
            self.gaps[event_id].writers = writers

    def release(self) -> list[HubEvent]:
        """Return the events that may go out now, in order: late ones first, then in id order."""
        ready, self.late = self.late, []
        while True:
            next_id = self.delivered_upto + 1
            event = self.pending.pop(next_id, None)
            if event is not None:
                ready.append(event)
                self.delivered_upto = next_id
                continue
            gap = self.gaps.get(next_id)
            if gap is None and next_id <= self.skipped_upto:
                following = min(
                    (i for i in self.pending if i > next_id), default=self.skipped_upto + 1
                )
                self.delivered_upto = min(following, self.skipped_upto + 1) - 1
                continue
            if gap is None or not gap.settled:
                return ready
            del self.gaps[next_id]
            self.delivered_upto = next_id
            if gap.timed_out:
                logger.warning("live streams passed over event %d, whose writer is stuck", next_id)
                self.abandoned[next_id] = None
                while len(self.abandoned) > ABANDONED_REMEMBERED:
                    del self.abandoned[next(iter(self.abandoned))]


# Options in Django's database settings that are Django's own, not libpq's.
_DJANGO_ONLY_OPTIONS = frozenset(
    {
        "pool",
        "isolation_level",
        "assume_role",
        "server_side_binding",
        "prepare_threshold",
        "cursor_factory",
        "context",
    }
)


def listen_connection_params() -> dict[str, Any]:
    """Return psycopg's connection parameters for the hub's own LISTEN connection.

    SKRANKE_STREAM_LISTEN_URL when set (for a SKRANKE_DATABASE_URL that goes through PgBouncer
    in transaction mode, where LISTEN does not work), else the default database's settings. TCP
    keepalives make a silently dropped connection fail within a minute, so it is replaced.
    """
    params: dict[str, Any]
    if settings.SKRANKE_STREAM_LISTEN_URL:
        params = {"conninfo": settings.SKRANKE_STREAM_LISTEN_URL}
    else:
        database = settings.DATABASES["default"]
        params = {
            key: value
            for key, value in database.get("OPTIONS", {}).items()
            if key not in _DJANGO_ONLY_OPTIONS
        }
        for setting, param in (
            ("NAME", "dbname"),
            ("USER", "user"),
            ("PASSWORD", "password"),
            ("HOST", "host"),
            ("PORT", "port"),
        ):
            if database.get(setting):
                params[param] = str(database[setting])
    params.setdefault("application_name", "skranke-event-hub")
    params.setdefault("keepalives", 1)
    params.setdefault("keepalives_idle", 30)
    params.setdefault("keepalives_interval", 10)
    params.setdefault("keepalives_count", 3)
    return params


def _rows_query() -> sql.Composed:
    events = TicketEvent._meta
    counters = Counter._meta
    event_columns = {field.name: field.column for field in events.concrete_fields}

    def column(name: str) -> sql.Identifier:
        return sql.Identifier("e", event_columns[name])

    return sql.SQL(
        "SELECT {id}, {location}, {kind}, {at}, {ticket}, {queue}, {counter}, c.{number}, {data} "
        "FROM {events} e LEFT JOIN {counters} c ON c.{counter_pk} = {counter} "
        "WHERE {id} > %s OR {id} = ANY(%s) ORDER BY {id} LIMIT %s"
    ).format(
        id=column("id"),
        location=column("location"),
        kind=column("kind"),
        at=column("at"),
        ticket=column("ticket"),
        queue=column("queue"),
        counter=column("counter"),
        number=sql.Identifier(
            next(field.column for field in counters.concrete_fields if field.name == "number")
        ),
        data=column("data"),
        events=sql.Identifier(events.db_table),
        counters=sql.Identifier(counters.db_table),
        counter_pk=sql.Identifier(counters.pk.column if counters.pk else "id"),
    )


# The transactions (other than the hub's) holding the lock an INSERT into the event table takes:
# it is taken before the new row's id is, and held until the transaction ends.
_WRITERS_QUERY = (
    "SELECT virtualtransaction FROM pg_locks "
    "WHERE locktype = 'relation' AND relation = %s::regclass AND mode = 'RowExclusiveLock' "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND pid <> pg_backend_pid()"
)


class ListeningHub(EventHub):
    """PostgreSQL: one LISTEN connection; each NOTIFY carries the id of a committed event."""

    def __init__(self) -> None:
        super().__init__()
        self.sequencer: Sequencer | None = None
        self._sync_waiters: list[asyncio.Future[None]] = []
        self._rows_sql = _rows_query()
        self._table = TicketEvent._meta.db_table

    async def _run(self) -> None:
        wait = RECONNECT_FIRST_SECONDS
        reconnecting = False
        while not self.stopping:
            try:
                async with await psycopg.AsyncConnection.connect(
                    **listen_connection_params(), autocommit=True
                ) as conn:
                    # LISTEN first, then read: whatever commits in between is in the read or
                    # is notified, so nothing falls between the two.
                    await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(NOTIFY_CHANNEL)))
                    if self.sequencer is None:
                        newest = await self._newest_id(conn)
                        start = max(0, newest - START_LOOKBACK)
                        self.sequencer = Sequencer(delivered_upto=start, fetched_upto=start)
                    elif reconnecting:
                        logger.info(
                            "the event hub is listening again; catching up after event %d",
                            self.sequencer.fetched_upto,
                        )
                    await self._advance(conn, ())
                    self._ready.set()
                    wait, reconnecting = RECONNECT_FIRST_SECONDS, False
                    await self._listen(conn)
            except psycopg.Error as error:
                if self.stopping:
                    return
                logger.warning(
                    "the event hub lost its database connection (%s); trying again in %.1f s",
                    " ".join(str(error).split()) or type(error).__name__,
                    wait,
                )
            except Exception:
                # A bug must not silence every stream of the process for good: log it and
                # start over from the last event handed out, as after a lost connection.
                logger.exception("the event hub failed; starting it again in %.1f s", wait)
            reconnecting = True
            await asyncio.sleep(wait)
            wait = min(wait * 2, RECONNECT_LONGEST_SECONDS)

    async def sync(self) -> None:
        # A NOTIFY reaches the hub within milliseconds of its commit, but a stream may ask that
        # soon after a change too. So the LISTEN loop is asked to read once more, and to let
        # out what waits behind a gap (normally released within milliseconds as well), before
        # the stream's `since` is taken: the snapshot then starts from the newest event rather
        # than an older one whose successors it would be sent again. At most a second.
        waiter = self.loop.create_future()
        self._sync_waiters.append(waiter)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(waiter, SYNC_PATIENCE_SECONDS)

    def stop(self) -> None:
        super().stop()
        for waiter in self._sync_waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._sync_waiters.clear()

    def _answer_sync_waiters(self, waiting: list[asyncio.Future[None]]) -> None:
        """Release the streams that asked before the last read, once nothing is held back."""
        assert self.sequencer is not None
        caught_up = self.delivered_upto >= self.sequencer.fetched_upto
        for waiter in waiting:
            if waiter.done():
                continue  # It stopped waiting.
            if caught_up:
                waiter.set_result(None)
            else:
                self._sync_waiters.append(waiter)

    async def _newest_id(self, conn: psycopg.AsyncConnection[Any]) -> int:
        cursor = await conn.execute(
            sql.SQL("SELECT max(id) FROM {}").format(sql.Identifier(self._table))
        )
        row = await cursor.fetchone()
        return int(row[0] or 0) if row else 0

    async def _listen(self, conn: psycopg.AsyncConnection[Any]) -> None:
        assert self.sequencer is not None
        next_idle_check = time.monotonic() + IDLE_CHECK_SECONDS
        while not self.stopping:
            timeout = GAP_CHECK_SECONDS if self.sequencer.gaps else SYNC_CHECK_SECONDS
            notified: set[int] = set()
            async for notify in conn.notifies(timeout=timeout, stop_after=1):
                notified.add(_event_id(notify.payload))
            # Take whatever else has arrived too, without waiting, so a burst is read at once.
            async for notify in conn.notifies(timeout=0):
                notified.add(_event_id(notify.payload))
            news = any(
                event_id > self.sequencer.fetched_upto or event_id in self.sequencer.abandoned
                for event_id in notified
            )
            # Taken before the read, so each of them is answered by a read that began after it
            # asked.
            waiting, self._sync_waiters = self._sync_waiters, []
            now = time.monotonic()
            if news or self.sequencer.gaps or waiting or now >= next_idle_check:
                await self._advance(conn, notified)
                next_idle_check = now + IDLE_CHECK_SECONDS
            self._answer_sync_waiters(waiting)

    async def _advance(self, conn: psycopg.AsyncConnection[Any], notified: Iterable[int]) -> None:
        """Read what is new (and what gaps may have become), then hand out what is in order."""
        assert self.sequencer is not None
        sequencer = self.sequencer
        if sequencer.gaps:
            # Who is writing *before* the read: a gap whose writers have all ended either
            # shows up in this read or never will.
            sequencer.settle(await self._writers(conn), time.monotonic())
        extra = sequencer.ids_to_read(notified)
        while True:
            cursor = await conn.execute(self._rows_sql, [sequencer.fetched_upto, extra, BATCH])
            rows = await cursor.fetchall()
            new_gaps = sequencer.add((HubEvent.from_row(row) for row in rows), time.monotonic())
            if new_gaps:
                sequencer.note_writers(new_gaps, await self._writers(conn))
            self.deliver(sequencer.release())
            self.delivered_upto = sequencer.delivered_upto
            if len(rows) < BATCH:
                return
            extra = []

    async def _writers(self, conn: psycopg.AsyncConnection[Any]) -> set[str]:
        cursor = await conn.execute(_WRITERS_QUERY, [self._table])
        return {str(row[0]) for row in await cursor.fetchall()}


def _event_id(payload: str) -> int:
    try:
        return int(payload)
    except ValueError:
        return 0  # Not an event id; the read it triggers finds whatever is new.


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
