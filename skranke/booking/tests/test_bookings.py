"""Booking, moving and cancelling: the reference code, the hashed secret, capacity given back,
the per-contact limit, staff on the phone, contact details, and erasure after the retention."""

from __future__ import annotations

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied

from skranke.booking.errors import BadBookingInput, BookingNotFound, BookingRefused, SlotTaken
from skranke.booking.models import (
    CODE_ALPHABET,
    Appointment,
    AppointmentStatus,
    BookingSource,
    CalendarTick,
)
from skranke.booking.services import (
    FUTURE_BOOKINGS_PER_CONTACT,
    appointment_by_secret,
    appointment_for_staff,
    book,
    calendar_url,
    cancel_appointment,
    clean_contact,
    erase_personal_data,
    free_slots,
    manage_url,
    move_appointment,
    normalise_code,
)
from skranke.booking.tests.factories import at, citizen, make_booking_centre
from skranke.messaging.models import Message
from skranke.organisation.models import Role
from skranke.queue.tests.factories import make_staff

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 10)
NOW = at(DAY, 9)
START = at(DAY, 12)


def test_a_booking_has_a_short_code_and_a_hashed_secret() -> None:
    booking = make_booking_centre()

    made = book(booking.location, booking.passport, START, citizen(), now=NOW)
    appointment = Appointment.objects.get()

    assert len(appointment.code) == 8 and set(appointment.code) <= set(CODE_ALPHABET)
    assert not set(appointment.code) & set("0O1I")
    assert made.secret not in appointment.secret_hash
    assert appointment.secret_matches(made.secret)
    assert (appointment.status, appointment.source) == (
        AppointmentStatus.BOOKED,
        BookingSource.ONLINE,
    )
    assert appointment.ends_at - appointment.starts_at == dt.timedelta(minutes=15)
    assert manage_url(appointment, made.secret) == (
        f"/booking/manage/{appointment.code}/{made.secret}/"
    )
    assert calendar_url(appointment, made.secret).endswith(f"/{made.secret}/calendar.ics")
    assert str(appointment) == appointment.code


def test_the_code_is_found_however_it_is_typed_but_only_with_the_secret() -> None:
    booking = make_booking_centre()
    made = book(booking.location, booking.passport, START, citizen(), now=NOW)
    code = made.appointment.code
    typed = f"{code[:4].lower()}-{code[4:]}"

    assert normalise_code(typed) == code
    assert normalise_code("O0I1ABCD") is None
    assert appointment_by_secret(typed, made.secret) == made.appointment
    for wrong_code, secret in [(code, "not-the-secret"), ("ZZZZZZZZ", made.secret)]:
        with pytest.raises(BookingNotFound):
            appointment_by_secret(wrong_code, secret)


def test_moving_keeps_the_code_and_frees_the_old_time() -> None:
    booking = make_booking_centre()
    made = book(booking.location, booking.passport, START, citizen(), now=NOW)
    later = START + dt.timedelta(hours=1)

    moved = move_appointment(made.appointment, later, secret=made.secret, now=NOW)

    appointment = Appointment.objects.get()
    assert appointment.code == made.appointment.code
    assert (appointment.starts_at, appointment.sequence) == (later, 1)
    assert moved.secret == made.secret and appointment.secret_matches(made.secret)
    offered = {slot.start for slot in free_slots(booking.location, booking.passport, DAY, now=NOW)}
    assert START in offered and later not in offered
    assert CalendarTick.objects.get(starts_at=START).used == 0


def test_moving_onto_a_taken_time_changes_nothing() -> None:
    booking = make_booking_centre()
    first = book(booking.location, booking.passport, START, citizen(1), now=NOW)
    later = START + dt.timedelta(hours=1)
    book(booking.location, booking.passport, later, citizen(2), now=NOW)

    with pytest.raises(SlotTaken) as taken:
        move_appointment(first.appointment, later, secret=first.secret, now=NOW)

    first.appointment.refresh_from_db()
    assert first.appointment.starts_at == START
    assert taken.value.next_free[0].start == later + dt.timedelta(minutes=15)
    assert CalendarTick.objects.get(starts_at=START).used == 1


def test_cancelling_frees_the_capacity_and_cannot_be_repeated() -> None:
    booking = make_booking_centre()
    made = book(booking.location, booking.passport, START, citizen(1), now=NOW)

    cancel_appointment(made.appointment, now=NOW)

    assert made.appointment.status == AppointmentStatus.CANCELLED
    assert made.appointment.cancelled_at == NOW
    again = book(booking.location, booking.passport, START, citizen(2), now=NOW)
    assert again.appointment.starts_at == START
    with pytest.raises(BookingRefused) as refused:
        cancel_appointment(made.appointment, now=NOW)
    assert refused.value.code == "cancelled"
    with pytest.raises(BookingRefused):
        move_appointment(made.appointment, START + dt.timedelta(hours=1), now=NOW)


def test_an_appointment_that_has_begun_cannot_be_changed() -> None:
    booking = make_booking_centre()
    made = book(booking.location, booking.passport, START, citizen(), now=NOW)

    with pytest.raises(BookingRefused) as refused:
        cancel_appointment(made.appointment, now=START)

    assert refused.value.code == "started"


def test_one_phone_number_has_at_most_two_future_bookings_of_a_service() -> None:
    booking = make_booking_centre(capacity=5)
    same_phone = citizen(7)
    for hour in range(FUTURE_BOOKINGS_PER_CONTACT):
        book(
            booking.location,
            booking.passport,
            START + dt.timedelta(hours=hour),
            same_phone,
            now=NOW,
        )

    with pytest.raises(BookingRefused) as refused:
        book(booking.location, booking.passport, START, same_phone, now=NOW)
    with pytest.raises(BookingRefused):
        book(
            booking.location,
            booking.passport,
            START,
            clean_contact("Anna", phone="+45 2000 0007", email="anna@example.dk"),
            now=NOW,
        )

    assert refused.value.code == "contact_limit"
    # Another number, staff on the phone, and the same number once one has passed: allowed.
    book(booking.location, booking.passport, START, citizen(8), now=NOW)
    staff = make_staff(Role.COUNTER_STAFF, [booking.location])
    by_phone = book(booking.location, booking.passport, START, same_phone, staff=staff, now=NOW)
    assert by_phone.appointment.source == BookingSource.PHONE
    later = at(DAY + dt.timedelta(days=1), 12)
    book(booking.location, booking.passport, later, same_phone, now=START + dt.timedelta(minutes=1))


def test_one_e_mail_address_is_limited_too_whatever_its_case() -> None:
    booking = make_booking_centre(capacity=5)
    for number in range(FUTURE_BOOKINGS_PER_CONTACT):
        contact = clean_contact("Bo", email="Bo@Example.dk", phone=f"3000000{number}")
        book(booking.location, booking.passport, START, contact, now=NOW)

    with pytest.raises(BookingRefused):
        book(
            booking.location,
            booking.passport,
            START,
            clean_contact("Bo", email="bo@example.DK"),
            now=NOW,
        )


def test_staff_act_only_with_manage_bookings_at_the_centre() -> None:
    booking = make_booking_centre()
    elsewhere = make_booking_centre()
    ours = make_staff(Role.COUNTER_STAFF, [booking.location])
    theirs = make_staff(Role.ADMINISTRATOR, [elsewhere.location])
    made = book(booking.location, booking.passport, START, citizen(), staff=ours, now=NOW)

    assert made.appointment.created_by == ours
    assert appointment_for_staff(made.appointment.code, ours) == made.appointment
    with pytest.raises(PermissionDenied):
        appointment_for_staff(made.appointment.code, theirs)
    with pytest.raises(PermissionDenied):
        book(booking.location, booking.passport, START, citizen(1), staff=theirs, now=NOW)
    moved = move_appointment(made.appointment, START + dt.timedelta(hours=1), staff=ours, now=NOW)
    cancel_appointment(moved.appointment, staff=ours, now=NOW)

    # Staff moving without the citizen's secret get a new one for the message's link.
    assert moved.secret != made.secret and moved.appointment.secret_matches(moved.secret)
    actions = [
        entry.additional_data["action"]
        for entry in LogEntry.objects.filter(object_pk=str(made.appointment.pk)).order_by("pk")
        if entry.additional_data
    ]
    assert actions == ["appointment_booked", "appointment_moved", "appointment_cancelled"]
    assert "Anna" not in str(list(LogEntry.objects.values_list("additional_data", flat=True)))


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"name": "", "phone": "20304050"}, "name_missing", "name"),
        ({"name": "Anna 010190-1234", "phone": "20304050"}, "cpr", "name"),
        ({"name": "Anna", "phone": "0101901234"}, "cpr", "phone"),
        ({"name": "Anna", "email": "0101901234@example.dk"}, "cpr", "email"),
        ({"name": "Anna", "phone": "1234"}, "phone", "phone"),
        ({"name": "Anna", "email": "anna@"}, "email", "email"),
        ({"name": "Anna"}, "contact_missing", "phone"),
        ({"name": "A" * 101, "phone": "20304050"}, "name_too_long", "name"),
    ],
)
def test_contact_details_are_checked(fields: dict[str, str], code: str, field: str) -> None:
    with pytest.raises(BadBookingInput) as refused:
        clean_contact(**fields)

    assert (refused.value.code, refused.value.field) == (code, field)
    assert "0101901234" not in refused.value.message


def test_contact_details_are_stored_in_one_form() -> None:
    contact = clean_contact(
        "  Anna   Maria ", phone="+45 20 30 40 50", email=" Anna@X.DK ", language="en-gb"
    )

    assert (contact.name, contact.phone, contact.email, contact.language) == (
        "Anna Maria",
        "+4520304050",
        "anna@x.dk",
        "en",
    )


def test_personal_data_is_erased_after_the_retention_with_the_messages(settings: object) -> None:
    booking = make_booking_centre()
    made = book(
        booking.location,
        booking.passport,
        START,
        clean_contact("Anna", phone="20304050", email="anna@example.dk"),
        now=NOW,
    )
    retention = dt.timedelta(days=settings.SKRANKE_BOOKING_RETENTION_DAYS)  # type: ignore[attr-defined]

    assert erase_personal_data(now=START + retention) == 0
    assert erase_personal_data(now=START + retention + dt.timedelta(seconds=1)) == 1

    appointment = Appointment.objects.get(pk=made.appointment.pk)
    assert (appointment.name, appointment.phone, appointment.email) == ("", "", "")
    assert appointment.erased_at is not None
    assert set(Message.objects.values_list("recipient", "body")) == {("", "")}
    assert erase_personal_data(now=START + 2 * retention) == 0
