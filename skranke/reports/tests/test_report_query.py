"""parse_report_query: the one place where `skranke report` and GET /api/v1/reports turn their
arguments into a ReportQuery, and refuse bad ones with a code and a one-line message."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from skranke.organisation.models import Location
from skranke.reports.query import (
    LocationNotAllowed,
    ReportQuery,
    ReportQueryRefused,
    parse_report_query,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def centres() -> tuple[Location, Location, Location]:
    return (
        Location.objects.create(name="Borgerservice Nord", slug="nord"),
        Location.objects.create(name="Borgerservice Syd", slug="syd"),
        Location.objects.create(name="Lukket filial", slug="lukket", active=False),
    )


def refusal(*arguments: object, **options: object) -> ReportQueryRefused:
    with pytest.raises(ReportQueryRefused) as caught:
        parse_report_query(*arguments, **options)  # type: ignore[arg-type]
    message = caught.value.message
    assert message and "\n" not in message, message
    return caught.value


def test_one_centre_by_slug(centres: tuple[Location, Location, Location]) -> None:
    nord, _syd, _closed = centres
    query = parse_report_query("nord", "2025-01-01", "2025-12-31", "10")
    assert query == ReportQuery(
        location_ids=(nord.pk,),
        all_locations=False,
        date_from=dt.date(2025, 1, 1),
        date_to=dt.date(2025, 12, 31),
        goal_minutes=10,
    )


def test_all_is_every_active_centre_the_caller_may_see(
    centres: tuple[Location, Location, Location],
) -> None:
    nord, syd, closed = centres
    everyone = parse_report_query("all", "2025-01-01", "2025-01-01")
    assert everyone.all_locations
    assert everyone.location_ids == (nord.pk, syd.pk)
    assert everyone.goal_minutes is None

    limited = frozenset({syd.pk, closed.pk})
    mine = parse_report_query("all", "2025-01-01", "2025-01-01", allowed_location_ids=limited)
    assert mine.location_ids == (syd.pk,)
    nowhere = parse_report_query(
        "all", "2025-01-01", "2025-01-01", allowed_location_ids=frozenset()
    )
    assert nowhere.location_ids == ()


@pytest.mark.parametrize(
    "location", ["vest", "lukket", "", "NORD", "nord ", "all/nord", "nord\x00"]
)
def test_a_centre_that_is_not_an_active_one_is_unknown(
    centres: tuple[Location, Location, Location], location: str
) -> None:
    refused = refusal(location, "2025-01-01", "2025-01-31")
    assert refused.code == "unknown_location"
    assert not isinstance(refused, LocationNotAllowed)


def test_text_that_is_no_slug_never_reaches_the_database(
    centres: tuple[Location, Location, Location],
) -> None:
    with CaptureQueriesContext(connection) as queries:
        assert refusal("nord\x00", "2025-01-01", "2025-01-31").code == "unknown_location"
    assert len(queries) == 0


def test_the_unknown_centre_is_named_in_one_printable_line(
    centres: tuple[Location, Location, Location],
) -> None:
    with translation.override("en"):
        message = refusal("vest\x1b[31m" + "x" * 100, "2025-01-01", "2025-01-31").message
    assert message.startswith('No active centre is called "vest?[31mxxx')
    assert "\x1b" not in message and len(message) < 140


def test_a_centre_outside_the_callers_is_not_allowed(
    centres: tuple[Location, Location, Location],
) -> None:
    nord, syd, _closed = centres
    refused = refusal("nord", "2025-01-01", "2025-01-31", allowed_location_ids=frozenset({syd.pk}))
    assert isinstance(refused, LocationNotAllowed)
    assert refused.code == "location_not_allowed"
    allowed = parse_report_query(
        "nord", "2025-01-01", "2025-01-31", allowed_location_ids=frozenset({nord.pk})
    )
    assert allowed.location_ids == (nord.pk,)


@pytest.mark.parametrize(
    "text",
    [
        "2025-1-31",
        "2025-02-30",
        "20250131",
        "2025-W05-5",
        "2025-01-31T00:00",
        " 2025-01-31",
        "31-01-2025",
        "",
        "٢٠٢٥-٠١-٣١",  # Arabic-Indic digits
        "2025-01-31\x00",
    ],
)
def test_a_date_must_be_written_yyyy_mm_dd(
    centres: tuple[Location, Location, Location], text: str
) -> None:
    assert refusal("nord", text, "2025-12-31").code == "bad_date"
    assert refusal("nord", "2025-01-01", text).code == "bad_date"


def test_dates_far_outside_the_supported_years_are_refused(
    centres: tuple[Location, Location, Location],
) -> None:
    # The year-earlier comparison of 0001-01-01 would not exist.
    assert refusal("nord", "0001-01-01", "0001-01-31").code == "date_out_of_range"
    assert refusal("nord", "2025-01-01", "9999-12-31").code == "date_out_of_range"


def test_the_end_before_the_start_is_refused_naming_both(
    centres: tuple[Location, Location, Location],
) -> None:
    with translation.override("en"):
        refused = refusal("nord", "2025-02-01", "2025-01-31")
    assert refused.code == "dates_reversed"
    assert "2025-01-31" in refused.message and "2025-02-01" in refused.message
    one_day = parse_report_query("nord", "2025-02-01", "2025-02-01")
    assert one_day.date_from == one_day.date_to


def test_a_period_of_at_most_ten_years(centres: tuple[Location, Location, Location]) -> None:
    assert parse_report_query("nord", "2016-01-01", "2025-12-31").date_to == dt.date(2025, 12, 31)
    assert refusal("nord", "2016-01-01", "2026-01-01").code == "period_too_long"
    # From a leap day, ten years later is 1 March.
    assert parse_report_query("nord", "2016-02-29", "2026-02-28").date_from.day == 29
    assert refusal("nord", "2016-02-29", "2026-03-01").code == "period_too_long"


@pytest.mark.parametrize(
    ("given", "expected"), [(None, None), ("", None), ("1", 1), ("600", 600), (45, 45)]
)
def test_goal_minutes_are_optional_whole_minutes(
    centres: tuple[Location, Location, Location], given: str | int | None, expected: int | None
) -> None:
    assert parse_report_query("nord", "2025-01-01", "2025-01-31", given).goal_minutes == expected


@pytest.mark.parametrize(
    "given",
    [
        "0",
        "601",
        "-5",
        "abc",
        "1.5",
        " 10",
        "١٠",  # int() alone would take Arabic-Indic digits for 10
        "9" * 30,
        0,
        601,
        True,
    ],
)
def test_goal_minutes_outside_the_range_are_refused(
    centres: tuple[Location, Location, Location], given: str | int
) -> None:
    assert refusal("nord", "2025-01-01", "2025-01-31", given).code == "bad_goal_minutes"


def test_the_centre_is_checked_first_then_the_dates_then_the_goal(
    centres: tuple[Location, Location, Location],
) -> None:
    assert refusal("vest", "x", "y", "0").code == "unknown_location"
    assert refusal("nord", "x", "2025-01-01", "0").code == "bad_date"
    assert refusal("nord", "2025-01-02", "2025-01-01", "0").code == "dates_reversed"
