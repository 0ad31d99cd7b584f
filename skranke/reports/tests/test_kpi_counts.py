"""Visit counts: by ending, per calendar unit (every day, ISO week, month, weekday and hour of
the period listed), per subject area, queue and team, the filter's dimensions, and the outcome
shares of served visits."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from skranke.queue.models import Ending, Outcome, VisitSource
from skranke.queue.tests.factories import make_centre
from skranke.reports.kpi import (
    VisitCounts,
    VisitFilter,
    counts_by,
    counts_by_day,
    counts_by_hour,
    counts_by_month,
    counts_by_week,
    counts_by_weekday,
    outcome_shares,
    visit_counts,
    week_label,
)
from skranke.reports.tests.visit_factory import make_team, make_visit

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 3, 2)


def test_counts_by_ending() -> None:
    centre = make_centre()
    for ending in (Ending.SERVED, Ending.SERVED, Ending.NO_SHOW, Ending.CANCELLED):
        make_visit(centre, MONDAY, ending=ending)
    make_visit(centre, MONDAY + dt.timedelta(days=1))  # outside the period
    assert visit_counts(VisitFilter(MONDAY, MONDAY)) == VisitCounts(
        total=4, served=2, no_show=1, cancelled=1
    )


def test_one_visit() -> None:
    centre = make_centre()
    make_visit(centre, MONDAY, hour=9)
    period = VisitFilter(MONDAY, MONDAY)
    assert visit_counts(period) == VisitCounts(total=1, served=1)
    assert counts_by_hour(period)[9] == VisitCounts(total=1, served=1)
    assert sum(counts.total for counts in counts_by_hour(period).values()) == 1
    assert counts_by_weekday(period)[0].total == 1
    assert counts_by_day(period) == {MONDAY: VisitCounts(total=1, served=1)}


def test_empty_period_and_reversed_period() -> None:
    centre = make_centre()
    make_visit(centre, MONDAY)
    quiet = VisitFilter(MONDAY + dt.timedelta(days=1), MONDAY + dt.timedelta(days=2))
    assert visit_counts(quiet) == VisitCounts()
    assert list(counts_by_hour(quiet)) == list(range(24))
    assert all(counts == VisitCounts() for counts in counts_by_hour(quiet).values())
    assert list(counts_by_weekday(quiet)) == list(range(7))
    assert counts_by(quiet, "subject_area_id") == {}
    reversed_period = VisitFilter(MONDAY, MONDAY - dt.timedelta(days=1))
    assert reversed_period.is_empty
    assert visit_counts(reversed_period) == VisitCounts()
    assert counts_by_day(reversed_period) == {}
    assert counts_by_month(reversed_period) == {}
    assert outcome_shares(reversed_period).served == 0


def test_every_day_week_and_month_of_the_period_is_listed() -> None:
    centre = make_centre()
    make_visit(centre, dt.date(2026, 1, 30))
    make_visit(centre, dt.date(2026, 3, 31))
    make_visit(centre, dt.date(2026, 3, 31))
    period = VisitFilter(dt.date(2026, 1, 30), dt.date(2026, 3, 31))
    by_month = counts_by_month(period)
    assert {label: counts.total for label, counts in by_month.items()} == {
        "2026-01": 1,
        "2026-02": 0,
        "2026-03": 2,
    }
    by_day = counts_by_day(period)
    assert len(by_day) == 2 + 28 + 31
    assert by_day[dt.date(2026, 2, 14)] == VisitCounts()
    by_week = counts_by_week(period)
    # 30 January 2026 is a Friday in week 5; 31 March a Tuesday in week 14.
    assert list(by_week) == [f"2026-W{week:02d}" for week in range(5, 15)]
    assert by_week["2026-W05"].total == 1 and by_week["2026-W14"].total == 2


def test_year_boundary_iso_weeks() -> None:
    """1 January 2026 is a Thursday, so ISO week 2026-W01 runs from Monday 29 December 2025 to
    Sunday 4 January 2026; 28 December 2025 is in 2025-W52."""
    centre = make_centre()
    for day in (28, 29, 31):
        make_visit(centre, dt.date(2025, 12, day))
    for day in (1, 4, 5):
        make_visit(centre, dt.date(2026, 1, day))
    period = VisitFilter(dt.date(2025, 12, 28), dt.date(2026, 1, 5))
    assert {label: counts.total for label, counts in counts_by_week(period).items()} == {
        "2025-W52": 1,
        "2026-W01": 4,
        "2026-W02": 1,
    }
    assert {label: counts.total for label, counts in counts_by_month(period).items()} == {
        "2025-12": 3,
        "2026-01": 3,
    }
    assert week_label(dt.date(2027, 1, 1)) == "2026-W53"


def test_weekday_and_hour_are_local() -> None:
    centre = make_centre()
    # 23:30 on Sunday 1 March in Copenhagen is 22:30 UTC, still Sunday; 00:30 on Monday is
    # 23:30 UTC on Sunday, but counts on Monday at hour 0.
    make_visit(centre, dt.date(2026, 3, 1), hour=23, minute=30)
    make_visit(centre, MONDAY, hour=0, minute=30)
    period = VisitFilter(dt.date(2026, 3, 1), MONDAY)
    assert {day: counts.total for day, counts in counts_by_weekday(period).items()} == {
        0: 1,
        1: 0,
        2: 0,
        3: 0,
        4: 0,
        5: 0,
        6: 1,
    }
    hours = counts_by_hour(period)
    assert hours[23].total == 1 and hours[0].total == 1
    assert counts_by_day(period) == {
        dt.date(2026, 3, 1): VisitCounts(total=1, served=1),
        MONDAY: VisitCounts(total=1, served=1),
    }


def test_filters_by_centre_queue_subject_area_team_and_source() -> None:
    first, second = make_centre(), make_centre()
    team = make_team()
    make_visit(first, MONDAY, team=team)
    make_visit(first, MONDAY, queue=first.general, subject_area=first.moving.subject_area)
    make_visit(first, MONDAY, source=VisitSource.MOBILE, ending=Ending.CANCELLED)
    make_visit(second, MONDAY, team=team)

    def total(**conditions: object) -> int:
        return visit_counts(VisitFilter(MONDAY, MONDAY, **conditions)).total

    assert total() == 4
    assert total(location_ids=(first.location.pk,)) == 3
    assert total(location_ids=(first.location.pk, second.location.pk)) == 4
    assert total(location_ids=()) == 0
    assert total(queue_id=first.general.pk) == 1
    assert total(subject_area_id=first.passport.subject_area_id) == 2
    assert total(team_id=team.pk) == 2
    assert total(source=VisitSource.MOBILE) == 1
    assert total(location_ids=(first.location.pk,), team_id=team.pk) == 1


def test_counts_by_subject_area_queue_and_team() -> None:
    centre = make_centre()
    team = make_team()
    passports, moving = centre.passport.subject_area, centre.moving.subject_area
    make_visit(centre, MONDAY, team=team)
    make_visit(centre, MONDAY, team=team, ending=Ending.NO_SHOW)
    # Issued in the general queue, recorded under the passport area when finished.
    make_visit(centre, MONDAY, queue=centre.general, subject_area=passports)
    make_visit(centre, MONDAY, queue=centre.general, subject_area=moving, ending=Ending.CANCELLED)
    period = VisitFilter(MONDAY, MONDAY)
    assert counts_by(period, "subject_area_id") == {
        passports.pk: VisitCounts(total=3, served=2, no_show=1),
        moving.pk: VisitCounts(total=1, cancelled=1),
    }
    assert {key: counts.total for key, counts in counts_by(period, "first_queue_id").items()} == {
        centre.passports.pk: 2,
        centre.general.pk: 2,
    }
    assert {key: counts.total for key, counts in counts_by(period, "team_id").items()} == {
        team.pk: 2,
        None: 2,
    }
    assert {key: counts.total for key, counts in counts_by(period, "is_appointment").items()} == {
        False: 4
    }
    with pytest.raises(ValueError, match="issued_at"):
        counts_by(period, "issued_at")


def test_outcome_shares_over_served_visits() -> None:
    centre = make_centre()
    for outcome in (
        Outcome.RESOLVED_FIRST_CONTACT,
        Outcome.RESOLVED_FIRST_CONTACT,
        Outcome.RESOLVED_FIRST_CONTACT,
        Outcome.PASSED_TO_BACK_OFFICE,
    ):
        make_visit(centre, MONDAY, outcome=outcome)
    # Neither a no-show nor a cancellation counts among served visits.
    make_visit(centre, MONDAY, ending=Ending.NO_SHOW)
    make_visit(centre, MONDAY, ending=Ending.CANCELLED)
    shares = outcome_shares(VisitFilter(MONDAY, MONDAY))
    assert shares.served == 4
    assert shares.by_outcome == {
        Outcome.RESOLVED_FIRST_CONTACT: 3,
        Outcome.PASSED_TO_BACK_OFFICE: 1,
        Outcome.REFERRED: 0,
        Outcome.NOT_RESOLVED: 0,
    }
    assert shares.first_contact_resolution.fraction == Fraction(3, 4)
    assert shares.share(Outcome.REFERRED).fraction == 0
    assert (
        outcome_shares(VisitFilter(MONDAY, MONDAY, source="staff")).share(Outcome.REFERRED).fraction
        is None
    )
