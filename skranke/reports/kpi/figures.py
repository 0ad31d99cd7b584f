"""The key figures of a filter and of the same dates a year earlier, with the change in %
(DESIGN.md, Definitions: year-over-year change = (this − last) ÷ last × 100)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from skranke.reports.kpi.counts import (
    OutcomeShares,
    Share,
    VisitCounts,
    counts_by,
    outcome_shares,
    visit_counts,
)
from skranke.reports.kpi.distributions import TimeSummary, service_summary, wait_summary
from skranke.reports.kpi.filters import VisitFilter
from skranke.reports.kpi.goals import within_goal_share

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
    for the within-goal share."""
    by_appointment = counts_by(visit_filter, "is_appointment")
    return KeyFigures(
        counts=visit_counts(visit_filter),
        appointments=by_appointment.get(True, VisitCounts()),
        walk_ins=by_appointment.get(False, VisitCounts()),
        wait=wait_summary(visit_filter),
        service=service_summary(visit_filter),
        within_goal=within_goal_share(visit_filter, goal_minutes),
        outcomes=outcome_shares(visit_filter),
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
