"""Erasure with the clock moved on: SKRANKE_BOOKING_RETENTION_DAYS after the appointment (not
after the booking was made) its name, phone and e-mail are erased, and so are those of every
message sent about it, the reminder too; a no-show's and a checked-in one's alike. What is not
personal stays, and the appointment figures are the same before and after."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
import time_machine

from skranke.booking.jobs import erase_personal_data_job
from skranke.booking.models import Appointment, AppointmentStatus
from skranke.booking.services import (
    Booked,
    book,
    clean_contact,
    record_no_shows,
    send_due_reminders,
)
from skranke.booking.services.checkin import check_in
from skranke.booking.tests.factories import BookingCentre, at, make_booking_centre
from skranke.jobs.worker import Worker
from skranke.messaging.models import MessageStatus
from skranke.reports.kpi.appointments import appointment_figures
from skranke.reports.kpi.filters import VisitFilter

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 10)
START = at(DAY, 12)
# Made long before, so an erasure counted from the booking would come a month too early.
BOOKED = START - dt.timedelta(days=40)
REMINDED = START - dt.timedelta(hours=24)
SECOND = dt.timedelta(seconds=1)
NAME, PHONE, EMAIL = "Anna Marie Jensen", "20304050", "anna.jensen@example.dk"
PERSONAL = (NAME, "Anna", "Jensen", "+4520304050", "20304050", EMAIL)


@pytest.fixture(autouse=True)
def _sms_to_a_file(settings: Any, tmp_path: Any) -> None:
    settings.SKRANKE_SMS_BACKEND = "file"
    settings.SKRANKE_SMS_FILE = tmp_path / "sms.jsonl"


@pytest.fixture
def booking() -> BookingCentre:
    return make_booking_centre(capacity=3)


def retention(settings: Any) -> dt.timedelta:
    return dt.timedelta(days=settings.SKRANKE_BOOKING_RETENTION_DAYS)


def book_and_remind(
    booking: BookingCentre, phone: str = PHONE, email: str = EMAIL, *, send: bool = True
) -> Booked:
    """Book at BOOKED, remind at REMINDED, and have the worker send every message then."""
    contact = clean_contact(NAME, phone=phone, email=email, language="en")
    with time_machine.travel(BOOKED, tick=False):
        made = book(booking.location, booking.passport, START, contact)
    with time_machine.travel(REMINDED, tick=False):
        assert send_due_reminders() == 1
        if send:
            Worker().run_once()
    return made


def nothing_personal_left(appointment: Appointment) -> None:
    """Assert that no personal value is on the appointment or any of its messages."""
    appointment.refresh_from_db()
    assert (appointment.name, appointment.phone, appointment.email) == ("", "", "")
    values = [str(value) for value in dataclasses.astuple(_row(appointment))]
    messages = list(appointment.messages.all())
    assert messages, "the messages' rows stay, for statistics"
    for message in messages:
        # (last_error is the gateway's or the worker's text, never the citizen's.)
        assert (message.recipient, message.subject, message.body) == ("", "", "")
        assert message.purged_at is not None
        values += [message.recipient, message.subject, message.body, message.last_error]
    for personal in PERSONAL:
        assert not any(personal in value for value in values), personal


@dataclasses.dataclass
class _Row:
    values: tuple[Any, ...]


def _row(appointment: Appointment) -> _Row:
    return _Row(
        tuple(getattr(appointment, field.attname) for field in appointment._meta.concrete_fields)
    )


def figures() -> Any:
    return appointment_figures(VisitFilter(DAY, DAY))


def test_a_reminders_messages_are_erased_with_the_booking_counted_from_the_appointment(
    booking: BookingCentre, settings: Any
) -> None:
    made = book_and_remind(booking)
    appointment = Appointment.objects.get(pk=made.appointment.pk)
    assert appointment.reminder_sent_at == REMINDED
    assert appointment.messages.count() == 4  # confirmation and reminder, SMS and e-mail
    assert set(appointment.messages.values_list("status", flat=True)) == {MessageStatus.SENT}
    erased_at = START + retention(settings) + SECOND

    # A retention counted from the booking would have erased it by now.
    with time_machine.travel(BOOKED + retention(settings) + dt.timedelta(days=1), tick=False):
        erase_personal_data_job({})
    with time_machine.travel(erased_at - SECOND, tick=False):
        erase_personal_data_job({})
    appointment.refresh_from_db()
    assert (appointment.erased_at, appointment.name) == (None, NAME)
    # The reminder's messages are still whole (the confirmation's went by the messages' own,
    # shorter, retention when the worker last ran).
    reminder = appointment.messages.filter(created_at=REMINDED)
    assert reminder.count() == 2 and not reminder.filter(purged_at__isnull=False).exists()

    before = figures()
    with time_machine.travel(erased_at, tick=False):
        erase_personal_data_job({})

    nothing_personal_left(appointment)
    assert appointment.erased_at == erased_at
    assert appointment.reminder_sent_at == REMINDED  # not personal: kept
    assert figures() == before


def test_a_no_shows_personal_data_is_erased_too_and_it_still_counts(
    booking: BookingCentre, settings: Any
) -> None:
    made = book_and_remind(booking)
    record_no_shows(now=START + dt.timedelta(minutes=10))
    before = figures()
    assert before.total.no_show == 1

    with time_machine.travel(START + retention(settings) + SECOND, tick=False):
        erase_personal_data_job({})

    nothing_personal_left(made.appointment)
    assert made.appointment.status == AppointmentStatus.NO_SHOW
    assert made.appointment.no_show_at == START + dt.timedelta(minutes=10)
    assert figures() == before


def test_a_checked_in_appointments_personal_data_is_erased_and_its_visit_stays(
    booking: BookingCentre, settings: Any
) -> None:
    made = book_and_remind(booking, email="")
    check_in(booking.location, made.appointment.code, now=START - dt.timedelta(minutes=2))
    before = figures()

    with time_machine.travel(START + retention(settings) + SECOND, tick=False):
        erase_personal_data_job({})

    nothing_personal_left(made.appointment)
    assert made.appointment.status == AppointmentStatus.CHECKED_IN
    assert made.appointment.ticket is not None
    assert figures() == before


def test_a_reminder_not_yet_sent_is_never_sent_after_erasure(
    booking: BookingCentre, settings: Any
) -> None:
    # Messages still waiting for the gateway when the data is erased (a worker down for the
    # whole retention) find themselves purged and are not sent.
    made = book_and_remind(booking, send=False)

    with time_machine.travel(START + retention(settings) + SECOND, tick=False):
        erase_personal_data_job({})
        Worker().run_once()

    nothing_personal_left(made.appointment)
    assert set(made.appointment.messages.values_list("status", flat=True)) == {MessageStatus.FAILED}
