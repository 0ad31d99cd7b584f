"""Local time helpers: the installation's zone, local dates, and local wall-clock instants.

Opening hours, days and weekdays are the location's local time (DESIGN.md). Turning a local date
and a wall-clock time into an instant must respect daylight saving: 2026-03-29 has 23 hours in
Copenhagen and 2026-10-25 has 25.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings


def local_zone() -> ZoneInfo:
    """Return the installation's time zone (SKRANKE_TIME_ZONE)."""
    return ZoneInfo(settings.TIME_ZONE)


def local_date(instant: dt.datetime) -> dt.date:
    """Return the local calendar date of an aware instant."""
    return instant.astimezone(local_zone()).date()


def wall_clock_instant(day: dt.date, clock: dt.time) -> dt.datetime:
    """Return the aware instant when local clocks show ``clock`` on ``day``.

    A wall-clock time that does not exist (inside the spring-forward gap) is moved forward by the
    gap, as clocks do; an ambiguous one (the autumn repeat) is taken at its first occurrence.
    """
    zone = local_zone()
    naive = dt.datetime.combine(day, clock)
    aware = naive.replace(tzinfo=zone, fold=0)
    # Round-tripping through UTC reveals a non-existent local time: it comes back different.
    round_trip = aware.astimezone(dt.UTC).astimezone(zone)
    if round_trip.replace(tzinfo=None) != naive:
        return naive.replace(tzinfo=zone, fold=1).astimezone(dt.UTC).astimezone(zone)
    return aware


def start_of_local_day(day: dt.date) -> dt.datetime:
    """Return the instant the local day begins."""
    return wall_clock_instant(day, dt.time(0, 0))


def end_of_local_day(day: dt.date) -> dt.datetime:
    """Return the instant the local day ends (the next local day's start)."""
    return start_of_local_day(day + dt.timedelta(days=1))
