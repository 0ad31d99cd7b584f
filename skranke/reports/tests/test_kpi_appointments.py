"""Appointment figures (kpi.appointments): bookings by what became of them and the no-show rate,
per centre, service and month, from one statement, on bookings worked out by hand."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from skranke.reports.kpi import AppointmentCounts, VisitFilter, appointment_figures
from skranke.reports.tests.booking_factory import march_and_april

pytestmark = pytest.mark.django_db

MARCH_1, APRIL_30 = dt.date(2026, 3, 1), dt.date(2026, 4, 30)


def counts(
    booked: int,
    checked_in: int = 0,
    no_show: int = 0,
    *,
    citizen: int = 0,
    staff: int = 0,
    closure: int = 0,
) -> AppointmentCounts:
    return AppointmentCounts(
        booked=booked,
        checked_in=checked_in,
        no_show=no_show,
        cancelled=citizen + staff + closure,
        cancelled_by={"citizen": citizen, "staff": staff, "closure": closure},
    )


def test_bookings_by_what_became_of_them() -> None:
    centres = march_and_april()
    first, second = centres.first, centres.second

    with CaptureQueriesContext(connection) as captured:
        found = appointment_figures(VisitFilter(MARCH_1, APRIL_30))
    assert len(captured.captured_queries) == 1

    # Twelve booked for a time in the period, the one still booked among them.
    assert found.total == counts(12, 5, 3, citizen=1, staff=1, closure=1)
    assert found.total.no_show_rate.fraction == Fraction(3, 8)
    assert found.by_centre == {
        first.location.pk: counts(9, 4, 2, citizen=1, closure=1),
        second.location.pk: counts(3, 1, 1, staff=1),
    }
    assert found.by_service == {
        first.passport.pk: counts(8, 3, 2, citizen=1, closure=1),
        first.moving.pk: counts(1, 1),
        second.passport.pk: counts(3, 1, 1, staff=1),
    }
    # By the local date of the booked time: 31 March 23:30 is March, 1 April 00:30 April,
    # though both are 31 March in UTC.
    assert found.by_month == {
        "2026-03": counts(8, 4, 2, citizen=1, staff=1),
        "2026-04": counts(4, 1, 1, closure=1),
    }
    assert found.by_month["2026-04"].no_show_rate.fraction == Fraction(1, 2)
    assert found.by_service[first.moving.pk].no_show_rate.fraction == 0


def test_centres_subject_area_and_the_year_before() -> None:
    centres = march_and_april()
    first = centres.first
    period = VisitFilter(MARCH_1, APRIL_30, location_ids=(first.location.pk,))
    assert appointment_figures(period).total == counts(9, 4, 2, citizen=1, closure=1)
    passports = VisitFilter(MARCH_1, APRIL_30, subject_area_id=first.passport.subject_area_id)
    assert appointment_figures(passports).total == counts(8, 3, 2, citizen=1, closure=1)
    last_year = appointment_figures(period.a_year_earlier())
    assert last_year.total == counts(3, 2, 1)
    assert list(last_year.by_month) == ["2025-03", "2025-04"]
    assert last_year.total.values() == {
        "booked": 3,
        "checked_in": 2,
        "no_show": 1,
        "cancelled": 0,
        "no_show_rate": Fraction(1, 3),
    }


def test_an_empty_period_gives_zeros_and_no_rate_without_a_statement() -> None:
    march_and_april()
    found = appointment_figures(VisitFilter(dt.date(2026, 6, 1), dt.date(2026, 7, 31)))
    assert found.total == AppointmentCounts()
    assert found.total.no_show_rate.fraction is None
    assert found.by_centre == found.by_service == {}
    assert found.by_month == {"2026-06": AppointmentCounts(), "2026-07": AppointmentCounts()}
    with CaptureQueriesContext(connection) as captured:
        reversed_period = appointment_figures(VisitFilter(APRIL_30, MARCH_1))
    assert len(captured.captured_queries) == 0
    assert reversed_period.total == AppointmentCounts() and reversed_period.by_month == {}


@pytest.mark.parametrize("limit", ["queue_id", "team_id", "source"])
def test_a_filter_a_booking_cannot_meet_is_refused(limit: str) -> None:
    period = VisitFilter(MARCH_1, APRIL_30, **{limit: 1})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=limit):
        appointment_figures(period)
