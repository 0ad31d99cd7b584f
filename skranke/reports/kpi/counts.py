"""Visit counts: total, served, no-show and cancelled, for a filter and per day, ISO week,
month, weekday, hour of issue, subject area, queue, team or appointment; and the outcome shares
of served visits (first-contact resolution).

Each function is one grouped aggregate in the database (weeks and months are added up from the
day counts); calendar groupings list every day, week, month, weekday or hour of the period, with
zero counts where there were no visits. counts_by_each counts by several attributes in one
statement (tally), which also sums the filter's totals, and the aggregates of those totals are
offered (count_aggregates, outcome_aggregates) for a statement that gathers several figures at
once (kpi.figures).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.db.models import Count, Q

from skranke.queue.models import Ending, Outcome
from skranke.reports.kpi.filters import SERVED, VisitFilter

# The attributes a visit can be counted by, beside the calendar.
GROUPABLE = frozenset(
    {"location_id", "first_queue_id", "subject_area_id", "team_id", "source", "is_appointment"}
)
# The calendar's attributes (local date, hour and weekday of issue), listed in full with zeros.
CALENDAR = frozenset({"issue_date", "issue_hour", "issue_weekday"})


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

    def __sub__(self, other: VisitCounts) -> VisitCounts:
        return VisitCounts(
            total=self.total - other.total,
            served=self.served - other.served,
            no_show=self.no_show - other.no_show,
            cancelled=self.cancelled - other.cancelled,
        )


@dataclass(frozen=True)
class Share:
    """``part`` of ``whole``; its ``fraction`` is None when the whole is zero."""

    part: int
    whole: int

    @property
    def fraction(self) -> Fraction | None:
        return Fraction(self.part, self.whole) if self.whole else None


def count_aggregates(prefix: str = "", condition: Q | None = None) -> dict[str, Any]:
    """Return the aggregates of VisitCounts, named from ``prefix``, over the visits meeting
    ``condition`` (all without one); counts_from reads them back."""
    visits = condition if condition is not None else Q()
    return {
        f"{prefix}total": Count("pk", filter=condition),
        f"{prefix}served": Count("pk", filter=visits & Q(ending=Ending.SERVED)),
        f"{prefix}no_show": Count("pk", filter=visits & Q(ending=Ending.NO_SHOW)),
        f"{prefix}cancelled": Count("pk", filter=visits & Q(ending=Ending.CANCELLED)),
    }


def counts_from(row: dict[str, Any], prefix: str = "") -> VisitCounts:
    """Return the VisitCounts of count_aggregates(``prefix``) in an aggregate's ``row``."""
    return VisitCounts(
        total=row[f"{prefix}total"],
        served=row[f"{prefix}served"],
        no_show=row[f"{prefix}no_show"],
        cancelled=row[f"{prefix}cancelled"],
    )


def visit_counts(visit_filter: VisitFilter) -> VisitCounts:
    """Return the visits of ``visit_filter`` by how they ended."""
    return counts_from(visit_filter.visits().aggregate(**count_aggregates()))


@dataclass(frozen=True)
class Tally:
    """Counts per value of each attribute asked for, and every aggregate of the statement
    summed over the whole filter (``sums``, read back with counts_from or outcomes_from)."""

    by: dict[str, dict[Any, VisitCounts]]
    sums: dict[str, int]


def tally(
    visit_filter: VisitFilter, fields: tuple[str, ...] = (), extra: dict[str, Any] | None = None
) -> Tally:
    """Count the filter's visits per value of each of ``fields`` (GROUPABLE or CALENDAR) in
    one grouped statement, with ``extra`` aggregates (counts, so that they add up) beside
    count_aggregates(). Calendar fields list every day of the period, hours 0-23 and weekdays
    0-6 (Monday 0); the others only values that occur (a visit without a team under the key
    None).

    The statement groups by all of ``fields`` at once and adds up per field here, so ask it for
    fields whose combinations stay few (the calendar's, or subject area, queue and team), not
    for all of them together. Raises ValueError for another field.
    """
    unknown = [field for field in fields if field not in GROUPABLE | CALENDAR]
    if unknown:
        raise ValueError(f"cannot count visits by {unknown[0]!r}")
    aggregates = {**count_aggregates(), **(extra or {})}
    visits = visit_filter.visits()
    if fields:
        rows = list(visits.values(*fields).annotate(**aggregates).order_by())
    else:
        rows = [visits.aggregate(**aggregates)]
    found: dict[str, dict[Any, VisitCounts]] = {field: {} for field in fields}
    sums = dict.fromkeys(aggregates, 0)
    for row in rows:
        for name in aggregates:
            sums[name] += row[name] or 0
        counts = counts_from(row)
        for field in fields:
            value = row[field]
            found[field][value] = found[field].get(value, VisitCounts()) + counts
    every = {
        "issue_date": visit_filter.days(),
        "issue_hour": range(24),
        "issue_weekday": range(7),
    }
    for field in CALENDAR.intersection(fields):
        found[field] = {key: found[field].get(key, VisitCounts()) for key in every[field]}
    return Tally(by=found, sums=sums)


def counts_by_each(
    visit_filter: VisitFilter, fields: tuple[str, ...]
) -> dict[str, dict[Any, VisitCounts]]:
    """Return, for each of ``fields`` (GROUPABLE or CALENDAR), the counts per value, from one
    statement (see tally). Raises ValueError for another field."""
    return tally(visit_filter, fields).by


def counts_by(visit_filter: VisitFilter, field: str) -> dict[Any, VisitCounts]:
    """Return counts per value of ``field`` (one of GROUPABLE), only values that occur; a
    visit without a team is counted under the key None. Raises ValueError for another field."""
    if field not in GROUPABLE:
        raise ValueError(f"cannot count visits by {field!r}")
    return counts_by_each(visit_filter, (field,))[field]


def counts_by_day(visit_filter: VisitFilter) -> dict[dt.date, VisitCounts]:
    """Return counts per local date of issue, for every date of the period."""
    return counts_by_each(visit_filter, ("issue_date",))["issue_date"]


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
    return counts_by_each(visit_filter, ("issue_weekday",))["issue_weekday"]


def counts_by_hour(visit_filter: VisitFilter) -> dict[int, VisitCounts]:
    """Return counts per local hour of issue, 0 to 23, all twenty-four (on the autumn change
    both 02:00 hours count under 2; on the spring change hour 2 has none)."""
    return counts_by_each(visit_filter, ("issue_hour",))["issue_hour"]


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


def outcome_aggregates() -> dict[str, Any]:
    """Return the aggregates of OutcomeShares (served visits, and those of each outcome);
    outcomes_from reads them back."""
    return {
        "outcome_served": Count("pk", filter=SERVED),
        **{
            f"outcome_{outcome.value}": Count("pk", filter=SERVED & Q(outcome=outcome.value))
            for outcome in Outcome
        },
    }


def outcomes_from(row: dict[str, Any]) -> OutcomeShares:
    """Return the OutcomeShares of outcome_aggregates() in an aggregate's ``row``."""
    return OutcomeShares(
        served=row["outcome_served"],
        by_outcome={outcome.value: row[f"outcome_{outcome.value}"] for outcome in Outcome},
    )


def outcome_shares(visit_filter: VisitFilter) -> OutcomeShares:
    """Return the outcomes of the served visits of ``visit_filter``."""
    return outcomes_from(visit_filter.visits().aggregate(**outcome_aggregates()))
