"""Reminders: one per booking, the centre's ``reminder_hours`` before the start, by the channels
the centre chose, with a link that opens the citizen's page; none for a booking made (or moved)
later than that, cancelled, begun, or at a centre that sends none."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client

from skranke.booking.jobs import send_reminders_job
from skranke.booking.models import Appointment, BookingCalendar
from skranke.booking.services import (
    Booked,
    appointment_by_secret,
    book,
    cancel_appointment,
    clean_contact,
    move_appointment,
    send_due_reminders,
)
from skranke.booking.tests.factories import BookingCentre, at, make_booking_centre
from skranke.jobs.registry import registry
from skranke.messaging.models import Channel, Message
from skranke.organisation.models import Role
from skranke.queue.tests.factories import make_staff

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 10)
START = at(DAY, 12)
# The centre reminds 24 hours before (the default).
DUE = START - dt.timedelta(hours=24)
EARLY = at(DAY - dt.timedelta(days=5), 9)
SECOND = dt.timedelta(seconds=1)
SITE = "https://borgerservice.example.dk"


@pytest.fixture(autouse=True)
def _site(settings: Any) -> None:
    settings.SKRANKE_SITE_URL = SITE


@pytest.fixture
def booking() -> BookingCentre:
    return make_booking_centre(capacity=5)


def book_at(
    booking: BookingCentre,
    made: dt.datetime,
    start: dt.datetime = START,
    phone: str = "20304050",
    email: str | None = None,
) -> Booked:
    """Book in English at ``made``; the e-mail address defaults to one of the phone number's."""
    if email is None:
        email = f"anna{phone}@example.dk"
    contact = clean_contact("Anna", phone=phone, email=email, language="en")
    return book(booking.location, booking.passport, start, contact, now=made)


def reminders_of(appointment: Appointment) -> list[Message]:
    """The reminder messages linked to ``appointment`` (its confirmation aside)."""
    return [
        message
        for message in appointment.messages.order_by("-channel")  # SMS first
        if message.body.startswith("Reminder") or message.subject.startswith("Reminder")
    ]


def test_the_reminder_goes_out_once_when_its_time_has_come(booking: BookingCentre) -> None:
    made = book_at(booking, EARLY)

    assert send_due_reminders(now=DUE - SECOND) == 0
    assert send_due_reminders(now=DUE) == 1
    assert send_due_reminders(now=DUE + dt.timedelta(hours=1)) == 0

    appointment = Appointment.objects.get(pk=made.appointment.pk)
    assert appointment.reminder_sent_at == DUE
    sms, email = reminders_of(appointment)
    assert (sms.channel, sms.recipient) == (Channel.SMS, "+4520304050")
    assert (email.channel, email.recipient) == (Channel.EMAIL, "anna20304050@example.dk")
    assert appointment.display_code in sms.body and "12:00" in sms.body
    assert email.subject.startswith("Reminder of your appointment")


def test_the_reminders_link_opens_the_citizens_page(booking: BookingCentre) -> None:
    made = book_at(booking, EARLY)
    send_due_reminders(now=DUE)

    sms, email = reminders_of(made.appointment)
    [link] = re.findall(rf"{SITE}/booking/manage/\S+/", sms.body)
    assert link in email.body
    assert made.secret not in link  # derived for later messages, not the one handed out
    code, secret = urlsplit(link).path.split("/")[3:5]
    assert appointment_by_secret(code, secret) == made.appointment
    page = Client().get(urlsplit(link).path)
    assert page.status_code == 200
    assert made.appointment.display_code in page.content.decode()


def test_a_booking_made_after_the_reminders_time_gets_none(booking: BookingCentre) -> None:
    late = book_at(booking, DUE + SECOND, phone="20304051")
    # Made at the very moment the reminder was due: the confirmation has just been sent.
    on_the_dot = book_at(booking, DUE, phone="20304052")
    in_time = book_at(booking, DUE - SECOND, phone="20304053")

    assert send_due_reminders(now=START - dt.timedelta(hours=1)) == 1

    assert Appointment.objects.get(reminder_sent_at__isnull=False) == in_time.appointment
    assert reminders_of(late.appointment) == reminders_of(on_the_dot.appointment) == []


def test_a_moved_booking_is_reminded_of_its_new_time(booking: BookingCentre) -> None:
    made = book_at(booking, EARLY)
    send_due_reminders(now=DUE)
    later = START + dt.timedelta(days=3)

    moved = move_appointment(made.appointment, later, now=DUE + dt.timedelta(hours=1))

    assert moved.appointment.reminder_sent_at is None
    new_due = later - dt.timedelta(hours=24)
    assert send_due_reminders(now=new_due - SECOND) == 0
    assert send_due_reminders(now=new_due) == 1
    texts = [message.body for message in reminders_of(moved.appointment) if message.body]
    assert len(texts) == 4 and sum("Friday" in text for text in texts) == 2  # the new day


def test_a_booking_moved_after_the_new_reminders_time_gets_none(booking: BookingCentre) -> None:
    made = book_at(booking, EARLY, start=START + dt.timedelta(days=5))

    # Moved 20 hours before the new time: the "moved" message stands in for the reminder.
    move_appointment(made.appointment, START, now=START - dt.timedelta(hours=20))

    assert send_due_reminders(now=START - dt.timedelta(hours=2)) == 0
    assert reminders_of(made.appointment) == []


def test_a_move_of_a_due_booking_between_read_and_claim_is_left_for_its_new_time(
    booking: BookingCentre,
) -> None:
    from skranke.booking.services import reminders

    made = book_at(booking, EARLY)
    later = START + dt.timedelta(days=3)
    # The sweep read the old start; the citizen moves it before the claim.
    move_appointment(made.appointment, later, now=DUE - dt.timedelta(hours=2))

    assert reminders._remind(made.appointment.pk, START, booking.calendar, DUE) == 0
    assert Appointment.objects.get(pk=made.appointment.pk).reminder_sent_at is None


def test_cancelled_and_begun_appointments_get_none(booking: BookingCentre) -> None:
    cancelled = book_at(booking, EARLY, phone="20304051")
    cancel_appointment(cancelled.appointment, now=EARLY + dt.timedelta(days=1))
    book_at(booking, EARLY, phone="20304052")

    # The sweep did not run until the appointment began (a worker was down).
    assert send_due_reminders(now=START) == 0
    assert send_due_reminders(now=DUE) == 1
    assert reminders_of(cancelled.appointment) == []


def test_a_centre_with_reminder_hours_0_sends_none(booking: BookingCentre) -> None:
    BookingCalendar.objects.filter(pk=booking.calendar.pk).update(reminder_hours=0)
    made = book_at(booking, EARLY)

    assert send_due_reminders(now=START - dt.timedelta(minutes=5)) == 0
    assert Appointment.objects.get(pk=made.appointment.pk).reminder_sent_at is None


def test_a_centre_reminds_sooner_when_it_says_so(booking: BookingCentre) -> None:
    BookingCalendar.objects.filter(pk=booking.calendar.pk).update(reminder_hours=2)
    book_at(booking, EARLY)

    assert send_due_reminders(now=DUE) == 0
    assert send_due_reminders(now=START - dt.timedelta(hours=2)) == 1


def test_an_sms_only_centre_reminds_by_sms_and_skips_e_mail_only_bookings(
    booking: BookingCentre,
) -> None:
    BookingCalendar.objects.filter(pk=booking.calendar.pk).update(reminder_by_email=False)
    both = book_at(booking, EARLY)
    email_only = book_at(booking, EARLY, phone="", email="bo@example.dk")

    assert send_due_reminders(now=DUE) == 1

    assert [message.channel for message in reminders_of(both.appointment)] == [Channel.SMS]
    # Unclaimed, so a change of the centre's mind still reaches it.
    assert Appointment.objects.get(pk=email_only.appointment.pk).reminder_sent_at is None
    assert reminders_of(email_only.appointment) == []


def test_an_e_mail_only_centre_reminds_by_e_mail_and_skips_sms_only_bookings(
    booking: BookingCentre,
) -> None:
    BookingCalendar.objects.filter(pk=booking.calendar.pk).update(reminder_by_sms=False)
    both = book_at(booking, EARLY)
    sms_only = book_at(booking, EARLY, phone="20304059", email="")

    assert send_due_reminders(now=DUE) == 1

    assert [message.channel for message in reminders_of(both.appointment)] == [Channel.EMAIL]
    assert Appointment.objects.get(pk=sms_only.appointment.pk).reminder_sent_at is None


def test_a_centre_reminding_by_neither_channel_claims_nothing(booking: BookingCentre) -> None:
    BookingCalendar.objects.filter(pk=booking.calendar.pk).update(
        reminder_by_sms=False, reminder_by_email=False
    )
    made = book_at(booking, EARLY)

    assert send_due_reminders(now=DUE) == 0
    assert Appointment.objects.get(pk=made.appointment.pk).reminder_sent_at is None


def test_each_centre_reminds_by_its_own_settings() -> None:
    first, second = make_booking_centre(capacity=5), make_booking_centre(capacity=5)
    BookingCalendar.objects.filter(pk=second.calendar.pk).update(reminder_hours=48)
    at_first, at_second = book_at(first, EARLY), book_at(second, EARLY)

    assert send_due_reminders(now=START - dt.timedelta(hours=48)) == 1
    assert reminders_of(at_first.appointment) == []
    assert send_due_reminders(now=DUE) == 1
    assert len(reminders_of(at_first.appointment)) == len(reminders_of(at_second.appointment))


def test_many_due_reminders_are_sent_in_batches(
    booking: BookingCentre, monkeypatch: pytest.MonkeyPatch
) -> None:
    from skranke.booking.services import reminders

    monkeypatch.setattr(reminders, "REMINDER_BATCH", 2)
    for number in range(5):
        book_at(booking, EARLY, phone=f"2030{number:04d}", email="")

    assert send_due_reminders(now=DUE) == 5
    assert not Appointment.objects.filter(reminder_sent_at__isnull=True).exists()


def test_a_staff_move_gives_the_reminder_a_link_that_works(booking: BookingCentre) -> None:
    made = book_at(booking, EARLY)
    staff = make_staff(Role.COUNTER_STAFF, [booking.location])
    later = START + dt.timedelta(days=2)
    move_appointment(made.appointment, later, staff=staff, now=EARLY + dt.timedelta(hours=1))

    assert send_due_reminders(now=later - dt.timedelta(hours=24)) == 1

    sms = reminders_of(made.appointment)[0]
    [path] = re.findall(r"/booking/manage/\S+/", sms.body)
    assert Client().get(path).status_code == 200


def test_the_worker_sends_reminders_every_five_minutes(booking: BookingCentre) -> None:
    assert registry.periodic_jobs["booking.send_reminders"].interval == dt.timedelta(minutes=5)
    made = book_at(booking, EARLY)

    with time_machine.travel(DUE + dt.timedelta(minutes=3), tick=False):
        send_reminders_job({})

    assert Appointment.objects.get(pk=made.appointment.pk).reminder_sent_at == DUE + dt.timedelta(
        minutes=3
    )
