"""The appointment calendar's accounting: how many places a centre has in each tick, how many are
taken, and the one way to take or give them back.

A tick is TICK_MINUTES (5) of the clock, on a grid of whole multiples of five minutes since the
epoch, so every local wall-clock time of :00, :05, … starts one in every time zone Skranke runs
in, and opening hours can move without moving the grid. A booking or hold from ``start`` to
``end`` takes one place in every tick in between (an appointment for a family takes one counter
for longer, not several counters).

Capacity (CapacityRules): the weekly row covering the tick's local weekday and wall-clock time
(none: 0); then, on that date, changes that set the capacity (the smallest, if several cover the
tick) and changes that add to it (all of them), never below 0. The local time is read per tick,
so on 2026-10-25 both 02:30s take the capacity of 02:30, and on 2026-03-29 no tick falls at 02:30.

Taken places: one CalendarTick row per centre and tick, written only through Ledger.apply, which
takes places with one conditional upsert per tick (``used = used + n`` only where
``used + n <= capacity``; the row count says whether it got them) and gives them back with a
conditional UPDATE, all in ascending tick order so two transactions never wait for each other
in a circle. A check constraint keeps ``used <= capacity`` as well. Holds take places like
bookings; an expired hold is free at once for the reads (``taken_places`` subtracts it) and is
given back by the first write near it or by the periodic job (skranke.booking.services.holds).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from skranke.booking.errors import SlotTaken
from skranke.booking.models import TICK_MINUTES, CalendarTick, CapacityChange, Hold
from skranke.booking.models.calendar import WeeklyCapacity
from skranke.lib.localtime import local_zone
from skranke.organisation.models import MIDNIGHT

TICK = dt.timedelta(minutes=TICK_MINUTES)
_TICK_SECONDS = TICK_MINUTES * 60

SLOT_TAKEN_MESSAGE = _("That time was just taken. Please choose another.")


def next_tick(instant: dt.datetime) -> dt.datetime:
    """Return the first tick start at or after the aware ``instant``, in UTC."""
    whole = math.ceil(instant.timestamp() / _TICK_SECONDS) * _TICK_SECONDS
    return dt.datetime.fromtimestamp(whole, tz=dt.UTC)


def is_tick_start(instant: dt.datetime) -> bool:
    return instant.timestamp() % _TICK_SECONDS == 0


def ticks_between(start: dt.datetime, end: dt.datetime) -> Iterator[dt.datetime]:
    """Yield the ticks (UTC) from the tick start ``start`` up to, not including, ``end``."""
    tick = start.astimezone(dt.UTC)
    while tick < end:
        yield tick
        tick += TICK


@dataclass(frozen=True)
class CapacityRules:
    """A centre's capacity set-up for some dates: weekly rows and the dates' changes."""

    # Weekday -> (from, to, capacity); "to" 00:00 is midnight.
    weekly: dict[int, list[tuple[dt.time, dt.time, int]]]
    changes: dict[dt.date, list[CapacityChange]] = field(default_factory=dict)

    @classmethod
    def load(cls, location_id: int, first_day: dt.date, last_day: dt.date) -> CapacityRules:
        """Return the rules of the centre for the local dates ``first_day`` to ``last_day``."""
        weekly: dict[int, list[tuple[dt.time, dt.time, int]]] = defaultdict(list)
        rows = WeeklyCapacity.objects.filter(calendar_id=location_id).values_list(
            "weekday", "starts", "ends", "capacity"
        )
        for weekday, starts, ends, capacity in rows:
            weekly[weekday].append((starts, ends, capacity))
        changes: dict[dt.date, list[CapacityChange]] = defaultdict(list)
        for change in CapacityChange.objects.filter(
            calendar_id=location_id, date__gte=first_day, date__lte=last_day
        ):
            changes[change.date].append(change)
        return cls(dict(weekly), dict(changes))

    def capacity_at(self, tick: dt.datetime) -> int:
        """Return how many appointments may run in parallel in the tick starting at ``tick``."""
        local = tick.astimezone(local_zone())
        day, clock = local.date(), local.time()
        capacity = max(
            (
                capacity
                for starts, ends, capacity in self.weekly.get(day.weekday(), [])
                if starts <= clock and (ends == MIDNIGHT or clock < ends)
            ),
            default=0,
        )
        covering = [change for change in self.changes.get(day, []) if change.covers(clock)]
        set_to = [change.capacity for change in covering if change.capacity is not None]
        if set_to:
            capacity = min(set_to)
        capacity += sum(change.adjustment for change in covering if change.adjustment is not None)
        return max(0, capacity)


def local_days(start: dt.datetime, end: dt.datetime) -> tuple[dt.date, dt.date]:
    """Return the first and last local date the ticks from ``start`` to ``end`` fall on."""
    zone = local_zone()
    last = max(start, end - TICK)
    return start.astimezone(zone).date(), last.astimezone(zone).date()


def taken_places(
    location_id: int, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> dict[dt.datetime, int]:
    """Return the places taken per tick (UTC) from ``start`` to ``end`` at ``now``: bookings and
    live holds. Ticks without a row have none taken and are left out."""
    taken = {
        tick.astimezone(dt.UTC): used
        for tick, used in CalendarTick.objects.filter(
            location_id=location_id, starts_at__gte=start, starts_at__lt=end
        ).values_list("starts_at", "used")
    }
    # Expired holds still counted in their ticks until someone gives their places back.
    expired = Hold.objects.filter(
        location_id=location_id, expires_at__lte=now, starts_at__lt=end, ends_at__gt=start
    ).values_list("starts_at", "ends_at")
    for hold_start, hold_end in expired:
        for tick in ticks_between(hold_start, hold_end):
            if tick in taken:
                taken[tick] -= 1
    return taken


def remaining_places(
    rules: CapacityRules, taken: dict[dt.datetime, int], start: dt.datetime, end: dt.datetime
) -> int:
    """Return the places left for one more booking from ``start`` to ``end``: the fewest free
    in any of its ticks."""
    return min(
        (rules.capacity_at(tick) - taken.get(tick, 0) for tick in ticks_between(start, end)),
        default=0,
    )


class Ledger:
    """Changes to one centre's taken places, collected and then applied in one ordered pass.

    Use it inside the transaction that makes the booking, hold, move or cancellation: ``take``
    and ``give_back`` each span, then ``apply``. A tick both given back and taken (moving by a
    few minutes) is left as it is.
    """

    def __init__(self, location_id: int) -> None:
        self.location_id = location_id
        self.changes: dict[dt.datetime, int] = defaultdict(int)

    def take(self, start: dt.datetime, end: dt.datetime) -> None:
        for tick in ticks_between(start, end):
            self.changes[tick] += 1

    def give_back(self, start: dt.datetime, end: dt.datetime) -> None:
        for tick in ticks_between(start, end):
            self.changes[tick] -= 1

    def apply(self, rules: CapacityRules | None = None) -> None:
        """Write the changes, ticks in ascending order. Raises SlotTaken (and has written part
        of them: let the transaction roll back) when a tick has no place left to take.

        ``rules`` must cover the dates of the ticks that take places; loaded when not given.
        """
        taking = sorted(tick for tick, delta in self.changes.items() if delta > 0)
        if taking and rules is None:
            rules = CapacityRules.load(self.location_id, *local_days(taking[0], taking[-1] + TICK))
        for tick in sorted(self.changes):
            delta = self.changes[tick]
            if delta > 0:
                assert rules is not None
                if not _take(self.location_id, tick, delta, rules.capacity_at(tick)):
                    raise SlotTaken("slot_taken", SLOT_TAKEN_MESSAGE)
            elif delta < 0:
                _give_back(self.location_id, tick, -delta)
        self.changes.clear()


def _take(location_id: int, tick: dt.datetime, places: int, capacity: int) -> bool:
    """Take ``places`` in the tick if they fit its ``capacity``; return whether they did.

    One statement: it creates the tick's row with the places, or adds them to the row where
    they fit. A row comes back when they were taken, none when the tick was full; PostgreSQL's
    row lock (or SQLite's write lock) makes parallel takers see each other's places.
    """
    if places > capacity:
        return False
    quote = connection.ops.quote_name
    table = quote(CalendarTick._meta.db_table)
    location, starts, used, room = (
        quote(name) for name in ("location_id", "starts_at", "used", "capacity")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({location}, {starts}, {used}, {room}) "  # noqa: S608
            f"VALUES (%s, %s, %s, %s) ON CONFLICT ({location}, {starts}) DO UPDATE SET "
            f"{used} = {table}.{used} + excluded.{used}, {room} = excluded.{room} "
            f"WHERE {table}.{used} + excluded.{used} <= excluded.{room} RETURNING {used}",
            [location_id, connection.ops.adapt_datetimefield_value(tick), places, capacity],
        )
        return cursor.fetchone() is not None


def _give_back(location_id: int, tick: dt.datetime, places: int) -> None:
    CalendarTick.objects.filter(location_id=location_id, starts_at=tick, used__gte=places).update(
        used=F("used") - places
    )


def delete_ticks_before(instant: dt.datetime) -> int:
    """Delete the tick rows that started before ``instant``; return how many."""
    deleted, _by_model = CalendarTick.objects.filter(starts_at__lt=instant).delete()
    return deleted
