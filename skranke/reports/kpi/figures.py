"""The key figures of a filter and of the same dates a year earlier, with the change in %
(DESIGN.md, Definitions: year-over-year change = (this − last) ÷ last × 100)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.db.models import Q

from skranke.reports.kpi.counts import (
    OutcomeShares,
    Share,
    VisitCounts,
    count_aggregates,
    counts_from,
    outcome_aggregates,
    outcomes_from,
    tally,
)
from skranke.reports.kpi.distributions import (
    SERVICE,
    WAIT,
    TimeSummaries,
    TimeSummary,
    time_summaries,
)
from skranke.reports.kpi.filters import VisitFilter
from skranke.reports.kpi.goals import GoalResult, goal_results, within_goal_of_results
from skranke.reports.models import GoalKind

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


@dataclass(frozen=True)
class PeriodFigures:
    """A period's key figures with what was counted on the way: visit counts per value of each
    attribute asked for (``counts``), the wait per appointment and per each attribute asked for
    (``waits``), the service time per appointment (``service_times``), and every service goal in
    force with its figure (``goals``)."""

    key: KeyFigures
    counts: dict[str, dict[Any, VisitCounts]]
    waits: dict[str, dict[Any, TimeSummary]]
    service_times: dict[str, dict[Any, TimeSummary]]
    goals: list[GoalResult]
    wait_tables: TimeSummaries

    def called_within(self, seconds: int, attribute: str | None = None, value: Any = None) -> int:
        """Return the called visits (with ``attribute`` = ``value``, one of ``waits``'s
        attributes, if given) that waited at most ``seconds``."""
        return self.wait_tables.within(seconds, attribute, value)


def period_figures(
    visit_filter: VisitFilter,
    goal_minutes: int | None = None,
    counted_by: tuple[str, ...] = (),
    waits_by: tuple[str, ...] = (),
) -> PeriodFigures:
    """Return the key figures of ``visit_filter`` with the counts by ``counted_by`` and the
    wait by ``waits_by`` beside them; ``goal_minutes`` overrides the service goals for the
    within-goal share.

    Four statements whatever is asked: the counts (grouped by ``counted_by``, with appointments
    and outcomes beside; the totals are their sums), the wait's and the service time's frequency
    tables (kpi.percentiles; grouped by appointment and ``waits_by``), and every goal's figure
    (kpi.goals), whose "called within" goals give the within-goal share.
    """
    counted = tally(
        visit_filter,
        counted_by,
        {**count_aggregates("appointments_", Q(is_appointment=True)), **outcome_aggregates()},
    )
    waits = time_summaries(visit_filter, WAIT, ("is_appointment", *waits_by))
    service = time_summaries(visit_filter, SERVICE, ("is_appointment",))
    goals = goal_results(visit_filter)
    if goal_minutes is not None:
        within: Share | None = Share(waits.within(goal_minutes * 60), waits.overall.count)
    else:
        within = within_goal_of_results(
            [result for result in goals if result.goal.kind == GoalKind.CALLED_WITHIN]
        )
    counts, appointments = counts_from(counted.sums), counts_from(counted.sums, "appointments_")
    return PeriodFigures(
        key=KeyFigures(
            counts=counts,
            appointments=appointments,
            # Every visit is an appointment or a walk-in.
            walk_ins=counts - appointments,
            wait=waits.overall,
            service=service.overall,
            within_goal=within,
            outcomes=outcomes_from(counted.sums),
        ),
        counts=counted.by,
        waits=waits.by,
        service_times=service.by,
        goals=goals,
        wait_tables=waits,
    )


def key_figures(visit_filter: VisitFilter, goal_minutes: int | None = None) -> KeyFigures:
    """Return the key figures of ``visit_filter`` (see period_figures); ``goal_minutes``
    overrides the service goals for the within-goal share."""
    return period_figures(visit_filter, goal_minutes).key


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
