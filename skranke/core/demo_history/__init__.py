"""The demo's history: two full years plus this year so far at the demo's town hall and library
centres, made by simulating each opening day and writing the rows the engine writes.

Modules: profile (the shape: weekdays, hours, seasons, growth), context (what a centre is, read
once), demand (who comes), staffing (who opens which counter), simulate (the day, as a script of
engine steps, script.py), bookings (the appointments behind the appointment visits, and those
nobody came for or cancelled), writer and rows (the script's rows, inserted in bulk).
"""

from __future__ import annotations

import datetime as dt
import heapq
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection

from skranke.core.demo_history.context import CentreContext, load_centre
from skranke.core.demo_history.profile import CENTRES
from skranke.core.demo_history.script import CloseDay, Step
from skranke.core.demo_history.simulate import simulate_day
from skranke.core.demo_history.writer import HistoryWriter, written_days
from skranke.lib.localtime import start_of_local_day
from skranke.organisation.hours import day_hours
from skranke.organisation.models import HoursKind, OpeningException, OpeningHours

# Rows are written every this many visits, so memory stays small whatever the period.
VISITS_PER_WRITE = 20_000
# The worker closes the day's leftovers within its first run after midnight (every 10 minutes).
WORKER_INTERVAL_SECONDS = 600
# SQLite's page cache while writing, in KiB: the tables' many indexes then stay in memory
# instead of spilling to the write-ahead log halfway through the transaction.
SQLITE_CACHE_KIB = 262_144


@dataclass(frozen=True)
class HistoryReport:
    first_day: dt.date
    last_day: dt.date
    visits: int
    seconds: float


def default_first_day(today: dt.date) -> dt.date:
    """Return where the demo's history begins: 1 January two years before ``today``'s year."""
    return dt.date(today.year - 2, 1, 1)


def ensure_history(first_day: dt.date, last_day: dt.date) -> HistoryReport:
    """Simulate and write every opening day from ``first_day`` to ``last_day`` (both included)
    at the demo centres that has no tickets yet; returns how many visits were written.

    Days already written (or with live tickets) are left alone, so running it again, or on a
    later day for the days since, adds only what is missing. Runs in the caller's transaction.
    """
    started = time.perf_counter()
    centres = [centre for slug in CENTRES if (centre := load_centre(slug)) is not None]
    if not centres or last_day < first_day:
        return HistoryReport(first_day, last_day, 0, time.perf_counter() - started)
    location_ids = [centre.location.pk for centre in centres]
    done = written_days(location_ids, first_day, last_day)
    may_open = _days_that_may_open(location_ids, first_day, last_day)
    writer = HistoryWriter()
    with _large_sqlite_cache():
        day = first_day
        while day <= last_day:
            steps = day_script(
                [
                    centre
                    for centre in centres
                    if (centre.location.pk, day) not in done
                    and may_open & {(centre.location.pk, day.weekday()), (centre.location.pk, day)}
                ],
                day,
            )
            writer.play(steps)
            if writer.pending_visits >= VISITS_PER_WRITE:
                writer.flush()
            day += dt.timedelta(days=1)
        writer.flush()
    return HistoryReport(first_day, last_day, writer.visits_written, time.perf_counter() - started)


def day_script(centres: list[CentreContext], day: dt.date) -> list[Step]:
    """Return ``day``'s script at ``centres`` (organisation.hours.day_hours says when each is
    open), their steps merged in time order and closed by the worker's run after midnight; an
    empty list when none is open."""
    scripts = [
        simulate_day(centre, day, day_hours(centre.location, day).intervals) for centre in centres
    ]
    steps = list(heapq.merge(*scripts, key=lambda step: step.at))
    return [*steps, CloseDay(at=_worker_run_after(day), day=day)] if steps else []


def play(steps: list[Step]) -> int:
    """Write the rows of one script (which must end every visit it begins); returns visits."""
    writer = HistoryWriter()
    writer.play(steps)
    writer.flush()
    return writer.visits_written


def _days_that_may_open(
    location_ids: list[int], first_day: dt.date, last_day: dt.date
) -> set[tuple[int, int] | tuple[int, dt.date]]:
    """Return (centre, weekday) for each weekday with weekly hours and (centre, date) for each
    dated exception: organisation.hours.day_hours decides each day, but only these can open a
    centre (holidays only close it), so the other days are closed without asking it."""
    weekly = OpeningHours.objects.filter(location__in=location_ids, kind=HoursKind.ATTENDANCE)
    exceptions = OpeningException.objects.filter(
        location__in=location_ids, kind=HoursKind.ATTENDANCE, date__range=(first_day, last_day)
    )
    return {
        *weekly.values_list("location_id", "weekday"),
        *exceptions.values_list("location_id", "date"),
    }


@contextmanager
def _large_sqlite_cache() -> Iterator[None]:
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


def _worker_run_after(day: dt.date) -> dt.datetime:
    """Return when the worker's first run after ``day``'s local midnight closes its leftovers."""
    rng = random.Random(f"worker:{day.isoformat()}")  # noqa: S311 - reproducible, not secret
    return start_of_local_day(day + dt.timedelta(days=1)) + dt.timedelta(
        seconds=rng.randrange(1, WORKER_INTERVAL_SECONDS)
    )


__all__ = [
    "CentreContext",
    "HistoryReport",
    "day_script",
    "default_first_day",
    "ensure_history",
    "load_centre",
    "play",
    "simulate_day",
]
