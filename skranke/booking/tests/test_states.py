"""A checked-in, missed (no-show) or closure-cancelled appointment is shown as such everywhere:
the citizen's page, the staff page, the API and the calendar file; and it can no longer be moved
or cancelled, with a message that says why (the engine's why_not_changeable)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from skranke.booking.calendar_file import appointment_ics
from skranke.booking.errors import BookingRefused
from skranke.booking.models import Appointment, AppointmentStatus, CancelReason
from skranke.booking.services import (
    Booked,
    book,
    cancel_appointment,
    clean_contact,
    move_appointment,
    record_no_shows,
    why_not_changeable,
)
from skranke.booking.services.checkin import check_in
from skranke.booking.tests.factories import BookingCentre, at, make_booking_centre
from skranke.booking.tests.test_calendar_file import unfold
from skranke.organisation.models import Role
from skranke.queue.tests.factories import make_staff, make_staff_client, use_api_test_settings

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 10)
START = at(DAY, 12)
BOOKED = at(DAY - dt.timedelta(days=3), 9)
ARRIVED = START - dt.timedelta(minutes=3)
# The default check-in window closes 5 minutes after the start.
MISSED = START + dt.timedelta(minutes=6)
LATER = START + dt.timedelta(days=1)
SECRET = "X-Booking-Secret"


@pytest.fixture(autouse=True)
def _settings(settings: Any) -> None:
    use_api_test_settings(settings)


@pytest.fixture
def booking() -> BookingCentre:
    return make_booking_centre(capacity=3)


@pytest.fixture
def client() -> Client:
    english = Client()
    english.cookies["skranke_language"] = "en"
    return english


@pytest.fixture
def staff_client(booking: BookingCentre) -> Client:
    signed_in = make_staff_client(make_staff(Role.COUNTER_STAFF, [booking.location]))
    signed_in.cookies["skranke_language"] = "en"
    return signed_in


def book_one(booking: BookingCentre, phone: str = "20304050") -> Booked:
    contact = clean_contact("Anna Jensen", phone=phone, language="en")
    return book(booking.location, booking.passport, START, contact, now=BOOKED)


def checked_in(booking: BookingCentre) -> Booked:
    made = book_one(booking)
    check_in(booking.location, made.appointment.code, now=ARRIVED)
    made.appointment.refresh_from_db()
    return made


def missed(booking: BookingCentre) -> Booked:
    made = book_one(booking, phone="20304051")
    record_no_shows(now=MISSED)
    made.appointment.refresh_from_db()
    return made


@pytest.fixture
def clock() -> Iterator[None]:
    """The pages and the API read the clock: ten minutes after the start."""
    with time_machine.travel(MISSED + dt.timedelta(minutes=4), tick=False):
        yield


def manage_path(made: Booked) -> str:
    return f"/booking/manage/{made.appointment.code}/{made.secret}/"


# The engine -----------------------------------------------------------------------------------


def test_a_checked_in_appointment_cannot_be_moved_or_cancelled(booking: BookingCentre) -> None:
    made = checked_in(booking)
    # Even before its start, when a booked one still could.
    early = ARRIVED + dt.timedelta(minutes=1)

    refusal = why_not_changeable(made.appointment, early)
    assert refusal is not None and refusal.code == "checked_in"
    assert "tjekket ind" in refusal.message
    for change in (
        lambda: move_appointment(made.appointment, LATER, secret=made.secret, now=early),
        lambda: cancel_appointment(made.appointment, now=early),
    ):
        with pytest.raises(BookingRefused) as refused:
            change()
        assert refused.value.code == "checked_in"
    assert Appointment.objects.get(pk=made.appointment.pk).status == AppointmentStatus.CHECKED_IN


def test_a_no_show_cannot_be_moved_or_cancelled(booking: BookingCentre) -> None:
    made = missed(booking)

    refusal = why_not_changeable(made.appointment, MISSED)
    assert refusal is not None and refusal.code == "no_show"
    assert "Bestil venligst en ny tid" in refusal.message
    with pytest.raises(BookingRefused) as refused:
        cancel_appointment(made.appointment, now=MISSED)
    assert refused.value.code == "no_show"


# The citizen's page -----------------------------------------------------------------------------


def test_the_citizen_sees_they_checked_in_and_their_number(
    booking: BookingCentre, client: Client, clock: None
) -> None:
    made = checked_in(booking)
    assert made.appointment.ticket is not None
    number = made.appointment.ticket.display_number

    page = client.get(manage_path(made))

    content = page.content.decode()
    assert page.status_code == 200
    assert "You checked in at 11:57." in content and f"Your number is {number}" in content
    assert 'id="move-link"' not in content and 'id="cancel-link"' not in content


def test_the_citizen_sees_a_missed_appointment_and_where_to_book_again(
    booking: BookingCentre, client: Client, clock: None
) -> None:
    made = missed(booking)

    page = client.get(manage_path(made))

    content = page.content.decode()
    assert "Nobody checked in for this appointment in time" in content
    times = f"/booking/{booking.location.slug}/{booking.passport.slug}/"
    assert f'href="{times}" id="new-time-link"' in content
    assert 'id="move-link"' not in content and "calendar.ics" not in content


def test_the_citizen_sees_a_cancellation_for_a_closure_and_where_to_book_again(
    booking: BookingCentre, client: Client
) -> None:
    made = book_one(booking)
    Appointment.objects.filter(pk=made.appointment.pk).update(
        status=AppointmentStatus.CANCELLED, cancelled_at=BOOKED, cancel_reason=CancelReason.CLOSURE
    )

    content = client.get(manage_path(made)).content.decode()

    assert "because the centre is closed at its time" in content
    assert 'id="new-time-link"' in content


def test_moving_or_cancelling_a_checked_in_appointment_by_its_link_says_why_not(
    booking: BookingCentre, client: Client, clock: None
) -> None:
    made = checked_in(booking)
    base = manage_path(made)

    move_page = client.get(base + "move/")
    cancel_page = client.get(base + "cancel/")
    cancel_post = client.post(base + "cancel/")

    assert move_page.status_code == 409
    assert "has been checked in, so it can no longer be moved" in move_page.content.decode()
    assert cancel_page.status_code == 200
    assert 'id="not-changeable"' in cancel_page.content.decode()
    assert 'id="confirm-cancel"' not in cancel_page.content.decode()
    assert cancel_post.status_code == 409
    assert Appointment.objects.get(pk=made.appointment.pk).status == AppointmentStatus.CHECKED_IN


# The staff page ---------------------------------------------------------------------------------


def test_staff_see_the_check_in_with_its_number_and_why_it_cannot_change(
    booking: BookingCentre, staff_client: Client, clock: None
) -> None:
    made = checked_in(booking)
    assert made.appointment.ticket is not None

    page = staff_client.get(reverse("booking:staff-appointment", args=[made.appointment.code]))

    content = page.content.decode()
    assert page.status_code == 200
    assert "booking-status booking-checked_in" in content and "Checked in" in content
    assert f"number {made.appointment.ticket.display_number}" in content
    assert 'id="not-changeable"' in content and 'id="move-link"' not in content


def test_staff_see_a_no_show_and_when_it_was_recorded(
    booking: BookingCentre, staff_client: Client, clock: None
) -> None:
    made = missed(booking)

    page = staff_client.get(reverse("booking:staff-appointment", args=[made.appointment.code]))

    content = page.content.decode()
    assert "booking-status booking-no_show" in content
    assert "Recorded as no-show" in content and "10. November 2026 12:06" in content
    assert "Nobody checked in for this appointment in time" in content
    move = staff_client.get(reverse("booking:staff-move", args=[made.appointment.code]))
    assert move.status_code == 409


def test_staff_see_why_an_appointment_was_cancelled(
    booking: BookingCentre, staff_client: Client
) -> None:
    made = book_one(booking)
    Appointment.objects.filter(pk=made.appointment.pk).update(
        status=AppointmentStatus.CANCELLED, cancelled_at=BOOKED, cancel_reason=CancelReason.CLOSURE
    )

    content = staff_client.get(
        reverse("booking:staff-appointment", args=[made.appointment.code])
    ).content.decode()

    assert "Cancelled (closure)" in content


# The API ----------------------------------------------------------------------------------------


def test_the_api_tells_checked_in_with_the_number_and_refuses_a_change(
    booking: BookingCentre, client: Client, clock: None
) -> None:
    made = checked_in(booking)
    assert made.appointment.ticket is not None
    url = f"/api/v1/bookings/{made.appointment.code}"

    read = client.get(url, headers={SECRET: made.secret}).json()
    cancel = client.delete(url, headers={SECRET: made.secret})

    assert (read["status"], read["changeable"]) == ("checked_in", False)
    assert read["ticket_number"] == made.appointment.ticket.display_number
    assert read["checked_in_at"].startswith("2026-11-10T10:57:00")
    assert read["no_show_at"] is None and read["cancel_reason"] == ""
    assert (cancel.status_code, cancel.json()["code"]) == (409, "checked_in")


def test_the_api_tells_a_no_show_and_refuses_a_move(
    booking: BookingCentre, client: Client, clock: None
) -> None:
    made = missed(booking)
    url = f"/api/v1/bookings/{made.appointment.code}"

    read = client.get(url, headers={SECRET: made.secret}).json()
    move = client.post(
        url + "/move",
        {"start": LATER.isoformat()},
        content_type="application/json",
        headers={SECRET: made.secret},
    )

    assert (read["status"], read["changeable"], read["ticket_number"]) == ("no_show", False, None)
    assert read["no_show_at"].startswith("2026-11-10T11:06:00")
    assert (move.status_code, move.json()["code"]) == (409, "no_show")


def test_the_api_tells_a_booked_appointment_may_change(
    booking: BookingCentre, client: Client
) -> None:
    made = book_one(booking)
    with time_machine.travel(BOOKED, tick=False):
        read = client.get(
            f"/api/v1/bookings/{made.appointment.code}", headers={SECRET: made.secret}
        ).json()

    assert (read["status"], read["changeable"], read["reminder_sent_at"]) == (
        "booked",
        True,
        None,
    )


# The calendar file ------------------------------------------------------------------------------


def test_the_calendar_file_keeps_a_checked_in_or_missed_appointment(
    booking: BookingCentre,
) -> None:
    for made in (checked_in(booking), missed(booking)):
        properties = unfold(appointment_ics(made.appointment, now=MISSED))
        assert (properties["STATUS"], properties["METHOD"]) == ("CONFIRMED", "PUBLISH")
