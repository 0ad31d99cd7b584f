"""POST /api/v1/check-ins: a paired kiosk checks a citizen in with the reference code, through the
same engine as the kiosk page; every refusal a 4xx with its code."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client

from skranke.access import ratelimit
from skranke.access.models import DevicePurpose
from skranke.booking.models import Appointment, AppointmentStatus, LateArrival
from skranke.booking.services import CHECK_IN_RATE, book
from skranke.booking.tests.factories import BookingCentre, at, citizen
from skranke.queue.models import Priority, Ticket
from skranke.queue.tests.factories import (
    make_centre,
    make_device_client,
    make_staff,
    make_staff_client,
    post_json,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_settings")]

DAY = dt.date(2026, 11, 10)
NOW = at(DAY, 11, 50)
URL = "/api/v1/check-ins"


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def booked(booking: BookingCentre, hour: int, minute: int = 0, number: int = 0) -> Appointment:
    return book(
        booking.location,
        booking.passport,
        at(DAY, hour, minute),
        citizen(number),
        send_confirmation=False,
        now=at(DAY, 7),
    ).appointment


def body(booking: BookingCentre, code: str) -> dict[str, str]:
    return {"location": booking.location.slug, "code": code}


def test_check_in_answers_the_appointments_number_then_the_same_again(
    booking: BookingCentre, kiosk: Client
) -> None:
    appointment = booked(booking, 12)

    first = post_json(kiosk, URL, body(booking, appointment.code.lower()))
    again = post_json(kiosk, URL, body(booking, appointment.display_code))

    ticket = Ticket.objects.get()
    assert first.status_code == 201
    assert again.status_code == 200
    answer = first.json()
    assert answer["ticket"]["number"] == ticket.display_number == "P001"
    assert answer["ticket"]["token"] == ticket.token
    assert answer["already_checked_in"] is False
    assert again.json()["already_checked_in"] is True
    assert again.json()["ticket"]["id"] == ticket.pk
    assert dt.datetime.fromisoformat(answer["starts_at"]) == appointment.starts_at
    assert "Anna" not in first.content.decode()
    assert ticket.priority == Priority.APPOINTMENT
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CHECKED_IN


def test_every_refusal_has_its_code(booking: BookingCentre, kiosk: Client) -> None:
    early = booked(booking, 13, number=1)
    late = booked(booking, 11, 0, number=2)
    tomorrow = book(
        booking.location,
        booking.passport,
        at(DAY + dt.timedelta(days=1), 12),
        citizen(3),
        send_confirmation=False,
        now=at(DAY, 7),
    ).appointment

    unknown = post_json(kiosk, URL, body(booking, "ZZZZZZZZ"))
    malformed = post_json(kiosk, URL, body(booking, "hello"))
    too_early = post_json(kiosk, URL, body(booking, early.code))
    too_late = post_json(kiosk, URL, body(booking, late.code))
    not_today = post_json(kiosk, URL, body(booking, tomorrow.code))

    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")
    assert (malformed.status_code, malformed.json()["code"]) == (404, "not_found")
    assert (too_early.status_code, too_early.json()["code"]) == (409, "too_early")
    assert dt.datetime.fromisoformat(too_early.json()["come_back_at"]) == at(DAY, 12, 45)
    assert (too_late.status_code, too_late.json()["code"]) == (409, "too_late")
    assert too_late.json()["walk_in_offered"] is True
    assert too_late.json()["walk_in_service"] == booking.passport.slug
    assert (not_today.status_code, not_today.json()["code"]) == (409, "not_today")
    assert not Ticket.objects.exists()

    booking.calendar.late_arrival = LateArrival.REFUSE
    booking.calendar.save()
    refused = post_json(kiosk, URL, body(booking, late.code)).json()
    assert (refused["code"], refused["walk_in_offered"], refused["walk_in_service"]) == (
        "too_late",
        False,
        None,
    )


def test_a_booking_at_another_centre_names_it(booking: BookingCentre) -> None:
    appointment = booked(booking, 12)
    other = make_centre()
    kiosk, _device = make_device_client(other.location, DevicePurpose.KIOSK)

    answer = post_json(kiosk, URL, {"location": other.location.slug, "code": appointment.code})

    assert answer.status_code == 409
    assert (answer.json()["code"], answer.json()["centre"]) == (
        "other_centre",
        booking.location.name,
    )


def test_only_a_kiosk_at_the_centre_checks_in(booking: BookingCentre) -> None:
    appointment = booked(booking, 12)
    other = make_centre()
    elsewhere, _kiosk = make_device_client(other.location, DevicePurpose.KIOSK)
    display, _display = make_device_client(booking.location, DevicePurpose.DISPLAY)
    staff = make_staff_client(make_staff())

    anonymous = post_json(Client(), URL, body(booking, appointment.code))
    other_kiosk = post_json(elsewhere, URL, body(booking, appointment.code))
    screen = post_json(display, URL, body(booking, appointment.code))
    employee = post_json(staff, URL, body(booking, appointment.code))

    assert anonymous.status_code == 401
    assert (other_kiosk.status_code, screen.status_code, employee.status_code) == (403, 403, 403)
    assert not Ticket.objects.exists()


def test_bad_input_is_a_4xx(booking: BookingCentre, kiosk: Client) -> None:
    missing = post_json(kiosk, URL, {"location": booking.location.slug})
    nul = post_json(kiosk, URL, body(booking, "ABCD\x00EFGH"))
    no_centre = post_json(kiosk, URL, {"location": "nowhere", "code": "ABCDEFGH"})
    get = kiosk.get(URL)

    assert (missing.status_code, nul.status_code) == (422, 422)
    assert no_centre.status_code == 404
    assert get.status_code == 405


def test_check_in_attempts_are_limited_per_kiosk_with_the_page(
    booking: BookingCentre, kiosk: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.SKRANKE_RATE_LIMITS_ENABLED = True
    monkeypatch.setattr(ratelimit, "clock", lambda: 1_800_000_000.0)
    allowed = int(CHECK_IN_RATE.split("/")[0])
    half = allowed // 2

    pages = [
        kiosk.post(f"/kiosk/{booking.location.slug}/check-in/", {"code": "ZZZZZZZZ"}).status_code
        for _ in range(half)
    ]
    answers = [
        post_json(kiosk, URL, body(booking, "ZZZZZZZZ")).status_code
        for _ in range(allowed - half + 1)
    ]

    assert pages == [404] * half
    assert answers == [404] * (allowed - half) + [429]


def test_the_operation_is_in_the_openapi_document() -> None:
    document = Client().get("/api/v1/openapi.json").json()

    operation = document["paths"]["/api/v1/check-ins"]["post"]
    assert {"200", "201", "401", "403", "404", "409", "422", "429"} <= set(operation["responses"])
    assert operation["operationId"] == "skranke_queue_api_check_in_at_kiosk"
