"""GET /api/v1/locations and /api/v1/locations/<slug>: centres with today's hours."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from skranke.organisation.models import (
    HoursKind,
    Location,
    OpeningException,
    OpeningHours,
    Weekday,
)

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
WORKDAYS = [Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY]
_numbers = itertools.count()


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=COPENHAGEN)


def instant(text: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(text)
    assert parsed.tzinfo is not None, text
    return parsed


def make_location(**fields: Any) -> Location:
    number = next(_numbers)
    fields.setdefault("name", f"Borgerservice {number}")
    fields.setdefault("slug", f"borgerservice-{number}")
    return Location.objects.create(**fields)


def make_weekday_centre(**fields: Any) -> Location:
    location = make_location(**fields)
    for weekday in WORKDAYS:
        OpeningHours.objects.create(
            location=location, weekday=weekday, opens=dt.time(9), closes=dt.time(15)
        )
        OpeningHours.objects.create(
            location=location,
            kind=HoursKind.TELEPHONE,
            weekday=weekday,
            opens=dt.time(8),
            closes=dt.time(16),
        )
    return location


@pytest.fixture
def now(db: None, monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    """Freeze the API's clock on Monday 2 March 2026 at 10:00 in Copenhagen."""
    frozen = local(2026, 3, 2, 10).astimezone(dt.UTC)
    monkeypatch.setattr("skranke.organisation.api.timezone.now", lambda: frozen)
    return frozen


def test_list_gives_the_active_centres_with_todays_hours(client: Client, now: dt.datetime) -> None:
    make_weekday_centre(
        name="Borgerservice Centrum",
        slug="centrum",
        address="Rådhuspladsen 1",
        postal_code="1550",
        city="København V",
        phone="33 66 33 66",
        sort_order=1,
    )
    make_location(name="Borgerservice Amager", slug="amager", sort_order=2)
    make_location(name="Lukket filial", slug="lukket", active=False)
    response = client.get("/api/v1/locations")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert [centre["slug"] for centre in body] == ["centrum", "amager"]
    centrum, amager = body
    assert centrum["name"] == "Borgerservice Centrum"
    assert centrum["address"] == "Rådhuspladsen 1, 1550 København V"
    assert centrum["phone"] == "33 66 33 66"
    assert centrum["open_now"] is True
    assert centrum["attendance_today"]["date"] == "2026-03-02"
    [interval] = centrum["attendance_today"]["intervals"]
    assert instant(interval["opens"]) == local(2026, 3, 2, 9)
    assert instant(interval["closes"]) == local(2026, 3, 2, 15)
    [telephone] = centrum["telephone_today"]["intervals"]
    assert instant(telephone["opens"]) == local(2026, 3, 2, 8)
    assert amager["open_now"] is False
    assert amager["next_opening"] is None
    assert amager["attendance_today"] == {
        "date": "2026-03-02",
        "intervals": [],
        "closed_reason": "",
    }


def test_list_is_empty_without_centres(client: Client, db: None) -> None:
    response = client.get("/api/v1/locations")
    assert response.status_code == 200
    assert response.json() == []


def test_one_centre_while_open(client: Client, now: dt.datetime) -> None:
    make_weekday_centre(slug="centrum")
    response = client.get("/api/v1/locations/centrum")
    assert response.status_code == 200
    body = response.json()
    assert body["slug"] == "centrum"
    assert body["open_now"] is True
    assert instant(body["next_opening"]) == local(2026, 3, 3, 9)
    assert [
        (instant(interval["opens"]), instant(interval["closes"]))
        for interval in body["attendance_today"]["intervals"]
    ] == [(local(2026, 3, 2, 9), local(2026, 3, 2, 15))]
    # Intervals are given with the local offset of the day (winter time in March).
    assert body["attendance_today"]["intervals"][0]["opens"].endswith("+01:00")


def test_one_centre_closed_by_a_dated_exception(client: Client, now: dt.datetime) -> None:
    location = make_weekday_centre(slug="centrum")
    OpeningException.objects.create(
        location=location, date=dt.date(2026, 3, 2), reason="Lukket pga. kursus"
    )
    body = client.get("/api/v1/locations/centrum").json()
    assert body["open_now"] is False
    assert body["attendance_today"]["intervals"] == []
    assert body["attendance_today"]["closed_reason"] == "Lukket pga. kursus"
    assert len(body["telephone_today"]["intervals"]) == 1
    assert instant(body["next_opening"]) == local(2026, 3, 3, 9)


def test_one_centre_on_a_public_holiday(
    client: Client, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    christmas = local(2026, 12, 25, 10).astimezone(dt.UTC)
    monkeypatch.setattr("skranke.organisation.api.timezone.now", lambda: christmas)
    make_weekday_centre(slug="centrum")
    body = client.get("/api/v1/locations/centrum").json()
    assert body["open_now"] is False
    assert body["attendance_today"]["closed_reason"] == "Juledag"
    assert instant(body["next_opening"]) == local(2026, 12, 28, 9)


def test_an_unknown_centre_is_404_with_a_detail(client: Client, db: None) -> None:
    response = client.get("/api/v1/locations/findes-ikke")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert isinstance(response.json()["detail"], str)
    assert response.json()["detail"]


def test_an_inactive_centre_is_404(client: Client, db: None) -> None:
    make_location(slug="lukket", active=False)
    response = client.get("/api/v1/locations/lukket")
    assert response.status_code == 404
    assert "detail" in response.json()


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writing_is_not_allowed(client: Client, db: None, method: str) -> None:
    make_location(slug="centrum")
    for url in ("/api/v1/locations", "/api/v1/locations/centrum"):
        response = getattr(client, method)(url, data={}, content_type="application/json")
        assert response.status_code == 405, url
    assert Location.objects.count() == 1


def test_the_openapi_document_describes_the_endpoints(client: Client, db: None) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "get" in paths["/api/v1/locations"]
    detail = paths["/api/v1/locations/{slug}"]["get"]
    assert {"200", "404"} <= set(detail["responses"])
