"""The booking API: free times, holds, bookings, and acting on one by its secret or as staff."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.http import HttpResponse
from django.test import Client

from skranke.access.services import create_api_token
from skranke.booking.capacity import SLOT_TAKEN_MESSAGE
from skranke.booking.models import Appointment, AppointmentStatus, BookingSource, Hold
from skranke.booking.tests.factories import BookingCentre, at, make_booking_centre
from skranke.organisation.models import OpeningException, OpeningHours, Role
from skranke.queue.tests.factories import (
    make_device_client,
    make_staff,
    make_staff_client,
    post_json,
    use_api_test_settings,
)

pytestmark = pytest.mark.django_db

# A Tuesday morning in Copenhagen; the clock stands still there.
NOW = dt.datetime(2026, 11, 10, 9, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))
DAY = dt.date(2026, 11, 10)
START = at(DAY, 12)
SECRET = "X-Booking-Secret"


@pytest.fixture(autouse=True)
def _clock_and_settings(settings: Any) -> Iterator[None]:
    use_api_test_settings(settings)
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def booking() -> BookingCentre:
    return make_booking_centre(minimum_notice_minutes=60)


def slots_url(booking: BookingCentre, **query: Any) -> str:
    query.setdefault("service", booking.passport.slug)
    text = "&".join(f"{name}={value}" for name, value in query.items())
    return f"/api/v1/locations/{booking.location.slug}/slots?{text}"


def book_json(client: Client, booking: BookingCentre, **fields: Any) -> HttpResponse:
    body = {
        "location": booking.location.slug,
        "service": booking.passport.slug,
        "start": START.isoformat(),
        "name": "Anna Jensen",
        "phone": "20 30 40 50",
    } | fields
    return post_json(client, "/api/v1/bookings", body)


def refusal(response: HttpResponse, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    assert isinstance(body["detail"], str) and body["detail"]
    return body


# Free times -------------------------------------------------------------------------------------


def test_free_times_of_a_day_with_the_earliest_up_front(
    client: Client, booking: BookingCentre
) -> None:
    response = client.get(slots_url(booking, date="2026-11-10"))

    assert response.status_code == 200
    body = response.json()
    # From 10:00 (an hour's notice) to midnight, every quarter of an hour.
    assert len(body["slots"]) == 14 * 4
    assert body["slots"][0] == {
        "start": "2026-11-10T09:00:00Z",
        "end": "2026-11-10T09:15:00Z",
        "remaining": 1,
    }
    assert body["first_free"] == body["slots"][0]
    assert (body["slot_minutes"], body["people"]) == (15, 1)


def test_free_times_of_a_range_for_several_people(client: Client, booking: BookingCentre) -> None:
    booking.setup.max_people, booking.setup.extra_minutes_per_person = 4, 15
    booking.setup.save()

    response = client.get(
        slots_url(booking, **{"from": "2026-11-11", "to": "2026-11-12"}, people=2)
    )

    slots = response.json()["slots"]
    assert response.status_code == 200
    assert len(slots) == 2 * (24 * 4 - 1)
    assert slots[0]["end"] == "2026-11-10T23:30:00Z"


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ({"service": "no-such-service", "date": "2026-11-10"}, 404, "unknown_service"),
        ({"date": "2026-11-09"}, 422, "past_date"),
        ({"date": "2027-03-01"}, 422, "beyond_horizon"),
        ({"date": "2026-11-10", "from": "2026-11-10"}, 422, "bad_range"),
        ({"date": "2026-11-10", "people": 2}, 422, "people"),
    ],
)
def test_bad_questions_about_free_times_are_answered_clearly(
    client: Client, booking: BookingCentre, query: dict[str, Any], status: int, code: str
) -> None:
    refusal(client.get(slots_url(booking, **query)), status, code)


def test_a_centre_that_does_not_book_the_service_says_so(client: Client) -> None:
    booking, other = make_booking_centre(), make_booking_centre()

    response = client.get(slots_url(booking, service=other.passport.slug, date="2026-11-10"))

    refusal(response, 404, "not_booked_here")
    assert client.get("/api/v1/locations/nowhere/slots?service=x").status_code == 404


def test_a_closed_day_is_refused_with_the_next_free_times(
    client: Client, booking: BookingCentre
) -> None:
    booking.location.always_open = False
    booking.location.save()
    for weekday in range(5):
        OpeningHours.objects.create(
            location=booking.location, weekday=weekday, opens=dt.time(10), closes=dt.time(15)
        )
    OpeningException.objects.create(location=booking.location, date=DAY, reason="Lukket")

    body = refusal(client.get(slots_url(booking, date="2026-11-10")), 409, "closed")

    assert "Lukket" in body["detail"]
    assert body["next_free"][0]["start"] == "2026-11-11T09:00:00Z"


def test_a_malformed_date_is_a_422_with_its_problems(
    client: Client, booking: BookingCentre
) -> None:
    response = client.get(slots_url(booking, date="10-11-2026"))

    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)


# Holding and booking ------------------------------------------------------------------------------


def test_hold_then_book_with_the_hold(client: Client, booking: BookingCentre) -> None:
    held = post_json(
        client,
        "/api/v1/holds",
        {
            "location": booking.location.slug,
            "service": booking.passport.slug,
            "start": START.isoformat(),
        },
    )
    assert held.status_code == 201, held.content
    token = held.json()["token"]

    made = post_json(client, "/api/v1/bookings", {"hold": token, "name": "Anna", "email": "a@b.dk"})

    assert made.status_code == 201, made.content
    body = made.json()
    appointment = Appointment.objects.get(code=body["code"])
    assert appointment.starts_at == START and appointment.email == "a@b.dk"
    assert (
        body["manage_url"] == f"http://testserver/booking/manage/{body['code']}/{body['secret']}/"
    )
    assert body["calendar_url"].endswith("/calendar.ics")
    assert "?" not in body["manage_url"] + body["calendar_url"]
    assert not Hold.objects.exists()
    refusal(
        post_json(client, "/api/v1/bookings", {"hold": token, "name": "A", "phone": "20304050"}),
        404,
        "hold_gone",
    )


def test_a_taken_time_is_refused_with_the_next_free_times(
    client: Client, booking: BookingCentre
) -> None:
    assert book_json(client, booking).status_code == 201

    body = refusal(book_json(client, booking, phone="30405060"), 409, "slot_taken")

    assert body["detail"] == str(SLOT_TAKEN_MESSAGE)
    assert [slot["start"] for slot in body["next_free"]] == [
        "2026-11-10T11:15:00Z",
        "2026-11-10T11:30:00Z",
        "2026-11-10T11:45:00Z",
    ]


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"phone": "12 34"}, "phone"),
        ({"phone": "", "email": "not-an-address"}, "email"),
        ({"name": "Anna 0101901234"}, "cpr"),
        ({"start": at(DAY, 8).isoformat()}, "past"),
        ({"start": at(DAY, 9, 30).isoformat()}, "too_soon"),
        ({"start": at(DAY, 12, 5).isoformat()}, "not_a_slot"),
        ({"start": at(dt.date(2027, 3, 1), 12).isoformat()}, "beyond_horizon"),
        ({"people": 3}, "people"),
        ({"start": None}, "hold_or_time"),
    ],
)
def test_bad_bookings_are_refused_clearly_and_store_nothing(
    client: Client, booking: BookingCentre, fields: dict[str, Any], code: str
) -> None:
    body = refusal(book_json(client, booking, **fields), 422, code)

    assert "0101901234" not in json.dumps(body)
    assert not Appointment.objects.exists()


def test_a_holiday_is_refused(client: Client, booking: BookingCentre) -> None:
    booking.location.always_open = False
    booking.location.save()

    refusal(
        book_json(client, booking, start=at(dt.date(2026, 12, 25), 10).isoformat()), 409, "closed"
    )


def test_wrong_methods_are_refused(client: Client, booking: BookingCentre) -> None:
    assert client.get("/api/v1/holds").status_code == 405
    assert client.get("/api/v1/bookings").status_code == 405


def test_a_phone_number_books_at_most_twice(client: Client, booking: BookingCentre) -> None:
    for hour in (12, 13):
        assert book_json(client, booking, start=at(DAY, hour).isoformat()).status_code == 201

    refusal(book_json(client, booking, start=at(DAY, 14).isoformat()), 409, "contact_limit")


def test_one_client_holds_at_most_two_times(client: Client, booking: BookingCentre) -> None:
    def hold(hour: int) -> HttpResponse:
        start = at(DAY, hour).isoformat()
        body = {"location": booking.location.slug, "service": booking.passport.slug, "start": start}
        return post_json(client, "/api/v1/holds", body)

    assert [hold(12).status_code, hold(13).status_code] == [201, 201]
    refusal(hold(14), 409, "hold_limit")


# Staff on the phone -------------------------------------------------------------------------------


def test_staff_book_by_phone_without_the_contact_limit(booking: BookingCentre) -> None:
    staff = make_staff_client(make_staff(Role.COUNTER_STAFF, [booking.location]))

    codes = [
        book_json(staff, booking, start=at(DAY, hour).isoformat()).json()["code"]
        for hour in (12, 13, 14)
    ]

    assert len(set(codes)) == 3
    assert set(Appointment.objects.values_list("source", flat=True)) == {BookingSource.PHONE}


def test_staff_of_another_centre_book_as_citizens(booking: BookingCentre) -> None:
    elsewhere = make_booking_centre()
    staff = make_staff_client(make_staff(Role.COUNTER_STAFF, [elsewhere.location]))

    assert book_json(staff, booking).status_code == 201
    assert Appointment.objects.get().source == BookingSource.ONLINE


# One appointment ---------------------------------------------------------------------------------


@pytest.fixture
def booked(client: Client, booking: BookingCentre) -> dict[str, Any]:
    response = book_json(client, booking)
    assert response.status_code == 201
    return dict(response.json())


def test_the_secret_holder_reads_moves_and_cancels(client: Client, booked: dict[str, Any]) -> None:
    code, secret = booked["code"], booked["secret"]
    url = f"/api/v1/bookings/{code}"

    read = client.get(url, headers={SECRET: secret})
    moved = client.post(
        f"{url}/move",
        json.dumps({"start": at(DAY, 15).isoformat(), "secret": secret}),
        content_type="application/json",
    )
    cancelled = client.delete(url, headers={SECRET: secret})
    again = client.delete(url, headers={SECRET: secret})

    assert read.status_code == 200 and read.json()["name"] == "Anna Jensen"
    assert moved.status_code == 200 and moved.json()["code"] == code
    assert moved.json()["start"] == "2026-11-10T14:00:00Z"
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    refusal(again, 409, "cancelled")
    assert Appointment.objects.get().status == AppointmentStatus.CANCELLED


def test_without_the_secret_or_with_a_wrong_one_nothing_is_shown(
    client: Client, booked: dict[str, Any], booking: BookingCentre
) -> None:
    url = f"/api/v1/bookings/{booked['code']}"
    kiosk, _device = make_device_client(booking.location)

    assert client.get(url).status_code == 401
    refusal(client.get(url, headers={SECRET: "wrong"}), 404, "booking_not_found")
    refusal(
        client.get("/api/v1/bookings/ZZZZZZZZ", headers={SECRET: "wrong"}), 404, "booking_not_found"
    )
    assert kiosk.get(url).status_code == 403
    assert client.delete(url).status_code == 401
    assert Appointment.objects.get().status == AppointmentStatus.BOOKED


def test_staff_act_without_the_secret_at_their_centre_only(
    booked: dict[str, Any], booking: BookingCentre
) -> None:
    url = f"/api/v1/bookings/{booked['code']}"
    ours = make_staff(Role.COUNTER_STAFF, [booking.location])
    _token, secret = create_api_token(ours, "phone")
    by_token = Client(headers={"Authorization": f"Bearer {secret}"})
    theirs = make_staff_client(make_staff(Role.MANAGER, [make_booking_centre().location]))

    assert by_token.get(url).status_code == 200
    assert theirs.get(url).status_code == 403
    assert theirs.delete(url).status_code == 403
    moved = post_json(by_token, f"{url}/move", {"start": at(DAY, 16).isoformat()})
    assert moved.status_code == 200
    assert by_token.delete(url).json()["status"] == "cancelled"


def test_moving_onto_a_taken_time_is_refused_with_other_times(
    client: Client, booked: dict[str, Any], booking: BookingCentre
) -> None:
    assert (
        book_json(client, booking, start=at(DAY, 15).isoformat(), phone="30405060").status_code
        == 201
    )

    response = post_json(
        client,
        f"/api/v1/bookings/{booked['code']}/move",
        {"start": at(DAY, 15).isoformat(), "secret": booked["secret"]},
    )

    assert refusal(response, 409, "slot_taken")["next_free"]


# Abuse limits ---------------------------------------------------------------------------------


def test_the_booking_writes_have_a_limit_of_their_own(
    client: Client, booking: BookingCentre, settings: Any
) -> None:
    settings.SKRANKE_RATE_LIMITS_ENABLED = True
    settings.SKRANKE_RATE_LIMIT_BOOKING = "2/hour"

    answers = [
        book_json(
            client, booking, start=at(DAY, hour).isoformat(), phone=f"3040506{hour % 10}"
        ).status_code
        for hour in (12, 13, 14)
    ]
    reading = client.get(slots_url(booking, date="2026-11-10"))

    assert answers == [201, 201, 429]
    assert reading.status_code == 200


@pytest.mark.parametrize("start", ["9999-12-31T23:59:00+00:00", "0001-01-01T00:00:00"])
def test_times_at_the_ends_of_the_calendar_are_refused_not_a_500(
    client: Client, booking: BookingCentre, start: str
) -> None:
    response = book_json(client, booking, start=start)

    assert response.status_code == 422


def test_citizens_need_no_csrf_token_but_a_staff_session_does(booking: BookingCentre) -> None:
    citizen_client = Client(enforce_csrf_checks=True)
    staff_client = Client(enforce_csrf_checks=True)
    staff_client.force_login(make_staff(Role.COUNTER_STAFF, [booking.location]))

    by_citizen = book_json(citizen_client, booking)
    by_staff = book_json(staff_client, booking, start=at(DAY, 13).isoformat(), phone="30405060")

    assert by_citizen.status_code == 201
    assert by_staff.status_code == 403
    assert Appointment.objects.count() == 1
