"""The citizen's confirmation and manage pages show the reference code as a QR code for the
kiosk's scanner, with a text saying to scan it (or type the code) at the kiosk."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
import segno
import time_machine
from django.test import Client

from skranke.booking.services import book, cancel_appointment
from skranke.booking.tests.factories import BookingCentre, at, citizen, make_booking_centre
from skranke.queue.tests.factories import use_api_test_settings

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 10)
NOW = at(DAY, 9)


@pytest.fixture(autouse=True)
def _clock_and_settings(settings: Any) -> Iterator[None]:
    use_api_test_settings(settings)
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def booking() -> BookingCentre:
    return make_booking_centre()


def qr_images(page: str) -> list[str]:
    return [
        html.unescape(src) for src in re.findall(r'<img class="booking-qr" src="([^"]+)"', page)
    ]


def test_confirmation_and_manage_pages_show_the_code_as_a_qr_code(booking: BookingCentre) -> None:
    booked = book(booking.location, booking.passport, at(DAY, 12), citizen(), now=NOW)
    code = booked.appointment.code
    client = Client()

    manage = f"/booking/manage/{code}/{booked.secret}/"
    pages = [client.get(path).content.decode() for path in (f"{manage}confirmation/", manage)]

    expected = segno.make(code, error="m").svg_data_uri(scale=6, border=2)
    for page in pages:
        assert qr_images(page) == [expected]
        assert "hold QR-koden op foran scanneren" in page
        assert booked.appointment.display_code in page
        # The QR code holds the code alone, not the link with its secret.
        assert booked.secret not in expected


def test_a_cancelled_appointment_has_no_qr_code(booking: BookingCentre) -> None:
    booked = book(booking.location, booking.passport, at(DAY, 12), citizen(), now=NOW)
    cancel_appointment(booked.appointment, send_confirmation=False, now=NOW)

    page = Client().get(f"/booking/manage/{booked.appointment.code}/{booked.secret}/")

    assert page.status_code == 200
    assert qr_images(page.content.decode()) == []
