"""The report's appointment figures: appointments.{booked, checked_in, no_show, cancelled,
cancelled_by, no_show_rate} with by_centre, by_service and by_month, the same dates a year
earlier and the change; an empty period; and erasing the bookings' personal data after the
retention changes no figure."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from skranke.booking.models import Appointment, AppointmentStatus, CancelReason
from skranke.booking.services import erase_personal_data
from skranke.queue.tests.factories import Centre
from skranke.reports.query import ReportQuery
from skranke.reports.report import build_report
from skranke.reports.tests.booking_factory import make_booking, march_and_april
from skranke.reports.tests.visit_factory import make_visit

pytestmark = pytest.mark.django_db

MARCH_1, APRIL_30 = dt.date(2026, 3, 1), dt.date(2026, 4, 30)


def report_for(
    *centres: Centre, date_from: dt.date = MARCH_1, date_to: dt.date = APRIL_30
) -> dict[str, Any]:
    query = ReportQuery(
        location_ids=tuple(centre.location.pk for centre in centres),
        all_locations=len(centres) > 1,
        date_from=date_from,
        date_to=date_to,
    )
    report = build_report(query)
    json.dumps(report, allow_nan=False)
    return report


def figures(
    booked: int,
    checked_in: int = 0,
    no_show: int = 0,
    rate: float | None = None,
    *,
    citizen: int = 0,
    staff: int = 0,
    closure: int = 0,
) -> dict[str, Any]:
    return {
        "booked": booked,
        "checked_in": checked_in,
        "no_show": no_show,
        "cancelled": citizen + staff + closure,
        "cancelled_by": {"citizen": citizen, "staff": staff, "closure": closure},
        "no_show_rate": rate,
    }


def test_two_centres_worked_out_by_hand() -> None:
    centres = march_and_april()
    first, second = centres.first, centres.second
    make_visit(first, dt.date(2026, 3, 2), is_appointment=True)

    report = report_for(first, second)
    appointments = report["appointments"]
    # The appointment visits' own figures are still there, beside the bookings'.
    assert appointments["visits"] == 1 and appointments["wait_minutes"]["count"] == 1
    assert {key: appointments[key] for key in figures(0)} == figures(
        12, 5, 3, 0.375, citizen=1, staff=1, closure=1
    )
    assert appointments["by_centre"] == {
        first.location.slug: figures(9, 4, 2, 0.333, citizen=1, closure=1),
        second.location.slug: figures(3, 1, 1, 0.5, staff=1),
    }
    # Both centres' passport services are called "Pas": counted together, most booked first.
    assert list(appointments["by_service"].items()) == [
        ("Pas", figures(11, 4, 3, 0.429, citizen=1, staff=1, closure=1)),
        ("Flytning", figures(1, 1, 0, 0.0)),
    ]
    assert appointments["by_month"] == {
        "2026-03": figures(8, 4, 2, 0.333, citizen=1, staff=1),
        "2026-04": figures(4, 1, 1, 0.5, closure=1),
    }
    # A year earlier: 3 booked, 2 checked in, 1 no-show (rate 1/3).
    assert report["previous_year"]["appointments"] == figures(3, 2, 1, 0.333)
    # 12 against 3 booked: +300 %; 5 against 2 checked in: +150 %; 3 against 1 no-show:
    # +200 %; nothing cancelled last year; a rate of 3/8 against 1/3: +12.5 %.
    assert report["change_percent"]["bookings"] == {
        "booked": 300.0,
        "checked_in": 150.0,
        "no_show": 200.0,
        "cancelled": None,
        "no_show_rate": 12.5,
    }
    # The change in appointment visits keeps its key.
    assert report["change_percent"]["appointments"] is None


def test_one_centre_and_an_empty_period() -> None:
    centres = march_and_april()
    first, second = centres.first, centres.second
    one = report_for(second)["appointments"]
    assert one["booked"] == 3 and list(one["by_centre"]) == [second.location.slug]

    empty = report_for(first, second, date_from=dt.date(2026, 6, 1), date_to=dt.date(2026, 6, 30))
    appointments = empty["appointments"]
    assert {key: appointments[key] for key in figures(0)} == figures(0)
    assert appointments["by_centre"] == {
        first.location.slug: figures(0),
        second.location.slug: figures(0),
    }
    assert appointments["by_service"] == {}
    assert appointments["by_month"] == {"2026-06": figures(0)}
    assert empty["change_percent"]["bookings"] == dict.fromkeys(
        ("booked", "checked_in", "no_show", "cancelled", "no_show_rate")
    )


def test_the_report_reads_the_bookings_once_a_period() -> None:
    centres = march_and_april()
    with CaptureQueriesContext(connection) as captured:
        report_for(centres.first, centres.second)
    table = Appointment._meta.db_table
    assert sum(table in query["sql"] for query in captured.captured_queries) == 2
    for day in range(1, 20):
        make_booking(centres.second, dt.date(2026, 4, day), status=AppointmentStatus.NO_SHOW)
    with CaptureQueriesContext(connection) as more:
        report_for(centres.first, centres.second)
    assert len(more.captured_queries) == len(captured.captured_queries)


def test_erasing_personal_data_leaves_the_figures_as_they_were() -> None:
    """The figures read only what is not personal; erasure blanks name, phone and e-mail
    SKRANKE_BOOKING_RETENTION_DAYS after the appointment and keeps the row."""
    centres = march_and_april()
    make_booking(
        centres.first,
        dt.date(2026, 4, 20),
        status=AppointmentStatus.CANCELLED,
        reason=CancelReason.STAFF,
    )
    before = report_for(centres.first, centres.second)
    assert Appointment.objects.exclude(name="").exists()

    latest = Appointment.objects.order_by("-starts_at").values_list("starts_at", flat=True)[0]
    retention = dt.timedelta(days=settings.SKRANKE_BOOKING_RETENTION_DAYS)
    erased = erase_personal_data(now=latest + retention + dt.timedelta(seconds=1))

    assert erased == Appointment.objects.count() == 18
    personal = Appointment.objects.order_by().values_list("name", "phone", "email")
    assert list(personal.distinct()) == [("", "", "")]
    assert not Appointment.objects.filter(erased_at=None).exists()
    after = report_for(centres.first, centres.second)
    assert after == before
    assert after["appointments"]["booked"] == 13
