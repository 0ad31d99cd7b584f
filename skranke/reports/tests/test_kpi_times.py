"""Wait and service time: which visits each is counted over, mean, median, 90th percentile and
maximum on histories worked out by hand, and the longest-waiting subject areas."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from skranke.queue.models import Ending
from skranke.queue.tests.factories import make_centre
from skranke.reports.kpi import (
    SERVICE,
    WAIT,
    TimeSummary,
    VisitFilter,
    longest_waiting_subject_areas,
    service_summary,
    time_summaries_by,
    wait_summary,
)
from skranke.reports.tests.visit_factory import make_visit

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 3, 2)
PERIOD = VisitFilter(MONDAY, MONDAY)


def test_wait_over_called_visits_with_ties() -> None:
    centre = make_centre()
    # Called: 60, 120, 120 (served) and 300 s (no-show).
    make_visit(centre, MONDAY, wait=120)
    make_visit(centre, MONDAY, wait=60)
    make_visit(centre, MONDAY, wait=120)
    make_visit(centre, MONDAY, wait=300, ending=Ending.NO_SHOW)
    # Not called: cancelled while waiting; and one cancelled by staff after its call, which is
    # neither served nor a no-show.
    make_visit(centre, MONDAY, wait=None, ending=Ending.CANCELLED)
    make_visit(centre, MONDAY, wait=900, ending=Ending.CANCELLED)
    wait = wait_summary(PERIOD)
    # Mean 600 / 4 = 150; median between ranks 1 and 2 (120, 120); p90 at 0.9 × 3 = 2.7:
    # 120 + 0.7 × (300 − 120) = 246; max 300.
    assert wait.count == 4
    assert wait.mean_seconds == 150
    assert wait.median_seconds == 120
    assert wait.p90_seconds == pytest.approx(246)
    assert wait.max_seconds == 300


def test_service_over_served_visits() -> None:
    centre = make_centre()
    make_visit(centre, MONDAY, service=200)
    make_visit(centre, MONDAY, service=100)
    make_visit(centre, MONDAY, service=400)
    make_visit(centre, MONDAY, wait=30, ending=Ending.NO_SHOW)
    service = service_summary(PERIOD)
    # 100, 200, 400: mean 700/3, median 200, p90 at 1.8: 200 + 0.8 × 200 = 360.
    assert service.count == 3
    assert service.mean_seconds == Fraction(700, 3)
    assert service.median_seconds == 200
    assert service.p90_seconds == pytest.approx(360)
    assert service.max_seconds == 400


def test_one_visit_and_none() -> None:
    centre = make_centre()
    make_visit(centre, MONDAY, wait=75, service=500)
    assert wait_summary(PERIOD) == TimeSummary(
        count=1, total_seconds=75, max_seconds=75, median_seconds=75, p90_seconds=75
    )
    assert service_summary(PERIOD).median_seconds == 500
    empty = VisitFilter(MONDAY + dt.timedelta(days=1), MONDAY + dt.timedelta(days=1))
    assert wait_summary(empty) == TimeSummary()
    assert wait_summary(empty).mean_seconds is None
    assert service_summary(VisitFilter(MONDAY, MONDAY, location_ids=())) == TimeSummary()


def test_summaries_by_appointment() -> None:
    centre = make_centre()
    make_visit(centre, MONDAY, wait=60, is_appointment=True)
    make_visit(centre, MONDAY, wait=180, is_appointment=True)
    make_visit(centre, MONDAY, wait=900)
    found = time_summaries_by(PERIOD, WAIT, "is_appointment")
    assert found[True].mean_seconds == 120 and found[True].median_seconds == 120
    assert found[False].count == 1 and found[False].max_seconds == 900
    assert set(time_summaries_by(PERIOD, SERVICE, "is_appointment")) == {True, False}
    with pytest.raises(ValueError, match="outcome"):
        time_summaries_by(PERIOD, WAIT, "outcome")


def test_longest_waiting_subject_areas() -> None:
    centre = make_centre()
    passports, moving = centre.passport.subject_area, centre.moving.subject_area
    third = type(passports).objects.create(name="Kørekort 1", slug="korekort-kpi")
    for seconds in (600, 1200):  # mean 900
        make_visit(centre, MONDAY, wait=seconds, subject_area=passports)
    for seconds in (100, 1700):  # mean 900 too, median 900: a tie broken by the lower id
        make_visit(centre, MONDAY, wait=seconds, subject_area=moving)
    make_visit(centre, MONDAY, wait=1500, subject_area=third)  # mean 1500
    # A long cancelled wait does not make an area wait longer.
    make_visit(centre, MONDAY, wait=9000, subject_area=moving, ending=Ending.CANCELLED)
    found = longest_waiting_subject_areas(PERIOD)
    assert [pk for pk, _summary in found] == [third.pk, *sorted([passports.pk, moving.pk])]
    assert found[0][1].mean_seconds == 1500
    assert [pk for pk, _summary in longest_waiting_subject_areas(PERIOD, limit=1)] == [third.pk]
