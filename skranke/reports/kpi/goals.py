"""Service goals over a period: which goal was in force on which days for which visits, each
goal's figure beside its target, and the share of called visits within the goal (DESIGN.md,
Definitions: within goal).

The goal in force on a day is, for its kind and scope, the one with the latest ``valid_from`` on
or before that day. A queue's own goal of a kind replaces the centre's for the visits issued in
that queue; the centre's covers the rest of its visits.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    IntegerField,
    Q,
    Sum,
    Value,
    When,
)

from skranke.reports.kpi.counts import Share
from skranke.reports.kpi.filters import CALLED, VisitFilter
from skranke.reports.models import GoalKind, ServiceGoal


@dataclass(frozen=True)
class GoalInForce:
    """A goal and the days of the period it was in force (both included), with the visits it
    covered on them (``scope``, a condition on visit records)."""

    goal: ServiceGoal
    first_day: dt.date
    last_day: dt.date
    scope: Q


@dataclass(frozen=True)
class GoalResult:
    """A goal's figure over the visits it covered: called visits, those called within its
    minutes, and their total wait."""

    in_force: GoalInForce
    called: int
    within: int
    total_wait_seconds: int

    @property
    def goal(self) -> ServiceGoal:
        return self.in_force.goal

    @property
    def value(self) -> Fraction | None:
        """The share called within the minutes (0..1), or the mean wait in seconds; None
        without called visits."""
        if not self.called:
            return None
        if self.goal.kind == GoalKind.CALLED_WITHIN:
            return Fraction(self.within, self.called)
        return Fraction(self.total_wait_seconds, self.called)

    @property
    def target(self) -> Fraction:
        """The share to reach (0..1), or the longest mean wait allowed in seconds."""
        if self.goal.kind == GoalKind.CALLED_WITHIN:
            return Fraction(self.goal.target_percent or 0, 100)
        return Fraction(self.goal.minutes * 60)

    @property
    def met(self) -> bool | None:
        """Whether the goal was reached (a share at least its target, a mean at most it);
        None without called visits."""
        value = self.value
        if value is None:
            return None
        if self.goal.kind == GoalKind.CALLED_WITHIN:
            return value >= self.target
        return value <= self.target


def _periods(
    goals: list[ServiceGoal], date_from: dt.date, date_to: dt.date
) -> list[tuple[ServiceGoal, dt.date, dt.date]]:
    """Return each goal of one kind and scope (sorted by valid_from) with the days of
    [date_from, date_to] it was in force, leaving out those in force on none."""
    found = []
    for index, goal in enumerate(goals):
        replaced = goals[index + 1].valid_from if index + 1 < len(goals) else None
        first = max(goal.valid_from, date_from)
        last = date_to if replaced is None else min(date_to, replaced - dt.timedelta(days=1))
        if first <= last:
            found.append((goal, first, last))
    return found


def goals_in_force(visit_filter: VisitFilter) -> list[GoalInForce]:
    """Return every goal in force on some day of the filter's period at its centres, with its
    days and the visits it covered; with a queue in the filter, only its centre's goal and its
    own. Ordered by centre, then the centre's goals before queue goals, kind and date."""
    if visit_filter.is_empty:
        return []
    goals = ServiceGoal.objects.filter(valid_from__lte=visit_filter.date_to).select_related(
        "location", "queue"
    )
    if visit_filter.location_ids is not None:
        goals = goals.filter(location_id__in=visit_filter.location_ids)
    if visit_filter.queue_id is not None:
        goals = goals.filter(location__queues=visit_filter.queue_id)
    by_scope: dict[tuple[int, int | None, str], list[ServiceGoal]] = defaultdict(list)
    for goal in goals.order_by("valid_from"):
        by_scope[(goal.location_id, goal.queue_id, goal.kind)].append(goal)
    periods = {
        scope: _periods(scoped, visit_filter.date_from, visit_filter.date_to)
        for scope, scoped in by_scope.items()
    }
    # The days on which a queue's own goal of a kind replaced its centre's.
    own_goal: dict[tuple[int, str], list[Q]] = defaultdict(list)
    for (location_id, queue_id, kind), found in periods.items():
        if queue_id is not None:
            own_goal[(location_id, kind)] += [
                Q(first_queue_id=queue_id, issue_date__range=(first, last))
                for _goal, first, last in found
            ]
    in_force = []
    for (location_id, queue_id, kind), found in periods.items():
        if queue_id is not None and visit_filter.queue_id not in (None, queue_id):
            continue
        for goal, first, last in found:
            days = Q(issue_date__range=(first, last))
            # The queue or centre is compared first: for most visits that alone rules the
            # goal out, where their dates would all be in the period.
            if queue_id is not None:
                scope = Q(first_queue_id=queue_id) & days
            else:
                scope = Q(location_id=location_id) & days
                if own_goal[(location_id, kind)]:
                    scope &= ~reduce(or_, own_goal[(location_id, kind)])
            in_force.append(GoalInForce(goal=goal, first_day=first, last_day=last, scope=scope))
    in_force.sort(
        key=lambda item: (
            item.goal.location.sort_order,
            item.goal.location.name,
            item.goal.queue is not None,
            item.goal.queue.name if item.goal.queue else "",
            item.goal.kind,
            item.first_day,
        )
    )
    return in_force


def goal_results(visit_filter: VisitFilter) -> list[GoalResult]:
    """Return each goal in force in the period (goals_in_force) with its figure, evaluated over
    the filter's visits in its scope on its days.

    A visit falls in the scope of at most one goal of each kind (the scopes of one kind do not
    overlap), so one expression per kind names that goal, and the called visits are counted per
    goal named and per "called within" limit met, in one grouped statement for every goal.
    """
    in_force = goals_in_force(visit_filter)
    if not in_force:
        return []
    keys: dict[str, Any] = {}
    for kind in sorted({item.goal.kind for item in in_force}):
        keys[f"goal_{kind}"] = Case(
            *(
                When(item.scope, then=Value(index))
                for index, item in enumerate(in_force)
                if item.goal.kind == kind
            ),
            default=None,
            output_field=IntegerField(),
        )
    for seconds in sorted({item.goal.minutes * 60 for item in in_force}):
        keys[f"within_{seconds}"] = ExpressionWrapper(
            Q(wait_seconds__lte=seconds), output_field=BooleanField()
        )
    rows = (
        visit_filter.visits()
        .filter(CALLED)
        .annotate(**keys)
        .values(*keys)
        .annotate(called=Count("pk"), total=Sum("wait_seconds"))
        .order_by()
    )
    called, within, total = [0] * len(in_force), [0] * len(in_force), [0] * len(in_force)
    for row in rows:
        for name in keys:
            index = row[name] if name.startswith("goal_") else None
            if index is None:
                continue
            called[index] += row["called"]
            total[index] += row["total"]
            if row[f"within_{in_force[index].goal.minutes * 60}"]:
                within[index] += row["called"]
    return [
        GoalResult(
            in_force=item,
            called=called[index],
            within=within[index],
            total_wait_seconds=total[index],
        )
        for index, item in enumerate(in_force)
    ]


def within_goal_of_results(results: list[GoalResult]) -> Share | None:
    """Return the share called within their goal over the visits of ``results`` ("called
    within" goals, whose scopes do not overlap); None when there is none."""
    if not results:
        return None
    return Share(sum(result.within for result in results), sum(result.called for result in results))


def within_goal_share(visit_filter: VisitFilter, goal_minutes: int | None = None) -> Share | None:
    """Return called visits with wait ≤ goal ÷ called visits.

    With ``goal_minutes`` that goal applies to every called visit. Otherwise each visit is held
    to the "called within" goal in force on its day for its queue, or else its centre's; visits
    with no such goal are left out, and with no such goal in the whole period the answer is None.
    """
    if goal_minutes is not None:
        called = visit_filter.visits().filter(CALLED)
        return Share(called.filter(wait_seconds__lte=goal_minutes * 60).count(), called.count())
    return within_goal_of_results(
        [
            result
            for result in goal_results(visit_filter)
            if result.goal.kind == GoalKind.CALLED_WITHIN
        ]
    )
