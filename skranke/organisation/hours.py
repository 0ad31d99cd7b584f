"""When a centre is open: weekly hours, dated exceptions, and Danish public holidays.

A day's hours are decided in this order:
1. dated exceptions for that date and kind replace everything else (a row without times closes
   the centre, rows with times are the hours);
2. a public holiday closes the centre;
3. an optional holiday (1 May, 5 June, 24 and 31 December) closes it unless the centre has
   chosen to open that day;
4. otherwise the weekly hours for that weekday apply.
Intervals are half-open: open at the opening instant, closed at the closing instant. They are
built from local wall-clock times, so a daylight-saving day simply has one hour more or less.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

import holidays
from django.utils.translation import get_language

from skranke.lib.intervals import Interval
from skranke.lib.localtime import local_date, wall_clock_instant
from skranke.organisation.models import (
    MIDNIGHT,
    HoursKind,
    Location,
    OpeningException,
    OpeningHours,
)

# How far ahead next_opening looks before it gives up (a centre closed for longer is closed).
NEXT_OPENING_HORIZON_DAYS = 60


@dataclass(frozen=True)
class DayHours:
    """A centre's hours on one local date: half-open intervals, or why it is closed."""

    date: dt.date
    intervals: list[Interval[dt.datetime]] = field(default_factory=list)
    closed_reason: str = ""

    @property
    def is_closed_all_day(self) -> bool:
        return not self.intervals


def _holiday_language(language: str | None) -> str:
    # The holidays library names Danish holidays in Danish ("da") or American English ("en_US").
    return "en_US" if (language or get_language() or "da").startswith("en") else "da"


@lru_cache(maxsize=64)
def _holiday_calendar(year: int, category: str, language: str) -> dict[dt.date, str]:
    calendar = holidays.country_holidays(
        "DK", years=year, categories=(category,), language=language
    )
    return dict(calendar.items())


def public_holiday(day: dt.date, language: str | None = None) -> str | None:
    """Return the name of the Danish public holiday on ``day``, or None."""
    return _holiday_calendar(day.year, holidays.PUBLIC, _holiday_language(language)).get(day)


def optional_holiday(day: dt.date, language: str | None = None) -> str | None:
    """Return the name of the optional holiday on ``day`` (1 May, 5 June, 24/31 Dec), or None."""
    return _holiday_calendar(day.year, holidays.OPTIONAL, _holiday_language(language)).get(day)


def _interval(day: dt.date, opens: dt.time, closes: dt.time) -> Interval[dt.datetime]:
    start = wall_clock_instant(day, opens)
    end_day = day + dt.timedelta(days=1) if closes == MIDNIGHT else day
    return Interval(start, wall_clock_instant(end_day, closes))


def day_hours(
    location: Location,
    day: dt.date,
    kind: HoursKind = HoursKind.ATTENDANCE,
    language: str | None = None,
) -> DayHours:
    """Return ``location``'s opening intervals of ``kind`` on the local date ``day``."""
    if location.always_open:
        return DayHours(day, [_interval(day, MIDNIGHT, MIDNIGHT)])
    exceptions = list(OpeningException.objects.filter(location=location, kind=kind, date=day))
    if exceptions:
        closing = [exception for exception in exceptions if exception.is_closed]
        if closing:
            return DayHours(day, [], closing[0].reason)
        intervals = []
        for exception in exceptions:
            assert exception.opens is not None and exception.closes is not None
            intervals.append(_interval(day, exception.opens, exception.closes))
        return DayHours(day, sorted(intervals))

    holiday = public_holiday(day, language)
    if holiday:
        return DayHours(day, [], holiday)
    optional = optional_holiday(day, language)
    if optional and location.is_open_on_optional_day(day.month, day.day) is False:
        return DayHours(day, [], optional)

    weekly = OpeningHours.objects.filter(location=location, kind=kind, weekday=day.weekday())
    return DayHours(day, sorted(_interval(day, row.opens, row.closes) for row in weekly))


def opening_intervals(
    location: Location, day: dt.date, kind: HoursKind = HoursKind.ATTENDANCE
) -> list[Interval[dt.datetime]]:
    """Return ``location``'s half-open opening intervals on the local date ``day``."""
    return day_hours(location, day, kind).intervals


def is_open(
    location: Location, instant: dt.datetime, kind: HoursKind = HoursKind.ATTENDANCE
) -> bool:
    """Return True when ``location`` is open (for ``kind``) at the aware ``instant``."""
    return any(
        interval.contains(instant)
        for interval in opening_intervals(location, local_date(instant), kind)
    )


def current_interval(
    location: Location, instant: dt.datetime, kind: HoursKind = HoursKind.ATTENDANCE
) -> Interval[dt.datetime] | None:
    """Return the opening interval containing ``instant``, or None when closed."""
    for interval in opening_intervals(location, local_date(instant), kind):
        if interval.contains(instant):
            return interval
    return None


def next_opening(
    location: Location, instant: dt.datetime, kind: HoursKind = HoursKind.ATTENDANCE
) -> dt.datetime | None:
    """Return the first opening instant at or after ``instant``.

    Intervals are half-open, so an interval that starts exactly when the one before ends (an
    around-the-clock centre at midnight) opens at that instant: asked at a closing instant, this
    returns it when the next interval begins there. Returns None when the centre does not open
    within NEXT_OPENING_HORIZON_DAYS.
    """
    first_day = local_date(instant)
    for offset in range(NEXT_OPENING_HORIZON_DAYS + 1):
        for interval in opening_intervals(location, first_day + dt.timedelta(days=offset), kind):
            if interval.start >= instant:
                return interval.start
    return None


@dataclass(frozen=True)
class CentreToday:
    """What a citizen wants to know about a centre right now."""

    location: Location
    attendance: DayHours
    telephone: DayHours
    open_now: bool
    next_opening: dt.datetime | None


def centre_today(location: Location, now: dt.datetime) -> CentreToday:
    """Return today's attendance and telephone hours, whether it is open, and when it next opens."""
    today = local_date(now)
    attendance = day_hours(location, today, HoursKind.ATTENDANCE)
    return CentreToday(
        location=location,
        attendance=attendance,
        telephone=day_hours(location, today, HoursKind.TELEPHONE),
        open_now=any(interval.contains(now) for interval in attendance.intervals),
        next_opening=next_opening(location, now),
    )
