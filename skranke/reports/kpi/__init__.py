"""The KPI engine: every figure of the statistics, read from visit records (never events) with
aggregates in the database, for a VisitFilter (period, centres, queue, subject area, team,
source). Pages, the report, the API and exports all take their figures from here, so they agree.

Modules: ``filters`` (which visits), ``counts`` (visits per day, week, month, weekday, hour,
subject area, queue, team; outcome shares), ``percentiles`` (exact, per database),
``distributions`` (wait and service time), ``goals`` (service goals in force and met),
``figures`` (key figures and the same dates a year earlier). Figures that can share a statement
do: a period's key figures are one statement, all goals' figures another, and counts or times
by several attributes one grouped statement each (counts_by_each, time_summaries_by_each), so
a report reads its visits a few times, not once per figure.
"""

from __future__ import annotations

from skranke.reports.kpi.counts import (
    OutcomeShares,
    Share,
    VisitCounts,
    by_month,
    by_week,
    counts_by,
    counts_by_day,
    counts_by_each,
    counts_by_hour,
    counts_by_month,
    counts_by_week,
    counts_by_weekday,
    month_label,
    outcome_shares,
    visit_counts,
    week_label,
)
from skranke.reports.kpi.distributions import (
    SERVICE,
    WAIT,
    TimeSummary,
    longest_waiting_subject_areas,
    service_summary,
    time_summaries_by,
    time_summaries_by_each,
    time_summary,
    wait_summary,
)
from skranke.reports.kpi.figures import (
    KeyFigures,
    YearOnYear,
    change_percent,
    key_figures,
    year_on_year,
)
from skranke.reports.kpi.filters import CALLED, SERVED, VisitFilter, a_year_earlier
from skranke.reports.kpi.goals import (
    GoalInForce,
    GoalResult,
    goal_results,
    goals_in_force,
    within_goal_share,
)
from skranke.reports.kpi.percentiles import percentiles

__all__ = [
    "CALLED",
    "SERVED",
    "SERVICE",
    "WAIT",
    "GoalInForce",
    "GoalResult",
    "KeyFigures",
    "OutcomeShares",
    "Share",
    "TimeSummary",
    "VisitCounts",
    "VisitFilter",
    "YearOnYear",
    "a_year_earlier",
    "by_month",
    "by_week",
    "change_percent",
    "counts_by",
    "counts_by_day",
    "counts_by_each",
    "counts_by_hour",
    "counts_by_month",
    "counts_by_week",
    "counts_by_weekday",
    "goal_results",
    "goals_in_force",
    "key_figures",
    "longest_waiting_subject_areas",
    "month_label",
    "outcome_shares",
    "percentiles",
    "service_summary",
    "time_summaries_by",
    "time_summaries_by_each",
    "time_summary",
    "visit_counts",
    "wait_summary",
    "week_label",
    "within_goal_share",
    "year_on_year",
]
