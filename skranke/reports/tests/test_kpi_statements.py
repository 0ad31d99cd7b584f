"""Figures that share a statement: counts by several attributes at once, a time's summary overall
and per group from one frequency table, every goal's figure from one statement, and a period's
key figures with their breakdowns from four, however many goals, centres and visits there
are."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from skranke.queue.models import Ending
from skranke.queue.tests.factories import make_centre
from skranke.reports.kpi import (
    SERVICE,
    WAIT,
    VisitCounts,
    VisitFilter,
    counts_by_each,
    goal_results,
    key_figures,
    period_figures,
    time_summaries_by_each,
)
from skranke.reports.models import GoalKind, ServiceGoal
from skranke.reports.tests.visit_factory import make_team, make_visit

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 3, 2)
TUESDAY = MONDAY + dt.timedelta(days=1)
MINUTE = 60


def statements(work: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        work()
    return len(captured.captured_queries)


def test_counts_by_each_adds_up_per_attribute() -> None:
    centre = make_centre()
    team = make_team()
    make_visit(centre, MONDAY, 9, team=team)
    make_visit(centre, MONDAY, 11, team=team, ending=Ending.NO_SHOW)
    make_visit(centre, TUESDAY, 9, queue=centre.general, ending=Ending.CANCELLED, wait=None)
    period = VisitFilter(MONDAY, TUESDAY + dt.timedelta(days=1))

    calendar = counts_by_each(period, ("issue_date", "issue_hour", "issue_weekday"))
    assert calendar["issue_date"] == {
        MONDAY: VisitCounts(total=2, served=1, no_show=1),
        TUESDAY: VisitCounts(total=1, cancelled=1),
        TUESDAY + dt.timedelta(days=1): VisitCounts(),
    }
    assert {hour: found.total for hour, found in calendar["issue_hour"].items() if found.total} == {
        9: 2,
        11: 1,
    }
    assert len(calendar["issue_hour"]) == 24
    assert [found.total for found in calendar["issue_weekday"].values()] == [2, 1, 0, 0, 0, 0, 0]

    catalogue = counts_by_each(period, ("first_queue_id", "team_id"))
    assert catalogue["first_queue_id"] == {
        centre.passports.pk: VisitCounts(total=2, served=1, no_show=1),
        centre.general.pk: VisitCounts(total=1, cancelled=1),
    }
    assert {key: found.total for key, found in catalogue["team_id"].items()} == {
        team.pk: 2,
        None: 1,
    }
    with pytest.raises(ValueError, match="issued_at"):
        counts_by_each(period, ("issue_date", "issued_at"))


def test_wait_and_service_by_appointment_together() -> None:
    centre = make_centre()
    make_visit(centre, MONDAY, wait=2 * MINUTE, service=10 * MINUTE, is_appointment=True)
    make_visit(centre, MONDAY, wait=6 * MINUTE, service=4 * MINUTE, is_appointment=True)
    # A no-show waited but was not served; a cancellation did neither.
    make_visit(centre, MONDAY, wait=20 * MINUTE, ending=Ending.NO_SHOW)
    make_visit(centre, MONDAY, wait=None, ending=Ending.CANCELLED)
    found = time_summaries_by_each(VisitFilter(MONDAY, MONDAY), (WAIT, SERVICE), "is_appointment")

    waits, services = found[WAIT], found[SERVICE]
    assert (waits[True].count, waits[True].mean_seconds, waits[True].median_seconds) == (
        2,
        4 * MINUTE,
        4 * MINUTE,
    )
    assert (waits[False].count, waits[False].max_seconds) == (1, 20 * MINUTE)
    # No walk-in was served, so walk-ins have no service time at all.
    assert list(services) == [True]
    assert (services[True].median_seconds, services[True].p90_seconds) == (
        7 * MINUTE,
        pytest.approx(9.4 * MINUTE),
    )
    with pytest.raises(ValueError, match="issue_hour"):
        time_summaries_by_each(VisitFilter(MONDAY, MONDAY), (WAIT,), "issue_hour")


def test_every_goal_from_one_statement() -> None:
    """Before, each goal in force was a statement of its own."""
    centres = [make_centre() for _ in range(3)]
    for centre in centres:
        ServiceGoal.objects.create(
            location=centre.location,
            kind=GoalKind.CALLED_WITHIN,
            minutes=10,
            target_percent=80,
            valid_from=MONDAY,
        )
        ServiceGoal.objects.create(
            location=centre.location, kind=GoalKind.MEAN_WAIT, minutes=8, valid_from=MONDAY
        )
        ServiceGoal.objects.create(
            location=centre.location,
            queue=centre.general,
            kind=GoalKind.CALLED_WITHIN,
            minutes=20,
            target_percent=90,
            valid_from=TUESDAY,
        )
        make_visit(centre, MONDAY, wait=5 * MINUTE)
        make_visit(centre, TUESDAY, wait=15 * MINUTE, queue=centre.general)
    period = VisitFilter(MONDAY, TUESDAY)

    # The goals in force, then one statement for all nine figures.
    assert statements(lambda: goal_results(period)) == 2
    results = goal_results(period)
    assert len(results) == 9
    # Each centre's 10-minute goal covers its Monday visit; the general queue's own goal from
    # Tuesday takes the Tuesday visit, called within its 20 minutes.
    assert {(result.goal.minutes, result.called, result.within) for result in results} == {
        (10, 1, 1),
        (8, 2, 1),
        (20, 1, 1),
    }


def test_a_period_s_key_figures_from_four_statements() -> None:
    """Once the counts, appointments, wait, service time, goal share and outcomes were a
    statement each (and the percentiles another two); then one statement sorting every wait and
    every service time for their percentiles."""
    centre = make_centre()
    ServiceGoal.objects.create(
        location=centre.location,
        kind=GoalKind.CALLED_WITHIN,
        minutes=10,
        target_percent=80,
        valid_from=MONDAY,
    )
    make_visit(centre, MONDAY, wait=5 * MINUTE, is_appointment=True)
    make_visit(centre, MONDAY, wait=15 * MINUTE)
    make_visit(centre, MONDAY, wait=None, ending=Ending.CANCELLED)
    period = VisitFilter(MONDAY, MONDAY)

    # The counts, the wait's and the service time's frequency tables, the goals in force and
    # every goal's figure (which give the within-goal share), on either database.
    assert statements(lambda: key_figures(period)) == 5
    figures = key_figures(period)
    assert figures.counts == VisitCounts(total=3, served=2, cancelled=1)
    assert figures.appointments == VisitCounts(total=1, served=1)
    assert figures.walk_ins == VisitCounts(total=2, served=1, cancelled=1)
    assert (figures.wait.count, figures.wait.median_seconds) == (2, 10 * MINUTE)
    assert figures.within_goal is not None
    assert (figures.within_goal.part, figures.within_goal.whole) == (1, 2)
    assert figures.outcomes.served == 2
    with_breakdowns = period_figures(
        period, counted_by=("issue_date", "issue_hour"), waits_by=("subject_area_id",)
    )
    assert with_breakdowns.key == figures
    assert with_breakdowns.counts["issue_hour"][10] == VisitCounts(total=3, served=2, cancelled=1)
    [area] = with_breakdowns.waits["subject_area_id"]
    assert with_breakdowns.waits["subject_area_id"][area].count == 2
    assert set(with_breakdowns.waits["is_appointment"]) == {True, False}
    assert (
        statements(
            lambda: period_figures(period, counted_by=("issue_date",), waits_by=("team_id",))
        )
        == 5
    )
    # A limit given for the share holds every called visit to it.
    overridden = key_figures(period, goal_minutes=5)
    assert overridden.within_goal is not None
    assert (overridden.within_goal.part, overridden.within_goal.whole) == (1, 2)
