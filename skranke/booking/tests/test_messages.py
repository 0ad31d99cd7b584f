"""Confirmations: SMS and e-mail through the worker, sent once, in the citizen's language, with
the code, the time, the address, what to bring and the manage link."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core import mail

from skranke.booking.errors import SlotTaken
from skranke.booking.services import (
    book,
    cancel_appointment,
    clean_contact,
    move_appointment,
)
from skranke.booking.tests.factories import at, citizen, make_booking_centre
from skranke.catalogue.models import Service
from skranke.jobs.worker import Worker
from skranke.messaging.models import Channel, Message, MessageStatus
from skranke.messaging.tests.conftest import sms_file, sms_lines  # noqa: F401
from skranke.organisation.models import Role
from skranke.queue.tests.factories import make_staff

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 10)
NOW = at(DAY, 9)
START = at(DAY, 12, 30)
SITE = "https://borgerservice.example.dk"


def booked_centre() -> Any:
    booking = make_booking_centre()
    Service.objects.filter(pk=booking.passport.pk).update(
        what_to_bring="Gammelt pas og billedlegitimation.",
        what_to_bring_en="Your old passport and photo ID.",
    )
    booking.passport.refresh_from_db()
    location = booking.location
    location.address, location.postal_code, location.city = "Torvet 1", "9999", "Demoby"
    location.save()
    return booking


def test_a_booking_is_confirmed_by_sms_and_e_mail_once(
    sms_file: Path,  # noqa: F811
    mailoutbox: list[mail.EmailMessage],
) -> None:
    booking = booked_centre()
    contact = clean_contact("Anna", phone="20304050", email="anna@example.dk", language="da")

    made = book(booking.location, booking.passport, START, contact, site_url=SITE, now=NOW)
    assert sms_lines(sms_file) == [] and mailoutbox == []  # not in the request
    Worker().run_once()
    Worker().run_once()

    code = made.appointment.display_code
    link = f"{SITE}/booking/manage/{made.appointment.code}/{made.secret}/"
    [sms] = sms_lines(sms_file)
    assert sms["to"] == "+4520304050"
    for expected in (code, "tirsdag", "10. november 2026", "12:30", "Torvet 1, 9999 Demoby"):
        assert expected in sms["text"], expected
    assert "Gammelt pas og billedlegitimation." in sms["text"]
    assert link in sms["text"]
    [email] = mailoutbox
    assert email.to == ["anna@example.dk"]
    assert code in email.subject or "Pas" in email.subject
    assert code in email.body and link in email.body and f"{link}calendar.ics" in email.body
    assert set(made.appointment.messages.values_list("status", flat=True)) == {MessageStatus.SENT}
    assert made.appointment.messages.count() == 2


def test_messages_are_in_the_citizens_language(mailoutbox: list[mail.EmailMessage]) -> None:
    booking = booked_centre()
    contact = clean_contact("Ann", email="ann@example.com", language="en")

    book(booking.location, booking.passport, START, contact, site_url=SITE, now=NOW)
    Worker().run_once()

    [email] = mailoutbox
    assert "Your old passport and photo ID." in email.body
    assert "Tuesday" in email.body and "12:30" in email.body
    assert Message.objects.get().language == "en"


def test_moved_and_cancelled_are_told_too(mailoutbox: list[mail.EmailMessage]) -> None:
    booking = booked_centre()
    contact = clean_contact("Ann", email="ann@example.com", language="en")
    made = book(booking.location, booking.passport, START, contact, now=NOW)
    later = START + dt.timedelta(hours=1)

    moved = move_appointment(made.appointment, later, secret=made.secret, now=NOW)
    cancel_appointment(moved.appointment, now=NOW)
    Worker().run_once()

    subjects = sorted(email.subject.split(":")[0] for email in mailoutbox)
    assert subjects == ["Appointment booked", "Appointment cancelled", "Appointment moved"]
    moved_body = next(email.body for email in mailoutbox if "moved" in email.subject)
    assert "13:30" in moved_body and made.secret in moved_body
    cancelled_body = next(email.body for email in mailoutbox if "cancelled" in email.subject)
    assert made.secret not in cancelled_body


def test_no_message_when_the_booking_fails() -> None:
    booking = booked_centre()
    book(booking.location, booking.passport, START, citizen(1), now=NOW)

    with pytest.raises(SlotTaken):
        book(booking.location, booking.passport, START, citizen(2), now=NOW)

    assert Message.objects.filter(channel=Channel.SMS).count() == 1


def test_staff_may_book_without_a_confirmation() -> None:
    booking = booked_centre()
    staff = make_staff(Role.COUNTER_STAFF)
    made = book(
        booking.location,
        booking.passport,
        START,
        citizen(),
        staff=staff,
        send_confirmation=False,
        now=NOW,
    )

    assert not made.appointment.messages.exists()
