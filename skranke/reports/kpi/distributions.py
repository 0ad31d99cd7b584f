"""Wait and service time: count, mean, median, 90th percentile and maximum, for a filter or
per subject area or appointment (DESIGN.md, Definitions).

The wait is counted over called visits (served or no-show), the service time (summed over the
legs of a transferred visit) over served visits. Sums, counts and maxima are aggregates in the
database; the mean is their exact quotient, so it is the same on every database.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.db.models import Count, Max, QuerySet, Sum

from skranke.queue.models import VisitFact
from skranke.reports.kpi.filters import CALLED, SERVED, VisitFilter
from skranke.reports.kpi.percentiles import percentiles

WAIT = "wait_seconds"
SERVICE = "service_seconds"
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


def _measured(visit_filter: VisitFilter, field: str) -> QuerySet[VisitFact]:
    return visit_filter.visits().filter(CALLED if field == WAIT else SERVED)


def _aggregates(field: str) -> dict[str, Any]:
    return {"n": Count(field), "total": Sum(field), "longest": Max(field)}


def _summary(row: dict[str, Any], found: tuple[float | None, ...]) -> TimeSummary:
    if not row["n"]:
        return TimeSummary()
    median, p90 = found
    return TimeSummary(
        count=row["n"],
        total_seconds=row["total"],
        max_seconds=row["longest"],
        median_seconds=median,
        p90_seconds=p90,
    )


def time_summary(visit_filter: VisitFilter, field: str) -> TimeSummary:
    """Return the summary of ``field`` (WAIT over called visits, SERVICE over served ones)."""
    measured = _measured(visit_filter, field)
    row = measured.aggregate(**_aggregates(field))
    return _summary(row, percentiles(measured, field)[None])


def wait_summary(visit_filter: VisitFilter) -> TimeSummary:
    """Return the wait (first call − issue, or − max(check-in, booked time) for a checked-in
    appointment) over the called visits of ``visit_filter``."""
    return time_summary(visit_filter, WAIT)


def service_summary(visit_filter: VisitFilter) -> TimeSummary:
    """Return the service time (finish − call, summed over legs) over the served visits."""
    return time_summary(visit_filter, SERVICE)


def time_summaries_by(
    visit_filter: VisitFilter, field: str, group_by: str
) -> dict[Any, TimeSummary]:
    """Return the summary of ``field`` per value of ``group_by`` (one of SUMMARISABLE_BY),
    only values with a measured visit. Raises ValueError for another grouping."""
    if group_by not in SUMMARISABLE_BY:
        raise ValueError(f"cannot summarise visits by {group_by!r}")
    measured = _measured(visit_filter, field)
    rows = measured.values(group_by).annotate(**_aggregates(field)).order_by()
    found = percentiles(measured, field, group_by)
    return {row[group_by]: _summary(row, found[row[group_by]]) for row in rows}


def longest_waiting_subject_areas(
    visit_filter: VisitFilter, limit: int = 5
) -> list[tuple[int, TimeSummary]]:
    """Return up to ``limit`` subject areas (ids) with their wait, longest mean wait first
    (ties: longer median, then the lower id)."""
    summaries = time_summaries_by(visit_filter, WAIT, "subject_area_id")
    ordered = sorted(
        summaries.items(),
        key=lambda item: (-(item[1].mean_seconds or 0), -(item[1].median_seconds or 0), item[0]),
    )
    return ordered[:limit]
