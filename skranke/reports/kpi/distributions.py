"""Wait and service time: count, mean, median, 90th percentile and maximum, for a filter or
per subject area or appointment (DESIGN.md, Definitions).

The wait is counted over called visits (served or no-show), the service time (summed over the
legs of a transferred visit) over served visits. Sums, counts and maxima are aggregates in the
database; the mean is their exact quotient, so it is the same on every database. Where the
database computes percentiles as an aggregate (PostgreSQL), they come in the same statement as
the rest; elsewhere they are ranked in a statement of their own (kpi.percentiles).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.db.models import Count, Max, Q, QuerySet, Sum

from skranke.queue.models import VisitFact
from skranke.reports.kpi.filters import CALLED, SERVED, VisitFilter
from skranke.reports.kpi.percentiles import (
    MEDIAN_AND_P90,
    Percentiles,
    PercentilesCont,
    computed_in_statement,
    percentiles_by_rank,
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


def summary_aggregates(visits: QuerySet[VisitFact], field: str) -> dict[str, Any]:
    """Return the aggregates of the summary of ``field`` (WAIT or SERVICE) over the measured
    visits among ``visits``, named after the field: count, sum and maximum, and the percentiles
    where the database computes them in the statement. summary_from reads them back."""
    measured = MEASURED[field]
    found: dict[str, Any] = {
        f"{field}_n": Count(field, filter=measured),
        f"{field}_total": Sum(field, filter=measured),
        f"{field}_longest": Max(field, filter=measured),
    }
    if computed_in_statement(visits):
        found[f"{field}_values"] = PercentilesCont(field, MEDIAN_AND_P90, measured)
    return found


def _summary(row: dict[str, Any], field: str, percentiles: Percentiles) -> TimeSummary:
    if not row[f"{field}_n"]:
        return TimeSummary()
    median, p90 = percentiles
    return TimeSummary(
        count=row[f"{field}_n"],
        total_seconds=row[f"{field}_total"],
        max_seconds=row[f"{field}_longest"],
        median_seconds=median,
        p90_seconds=p90,
    )


def _ranked(
    visits: QuerySet[VisitFact], field: str, group_by: str | None
) -> dict[Any, Percentiles]:
    return percentiles_by_rank(visits.filter(MEASURED[field]), field, group_by)


def summary_from(row: dict[str, Any], visits: QuerySet[VisitFact], field: str) -> TimeSummary:
    """Return the summary of ``field`` in a ``row`` of summary_aggregates(``visits``, field);
    where that statement did not compute the percentiles, they are ranked in one of their own."""
    if not row[f"{field}_n"]:
        return TimeSummary()
    if f"{field}_values" in row:
        return _summary(row, field, row[f"{field}_values"])
    return _summary(row, field, _ranked(visits, field, None)[None])


def time_summary(visit_filter: VisitFilter, field: str) -> TimeSummary:
    """Return the summary of ``field`` (WAIT over called visits, SERVICE over served ones)."""
    visits = visit_filter.visits()
    row = visits.filter(MEASURED[field]).aggregate(**summary_aggregates(visits, field))
    return summary_from(row, visits, field)


def wait_summary(visit_filter: VisitFilter) -> TimeSummary:
    """Return the wait (first call − issue, or − max(check-in, booked time) for a checked-in
    appointment) over the called visits of ``visit_filter``."""
    return time_summary(visit_filter, WAIT)


def service_summary(visit_filter: VisitFilter) -> TimeSummary:
    """Return the service time (finish − call, summed over legs) over the served visits."""
    return time_summary(visit_filter, SERVICE)


def time_summaries_by_each(
    visit_filter: VisitFilter, fields: tuple[str, ...], group_by: str
) -> dict[str, dict[Any, TimeSummary]]:
    """Return, for each of ``fields`` (WAIT, SERVICE), its summary per value of ``group_by``
    (one of SUMMARISABLE_BY), only values with a measured visit; all fields in one grouped
    statement. Raises ValueError for another grouping."""
    if group_by not in SUMMARISABLE_BY:
        raise ValueError(f"cannot summarise visits by {group_by!r}")
    visits = visit_filter.visits()
    aggregates: dict[str, Any] = {}
    for field in fields:
        aggregates.update(summary_aggregates(visits, field))
    measured = Q()
    for field in fields:
        measured |= MEASURED[field]
    rows = list(visits.filter(measured).values(group_by).annotate(**aggregates).order_by())
    in_statement = computed_in_statement(visits)
    found: dict[str, dict[Any, TimeSummary]] = {}
    for field in fields:
        ranked = {} if in_statement or not rows else _ranked(visits, field, group_by)
        found[field] = {
            row[group_by]: _summary(
                row, field, row[f"{field}_values"] if in_statement else ranked[row[group_by]]
            )
            for row in rows
            if row[f"{field}_n"]
        }
    return found


def time_summaries_by(
    visit_filter: VisitFilter, field: str, group_by: str
) -> dict[Any, TimeSummary]:
    """Return the summary of ``field`` per value of ``group_by`` (one of SUMMARISABLE_BY),
    only values with a measured visit. Raises ValueError for another grouping."""
    return time_summaries_by_each(visit_filter, (field,), group_by)[field]


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
