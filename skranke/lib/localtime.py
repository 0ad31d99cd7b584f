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
    The instant carries the local UTC offset of that moment as a fixed offset, not the zone.
    """
    zone = local_zone()
    # With fold=0 a time in the gap takes the offset from before the change, which lands it
    # the length of the gap later; an ambiguous time takes its first occurrence.
    utc = dt.datetime.combine(day, clock).replace(tzinfo=zone, fold=0).astimezone(dt.UTC)
    # Aware datetimes that share one tzinfo object are compared and subtracted by wall clock,
    # ignoring daylight saving (2026-03-29 00:00 to 2026-03-30 00:00 would be 24 hours, not 23).
    # A fixed offset keeps the local reading while making comparison and arithmetic exact.
    offset = utc.astimezone(zone).utcoffset()
    assert offset is not None
    return utc.astimezone(dt.timezone(offset))


def start_of_local_day(day: dt.date) -> dt.datetime:
    """Return the instant the local day begins."""
    return wall_clock_instant(day, dt.time(0, 0))


def end_of_local_day(day: dt.date) -> dt.datetime:
    """Return the instant the local day ends (the next local day's start)."""
    return start_of_local_day(day + dt.timedelta(days=1))
