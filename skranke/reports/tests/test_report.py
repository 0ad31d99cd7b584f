"""build_report: every key of the machine-readable report on a week worked out by hand, the
same dates a year earlier, an empty period, all centres, and the goal override."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from skranke.booking.models import Appointment
from skranke.queue.models import Ending, Outcome, VisitFact
from skranke.queue.tests.factories import Centre, make_centre
from skranke.reports.models import GoalKind, ServiceGoal
from skranke.reports.query import ReportQuery
from skranke.reports.report import WEEKDAYS, build_report
from skranke.reports.tests.visit_factory import make_team, make_visit

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 3, 2)
SUNDAY = dt.date(2026, 3, 8)
MINUTE = 60


def report_for(*centres: Centre, everywhere: bool = False, **fields: Any) -> Any:
    query = ReportQuery(
        location_ids=tuple(centre.location.pk for centre in centres),
        all_locations=everywhere,
        date_from=fields.pop("date_from", MONDAY),
        date_to=fields.pop("date_to", SUNDAY),
        **fields,
    )
    report = build_report(query)
    json.dumps(report, allow_nan=False)
    return report


def a_week(centre: Centre) -> tuple[ServiceGoal, ServiceGoal]:
    """Five visits in the week of 2 March 2026, four a year earlier, and two goals."""
    team = make_team("Front Nord")
    passports, moving = centre.passport.subject_area, centre.moving.subject_area
    make_visit(centre, MONDAY, 9, 15, wait=4 * MINUTE, service=6 * MINUTE, team=team)
    make_visit(
        centre,
        MONDAY,
        9,
        40,
        wait=8 * MINUTE,
        service=10 * MINUTE,
        team=team,
        outcome=Outcome.PASSED_TO_BACK_OFFICE,
    )
    make_visit(
        centre,
        MONDAY + dt.timedelta(days=1),
        13,
        5,
        wait=12 * MINUTE,
        service=5 * MINUTE,
        queue=centre.general,
        subject_area=moving,
        is_appointment=True,
    )
    make_visit(
        centre,
        MONDAY + dt.timedelta(days=2),
        10,
        wait=20 * MINUTE,
        ending=Ending.NO_SHOW,
        queue=centre.general,
        subject_area=moving,
        team=team,
    )
    make_visit(centre, MONDAY + dt.timedelta(days=4), 15, 30, wait=None, ending=Ending.CANCELLED)
    for _visit in range(4):
        make_visit(
            centre,
            dt.date(2025, 3, 3),
            wait=10 * MINUTE,
            service=5 * MINUTE,
            subject_area=passports,
        )
    within = ServiceGoal.objects.create(
        location=centre.location,
        kind=GoalKind.CALLED_WITHIN,
        minutes=10,
        target_percent=80,
        valid_from=dt.date(2026, 1, 1),
    )
    mean = ServiceGoal.objects.create(
        location=centre.location,
        kind=GoalKind.MEAN_WAIT,
        minutes=12,
        valid_from=dt.date(2026, 3, 5),
    )
    return within, mean


def test_a_week_worked_out_by_hand() -> None:
    centre = make_centre()
    within, mean = a_week(centre)
    report = report_for(centre)
    visits = report["visits"]
    assert isinstance(visits, dict)
    assert (visits["total"], visits["served"], visits["no_show"], visits["cancelled"]) == (
        5,
        3,
        1,
        1,
    )
    assert visits["by_subject_area"] == {
        centre.passport.subject_area.name: 3,
        centre.moving.subject_area.name: 2,
    }
    assert visits["by_queue"] == {"Pas": 3, "Borgerservice": 2}
    assert visits["by_team"] == {"Front Nord": 3}
    assert visits["by_hour"] == {
        f"{hour:02d}": {9: 2, 10: 1, 13: 1, 15: 1}.get(hour, 0) for hour in range(24)
    }
    assert visits["by_weekday"] == {
        "monday": 2,
        "tuesday": 1,
        "wednesday": 1,
        "thursday": 0,
        "friday": 1,
        "saturday": 0,
        "sunday": 0,
    }
    assert visits["by_month"] == {"2026-03": 5}
    assert visits["by_week"] == {"2026-W10": 5}
    assert visits["by_day"] == {
        "2026-03-02": 2,
        "2026-03-03": 1,
        "2026-03-04": 1,
        "2026-03-05": 0,
        "2026-03-06": 1,
        "2026-03-07": 0,
        "2026-03-08": 0,
    }
    # Waits of the called visits: 4, 8, 12 and 20 minutes (the no-show's too).
    # Mean 44 / 4 = 11; median (8 + 12) / 2 = 10; p90 at 0.9 × 3 = 2.7: 12 + 0.7 × 8 = 17.6.
    # Within 10 minutes: 4 and 8 → 2 / 4.
    assert report["wait_minutes"] == {
        "mean": 11.0,
        "median": 10.0,
        "p90": 17.6,
        "max": 20.0,
        "within_goal_share": 0.5,
        "count": 4,
    }
    # Service of the served visits: 6, 10 and 5 minutes. Mean 7; median 6; p90 at 1.8:
    # 6 + 0.8 × 4 = 9.2.
    assert report["service_minutes"] == {
        "mean": 7.0,
        "median": 6.0,
        "p90": 9.2,
        "max": 10.0,
        "count": 3,
    }
    appointments, walk_ins = report["appointments"], report["walk_ins"]
    assert isinstance(appointments, dict) and isinstance(walk_ins, dict)
    assert appointments["visits"] == 1 and appointments["wait_minutes"]["mean"] == 12.0
    # Walk-ins waited 4, 8 and 20 minutes: 32 / 3 = 10.67.
    assert walk_ins["visits"] == 4 and walk_ins["wait_minutes"]["mean"] == 10.7
    assert report["first_contact_resolution"] == {
        "served": 3,
        "share": 0.667,
        "outcomes": {
            "resolved_first_contact": 0.667,
            "passed_to_back_office": 0.333,
            "referred": 0.0,
            "not_resolved": 0.0,
        },
    }
    longest = report["longest_waiting_subject_areas"]
    assert isinstance(longest, list)
    # Folkeregister waited 12 and 20 minutes (mean 16), passports 4 and 8 (mean 6).
    assert [(area["name"], area["wait_minutes"]["mean"]) for area in longest] == [
        (centre.moving.subject_area.name, 16.0),
        (centre.passport.subject_area.name, 6.0),
    ]
    goals = report["goals"]
    assert isinstance(goals, list)
    assert [
        {key: goal[key] for key in ("name", "target", "value", "met", "from", "to", "called")}
        for goal in goals
    ] == [
        {
            "name": str(within.name),
            "target": 0.8,
            "value": 0.5,
            "met": False,
            "from": "2026-03-02",
            "to": "2026-03-08",
            "called": 4,
        },
        # In force from Thursday, when no one was called: no figure.
        {
            "name": str(mean.name),
            "target": 12.0,
            "value": None,
            "met": None,
            "from": "2026-03-05",
            "to": "2026-03-08",
            "called": 0,
        },
    ]
    previous = report["previous_year"]
    assert isinstance(previous, dict)
    assert previous["period"] == {"from": "2025-03-02", "to": "2025-03-08", "days": 7}
    assert previous["visits"]["total"] == 4
    assert previous["visits"]["by_month"] == {"2025-03": 4}
    # No goal was in force a year earlier.
    assert previous["wait_minutes"]["mean"] == 10.0
    assert previous["wait_minutes"]["within_goal_share"] is None
    change = report["change_percent"]
    assert isinstance(change, dict)
    # 5 against 4 visits: +25 %; 3 against 4 served: −25 %; a mean wait of 11 against 10: +10 %.
    assert change["visits"] == 25.0
    assert change["served"] == -25.0
    assert change["no_show"] is None
    assert change["wait_minutes"]["mean"] == 10.0
    assert change["wait_minutes"]["within_goal_share"] is None
    # Service: a mean of 7 against 5 minutes.
    assert change["service_minutes"]["mean"] == 40.0


def test_goal_minutes_override_the_goals_for_the_share() -> None:
    centre = make_centre()
    a_week(centre)
    # Within 12 minutes: 4, 8 and 12 of 4, 8, 12, 20.
    report = report_for(centre, goal_minutes=12)
    assert report["wait_minutes"]["within_goal_share"] == 0.75
    # The override applies a year earlier too: all four waited 10 minutes.
    assert report["previous_year"]["wait_minutes"]["within_goal_share"] == 1.0
    assert report["change_percent"]["wait_minutes"]["within_goal_share"] == -25.0
    # The goals themselves are still reported against their own minutes.
    assert report["goals"][0]["value"] == 0.5


def test_an_empty_period_gives_zeros_and_nulls() -> None:
    centre = make_centre()
    a_week(centre)
    report = report_for(centre, date_from=dt.date(2026, 2, 1), date_to=dt.date(2026, 2, 7))
    visits = report["visits"]
    assert isinstance(visits, dict)
    assert (visits["total"], visits["served"], visits["no_show"], visits["cancelled"]) == (
        0,
        0,
        0,
        0,
    )
    assert visits["by_hour"] == {f"{hour:02d}": 0 for hour in range(24)}
    assert visits["by_weekday"] == dict.fromkeys(WEEKDAYS, 0)
    assert visits["by_month"] == {"2026-02": 0}
    assert visits["by_subject_area"] == visits["by_queue"] == visits["by_team"] == {}
    assert report["wait_minutes"] == {
        "mean": None,
        "median": None,
        "p90": None,
        "max": None,
        "within_goal_share": None,
        "count": 0,
    }
    assert report["service_minutes"]["mean"] is None
    assert report["first_contact_resolution"]["share"] is None
    assert report["longest_waiting_subject_areas"] == []
    # The goal was in force but called no one: listed, without a figure.
    assert [(goal["value"], goal["met"]) for goal in report["goals"]] == [(None, None)]
    assert report["previous_year"]["visits"]["total"] == 0
    assert report["change_percent"]["visits"] is None


def test_no_centre_and_a_reversed_period_give_zeros() -> None:
    centre = make_centre()
    a_week(centre)
    nowhere = report_for()
    assert nowhere["visits"]["total"] == 0
    assert nowhere["goals"] == [] and nowhere["centres"] == []
    reversed_period = report_for(centre, date_from=SUNDAY, date_to=MONDAY)
    assert reversed_period["visits"]["total"] == 0
    assert reversed_period["visits"]["by_month"] == {}
    assert reversed_period["period"]["days"] == 0


def test_all_centres_key_queues_by_centre() -> None:
    first, second = make_centre(), make_centre()
    make_visit(first, MONDAY)
    make_visit(second, MONDAY)
    make_visit(second, MONDAY, queue=second.general, subject_area=second.moving.subject_area)
    ServiceGoal.objects.create(
        location=second.location,
        queue=second.general,
        kind=GoalKind.MEAN_WAIT,
        minutes=5,
        valid_from=MONDAY,
    )
    report = report_for(first, second, everywhere=True)
    slug_1, slug_2 = first.location.slug, second.location.slug
    # Most visits first, then by key.
    assert list(report["visits"]["by_queue"].items()) == [
        (f"{slug_1}/Pas", 1),
        (f"{slug_2}/Borgerservice", 1),
        (f"{slug_2}/Pas", 1),
    ]
    assert [centre["slug"] for centre in report["centres"]] == [slug_1, slug_2]
    goal = report["goals"][0]
    assert (goal["centre"], goal["queue"], goal["met"]) == (slug_2, f"{slug_2}/Borgerservice", True)
    one = report_for(first)
    assert one["visits"]["by_queue"] == {"Pas": 1}


def test_queries_do_not_grow_with_the_visits() -> None:
    """Every figure is an aggregate in the database: a report over many visits in several
    subject areas, queues and teams asks as many queries as one over a single visit."""
    centre = make_centre()
    a_week(centre)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            report_for(centre)
        return len(captured.captured_queries)

    few = queries()
    teams = [make_team(), make_team()]
    for index in range(40):
        make_visit(
            centre,
            MONDAY + dt.timedelta(days=index % 7),
            8 + index % 9,
            wait=index * 30,
            queue=(centre.passports, centre.general)[index % 2],
            subject_area=(centre.passport, centre.moving)[index % 2].subject_area,
            team=teams[index % 2],
            is_appointment=index % 3 == 0,
        )
    assert queries() == few


def test_the_report_reads_the_visit_records_nine_times() -> None:
    """Four statements a period (kpi.period_figures) for this year and the year before, and the
    counts by subject area, queue and team: the report's reads of the largest table. Nineteen in
    all, two of them the bookings."""
    centre = make_centre()
    a_week(centre)
    ServiceGoal.objects.create(
        location=centre.location,
        kind=GoalKind.CALLED_WITHIN,
        minutes=10,
        target_percent=80,
        valid_from=MONDAY - dt.timedelta(days=400),
    )
    with CaptureQueriesContext(connection) as captured:
        report_for(centre)
    table = VisitFact._meta.db_table
    assert sum(table in query["sql"] for query in captured.captured_queries) == 9
    # The rest: the goals in force (a year apart), the bookings a period each
    # (kpi.appointment_figures), the centres, and the names of subject areas, queues and teams;
    # the names of booked services too when there are bookings.
    bookings = Appointment._meta.db_table
    assert sum(bookings in query["sql"] for query in captured.captured_queries) == 2
    assert len(captured.captured_queries) == 19
