"""The PostgreSQL event hub: LISTEN/NOTIFY on a dedicated connection, events passed on in id order.

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
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from django.conf import settings
from django.contrib.auth import get_user_model
from psycopg import sql

from skranke.organisation.models import Counter
from skranke.queue.live.hub import BATCH, EventHub, HubEvent
from skranke.queue.models import NOTIFY_CHANNEL, TicketEvent

logger = logging.getLogger(__name__)

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
# At most this many skipped ids are waited for, the newest ones: of a larger jump in one read (a
# huge rolled-back import, a sequence moved by hand) the older ids are taken as never coming.
MOST_GAPS_TRACKED = 10_000


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
        # Beyond MOST_GAPS_TRACKED missing ids, only the newest are waited for: an id taken a
        # moment ago may well still commit, one from long before the jump will not.
        first_tracked = self.fetched_upto + 1
        missing = (top - self.fetched_upto) - sum(
            1 for event_id in self.pending if event_id > self.fetched_upto
        )
        if missing > MOST_GAPS_TRACKED:
            first_tracked = top - MOST_GAPS_TRACKED + 1
            logger.warning(
                "live streams take the missing event ids up to %d as never committed",
                first_tracked - 1,
            )
            self.skipped_upto = max(self.skipped_upto, first_tracked - 1)
        new_gaps = [
            event_id for event_id in range(first_tracked, top + 1) if event_id not in self.pending
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
    """Return the hub's read of event rows, with the columns of hub.ROW_FIELDS in that order."""
    events = TicketEvent._meta
    counters = Counter._meta
    users = get_user_model()._meta
    event_columns = {field.name: field.column for field in events.concrete_fields}

    def column(name: str) -> sql.Identifier:
        return sql.Identifier("e", event_columns[name])

    def other_column(meta: Any, name: str) -> sql.Identifier:
        return sql.Identifier(
            next(field.column for field in meta.concrete_fields if field.name == name)
        )

    def primary_key(meta: Any) -> sql.Identifier:
        return sql.Identifier(meta.pk.column if meta.pk else "id")

    return sql.SQL(
        "SELECT {id}, {location}, {kind}, {at}, {ticket}, {queue}, {counter}, c.{number}, {data}, "
        "u.{username} "
        "FROM {events} e LEFT JOIN {counters} c ON c.{counter_pk} = {counter} "
        "LEFT JOIN {users} u ON u.{user_pk} = {staff} "
        "WHERE {id} > %s OR {id} = ANY(%s) ORDER BY {id} LIMIT %s"
    ).format(
        id=column("id"),
        location=column("location"),
        kind=column("kind"),
        at=column("at"),
        ticket=column("ticket"),
        queue=column("queue"),
        counter=column("counter"),
        number=other_column(counters, "number"),
        data=column("data"),
        staff=column("staff"),
        username=other_column(users, "username"),
        events=sql.Identifier(events.db_table),
        counters=sql.Identifier(counters.db_table),
        counter_pk=primary_key(counters),
        users=sql.Identifier(users.db_table),
        user_pk=primary_key(users),
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
        self._id_column = TicketEvent._meta.pk.column if TicketEvent._meta.pk else "id"

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
        """Return the newest event id given out: by the table's sequence, else its rows.

        Not only the newest row's: after the table was emptied (or its newest rows deleted)
        that lies far behind the ids in use, and the first read would jump over them all.
        """
        cursor = await conn.execute(
            sql.SQL(
                "SELECT GREATEST(max({id}), pg_sequence_last_value(pg_get_serial_sequence(%s, %s)))"
                " FROM {table}"
            ).format(id=sql.Identifier(self._id_column), table=sql.Identifier(self._table)),
            [sql.Identifier(self._table).as_string(conn), self._id_column],
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
