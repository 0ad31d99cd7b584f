"""The KPI engine: every figure of the statistics, read from visit records (never events) with
aggregates in the database, for a VisitFilter (period, centres, queue, subject area, team,
source). Pages, the report, the API and exports all take their figures from here, so they agree.

Modules: ``filters`` (which visits), ``counts`` (visits per day, week, month, weekday, hour,
subject area, queue, team; outcome shares), ``percentiles`` (exact, per database),
``distributions`` (wait and service time), ``goals`` (service goals in force and met),
``figures`` (key figures and the same dates a year earlier), ``appointments`` (bookings by what
became of them and the appointment no-show rate, read from the bookings rather than the visit
records). Figures that can share a statement do: counts by several attributes are one grouped
statement that also sums the totals (tally), a time's count, sum, maximum and percentiles
overall and per group come from one frequency table (time_summaries), all goals' figures are
one statement, a period's key figures with the breakdowns a report needs are four
(period_figures), and its appointment figures one (appointment_figures), so a report reads its
visits a few times, not once per figure.
"""

from __future__ import annotations

from skranke.reports.kpi.appointments import (
    AppointmentCounts,
    AppointmentFigures,
    appointment_figures,
)
from skranke.reports.kpi.counts import (
    OutcomeShares,
    Share,
    Tally,
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
    tally,
    visit_counts,
    week_label,
)
from skranke.reports.kpi.distributions import (
    SERVICE,
    WAIT,
    TimeSummaries,
    TimeSummary,
    longest_waiting,
    longest_waiting_subject_areas,
    service_summary,
    time_summaries,
    time_summaries_by,
    time_summaries_by_each,
    time_summary,
    wait_summary,
)
from skranke.reports.kpi.figures import (
    KeyFigures,
    PeriodFigures,
    YearOnYear,
    change_percent,
    key_figures,
    period_figures,
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
    "AppointmentCounts",
    "AppointmentFigures",
    "GoalInForce",
    "GoalResult",
    "KeyFigures",
    "OutcomeShares",
    "PeriodFigures",
    "Share",
    "Tally",
    "TimeSummaries",
    "TimeSummary",
    "VisitCounts",
    "VisitFilter",
    "YearOnYear",
    "a_year_earlier",
    "appointment_figures",
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
    "longest_waiting",
    "longest_waiting_subject_areas",
    "month_label",
    "outcome_shares",
    "percentiles",
    "period_figures",
    "service_summary",
    "tally",
    "time_summaries",
    "time_summaries_by",
    "time_summaries_by_each",
    "time_summary",
    "visit_counts",
    "wait_summary",
    "week_label",
    "within_goal_share",
    "year_on_year",
]
