"""The kiosk's check-in: "I have an appointment" on the start screen, the code field, the
appointment's number, and every refusal said plainly (come back at …, an ordinary number instead,
speak to staff), with no personal data; attempts limited per kiosk; bad input a 4xx."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import resolve
from django.utils import timezone

from skranke.access import ratelimit
from skranke.access.models import DevicePurpose
from skranke.booking.models import Appointment, AppointmentStatus, LateArrival
from skranke.booking.services import CHECK_IN_RATE, book
from skranke.booking.tests.factories import BookingCentre, book_passports_at, citizen
from skranke.catalogue.models import KIOSK_ROUTE_WORDS, SubjectArea
from skranke.queue import urls as queue_urls
from skranke.queue.models import Priority, Ticket
from skranke.queue.tests.factories import Centre, make_device_client, make_staff, make_staff_client
from skranke.queue.views import kiosk as kiosk_views

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_settings")]

# A Tuesday morning, so that an hour before or after is the same day.
NOW = dt.datetime(2026, 11, 10, 10, 46, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def text_of(response: Any) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def booked_around_now(booking: BookingCentre, minutes: int, number: int = 0) -> Appointment:
    """Book a passport appointment starting about ``minutes`` from now (on the 15-minute grid)."""
    now = timezone.now()
    grid = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    start = grid + dt.timedelta(minutes=15 * round(minutes / 15))
    return book(
        booking.location,
        booking.passport,
        start,
        citizen(number, name="Anna Jensen", email="anna@example.com"),
        send_confirmation=False,
        now=start - dt.timedelta(hours=3),
    ).appointment


def check_in_url(booking: BookingCentre) -> str:
    return f"/kiosk/{booking.location.slug}/check-in/"


def test_the_start_screen_offers_check_in_where_the_centre_takes_appointments(
    centre: Centre, kiosk: Client
) -> None:
    without = kiosk.get(f"/kiosk/{centre.location.slug}/")
    book_passports_at(centre)
    with_calendar = kiosk.get(f"/kiosk/{centre.location.slug}/")

    assert "check-in/" not in without.content.decode()
    assert f'href="/kiosk/{centre.location.slug}/check-in/"' in with_calendar.content.decode()
    assert "Jeg har en tid" in text_of(with_calendar)


def test_the_code_field_is_big_focused_and_labelled(booking: BookingCentre, kiosk: Client) -> None:
    response = kiosk.get(check_in_url(booking))

    page = response.content.decode()
    assert response.status_code == 200
    assert '<label class="kiosk-label" for="code">' in page
    assert re.search(r'<input class="kiosk-code" id="code" name="code"[^>]*autofocus', page)
    assert 'aria-describedby="code-help"' in page


def test_check_in_shows_the_appointments_number_without_personal_data(
    booking: BookingCentre, kiosk: Client
) -> None:
    appointment = booked_around_now(booking, 0)

    response = kiosk.post(check_in_url(booking), {"code": appointment.code.lower()})
    ticket = Ticket.objects.get()
    again = kiosk.post(check_in_url(booking), {"code": appointment.display_code})
    number_page = kiosk.get(response["Location"])

    assert response.status_code == 302
    assert response["Location"] == f"/kiosk/{booking.location.slug}/number/{ticket.token}/"
    assert again["Location"] == response["Location"]
    assert Ticket.objects.count() == 1
    assert ticket.priority == Priority.APPOINTMENT
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CHECKED_IN
    page = text_of(number_page)
    local = timezone.localtime(appointment.starts_at)
    assert f"Du er tjekket ind til din tid kl. {local:%H:%M}" in page
    assert ticket.display_number in page
    assert "Anna" not in page and "anna@example.com" not in page and "Jensen" not in page


def test_an_unknown_code_asks_again(booking: BookingCentre, kiosk: Client) -> None:
    response = kiosk.post(check_in_url(booking), {"code": "ZZZZ-ZZZZ"})
    nonsense = kiosk.post(check_in_url(booking), {"code": "<script>" * 10})
    missing = kiosk.post(check_in_url(booking), {})

    assert (response.status_code, nonsense.status_code, missing.status_code) == (404, 404, 404)
    assert "Vi kan ikke finde en booking med den kode" in text_of(response)
    assert 'aria-invalid="true"' in response.content.decode()
    assert 'role="alert"' in response.content.decode()
    assert not Ticket.objects.exists()


def test_too_early_says_when_to_come_back(booking: BookingCentre, kiosk: Client) -> None:
    appointment = booked_around_now(booking, 60)

    response = kiosk.post(check_in_url(booking), {"code": appointment.code})

    opens = timezone.localtime(appointment.starts_at - dt.timedelta(minutes=15))
    assert response.status_code == 409
    assert f"tjek ind fra kl. {opens:%H:%M}" in text_of(response)
    assert 'name="code"' not in response.content.decode()
    assert not Ticket.objects.exists()


def test_too_late_offers_an_ordinary_number_drawn_the_walk_in_way(
    booking: BookingCentre, kiosk: Client
) -> None:
    appointment = booked_around_now(booking, -30)

    response = kiosk.post(check_in_url(booking), {"code": appointment.code})
    page = response.content.decode()
    drawn = kiosk.post(f"/kiosk/{booking.location.slug}/draw/", {"service": booking.passport.pk})

    assert response.status_code == 409
    assert f'action="/kiosk/{booking.location.slug}/draw/"' in page
    assert f'name="service" value="{booking.passport.pk}"' in page
    assert "Tag et almindeligt nummer til" in text_of(response)
    assert drawn.status_code == 302
    assert Ticket.objects.get().priority == Priority.NORMAL


def test_too_late_where_the_centre_refuses_late_arrivals_asks_them_to_speak_to_staff(
    booking: BookingCentre, kiosk: Client
) -> None:
    booking.calendar.late_arrival = LateArrival.REFUSE
    booking.calendar.save()
    appointment = booked_around_now(booking, -30)

    response = kiosk.post(check_in_url(booking), {"code": appointment.code})

    assert response.status_code == 409
    assert "Henvend dig venligst til en medarbejder" in text_of(response)
    assert "/draw/" not in response.content.decode()


def test_another_centres_booking_names_that_centre(booking: BookingCentre, centre: Centre) -> None:
    from skranke.queue.tests.factories import make_centre

    other = make_centre()
    appointment = booked_around_now(booking, 0)
    client, _device = make_device_client(other.location, DevicePurpose.KIOSK)

    response = client.post(f"/kiosk/{other.location.slug}/check-in/", {"code": appointment.code})

    assert response.status_code == 409
    assert f"Denne booking er i {centre.location.name}" in text_of(response)


def test_who_may_use_the_check_in_page(booking: BookingCentre) -> None:
    display, _device = make_device_client(booking.location, DevicePurpose.DISPLAY)

    anonymous = Client().get(check_in_url(booking))
    wrong_device = display.get(check_in_url(booking))
    anonymous_post = Client().post(check_in_url(booking), {"code": "ABCDEFGH"})
    staff = make_staff_client(make_staff()).get(check_in_url(booking))

    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    assert anonymous_post.status_code == 302
    assert wrong_device.status_code == 403
    # Counter staff have no kiosk.
    assert staff.status_code == 403


def test_wrong_method_is_refused(booking: BookingCentre, kiosk: Client) -> None:
    assert kiosk.put(check_in_url(booking)).status_code == 405


def test_check_in_attempts_are_limited_per_kiosk(
    booking: BookingCentre, kiosk: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.SKRANKE_RATE_LIMITS_ENABLED = True
    monkeypatch.setattr(ratelimit, "clock", lambda: 1_800_000_000.0)
    allowed = int(CHECK_IN_RATE.split("/")[0])
    other_kiosk, _device = make_device_client(booking.location, DevicePurpose.KIOSK)

    answers = [
        kiosk.post(check_in_url(booking), {"code": f"ZZZZZZ{index:02d}"}).status_code
        for index in range(allowed + 1)
    ]
    other = other_kiosk.post(check_in_url(booking), {"code": "ZZZZZZZZ"})

    assert answers == [404] * allowed + [429]
    assert other.status_code == 404


def test_the_check_in_route_comes_before_the_subject_areas() -> None:
    match = resolve("/kiosk/some-centre/check-in/")

    assert match.func.__name__ == kiosk_views.check_in_page.__name__
    assert match.url_name == "kiosk-check-in"


def test_subject_areas_cannot_take_the_kiosks_own_words() -> None:
    own_words = {
        str(pattern.pattern).split("/")[2]
        for pattern in queue_urls.urlpatterns
        if str(pattern.pattern).startswith("kiosk/<slug:slug>/")
        and str(pattern.pattern).count("/") > 2
    } - {"<slug:area_slug>", ""}
    area = SubjectArea(name="Tjek ind", slug="check-in")

    with pytest.raises(ValidationError) as refused:
        area.full_clean()

    assert own_words <= KIOSK_ROUTE_WORDS
    assert "bruges af kioskens egne sider" in str(refused.value.message_dict["slug"])
    for word in KIOSK_ROUTE_WORDS:
        with pytest.raises(ValidationError):
            SubjectArea(name=f"Område {word}", slug=word).full_clean()
