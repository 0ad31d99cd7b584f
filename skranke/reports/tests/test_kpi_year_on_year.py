"""The same dates a year earlier (29 February as 28 February) and the change in %:
(this − last) ÷ last × 100, None when last year is zero or missing."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from skranke.queue.models import Ending
from skranke.queue.tests.factories import make_centre
from skranke.reports.kpi import VisitFilter, a_year_earlier, change_percent, year_on_year
from skranke.reports.tests.visit_factory import make_visit

pytestmark = pytest.mark.django_db


def test_a_year_earlier() -> None:
    assert a_year_earlier(dt.date(2026, 3, 2)) == dt.date(2025, 3, 2)
    assert a_year_earlier(dt.date(2024, 2, 29)) == dt.date(2023, 2, 28)
    assert a_year_earlier(dt.date(2025, 2, 28)) == dt.date(2024, 2, 28)
    assert a_year_earlier(dt.date(2025, 3, 1)) == dt.date(2024, 3, 1)
    period = VisitFilter(dt.date(2026, 1, 1), dt.date(2026, 12, 31), location_ids=(3,))
    assert period.a_year_earlier() == VisitFilter(
        dt.date(2025, 1, 1), dt.date(2025, 12, 31), location_ids=(3,)
    )


def test_change_percent() -> None:
    assert change_percent(110, 100) == 10
    assert change_percent(75, 100) == -25
    assert change_percent(1, 3) == Fraction(-200, 3)
    assert change_percent(5, 0) is None
    assert change_percent(0, 0) is None
    assert change_percent(None, 4) is None
    assert change_percent(4, None) is None
    assert change_percent(0, 4) == -100


def test_leap_day_compared_a_year_later() -> None:
    centre = make_centre()
    make_visit(centre, dt.date(2024, 2, 28), wait=60)
    for _visit in range(3):
        make_visit(centre, dt.date(2024, 2, 29), wait=120)
    make_visit(centre, dt.date(2024, 3, 1), wait=180)
    for _visit in range(2):
        make_visit(centre, dt.date(2025, 2, 28), wait=60)
    make_visit(centre, dt.date(2025, 3, 1), wait=60)

    # 28 February – 1 March 2025 against 28 February – 1 March 2024, leap day included.
    around = year_on_year(VisitFilter(dt.date(2025, 2, 28), dt.date(2025, 3, 1)))
    assert (around.this.counts.total, around.last.counts.total) == (3, 5)
    assert around.changes()["visits"] == Fraction(3 - 5, 5) * 100
    # The waits: this year 60 s each; last year (60 + 3 × 120 + 180) / 5 = 120 s → −50 %.
    assert around.last.wait.mean_seconds == 120
    assert around.changes()["wait_mean"] == -50
    # 28 February 2025 alone against 28 February 2024 alone: the leap day is not in it.
    day = year_on_year(VisitFilter(dt.date(2025, 2, 28), dt.date(2025, 2, 28)))
    assert (day.this.counts.total, day.last.counts.total) == (2, 1)
    assert day.changes()["visits"] == 100
    # The leap day itself against 28 February 2023, when there were none: no change to give.
    leap = year_on_year(VisitFilter(dt.date(2024, 2, 29), dt.date(2024, 2, 29)))
    assert leap.last_filter.date_from == dt.date(2023, 2, 28)
    assert (leap.this.counts.total, leap.last.counts.total) == (3, 0)
    assert leap.changes()["visits"] is None
    assert leap.changes()["wait_mean"] is None


def test_year_boundary_compared_with_the_year_before() -> None:
    centre = make_centre()
    # 30 December 2025 – 2 January 2026 against 30 December 2024 – 2 January 2025.
    for day in (dt.date(2024, 12, 30), dt.date(2025, 1, 2), dt.date(2024, 12, 29)):
        make_visit(centre, day)
    for day in (dt.date(2025, 12, 30), dt.date(2025, 12, 31), dt.date(2026, 1, 2)):
        make_visit(centre, day)
    make_visit(centre, dt.date(2026, 1, 2), ending=Ending.NO_SHOW, wait=60)
    compared = year_on_year(VisitFilter(dt.date(2025, 12, 30), dt.date(2026, 1, 2)))
    assert (compared.this.counts.total, compared.last.counts.total) == (4, 2)
    changes = compared.changes()
    assert changes["visits"] == 100
    assert changes["served"] == 50
    assert changes["no_show"] is None  # none last year
    assert changes["within_goal_share"] is None  # no goal either year
