"""The booking pages: a citizen books, moves and cancels without an account; staff do it on the
phone; bad input and refusals are 4xx pages with the engine's message, never a 500; the link's
secret is only ever in a path."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.http import HttpResponse
from django.test import Client

from skranke.booking.models import Appointment, AppointmentStatus, BookingSource, Hold
from skranke.booking.services import book, free_slots, hold_slot
from skranke.booking.tests.factories import BookingCentre, at, citizen, make_booking_centre
from skranke.organisation.models import Role
from skranke.queue.tests.factories import make_staff, make_staff_client, use_api_test_settings

pytestmark = pytest.mark.django_db

# A Tuesday morning in Copenhagen; the clock stands still there.
NOW = dt.datetime(2026, 11, 10, 9, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))
DAY = dt.date(2026, 11, 10)
NOON = at(DAY, 12)


@pytest.fixture(autouse=True)
def _clock_and_settings(settings: Any) -> Iterator[None]:
    use_api_test_settings(settings)
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def client() -> Client:
    """A citizen's browser reading English, so the tests can read the engine's messages."""
    english = Client()
    english.cookies["skranke_language"] = "en"
    return english


def local(instant: dt.datetime) -> str:
    """Return ``instant`` as the pages send a start back: local time with its offset."""
    return instant.astimezone(ZoneInfo("Europe/Copenhagen")).isoformat()


@pytest.fixture
def booking() -> BookingCentre:
    return make_booking_centre(max_people=3, extra_minutes_per_person=15)


def times_url(booking: BookingCentre) -> str:
    return f"/booking/{booking.location.slug}/{booking.passport.slug}/"


def text(response: HttpResponse) -> str:
    return response.content.decode()


def hold(client: Client, booking: BookingCentre, start: dt.datetime, people: int = 1) -> str:
    """Hold ``start`` through the page; return the form's address."""
    response = client.post(
        times_url(booking) + "hold/", {"start": start.isoformat(), "people": people}
    )
    assert response.status_code == 302, text(response)
    return str(response["Location"])


def book_through_pages(
    client: Client, booking: BookingCentre, start: dt.datetime = NOON, **contact: str
) -> tuple[Appointment, str]:
    """Hold and book ``start``; return the appointment and the confirmation's address."""
    form = hold(client, booking, start)
    response = client.post(form, contact or {"name": "Anna Jensen", "phone": "20 30 40 50"})
    assert response.status_code == 302, text(response)
    return Appointment.objects.get(starts_at=start), str(response["Location"])


def hrefs(response: HttpResponse) -> list[str]:
    return re.findall(r'(?:href|action)="([^"]*)"', text(response))


# The citizen's steps -----------------------------------------------------------------------------


def test_centre_service_day_and_time_with_the_first_free_time_up_front(
    client: Client, booking: BookingCentre
) -> None:
    start = client.get("/booking/")
    assert start.status_code == 200
    assert f"/booking/{booking.location.slug}/" in hrefs(start)

    centre = client.get(f"/booking/{booking.location.slug}/")
    assert centre.status_code == 200
    assert times_url(booking) in hrefs(centre)
    # The centre's other service is not booked there.
    assert booking.centre.moving.slug not in text(centre)

    times = client.get(times_url(booking))
    assert times.status_code == 200
    page = text(times)
    assert 'id="book-first-free"' in page
    assert f'value="{local(NOW)}"' in page  # 09:00, the first free time
    assert 'aria-current="date"' in page
    # Three people may come; a later day is a link with the people kept.
    assert '<option value="3">' in page
    later = client.get(times_url(booking), {"date": "2026-11-12", "people": "2"})
    assert later.status_code == 200
    assert "people=2" in text(later)


def test_a_held_time_is_booked_from_the_form_and_confirmed(
    client: Client, booking: BookingCentre, settings: Any
) -> None:
    settings.SKRANKE_BOOKING_RETENTION_DAYS = 45
    form_url = hold(client, booking, NOON)
    assert re.fullmatch(rf"{times_url(booking)}hold/[\w-]+/", form_url)
    hold_row = Hold.objects.get()
    assert hold_row.expires_at == NOW + dt.timedelta(minutes=10)

    form = client.get(form_url)
    assert form.status_code == 200
    assert form["Cache-Control"] == "private, no-store"
    assert "09:10" in text(form)  # held until
    assert "45" in text(form)  # the privacy notice names the retention
    assert 'name="cpr"' not in text(form)

    booked = client.post(form_url, {"name": "Anna Jensen", "phone": "20 30 40 50"})
    assert booked.status_code == 302
    confirmation_url = booked["Location"]
    appointment = Appointment.objects.get()
    assert appointment.source == BookingSource.ONLINE
    assert appointment.phone == "+4520304050"
    assert not Hold.objects.exists()
    confirmation = client.get(confirmation_url)
    assert confirmation.status_code == 200
    page = text(confirmation)
    assert appointment.display_code in page
    assert booking.location.name in page
    assert "calendar.ics" in page and "/booking/manage/" in page
    assert "Anna Jensen" not in page  # the link may be passed on; the name stays out


def test_the_secret_is_only_ever_in_a_path(client: Client, booking: BookingCentre) -> None:
    appointment, confirmation_url = book_through_pages(client, booking)
    secret = urlsplit(confirmation_url).path.split("/")[4]
    assert len(secret) >= 16 and "?" not in confirmation_url
    for address in [confirmation_url, f"/booking/manage/{appointment.code}/{secret}/"]:
        response = client.get(address)
        assert response["Referrer-Policy"] == "same-origin"
        for href in hrefs(response):
            assert secret not in urlsplit(href).query, href
            assert secret not in urlsplit(href).fragment, href


def test_bad_contact_details_are_marked_and_nothing_is_booked(
    client: Client, booking: BookingCentre
) -> None:
    form_url = hold(client, booking, NOON)
    cases = [
        ({"name": "Anna 010190-1234", "phone": "20304050"}, 'id="name-error"'),
        ({"name": "Anna", "phone": "12"}, 'id="phone-error"'),
        ({"name": "Anna", "email": "not-an-address"}, 'id="email-error"'),
        ({"name": "Anna"}, 'id="phone-error"'),
        ({"name": "", "phone": "20304050"}, 'id="name-error"'),
    ]
    for data, marker in cases:
        response = client.post(form_url, data)
        assert response.status_code == 400, data
        assert marker in text(response) and 'aria-invalid="true"' in text(response)
    assert not Appointment.objects.exists()
    # What was typed stays in the form, so nothing has to be typed again.
    assert 'value="Anna"' in text(client.post(form_url, {"name": "Anna"}))


def test_a_time_just_taken_shows_the_next_free_times(
    client: Client, booking: BookingCentre
) -> None:
    book(booking.location, booking.passport, NOON, citizen(1), now=NOW)
    response = client.post(times_url(booking) + "hold/", {"start": NOON.isoformat(), "people": 1})
    assert response.status_code == 409
    page = text(response)
    assert 'id="refusal"' in page
    assert f'value="{local(at(DAY, 12, 15))}"' in page  # the next free time, to pick
    assert not Hold.objects.exists()


def test_one_client_holds_at_most_two_times(client: Client, booking: BookingCentre) -> None:
    hold(client, booking, at(DAY, 12))
    hold(client, booking, at(DAY, 13))
    response = client.post(times_url(booking) + "hold/", {"start": at(DAY, 14).isoformat()})
    assert response.status_code == 409
    assert "already holding" in text(response)
    assert Hold.objects.count() == 2


def test_a_phone_number_books_a_service_at_most_twice(
    client: Client, booking: BookingCentre
) -> None:
    for hour in (12, 13):
        book(booking.location, booking.passport, at(DAY, hour), citizen(7), now=NOW)
    form_url = hold(client, booking, at(DAY, 14))
    response = client.post(form_url, {"name": "Anna", "phone": citizen(7).phone})
    assert response.status_code == 409
    assert "already has 2 appointments" in text(response)
    assert Appointment.objects.count() == 2


def test_a_hold_that_has_gone_says_so(client: Client, booking: BookingCentre) -> None:
    gone = client.get(times_url(booking) + "hold/no-such-token/")
    assert gone.status_code == 410
    assert times_url(booking) in hrefs(gone)
    posted = client.post(times_url(booking) + "hold/no-such-token/", {"name": "Anna"})
    assert posted.status_code == 410
    # A hold of another centre's or service's address is not this page's.
    held = hold_slot(booking.location, booking.passport, NOON, client="someone")
    other = make_booking_centre()
    assert (
        client.get(
            f"/booking/{other.location.slug}/{other.passport.slug}/hold/{held.token}/"
        ).status_code
        == 410
    )


def test_a_lapsed_hold_is_still_booked_while_its_time_is_free(
    client: Client, booking: BookingCentre
) -> None:
    form_url = hold(client, booking, NOON)
    with time_machine.travel(NOW + dt.timedelta(minutes=11), tick=False):
        form = client.get(form_url)
        assert form.status_code == 200 and "no longer hold" in text(form)
        response = client.post(form_url, {"name": "Anna", "email": "anna@example.dk"})
    assert response.status_code == 302
    assert Appointment.objects.get().email == "anna@example.dk"


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"date": "tomorrow"}, 400),
        ({"date": "2026-13-01"}, 400),
        ({"date": "2026-11-09"}, 400),  # past
        ({"date": "2027-11-09"}, 400),  # beyond the horizon
        ({"date": "9999-12-31"}, 400),
        ({"from": "0001-01-01"}, 400),
        ({"people": "abc"}, 400),
        ({"people": "9"}, 400),
        ({"people": "0"}, 400),
    ],
)
def test_bad_questions_about_free_times_are_400_with_a_message(
    client: Client, booking: BookingCentre, query: dict[str, str], status: int
) -> None:
    response = client.get(times_url(booking), query)
    assert response.status_code == status
    assert 'class="booking-alert"' in text(response)


def test_unknown_or_unbooked_services_and_centres_are_404(
    client: Client, booking: BookingCentre
) -> None:
    slug = booking.location.slug
    assert client.get("/booking/nowhere/").status_code == 404
    assert client.get(f"/booking/{slug}/no-such-service/").status_code == 404
    unbooked = client.get(f"/booking/{slug}/{booking.centre.moving.slug}/")
    assert unbooked.status_code == 404 and "cannot be booked" in text(unbooked)
    held = client.post(f"/booking/{slug}/{booking.centre.moving.slug}/hold/", {"start": "x"})
    assert held.status_code == 404


@pytest.mark.parametrize(
    "start",
    [
        "",
        "noon",
        "2026-11-10T12:07:00+01:00",  # not a slot
        "2026-11-09T12:00:00+01:00",  # past
        "2027-11-10T12:00:00+01:00",  # beyond the horizon
        "9999-12-31T23:59:59+00:00",
        "0001-01-01T00:00:00+00:00",
        "9" * 50,
    ],
)
def test_a_bad_time_to_hold_is_refused_clearly(
    client: Client, booking: BookingCentre, start: str
) -> None:
    response = client.post(times_url(booking) + "hold/", {"start": start, "people": "1"})
    assert response.status_code == 400
    assert 'id="refusal"' in text(response)
    assert not Hold.objects.exists()


def test_wrong_methods_are_refused(client: Client, booking: BookingCentre) -> None:
    assert client.get(times_url(booking) + "hold/").status_code == 405
    assert client.post(times_url(booking)).status_code == 405
    assert client.post("/booking/").status_code == 405


# The appointment behind its link -----------------------------------------------------------------


def manage_url(confirmation_url: str) -> str:
    return confirmation_url.removesuffix("confirmation/")


def test_the_manage_page_shows_the_appointment_and_moves_it_keeping_the_code(
    client: Client, booking: BookingCentre
) -> None:
    appointment, confirmation_url = book_through_pages(client, booking)
    manage = manage_url(confirmation_url)
    page = client.get(manage)
    assert page.status_code == 200
    assert appointment.display_code in text(page) and "Anna Jensen" not in text(page)
    assert manage + "move/" in hrefs(page) and manage + "cancel/" in hrefs(page)

    choose = client.get(manage + "move/", {"date": "2026-11-11"})
    assert choose.status_code == 200
    new_start = at(dt.date(2026, 11, 11), 10, 30)
    assert f'value="{local(new_start)}"' in text(choose)
    moved = client.post(manage + "move/", {"start": new_start.isoformat(), "people": "1"})
    assert moved.status_code == 302 and moved["Location"] == manage
    appointment.refresh_from_db()
    assert appointment.starts_at == new_start and appointment.sequence == 1
    assert Appointment.objects.count() == 1
    # The old time is free again; the link still works.
    assert NOON in [
        slot.start for slot in free_slots(booking.location, booking.passport, DAY, now=NOW)
    ]
    assert client.get(manage).status_code == 200


def test_moving_onto_a_taken_time_is_refused_with_other_times(
    client: Client, booking: BookingCentre
) -> None:
    appointment, confirmation_url = book_through_pages(client, booking)
    book(booking.location, booking.passport, at(DAY, 14), citizen(2), now=NOW)
    response = client.post(
        manage_url(confirmation_url) + "move/", {"start": at(DAY, 14).isoformat()}
    )
    assert response.status_code == 409
    assert 'id="refusal"' in text(response)
    appointment.refresh_from_db()
    assert appointment.starts_at == NOON


def test_cancelling_frees_the_time(client: Client, booking: BookingCentre) -> None:
    appointment, confirmation_url = book_through_pages(client, booking)
    manage = manage_url(confirmation_url)
    assert NOON not in [
        s.start for s in free_slots(booking.location, booking.passport, DAY, now=NOW)
    ]
    ask = client.get(manage + "cancel/")
    assert ask.status_code == 200 and 'id="confirm-cancel"' in text(ask)
    cancelled = client.post(manage + "cancel/")
    assert cancelled.status_code == 302 and cancelled["Location"] == manage
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert NOON in [s.start for s in free_slots(booking.location, booking.passport, DAY, now=NOW)]
    page = client.get(manage)
    assert page.status_code == 200 and manage + "move/" not in hrefs(page)
    # Cancelling again, or moving, is refused with the reason.
    again = client.post(manage + "cancel/")
    assert again.status_code == 409 and "has been cancelled" in text(again)
    move = client.post(manage + "move/", {"start": at(DAY, 15).isoformat()})
    assert move.status_code == 409


def test_a_wrong_secret_or_code_finds_nothing(client: Client, booking: BookingCentre) -> None:
    appointment, _confirmation = book_through_pages(client, booking)
    for path in ["", "confirmation/", "move/", "cancel/", "calendar.ics"]:
        wrong = f"/booking/manage/{appointment.code}/not-the-secret/{path}"
        assert client.get(wrong).status_code == 404, path
        assert client.get(f"/booking/manage/NOSUCH00/not-the-secret/{path}").status_code == 404
    assert client.post(f"/booking/manage/{appointment.code}/wrong/cancel/").status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


# Staff on the phone -------------------------------------------------------------------------------


def test_staff_book_on_the_phone_without_the_contact_limit(booking: BookingCentre) -> None:
    clerk = make_staff(locations=[booking.location])
    client = make_staff_client(clerk)
    start = client.get("/staff/appointments/")
    assert start.status_code == 200
    staff_times = f"/staff/appointments/book/{booking.location.slug}/{booking.passport.slug}/"
    assert staff_times in hrefs(start)
    assert client.get(staff_times).status_code == 200
    for hour in (12, 13, 14):
        held = client.post(staff_times + "hold/", {"start": at(DAY, hour).isoformat()})
        assert held.status_code == 302
        booked = client.post(held["Location"], {"name": "Bo Hansen", "phone": "30405060"})
        assert booked.status_code == 302, text(booked)
        code = Appointment.objects.get(starts_at=at(DAY, hour)).code
        assert booked["Location"] == f"/staff/appointments/{code}/"
    assert set(Appointment.objects.values_list("source", flat=True)) == {BookingSource.PHONE}
    assert not Hold.objects.filter(client_key__gt="").exists()
    page = client.get(f"/staff/appointments/{code}/")
    assert page.status_code == 200 and "Bo Hansen" in text(page)


def test_staff_find_move_and_cancel_by_code(booking: BookingCentre) -> None:
    made = book(booking.location, booking.passport, NOON, citizen(3), now=NOW)
    client = make_staff_client(make_staff(Role.TEAM_LEAD))
    code = made.appointment.code
    found = client.get("/staff/appointments/", {"code": f"{code[:4].lower()} {code[4:]}"})
    assert found.status_code == 302 and found["Location"] == f"/staff/appointments/{code}/"
    assert client.get("/staff/appointments/", {"code": "nonsense"}).status_code == 400
    assert client.get("/staff/appointments/", {"code": "ABCDEFGH"}).status_code == 404

    assert client.get(f"/staff/appointments/{code}/move/").status_code == 200
    moved = client.post(f"/staff/appointments/{code}/move/", {"start": at(DAY, 15).isoformat()})
    assert moved.status_code == 302
    made.appointment.refresh_from_db()
    assert made.appointment.starts_at == at(DAY, 15)
    # Staff moving get a new secret made for the message's link: the old one stops working.
    assert not made.appointment.secret_matches(made.secret)

    assert client.get(f"/staff/appointments/{code}/cancel/").status_code == 200
    assert client.post(f"/staff/appointments/{code}/cancel/").status_code == 302
    made.appointment.refresh_from_db()
    assert made.appointment.status == AppointmentStatus.CANCELLED


def test_staff_pages_are_for_staff_of_the_centre(client: Client, booking: BookingCentre) -> None:
    made = book(booking.location, booking.passport, NOON, citizen(4), now=NOW)
    code = made.appointment.code
    staff_times = f"/staff/appointments/book/{booking.location.slug}/{booking.passport.slug}/"
    # Anonymous: sent to sign in.
    for path in ["/staff/appointments/", staff_times, f"/staff/appointments/{code}/"]:
        response = client.get(path)
        assert response.status_code == 302 and "/login/" in response["Location"]
    elsewhere = make_staff_client(make_staff(locations=[make_booking_centre().location]))
    elsewhere.cookies["skranke_language"] = "en"
    assert elsewhere.get(staff_times).status_code == 403
    assert elsewhere.get(f"/staff/appointments/{code}/").status_code == 403
    assert elsewhere.post(f"/staff/appointments/{code}/cancel/").status_code == 403
    refused = elsewhere.get("/staff/appointments/", {"code": code})
    assert refused.status_code == 403 and "centre you do not work at" in text(refused)
    assert elsewhere.get("/staff/appointments/NOSUCH22/").status_code == 404
    made.appointment.refresh_from_db()
    assert made.appointment.status == AppointmentStatus.BOOKED


def test_staff_may_leave_out_the_confirmation(booking: BookingCentre) -> None:
    from skranke.messaging.models import Message

    client = make_staff_client(make_staff())
    staff_times = f"/staff/appointments/book/{booking.location.slug}/{booking.passport.slug}/"
    held = client.post(staff_times + "hold/", {"start": NOON.isoformat()})
    assert client.post(held["Location"], {"name": "Bo", "phone": "30405060"}).status_code == 302
    assert not Message.objects.exists()
    held = client.post(staff_times + "hold/", {"start": at(DAY, 13).isoformat()})
    sent = client.post(
        held["Location"], {"name": "Bo", "phone": "30405060", "send_confirmation": "on"}
    )
    assert sent.status_code == 302
    assert Message.objects.count() == 1


# Links and the accessibility statement -----------------------------------------------------------


def test_every_page_links_the_accessibility_statement(
    client: Client, booking: BookingCentre
) -> None:
    for path in ["/", "/booking/", f"/booking/{booking.location.slug}/", times_url(booking)]:
        assert "/accessibility/" in hrefs(client.get(path)), path
