"""The calendar file (.ics): RFC 5545 text, served only to the holder of the link, whose secret
no log line shows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from skranke.booking.calendar_file import appointment_ics, escape_text, fold
from skranke.booking.services import (
    Booked,
    book,
    calendar_url,
    cancel_appointment,
    manage_url,
    move_appointment,
)
from skranke.booking.tests.factories import at, citizen, make_booking_centre
from skranke.catalogue.models import Service
from skranke.core.secret_paths import secret_path_prefixes
from skranke.lib.logmask import MASK, PathSecretMasker

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 10)
NOW = at(DAY, 9)
START = at(DAY, 12, 30)


@pytest.fixture
def booked() -> Booked:
    booking = make_booking_centre()
    Service.objects.filter(pk=booking.passport.pk).update(
        name="Pas; voksne, over 18", what_to_bring="Gammelt pas,\nfoto og billedlegitimation. " * 4
    )
    location = booking.location
    location.address, location.postal_code, location.city = "Torvet 1", "9999", "Æbeltoft"
    location.save()
    return book(location, Service.objects.get(pk=booking.passport.pk), START, citizen(), now=NOW)


def unfold(text: str) -> dict[str, str]:
    """Return the file's properties by name (the first of each), its lines unfolded."""
    lines = text.replace("\r\n ", "").split("\r\n")
    return dict(reversed([line.split(":", 1) for line in lines if ":" in line]))


def test_the_file_is_one_event_in_utc_with_crlf_and_folded_lines(booked: Booked) -> None:
    text = appointment_ics(booked.appointment, now=NOW)

    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert text.endswith("END:VEVENT\r\nEND:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    properties = unfold(text)
    assert properties["DTSTART"] == "20261110T113000Z"
    assert properties["DTEND"] == "20261110T114500Z"
    assert properties["DTSTAMP"] == "20261110T080000Z"
    assert properties["UID"] == f"{booked.appointment.code}@skranke.booking"
    assert (properties["SEQUENCE"], properties["STATUS"]) == ("0", "CONFIRMED")
    assert properties["SUMMARY"].startswith("Pas\\; voksne\\, over 18 ")
    assert "Torvet 1\\, 9999 Æbeltoft" in properties["LOCATION"]
    assert booked.appointment.display_code in properties["DESCRIPTION"]
    assert "Gammelt pas\\,\\nfoto" in properties["DESCRIPTION"]


def test_moving_counts_up_and_cancelling_says_so(booked: Booked) -> None:
    moved = move_appointment(
        booked.appointment, START + dt.timedelta(hours=1), secret=booked.secret, now=NOW
    )
    after_move = unfold(appointment_ics(moved.appointment, now=NOW))
    cancel_appointment(moved.appointment, now=NOW)
    after_cancel = unfold(appointment_ics(moved.appointment, now=NOW))

    assert (after_move["SEQUENCE"], after_move["DTSTART"]) == ("1", "20261110T123000Z")
    assert after_move["UID"] == f"{booked.appointment.code}@skranke.booking"
    assert (after_cancel["STATUS"], after_cancel["METHOD"]) == ("CANCELLED", "CANCEL")


def test_folding_never_splits_a_character() -> None:
    folded = fold("DESCRIPTION:" + "æøå" * 60)

    pieces = folded.split("\r\n ")
    assert all(len(piece.encode()) <= 74 for piece in pieces[1:])
    assert len(pieces[0].encode()) <= 75
    assert "".join(pieces) == "DESCRIPTION:" + "æøå" * 60
    assert escape_text("a\\b;c,d\ne") == "a\\\\b\\;c\\,d\\ne"


def test_the_link_serves_the_file_to_its_holder_only(client: Client, booked: Booked) -> None:
    url = calendar_url(booked.appointment, booked.secret)

    response = client.get(url)
    wrong = client.get(url.replace(booked.secret, "not-the-secret"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    assert b"BEGIN:VEVENT" in response.content
    assert wrong.status_code == 404
    assert client.post(url).status_code == 405


def test_the_secret_in_the_links_is_masked_in_logs(booked: Booked) -> None:
    masker = PathSecretMasker(secret_path_prefixes() or [])
    page = manage_url(booked.appointment, booked.secret)
    calendar = calendar_url(booked.appointment, booked.secret)

    for path in (page, calendar, f"GET {calendar} HTTP/1.1"):
        masked = masker.mask(path)
        assert booked.secret not in masked
        assert f"/{booked.secret[:4]}{MASK}" in masked
        assert booked.appointment.code in masked
