"""The centre admin page: a centre with its weekly hours, dated exceptions and counters."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.test import Client

from skranke.organisation.models import Counter, HoursKind, Location, OpeningHours, Weekday

ADD_URL = "/admin/organisation/location/add/"
_numbers = itertools.count()

OVERLAP_MONDAY = "Åbningstiderne mandag overlapper; hvert tidspunkt må kun høre til ét interval."
CLOSES_BEFORE_OPENS = "Lukketiden skal ligge efter åbningstiden (brug 00:00 for midnat)."


def clock(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def make_location(**fields: Any) -> Location:
    number = next(_numbers)
    fields.setdefault("name", f"Borgerservice {number}")
    fields.setdefault("slug", f"borgerservice-{number}")
    return Location.objects.create(**fields)


def make_hours(
    location: Location,
    weekday: Weekday,
    opens: str,
    closes: str,
    kind: HoursKind = HoursKind.ATTENDANCE,
) -> OpeningHours:
    return OpeningHours.objects.create(
        location=location, kind=kind, weekday=weekday, opens=clock(opens), closes=clock(closes)
    )


def inline_data(prefix: str, rows: list[dict[str, Any]], initial: int = 0) -> dict[str, Any]:
    """Return the POST data of one admin inline: its management form and one entry per row."""
    data: dict[str, Any] = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for field, value in row.items():
            data[f"{prefix}-{index}-{field}"] = value
    return data


def hours_row(
    weekday: Weekday, opens: str, closes: str, kind: HoursKind = HoursKind.ATTENDANCE
) -> dict[str, Any]:
    return {"kind": kind.value, "weekday": str(weekday.value), "opens": opens, "closes": closes}


def location_data(
    location: Location | None = None,
    hours: list[dict[str, Any]] | None = None,
    exceptions: list[dict[str, Any]] | None = None,
    counters: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """Return add or change form data; a changed centre's saved rows come first, with ids."""
    data: dict[str, Any] = {
        "name": location.name if location else "Borgerservice Centrum",
        "slug": location.slug if location else "centrum",
        "active": "on",
        "sort_order": "0",
        "address": "Rådhuspladsen 1",
        "postal_code": "1550",
        "city": "København V",
        "phone": "33 66 33 66",
        "email": "borgerservice@example.dk",
    }
    data.update(fields)
    saved_hours: list[dict[str, Any]] = []
    if location is not None:
        saved_hours = [
            {
                "id": str(row.pk),
                "location": str(location.pk),
                **hours_row(Weekday(row.weekday), f"{row.opens:%H:%M}", f"{row.closes:%H:%M}"),
                "kind": row.kind,
            }
            for row in location.opening_hours.all()
        ]
    data.update(inline_data("opening_hours", saved_hours + (hours or []), len(saved_hours)))
    data.update(inline_data("opening_exceptions", exceptions or []))
    data.update(inline_data("counters", counters or []))
    return data


def weekly(location: Location) -> list[tuple[str, int, dt.time, dt.time]]:
    return list(
        location.opening_hours.order_by("kind", "weekday", "opens").values_list(
            "kind", "weekday", "opens", "closes"
        )
    )


def test_add_page_shows_the_inlines(admin_client: Client) -> None:
    response = admin_client.get(ADD_URL)
    assert response.status_code == 200
    html = response.content.decode()
    for prefix in ("opening_hours", "opening_exceptions", "counters"):
        assert f'name="{prefix}-TOTAL_FORMS"' in html


def test_add_saves_the_centre_with_its_hours_and_counters(admin_client: Client) -> None:
    data = location_data(
        hours=[
            hours_row(Weekday.MONDAY, "09:00", "12:00"),
            hours_row(Weekday.MONDAY, "13:00", "17:30"),
            hours_row(Weekday.TUESDAY, "09:00", "15:00"),
            hours_row(Weekday.MONDAY, "08:00", "16:00", HoursKind.TELEPHONE),
        ],
        counters=[{"number": "1", "name": "Skranke 1", "active": "on"}],
        open_on_christmas_eve="on",
    )
    response = admin_client.post(ADD_URL, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    location = Location.objects.get(slug="centrum")
    assert location.full_address == "Rådhuspladsen 1, 1550 København V"
    assert location.open_on_christmas_eve
    assert not location.open_on_new_years_eve
    assert weekly(location) == [
        ("attendance", 0, clock("09:00"), clock("12:00")),
        ("attendance", 0, clock("13:00"), clock("17:30")),
        ("attendance", 1, clock("09:00"), clock("15:00")),
        ("telephone", 0, clock("08:00"), clock("16:00")),
    ]
    assert list(Counter.objects.filter(location=location).values_list("number", "name")) == [
        (1, "Skranke 1")
    ]


def test_overlapping_intervals_on_one_weekday_are_refused(admin_client: Client) -> None:
    data = location_data(
        hours=[
            hours_row(Weekday.MONDAY, "09:00", "12:00"),
            hours_row(Weekday.MONDAY, "11:30", "15:00"),
        ]
    )
    response = admin_client.post(ADD_URL, data)
    assert response.status_code == 200
    assert OVERLAP_MONDAY in response.content.decode()
    assert not Location.objects.exists()
    assert not OpeningHours.objects.exists()


def test_an_interval_inside_another_is_refused(admin_client: Client) -> None:
    data = location_data(
        hours=[
            hours_row(Weekday.MONDAY, "08:00", "16:00"),
            hours_row(Weekday.MONDAY, "10:00", "11:00"),
            hours_row(Weekday.MONDAY, "12:00", "13:00"),
        ]
    )
    response = admin_client.post(ADD_URL, data)
    assert OVERLAP_MONDAY in response.content.decode()
    assert not Location.objects.exists()


def test_overlap_with_an_interval_closing_at_midnight_is_refused(admin_client: Client) -> None:
    data = location_data(
        hours=[
            hours_row(Weekday.MONDAY, "18:00", "00:00"),
            hours_row(Weekday.MONDAY, "22:00", "23:00"),
        ]
    )
    response = admin_client.post(ADD_URL, data)
    assert OVERLAP_MONDAY in response.content.decode()
    assert not Location.objects.exists()


def test_touching_intervals_are_accepted(admin_client: Client) -> None:
    data = location_data(
        hours=[
            hours_row(Weekday.MONDAY, "12:00", "15:00"),
            hours_row(Weekday.MONDAY, "09:00", "12:00"),
        ]
    )
    assert admin_client.post(ADD_URL, data).status_code == 302
    assert len(weekly(Location.objects.get())) == 2


def test_same_times_on_other_days_or_for_the_telephone_are_accepted(admin_client: Client) -> None:
    data = location_data(
        hours=[
            hours_row(Weekday.MONDAY, "09:00", "15:00"),
            hours_row(Weekday.TUESDAY, "09:00", "15:00"),
            hours_row(Weekday.MONDAY, "09:00", "15:00", HoursKind.TELEPHONE),
        ]
    )
    assert admin_client.post(ADD_URL, data).status_code == 302
    assert len(weekly(Location.objects.get())) == 3


def test_closing_before_opening_is_refused(admin_client: Client) -> None:
    data = location_data(hours=[hours_row(Weekday.MONDAY, "15:00", "09:00")])
    response = admin_client.post(ADD_URL, data)
    assert response.status_code == 200
    assert CLOSES_BEFORE_OPENS in response.content.decode()
    assert not Location.objects.exists()


def test_closing_at_the_opening_time_is_refused(admin_client: Client) -> None:
    data = location_data(hours=[hours_row(Weekday.MONDAY, "09:00", "09:00")])
    response = admin_client.post(ADD_URL, data)
    assert CLOSES_BEFORE_OPENS in response.content.decode()
    assert not Location.objects.exists()


def test_closing_at_00_00_is_accepted_as_midnight(admin_client: Client) -> None:
    data = location_data(
        hours=[
            hours_row(Weekday.SUNDAY, "00:00", "00:00"),
            hours_row(Weekday.FRIDAY, "18:00", "00:00"),
        ]
    )
    response = admin_client.post(ADD_URL, data)
    assert response.status_code == 302
    assert weekly(Location.objects.get()) == [
        ("attendance", 4, clock("18:00"), clock("00:00")),
        ("attendance", 6, clock("00:00"), clock("00:00")),
    ]


def test_a_bad_postal_code_is_refused(admin_client: Client) -> None:
    response = admin_client.post(ADD_URL, location_data(postal_code="155"))
    assert response.status_code == 200
    assert "Et dansk postnummer har fire cifre." in response.content.decode()
    assert not Location.objects.exists()


def test_change_adding_an_overlapping_interval_is_refused(admin_client: Client) -> None:
    location = make_location()
    make_hours(location, Weekday.MONDAY, "09:00", "15:00")
    data = location_data(location, hours=[hours_row(Weekday.MONDAY, "14:00", "18:00")])
    response = admin_client.post(f"/admin/organisation/location/{location.pk}/change/", data)
    assert response.status_code == 200
    assert OVERLAP_MONDAY in response.content.decode()
    assert weekly(location) == [("attendance", 0, clock("09:00"), clock("15:00"))]


def test_change_replacing_a_deleted_interval_is_accepted(admin_client: Client) -> None:
    location = make_location()
    make_hours(location, Weekday.MONDAY, "09:00", "15:00")
    data = location_data(location, hours=[hours_row(Weekday.MONDAY, "10:00", "18:00")])
    data["opening_hours-0-DELETE"] = "on"
    response = admin_client.post(f"/admin/organisation/location/{location.pk}/change/", data)
    assert response.status_code == 302
    assert weekly(location) == [("attendance", 0, clock("10:00"), clock("18:00"))]


def test_change_page_shows_the_saved_hours(admin_client: Client) -> None:
    location = make_location(name="Borgerservice Nord")
    make_hours(location, Weekday.WEDNESDAY, "10:00", "18:00")
    response = admin_client.get(f"/admin/organisation/location/{location.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Borgerservice Nord" in html
    assert 'value="18:00' in html


def test_anonymous_users_are_sent_to_the_login_page(client: Client, db: None) -> None:
    response = client.get("/admin/organisation/location/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=/admin/organisation/location/")
    response = client.post(ADD_URL, location_data())
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert not Location.objects.exists()


def test_staff_without_permissions_may_not_add_centres(client: Client, db: None) -> None:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("medarbejder", password="x", is_staff=True)
    client.force_login(user)
    assert client.get(ADD_URL).status_code == 403
    assert client.post(ADD_URL, location_data()).status_code == 403
    assert not Location.objects.exists()
