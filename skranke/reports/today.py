"""Today at a centre, for the manager's home and the live floor: who waits now, what was served
so far, and each service goal in force today judged met, at risk or missed.

The figures of the day so far are the KPI engine's (kpi.period_figures over today at the
centre), so the home page, the live floor, the report and the API agree on them. What waits now
is the live status the counters and displays show (queue.reads.status).

A goal's status (GoalStatus) on a day not yet over:
- missed: its figure so far misses the target (a share below it; a mean wait above it);
- at risk: it is met so far, but a citizen waiting now in its scope has already waited the
  goal's minutes (that visit will count against it), or the figure is close to the target: a
  share less than AT_RISK_SHARE_POINTS above it, a mean wait above AT_RISK_MEAN_PART of the
  longest allowed;
- met: otherwise;
- none (no status): no called visit in its scope yet and nobody waiting past its minutes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from skranke.booking.slots import appointments_booked_on
from skranke.lib.localtime import local_date
from skranke.organisation.models import Location
from skranke.queue.reads.status import LocationState, QueueState, location_status
from skranke.reports.kpi import (
    GoalResult,
    PeriodFigures,
    VisitCounts,
    VisitFilter,
    period_figures,
)
from skranke.reports.models import GoalKind, ServiceGoal

# A share of visits called within the goal less than this many points above its target is at
# risk; a mean wait above this part of the longest allowed is at risk.
AT_RISK_SHARE_POINTS = Fraction(5, 100)
AT_RISK_MEAN_PART = Fraction(4, 5)


class GoalStatus(models.TextChoices):
    MET = "met", _("met")
    AT_RISK = "at_risk", _("at risk")
    MISSED = "missed", _("missed")


@dataclass(frozen=True)
class GoalToday:
    """A goal in force today, its figure so far (a share 0..1, or a mean wait in seconds; None
    without called visits) and its status."""

    goal: ServiceGoal
    value: Fraction | None
    status: GoalStatus | None

    @property
    def target(self) -> Fraction:
        if self.goal.kind == GoalKind.CALLED_WITHIN:
            return Fraction(self.goal.target_percent or 0, 100)
        return Fraction(self.goal.minutes * 60)


@dataclass(frozen=True)
class QueueToday:
    """A queue now and today: the live state, visits served so far, and its goals."""

    state: QueueState
    served: int
    within_goal: GoalToday | None
    mean_wait: GoalToday | None

    @property
    def missing_a_goal(self) -> bool:
        return any(
            goal is not None and goal.status == GoalStatus.MISSED
            for goal in (self.within_goal, self.mean_wait)
        )


@dataclass(frozen=True)
class CentreToday:
    """A centre now and today: who waits, what was served, the centre's goals and each
    queue's."""

    location: Location
    live: LocationState
    figures: PeriodFigures
    goals: list[GoalToday]
    queues: list[QueueToday]
    # Appointments booked for today (not cancelled).
    appointments: int = 0

    @property
    def waiting(self) -> int:
        return sum(queue.waiting for queue in self.live.queues)

    @property
    def longest_wait_minutes(self) -> int | None:
        return _longest(self.live.queues)

    @property
    def served(self) -> int:
        return self.figures.key.counts.served

    def centre_goal(self, kind: str) -> GoalToday | None:
        """The centre's figure for goals of ``kind`` today: the share of all its called visits
        within their goal (each held to its own, kpi.within_goal) or its mean wait, beside the
        centre's own goal of that kind (else the first queue's), judged by the worst status of
        its goals of that kind; None without such a goal."""
        of_kind = [goal for goal in self.goals if goal.goal.kind == kind]
        if not of_kind:
            return None
        centre_wide = [goal for goal in of_kind if goal.goal.queue_id is None]
        key = self.figures.key
        if kind == GoalKind.CALLED_WITHIN:
            value = key.within_goal.fraction if key.within_goal is not None else None
        else:
            value = key.wait.mean_seconds
        return GoalToday(
            goal=(centre_wide or of_kind)[0].goal,
            value=value,
            status=worst(goal.status for goal in of_kind),
        )

    @property
    def within_goal(self) -> GoalToday | None:
        return self.centre_goal(GoalKind.CALLED_WITHIN)

    @property
    def mean_wait(self) -> GoalToday | None:
        return self.centre_goal(GoalKind.MEAN_WAIT)

    @property
    def status(self) -> GoalStatus | None:
        """The worst status of the day's goals (None when none has one)."""
        return worst(goal.status for goal in self.goals)


def worst(statuses: Iterable[GoalStatus | None]) -> GoalStatus | None:
    """Return the worst of ``statuses`` (missed, at risk, met); None when none has one."""
    found = set(statuses)
    order = (GoalStatus.MISSED, GoalStatus.AT_RISK, GoalStatus.MET)
    return next((status for status in order if status in found), None)


def goal_status(
    goal: ServiceGoal, value: Fraction | None, longest_waiting_minutes: int | None
) -> GoalStatus | None:
    """Return the status of ``goal`` with its figure so far ``value`` while the longest of
    those waiting in its scope has waited ``longest_waiting_minutes`` (see the module)."""
    overdue = longest_waiting_minutes is not None and longest_waiting_minutes >= goal.minutes
    if value is None:
        return GoalStatus.AT_RISK if overdue else None
    if goal.kind == GoalKind.CALLED_WITHIN:
        target = Fraction(goal.target_percent or 0, 100)
        if value < target:
            return GoalStatus.MISSED
        close = value < target + AT_RISK_SHARE_POINTS
    else:
        target = Fraction(goal.minutes * 60)
        if value > target:
            return GoalStatus.MISSED
        close = value > target * AT_RISK_MEAN_PART
    return GoalStatus.AT_RISK if overdue or close else GoalStatus.MET


def _longest(queues: list[QueueState]) -> int | None:
    return max(
        (queue.longest_wait_minutes for queue in queues if queue.longest_wait_minutes is not None),
        default=None,
    )


def centre_today(location: Location, now: dt.datetime | None = None) -> CentreToday:
    """Return ``location`` now and today so far (see the module)."""
    now = now or timezone.now()
    today = local_date(now)
    live = location_status(location, now)
    figures = period_figures(
        VisitFilter(today, today, location_ids=(location.pk,)),
        counted_by=("first_queue_id",),
        waits_by=("first_queue_id",),
    )
    own_goals = {
        (result.goal.queue_id, result.goal.kind): result
        for result in figures.goals
        if result.goal.queue_id is not None
    }
    centre_goals = {
        result.goal.kind: result for result in figures.goals if result.goal.queue_id is None
    }
    goals = [
        GoalToday(
            goal=result.goal,
            value=result.value,
            status=goal_status(
                result.goal, result.value, _in_scope_longest(result, live, own_goals)
            ),
        )
        for result in figures.goals
    ]
    queues = []
    for state in live.queues:
        judged = {}
        for kind in (GoalKind.CALLED_WITHIN, GoalKind.MEAN_WAIT):
            result = own_goals.get((state.id, kind)) or centre_goals.get(kind)
            judged[kind] = None if result is None else _queue_goal(figures, result, state)
        queues.append(
            QueueToday(
                state=state,
                served=figures.counts["first_queue_id"].get(state.id, VisitCounts()).served,
                within_goal=judged[GoalKind.CALLED_WITHIN],
                mean_wait=judged[GoalKind.MEAN_WAIT],
            )
        )
    return CentreToday(
        location=location,
        live=live,
        figures=figures,
        goals=goals,
        queues=queues,
        appointments=appointments_booked_on(location, today),
    )


def _in_scope_longest(
    result: GoalResult, live: LocationState, own_goals: dict[tuple[int, str], GoalResult]
) -> int | None:
    """The longest wait now among the queues ``result``'s goal covers today."""
    goal = result.goal
    if goal.queue_id is not None:
        covered = [queue for queue in live.queues if queue.id == goal.queue_id]
    else:
        covered = [queue for queue in live.queues if (queue.id, goal.kind) not in own_goals]
    return _longest(covered)


def _queue_goal(figures: PeriodFigures, result: GoalResult, state: QueueState) -> GoalToday:
    """The goal ``result`` judged over one queue's visits today."""
    goal = result.goal
    wait = figures.waits["first_queue_id"].get(state.id)
    value: Fraction | None = None
    if wait is not None and wait.count:
        if goal.kind == GoalKind.CALLED_WITHIN:
            within = figures.called_within(goal.minutes * 60, "first_queue_id", state.id)
            value = Fraction(within, wait.count)
        else:
            value = wait.mean_seconds
    return GoalToday(goal=goal, value=value, status=goal_status(goal, value, _longest([state])))
