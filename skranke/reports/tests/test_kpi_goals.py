"""Service goals over a period: which goal was in force on which days for which visits (a new
goal mid-period, a queue's goal replacing its centre's), each goal met or not with its figure,
and the share within the goal for every visit by the goal of its day and queue."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from skranke.catalogue.models import Queue
from skranke.queue.models import Ending
from skranke.queue.tests.factories import Centre, make_centre
from skranke.reports.kpi import VisitFilter, goal_results, goals_in_force, within_goal_share
from skranke.reports.models import GoalKind, ServiceGoal
from skranke.reports.tests.visit_factory import make_visit

pytestmark = pytest.mark.django_db

FIRST_WEEK = dt.date(2026, 3, 9)
SECOND_WEEK = dt.date(2026, 3, 16)
PERIOD = VisitFilter(FIRST_WEEK, dt.date(2026, 3, 22))
MINUTE = 60


def called_within(
    centre: Centre,
    minutes: int,
    percent: int,
    valid_from: dt.date,
    queue: Queue | None = None,
) -> ServiceGoal:
    return ServiceGoal.objects.create(
        location=centre.location,
        queue=queue,
        kind=GoalKind.CALLED_WITHIN,
        minutes=minutes,
        target_percent=percent,
        valid_from=valid_from,
    )


def test_a_new_goal_mid_period() -> None:
    centre = make_centre()
    # Replaced before the period: not in force on any of its days.
    called_within(centre, 15, 70, dt.date(2025, 1, 1))
    old = called_within(centre, 10, 80, dt.date(2026, 1, 1))
    new = called_within(centre, 5, 90, SECOND_WEEK)
    # Valid only after the period.
    called_within(centre, 3, 95, dt.date(2026, 4, 1))
    for minutes in (4, 8, 12):
        make_visit(centre, FIRST_WEEK, wait=minutes * MINUTE)
    for minutes in (3, 4, 6):
        make_visit(centre, SECOND_WEEK + dt.timedelta(days=2), wait=minutes * MINUTE)
    # A visit never called is no part of any share.
    make_visit(centre, SECOND_WEEK, wait=None, ending=Ending.CANCELLED)

    results = goal_results(PERIOD)
    assert [
        (result.goal, result.in_force.first_day, result.in_force.last_day) for result in results
    ] == [(old, FIRST_WEEK, dt.date(2026, 3, 15)), (new, SECOND_WEEK, dt.date(2026, 3, 22))]
    # First week: 4 and 8 of 4, 8, 12 minutes within 10 → 2/3 < 80 %.
    assert (results[0].called, results[0].within) == (3, 2)
    assert results[0].value == Fraction(2, 3) and results[0].met is False
    # Second week: 3 and 4 of 3, 4, 6 within 5 → 2/3 < 90 %.
    assert results[1].value == Fraction(2, 3) and results[1].target == Fraction(9, 10)
    assert results[1].met is False
    # Each visit by the goal of its day: (2 + 2) / 6.
    share = within_goal_share(PERIOD)
    assert share is not None and share.fraction == Fraction(4, 6)
    # An override holds every visit to one goal: 4, 8, 3, 4, 6 of six within 10 minutes.
    overridden = within_goal_share(PERIOD, goal_minutes=10)
    assert overridden is not None and overridden.fraction == Fraction(5, 6)


def test_a_queue_goal_replaces_the_centre_goal_for_its_queue() -> None:
    centre = make_centre()
    centre_goal = called_within(centre, 10, 80, dt.date(2026, 1, 1))
    queue_goal = called_within(centre, 20, 50, SECOND_WEEK, queue=centre.passports)
    # Passports, first week: the queue's goal is not yet in force, so the centre's applies.
    make_visit(centre, FIRST_WEEK, wait=15 * MINUTE)
    # Passports, second week: the queue's goal (20 minutes).
    make_visit(centre, SECOND_WEEK, wait=15 * MINUTE)
    make_visit(centre, SECOND_WEEK, wait=25 * MINUTE)
    # The general queue, second week: the centre's goal (10 minutes).
    make_visit(centre, SECOND_WEEK, wait=8 * MINUTE, queue=centre.general)
    make_visit(centre, SECOND_WEEK, wait=12 * MINUTE, queue=centre.general)

    results = {result.goal: result for result in goal_results(PERIOD)}
    assert list(results) == [centre_goal, queue_goal]
    # The centre's goal: 15 (passports, first week), 8 and 12 → one of three within 10.
    assert (results[centre_goal].called, results[centre_goal].within) == (3, 1)
    assert results[centre_goal].met is False
    # The queue's goal: 15 and 25 → one of two within 20 = 50 %, which meets 50 %.
    assert (results[queue_goal].called, results[queue_goal].within) == (2, 1)
    assert results[queue_goal].met is True
    share = within_goal_share(PERIOD)
    assert share is not None and (share.part, share.whole) == (2, 5)

    # Limited to the general queue, neither the passport queue's goal nor another centre's is
    # listed.
    called_within(make_centre(), 10, 80, dt.date(2026, 1, 1))
    general = VisitFilter(PERIOD.date_from, PERIOD.date_to, queue_id=centre.general.pk)
    assert [item.goal for item in goals_in_force(general)] == [centre_goal]
    only_general = within_goal_share(general)
    assert only_general is not None and (only_general.part, only_general.whole) == (1, 2)


def test_mean_wait_goal_and_a_goal_without_called_visits() -> None:
    centre, quiet = make_centre(), make_centre()
    mean_goal = ServiceGoal.objects.create(
        location=centre.location, kind=GoalKind.MEAN_WAIT, minutes=10, valid_from=FIRST_WEEK
    )
    unused = called_within(quiet, 10, 80, FIRST_WEEK)
    for minutes in (6, 14):  # mean 10: at most 10, met
        make_visit(centre, FIRST_WEEK, wait=minutes * MINUTE)
    results = {result.goal: result for result in goal_results(PERIOD)}
    assert results[mean_goal].value == 10 * MINUTE and results[mean_goal].met is True
    assert results[unused].called == 0
    assert results[unused].value is None and results[unused].met is None
    make_visit(centre, FIRST_WEEK, wait=11 * MINUTE)  # mean 31/3 minutes: missed
    missed = next(result for result in goal_results(PERIOD) if result.goal == mean_goal)
    assert missed.value == Fraction(31 * MINUTE, 3) and missed.met is False
    # No "called within" goal covers the first centre's visits, and the second has no called
    # visits: no share.
    share = within_goal_share(
        VisitFilter(FIRST_WEEK, FIRST_WEEK, location_ids=(quiet.location.pk,))
    )
    assert share is not None and share.fraction is None


def test_no_goal_gives_no_share_and_goals_per_centre() -> None:
    first, second = make_centre(), make_centre()
    make_visit(first, FIRST_WEEK, wait=5 * MINUTE)
    make_visit(second, FIRST_WEEK, wait=5 * MINUTE)
    assert within_goal_share(PERIOD) is None
    assert goal_results(PERIOD) == []
    called_within(second, 4, 80, dt.date(2026, 1, 1))
    # The first centre's visit has no goal and is left out; the second's waited too long.
    share = within_goal_share(PERIOD)
    assert share is not None and (share.part, share.whole) == (0, 1)
    assert (
        within_goal_share(VisitFilter(FIRST_WEEK, FIRST_WEEK, location_ids=(first.location.pk,)))
        is None
    )
    called_within(first, 6, 80, dt.date(2026, 1, 1))
    share = within_goal_share(PERIOD)
    assert share is not None and (share.part, share.whole) == (1, 2)
    assert within_goal_share(VisitFilter(FIRST_WEEK, FIRST_WEEK - dt.timedelta(days=1))) is None
