"""Dated exceptions in the admin: inline on the centre page, and on their own page."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.test import Client

from skranke.organisation.models import HoursKind, Location, OpeningException

ADD_URL = "/admin/organisation/openingexception/add/"
_numbers = itertools.count()

BOTH_CLOSED_AND_OPEN = "24-11-2026 er både lukket og åben; fjern en af rækkerne."
CLOSED_TWICE = "24-11-2026 er lukket mere end én gang; behold én række."
OVERLAP = "Åbningstiderne den 24-11-2026 overlapper; hvert tidspunkt må kun høre til ét interval."
BOTH_TIMES = "Angiv både åbnings- og lukketid, eller ingen af dem for en lukket dag."
CLOSES_BEFORE_OPENS = "Lukketiden skal ligge efter åbningstiden (brug 00:00 for midnat)."
DAY = dt.date(2026, 11, 24)


def clock(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def make_location(**fields: Any) -> Location:
    number = next(_numbers)
    fields.setdefault("name", f"Borgerservice {number}")
    fields.setdefault("slug", f"borgerservice-{number}")
    return Location.objects.create(**fields)


def make_exception(
    location: Location,
    opens: str | None = None,
    closes: str | None = None,
    date: dt.date = DAY,
    kind: HoursKind = HoursKind.ATTENDANCE,
    reason: str = "",
) -> OpeningException:
    return OpeningException.objects.create(
        location=location,
        date=date,
        kind=kind,
        opens=clock(opens) if opens else None,
        closes=clock(closes) if closes else None,
        reason=reason,
    )


def exception_row(
    opens: str = "",
    closes: str = "",
    date: dt.date = DAY,
    kind: HoursKind = HoursKind.ATTENDANCE,
    reason: str = "",
) -> dict[str, str]:
    return {
        "date": date.isoformat(),
        "kind": kind.value,
        "opens": opens,
        "closes": closes,
        "reason": reason,
    }


def inline_data(prefix: str, rows: list[dict[str, str]]) -> dict[str, str]:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{field}": value for field, value in row.items()})
    return data


def add_location_with(admin_client: Client, exceptions: list[dict[str, str]]) -> Any:
    data = {"name": "Borgerservice Syd", "slug": "syd", "active": "on", "sort_order": "0"}
    data.update(inline_data("opening_hours", []))
    data.update(inline_data("opening_exceptions", exceptions))
    data.update(inline_data("counters", []))
    return admin_client.post("/admin/organisation/location/add/", data)


def standalone_data(location: Location, **row: Any) -> dict[str, str]:
    return {"location": str(location.pk), **exception_row(**row)}


def saved(location: Location) -> list[tuple[dt.date, str, dt.time | None, dt.time | None, str]]:
    return list(
        location.opening_exceptions.order_by("date", "kind", "opens").values_list(
            "date", "kind", "opens", "closes", "reason"
        )
    )


# Inline on the centre page ---------------------------------------------------------------------


def test_inline_saves_a_closed_day_and_a_day_with_other_hours(admin_client: Client) -> None:
    response = add_location_with(
        admin_client,
        [
            exception_row(reason="Personalemøde"),
            exception_row("10:00", "19:00", date=DAY + dt.timedelta(days=1), reason="Pas-aften"),
        ],
    )
    assert response.status_code == 302
    assert saved(Location.objects.get(slug="syd")) == [
        (DAY, "attendance", None, None, "Personalemøde"),
        (DAY + dt.timedelta(days=1), "attendance", clock("10:00"), clock("19:00"), "Pas-aften"),
    ]


def test_inline_refuses_a_day_both_closed_and_open(admin_client: Client) -> None:
    response = add_location_with(
        admin_client, [exception_row(reason="Lukket"), exception_row("10:00", "12:00")]
    )
    assert response.status_code == 200
    assert BOTH_CLOSED_AND_OPEN in response.content.decode()
    assert not Location.objects.exists()
    assert not OpeningException.objects.exists()


def test_inline_refuses_a_day_closed_twice(admin_client: Client) -> None:
    response = add_location_with(
        admin_client, [exception_row(reason="Lukket"), exception_row(reason="Også lukket")]
    )
    assert response.status_code == 200
    assert CLOSED_TWICE in response.content.decode()
    assert not OpeningException.objects.exists()


def test_inline_refuses_overlapping_exception_hours(admin_client: Client) -> None:
    response = add_location_with(
        admin_client, [exception_row("09:00", "12:00"), exception_row("11:00", "14:00")]
    )
    assert response.status_code == 200
    assert OVERLAP in response.content.decode()
    assert not OpeningException.objects.exists()


def test_inline_accepts_two_touching_intervals_on_one_date(admin_client: Client) -> None:
    response = add_location_with(
        admin_client, [exception_row("09:00", "12:00"), exception_row("12:00", "14:00")]
    )
    assert response.status_code == 302
    assert len(saved(Location.objects.get())) == 2


def test_inline_keeps_attendance_and_telephone_apart(admin_client: Client) -> None:
    response = add_location_with(
        admin_client,
        [exception_row(reason="Lukket"), exception_row("10:00", "12:00", kind=HoursKind.TELEPHONE)],
    )
    assert response.status_code == 302
    assert saved(Location.objects.get()) == [
        (DAY, "attendance", None, None, "Lukket"),
        (DAY, "telephone", clock("10:00"), clock("12:00"), ""),
    ]


def test_inline_refuses_an_opening_time_without_a_closing_time(admin_client: Client) -> None:
    response = add_location_with(admin_client, [exception_row("10:00", "")])
    assert response.status_code == 200
    html = response.content.decode()
    assert BOTH_TIMES in html
    assert "opening_exception_times" not in html  # the database constraint's internal name
    assert not OpeningException.objects.exists()


def test_inline_refuses_closing_before_opening(admin_client: Client) -> None:
    response = add_location_with(admin_client, [exception_row("14:00", "10:00")])
    assert response.status_code == 200
    assert CLOSES_BEFORE_OPENS in response.content.decode()
    assert not OpeningException.objects.exists()


def test_inline_accepts_closing_at_midnight(admin_client: Client) -> None:
    response = add_location_with(admin_client, [exception_row("16:00", "00:00")])
    assert response.status_code == 302
    assert saved(Location.objects.get()) == [
        (DAY, "attendance", clock("16:00"), clock("00:00"), "")
    ]


# The exception's own page -------------------------------------------------------------------------


def test_standalone_add_saves_an_exception(admin_client: Client) -> None:
    location = make_location()
    response = admin_client.post(ADD_URL, standalone_data(location, reason="Valg"))
    assert response.status_code == 302
    assert saved(location) == [(DAY, "attendance", None, None, "Valg")]


def test_standalone_refuses_hours_on_a_day_already_closed(admin_client: Client) -> None:
    location = make_location()
    make_exception(location, reason="Lukket")
    response = admin_client.post(ADD_URL, standalone_data(location, opens="10:00", closes="12:00"))
    assert response.status_code == 200
    assert BOTH_CLOSED_AND_OPEN in response.content.decode()
    assert saved(location) == [(DAY, "attendance", None, None, "Lukket")]


def test_standalone_refuses_closing_a_day_that_has_hours(admin_client: Client) -> None:
    location = make_location()
    make_exception(location, "10:00", "12:00")
    response = admin_client.post(ADD_URL, standalone_data(location, reason="Lukket"))
    assert response.status_code == 200
    assert BOTH_CLOSED_AND_OPEN in response.content.decode()
    assert saved(location) == [(DAY, "attendance", clock("10:00"), clock("12:00"), "")]


def test_standalone_refuses_hours_overlapping_a_saved_row(admin_client: Client) -> None:
    location = make_location()
    make_exception(location, "09:00", "12:00")
    response = admin_client.post(ADD_URL, standalone_data(location, opens="11:00", closes="13:00"))
    assert response.status_code == 200
    assert OVERLAP in response.content.decode()
    assert len(saved(location)) == 1


def test_standalone_accepts_other_centres_kinds_and_dates(admin_client: Client) -> None:
    location, other = make_location(), make_location()
    make_exception(location, reason="Lukket")
    for data in (
        standalone_data(other, opens="10:00", closes="12:00"),
        standalone_data(location, opens="10:00", closes="12:00", kind=HoursKind.TELEPHONE),
        standalone_data(location, opens="10:00", closes="12:00", date=DAY + dt.timedelta(days=1)),
    ):
        assert admin_client.post(ADD_URL, data).status_code == 302
    assert OpeningException.objects.count() == 4


def test_standalone_change_does_not_clash_with_itself(admin_client: Client) -> None:
    location = make_location()
    exception = make_exception(location, "09:00", "12:00")
    response = admin_client.post(
        f"/admin/organisation/openingexception/{exception.pk}/change/",
        standalone_data(location, opens="09:00", closes="13:00"),
    )
    assert response.status_code == 302
    assert saved(location) == [(DAY, "attendance", clock("09:00"), clock("13:00"), "")]


def test_standalone_refuses_a_closing_time_alone(admin_client: Client) -> None:
    location = make_location()
    response = admin_client.post(ADD_URL, standalone_data(location, closes="12:00"))
    assert response.status_code == 200
    html = response.content.decode()
    assert BOTH_TIMES in html
    assert "opening_exception_times" not in html  # the database constraint's internal name
    assert response.context["adminform"].form.has_error("opens")
    assert not OpeningException.objects.exists()


def test_standalone_refuses_closing_before_opening(admin_client: Client) -> None:
    location = make_location()
    response = admin_client.post(ADD_URL, standalone_data(location, opens="12:00", closes="08:00"))
    assert response.status_code == 200
    assert CLOSES_BEFORE_OPENS in response.content.decode()
    assert not OpeningException.objects.exists()


def test_standalone_list_and_anonymous_access(admin_client: Client, client: Client) -> None:
    make_exception(make_location(), reason="Kursus")
    response = admin_client.get("/admin/organisation/openingexception/")
    assert response.status_code == 200
    assert "Kursus" in response.content.decode()
    anonymous = client.post(ADD_URL, standalone_data(Location.objects.get()))
    assert anonymous.status_code == 302
    assert OpeningException.objects.count() == 1
