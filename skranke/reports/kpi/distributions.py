"""Wait and service time: count, mean, median, 90th percentile and maximum, for a filter or
per subject area, queue, team or appointment (DESIGN.md, Definitions).

The wait is counted over called visits (served or no-show), the service time (summed over the
legs of a transferred visit) over served visits. Each time is summarised from its frequency
table (kpi.percentiles): one grouped statement counts the visits per whole second and per
combination of the attributes asked for, and the count, sum, maximum and exact percentiles of
the whole filter and of every group are added up from it here. The mean is the exact quotient
of sum and count, so it is the same on every database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from skranke.reports.kpi.filters import CALLED, SERVED, VisitFilter
from skranke.reports.kpi.percentiles import (
    Frequencies,
    add_frequency,
    frequencies,
    percentiles_of,
)

WAIT = "wait_seconds"
SERVICE = "service_seconds"
# The visits each time is measured over.
MEASURED = {WAIT: CALLED, SERVICE: SERVED}
# The attributes wait and service time can be summarised by.
SUMMARISABLE_BY = frozenset({"subject_area_id", "first_queue_id", "is_appointment", "team_id"})


@dataclass(frozen=True)
class TimeSummary:
    """Seconds over ``count`` visits; every figure None when there are none."""

    count: int = 0
    total_seconds: int = 0
    max_seconds: int | None = None
    median_seconds: float | None = None
    p90_seconds: float | None = None

    @property
    def mean_seconds(self) -> Fraction | None:
        return Fraction(self.total_seconds, self.count) if self.count else None

    @classmethod
    def of(cls, table: Frequencies) -> TimeSummary:
        """Return the summary of the seconds counted in ``table``."""
        if not table:
            return cls()
        median, p90 = percentiles_of(table)
        return cls(
            count=sum(table.values()),
            total_seconds=sum(seconds * visits for seconds, visits in table.items()),
            max_seconds=max(table),
            median_seconds=median,
            p90_seconds=p90,
        )


@dataclass(frozen=True)
class TimeSummaries:
    """A time over a whole filter and per value of each attribute it was summarised by, with
    the frequency tables behind them (for counts within a limit)."""

    overall: TimeSummary
    by: dict[str, dict[Any, TimeSummary]]
    table: Frequencies = field(default_factory=dict)
    tables: dict[str, dict[Any, Frequencies]] = field(default_factory=dict)

    def within(self, seconds: int, attribute: str | None = None, value: Any = None) -> int:
        """Return how many of the visits measured (those with ``attribute`` = ``value``, if
        given) took at most ``seconds``."""
        table = self.table if attribute is None else self.tables[attribute].get(value, {})
        return sum(visits for time, visits in table.items() if time <= seconds)


def time_summaries(visit_filter: VisitFilter, time: str, by: tuple[str, ...] = ()) -> TimeSummaries:
    """Return the summary of ``time`` (WAIT or SERVICE) over the filter's measured visits and
    per value of each of ``by`` (SUMMARISABLE_BY; only values with a measured visit), from one
    statement. Raises ValueError for another attribute."""
    unknown = [name for name in by if name not in SUMMARISABLE_BY]
    if unknown:
        raise ValueError(f"cannot summarise visits by {unknown[0]!r}")
    overall: Frequencies = {}
    tables: list[dict[Any, Frequencies]] = [{} for _name in by]
    visits = visit_filter.visits().filter(MEASURED[time])
    for group, seconds, count in frequencies(visits, time, by):
        add_frequency(overall, seconds, count)
        for index, value in enumerate(group):
            add_frequency(tables[index].setdefault(value, {}), seconds, count)
    return TimeSummaries(
        overall=TimeSummary.of(overall),
        by={
            name: {value: TimeSummary.of(table) for value, table in tables[index].items()}
            for index, name in enumerate(by)
        },
        table=overall,
        tables={name: tables[index] for index, name in enumerate(by)},
    )


def time_summary(visit_filter: VisitFilter, time: str) -> TimeSummary:
    """Return the summary of ``time`` (WAIT over called visits, SERVICE over served ones)."""
    return time_summaries(visit_filter, time).overall


def wait_summary(visit_filter: VisitFilter) -> TimeSummary:
    """Return the wait (first call − issue, or − max(check-in, booked time) for a checked-in
    appointment) over the called visits of ``visit_filter``."""
    return time_summary(visit_filter, WAIT)


def service_summary(visit_filter: VisitFilter) -> TimeSummary:
    """Return the service time (finish − call, summed over legs) over the served visits."""
    return time_summary(visit_filter, SERVICE)


def time_summaries_by_each(
    visit_filter: VisitFilter, times: tuple[str, ...], group_by: str
) -> dict[str, dict[Any, TimeSummary]]:
    """Return, for each of ``times`` (WAIT, SERVICE), its summary per value of ``group_by``
    (one of SUMMARISABLE_BY), only values with a measured visit; a statement per time. Raises
    ValueError for another grouping."""
    return {time: time_summaries(visit_filter, time, (group_by,)).by[group_by] for time in times}


def time_summaries_by(
    visit_filter: VisitFilter, time: str, group_by: str
) -> dict[Any, TimeSummary]:
    """Return the summary of ``time`` per value of ``group_by`` (one of SUMMARISABLE_BY),
    only values with a measured visit. Raises ValueError for another grouping."""
    return time_summaries(visit_filter, time, (group_by,)).by[group_by]


def longest_waiting_subject_areas(
    visit_filter: VisitFilter, limit: int = 5
) -> list[tuple[int, TimeSummary]]:
    """Return up to ``limit`` subject areas (ids) with their wait, longest mean wait first
    (ties: longer median, then the lower id)."""
    return longest_waiting(time_summaries_by(visit_filter, WAIT, "subject_area_id"), limit)


def longest_waiting(
    summaries: dict[Any, TimeSummary], limit: int = 5
) -> list[tuple[Any, TimeSummary]]:
    """Return up to ``limit`` of ``summaries`` (waits by key), longest mean wait first (ties:
    longer median, then the lower key)."""
    ordered = sorted(
        summaries.items(),
        key=lambda item: (-(item[1].mean_seconds or 0), -(item[1].median_seconds or 0), item[0]),
    )
    return ordered[:limit]
