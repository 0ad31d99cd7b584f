"""The key figures of a filter and of the same dates a year earlier, with the change in %
(DESIGN.md, Definitions: year-over-year change = (this − last) ÷ last × 100)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from django.db.models import Q

from skranke.reports.kpi.counts import (
    OutcomeShares,
    Share,
    VisitCounts,
    count_aggregates,
    counts_from,
    outcome_aggregates,
    outcomes_from,
)
from skranke.reports.kpi.distributions import (
    SERVICE,
    WAIT,
    TimeSummary,
    summary_aggregates,
    summary_from,
)
from skranke.reports.kpi.filters import VisitFilter
from skranke.reports.kpi.goals import within_goal_aggregates, within_goal_from

Number = int | float | Fraction


def change_percent(this: Number | None, last: Number | None) -> Fraction | None:
    """Return (this − last) ÷ last × 100, exactly; None when either is missing or last is 0."""
    if this is None or last is None or last == 0:
        return None
    return (Fraction(this) - Fraction(last)) / Fraction(last) * 100


@dataclass(frozen=True)
class KeyFigures:
    """What a period is summed up by: visits, appointments and walk-ins, wait and service time,
    the share within the service goal (None without a goal) and the outcomes of served visits."""

    counts: VisitCounts
    appointments: VisitCounts
    walk_ins: VisitCounts
    wait: TimeSummary
    service: TimeSummary
    within_goal: Share | None
    outcomes: OutcomeShares

    def values(self) -> dict[str, Number | None]:
        """Return the single figures by name, as year_on_year compares them: counts, wait and
        service seconds (mean, median, p90, max), shares as fractions."""
        within = self.within_goal.fraction if self.within_goal is not None else None
        return {
            "visits": self.counts.total,
            "served": self.counts.served,
            "no_show": self.counts.no_show,
            "cancelled": self.counts.cancelled,
            "appointments": self.appointments.total,
            "walk_ins": self.walk_ins.total,
            "wait_mean": self.wait.mean_seconds,
            "wait_median": self.wait.median_seconds,
            "wait_p90": self.wait.p90_seconds,
            "wait_max": self.wait.max_seconds,
            "within_goal_share": within,
            "service_mean": self.service.mean_seconds,
            "service_median": self.service.median_seconds,
            "service_p90": self.service.p90_seconds,
            "service_max": self.service.max_seconds,
            "first_contact_resolution": self.outcomes.first_contact_resolution.fraction,
        }


def key_figures(visit_filter: VisitFilter, goal_minutes: int | None = None) -> KeyFigures:
    """Return the key figures of ``visit_filter``; ``goal_minutes`` overrides the service goals
    for the within-goal share.

    Every figure is an aggregate of one statement over the filter's visits (each with its own
    condition), percentiles included where the database computes them as aggregates; elsewhere
    they are ranked in a statement each for the wait and the service time.
    """
    visits = visit_filter.visits()
    row = visits.aggregate(
        **count_aggregates(),
        **count_aggregates("appointments_", Q(is_appointment=True)),
        **summary_aggregates(visits, WAIT),
        **summary_aggregates(visits, SERVICE),
        **within_goal_aggregates(visit_filter, goal_minutes),
        **outcome_aggregates(),
    )
    counts, appointments = counts_from(row), counts_from(row, "appointments_")
    return KeyFigures(
        counts=counts,
        appointments=appointments,
        # Every visit is an appointment or a walk-in.
        walk_ins=counts - appointments,
        wait=summary_from(row, visits, WAIT),
        service=summary_from(row, visits, SERVICE),
        within_goal=within_goal_from(row),
        outcomes=outcomes_from(row),
    )


@dataclass(frozen=True)
class YearOnYear:
    """The key figures of a period and of the same dates a year earlier."""

    this: KeyFigures
    last: KeyFigures
    last_filter: VisitFilter

    def changes(self) -> dict[str, Fraction | None]:
        """Return the change in % of every figure of KeyFigures.values()."""
        last = self.last.values()
        return {
            name: change_percent(value, last[name]) for name, value in self.this.values().items()
        }


def year_on_year(visit_filter: VisitFilter, goal_minutes: int | None = None) -> YearOnYear:
    """Return the key figures of ``visit_filter`` and of the same dates a year earlier (29
    February counted as 28 February)."""
    last_filter = visit_filter.a_year_earlier()
    return YearOnYear(
        this=key_figures(visit_filter, goal_minutes),
        last=key_figures(last_filter, goal_minutes),
        last_filter=last_filter,
    )
