"""Visit counts: total, served, no-show and cancelled, for a filter and per day, ISO week,
month, weekday, hour of issue, subject area, queue, team or appointment; and the outcome shares
of served visits (first-contact resolution).

Each function is one grouped aggregate in the database (weeks and months are added up from the
day counts); calendar groupings list every day, week, month, weekday or hour of the period, with
zero counts where there were no visits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.db.models import Count, Q, QuerySet

from skranke.queue.models import Ending, Outcome, VisitFact
from skranke.reports.kpi.filters import SERVED, VisitFilter

# The attributes a visit can be counted by, beside the calendar.
GROUPABLE = frozenset(
    {"location_id", "first_queue_id", "subject_area_id", "team_id", "source", "is_appointment"}
)


@dataclass(frozen=True)
class VisitCounts:
    """Visits by how they ended; ``total`` is their sum."""

    total: int = 0
    served: int = 0
    no_show: int = 0
    cancelled: int = 0

    def __add__(self, other: VisitCounts) -> VisitCounts:
        return VisitCounts(
            total=self.total + other.total,
            served=self.served + other.served,
            no_show=self.no_show + other.no_show,
            cancelled=self.cancelled + other.cancelled,
        )


@dataclass(frozen=True)
class Share:
    """``part`` of ``whole``; its ``fraction`` is None when the whole is zero."""

    part: int
    whole: int

    @property
    def fraction(self) -> Fraction | None:
        return Fraction(self.part, self.whole) if self.whole else None


def _count_aggregates() -> dict[str, Any]:
    return {
        "total": Count("pk"),
        "served": Count("pk", filter=Q(ending=Ending.SERVED)),
        "no_show": Count("pk", filter=Q(ending=Ending.NO_SHOW)),
        "cancelled": Count("pk", filter=Q(ending=Ending.CANCELLED)),
    }


def _counts_of(row: dict[str, Any]) -> VisitCounts:
    return VisitCounts(
        total=row["total"], served=row["served"], no_show=row["no_show"], cancelled=row["cancelled"]
    )


def _grouped(visits: QuerySet[VisitFact], *keys: str) -> list[dict[str, Any]]:
    return list(visits.values(*keys).annotate(**_count_aggregates()).order_by())


def visit_counts(visit_filter: VisitFilter) -> VisitCounts:
    """Return the visits of ``visit_filter`` by how they ended."""
    return _counts_of(visit_filter.visits().aggregate(**_count_aggregates()))


def counts_by(visit_filter: VisitFilter, field: str) -> dict[Any, VisitCounts]:
    """Return counts per value of ``field`` (one of GROUPABLE), only values that occur; a
    visit without a team is counted under the key None. Raises ValueError for another field."""
    if field not in GROUPABLE:
        raise ValueError(f"cannot count visits by {field!r}")
    return {row[field]: _counts_of(row) for row in _grouped(visit_filter.visits(), field)}


def counts_by_day(visit_filter: VisitFilter) -> dict[dt.date, VisitCounts]:
    """Return counts per local date of issue, for every date of the period."""
    found = {row["issue_date"]: row for row in _grouped(visit_filter.visits(), "issue_date")}
    return {
        day: _counts_of(found[day]) if day in found else VisitCounts()
        for day in visit_filter.days()
    }


def week_label(day: dt.date) -> str:
    """Return the ISO week of ``day`` as "YYYY-Www" (2026-01-01 is in "2026-W01", 2027-01-01 in
    "2026-W53")."""
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def month_label(day: dt.date) -> str:
    """Return the month of ``day`` as "YYYY-MM"."""
    return f"{day.year}-{day.month:02d}"


def by_week(per_day: dict[dt.date, VisitCounts]) -> dict[str, VisitCounts]:
    """Return the counts of counts_by_day() added up per ISO week, in order."""
    return _added_up(per_day, week_label)


def by_month(per_day: dict[dt.date, VisitCounts]) -> dict[str, VisitCounts]:
    """Return the counts of counts_by_day() added up per calendar month, in order."""
    return _added_up(per_day, month_label)


def _added_up(
    per_day: dict[dt.date, VisitCounts], label: Callable[[dt.date], str]
) -> dict[str, VisitCounts]:
    # Weeks and months are added up from the day counts (at most a row per day from the
    # database), rather than grouped by the database, whose date functions SQLite runs as
    # Python calls for every visit.
    found: dict[str, VisitCounts] = {}
    for day, counts in per_day.items():
        found[label(day)] = found.get(label(day), VisitCounts()) + counts
    return found


def counts_by_week(visit_filter: VisitFilter) -> dict[str, VisitCounts]:
    """Return counts per ISO week ("YYYY-Www"), for every week the period touches."""
    return by_week(counts_by_day(visit_filter))


def counts_by_month(visit_filter: VisitFilter) -> dict[str, VisitCounts]:
    """Return counts per calendar month ("YYYY-MM"), for every month the period touches."""
    return by_month(counts_by_day(visit_filter))


def counts_by_weekday(visit_filter: VisitFilter) -> dict[int, VisitCounts]:
    """Return counts per local weekday of issue, 0 (Monday) to 6 (Sunday), all seven."""
    found = {row["issue_weekday"]: row for row in _grouped(visit_filter.visits(), "issue_weekday")}
    return {day: _counts_of(found[day]) if day in found else VisitCounts() for day in range(7)}


def counts_by_hour(visit_filter: VisitFilter) -> dict[int, VisitCounts]:
    """Return counts per local hour of issue, 0 to 23, all twenty-four (on the autumn change
    both 02:00 hours count under 2; on the spring change hour 2 has none)."""
    found = {row["issue_hour"]: row for row in _grouped(visit_filter.visits(), "issue_hour")}
    return {hour: _counts_of(found[hour]) if hour in found else VisitCounts() for hour in range(24)}


@dataclass(frozen=True)
class OutcomeShares:
    """How served visits ended: a count per outcome (every outcome present) over ``served``.

    A served visit with no outcome recorded (possible in imported history) counts in
    ``served`` and under no outcome.
    """

    served: int
    by_outcome: dict[str, int]

    def share(self, outcome: str) -> Share:
        return Share(self.by_outcome.get(outcome, 0), self.served)

    @property
    def first_contact_resolution(self) -> Share:
        """Served visits solved at the first contact ÷ served visits."""
        return self.share(Outcome.RESOLVED_FIRST_CONTACT)


def outcome_shares(visit_filter: VisitFilter) -> OutcomeShares:
    """Return the outcomes of the served visits of ``visit_filter``."""
    served = visit_filter.visits().filter(SERVED)
    found = {
        row["outcome"]: row["n"]
        for row in served.values("outcome").annotate(n=Count("pk")).order_by()
    }
    return OutcomeShares(
        served=sum(found.values()),
        by_outcome={outcome.value: found.get(outcome.value, 0) for outcome in Outcome},
    )
