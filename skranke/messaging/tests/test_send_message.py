"""`send_message`: stores the message and its job together; e-mail is sent once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction

from skranke.jobs.models import Job, JobStatus
from skranke.jobs.worker import Worker
from skranke.messaging.models import Channel, Message, MessageStatus
from skranke.messaging.services import SEND_JOB, send_message
from skranke.messaging.tests.conftest import sms_lines


class BookingFailed(Exception):
    pass


def test_email_is_sent_exactly_once(db: None, mailoutbox: list[mail.EmailMessage]) -> None:
    message = send_message(
        channel=Channel.EMAIL,
        recipient=" borger@example.dk ",
        subject="Din tid hos Borgerservice",
        body="Du har tid tirsdag kl. 10.00.",
        language="en",
    )
    assert message.status == MessageStatus.PENDING
    assert mailoutbox == []

    Worker().run_once()
    Worker().run_once()

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["borger@example.dk"]
    assert email.subject == "Din tid hos Borgerservice"
    assert email.body == "Du har tid tirsdag kl. 10.00."
    assert email.from_email == "Borgerservice <noreply@localhost>"
    assert email.extra_headers["Content-Language"] == "en"
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (MessageStatus.SENT, 1, "")
    assert message.sent_at is not None
    assert Job.objects.get(kind=SEND_JOB).status == JobStatus.DONE


def test_sms_is_sent_once_through_the_file_backend(db: None, sms_file: Path) -> None:
    message = send_message(channel="sms", recipient="0045 12 34 56 78", body="Det er din tur: A012")

    Worker().run_once()
    Worker().run_once()

    [line] = sms_lines(sms_file)
    assert (line["to"], line["from"], line["text"]) == ("+4512345678", "", "Det er din tur: A012")
    message.refresh_from_db()
    assert (message.recipient, message.status) == ("+4512345678", MessageStatus.SENT)


def test_message_in_a_rolled_back_transaction_is_neither_stored_nor_sent(
    db: None, sms_file: Path
) -> None:
    with pytest.raises(BookingFailed), transaction.atomic():
        send_message(channel=Channel.SMS, recipient="12345678", body="Din tid er bekræftet")
        raise BookingFailed

    Worker().run_once()

    assert not Message.objects.exists()
    assert not Job.objects.filter(kind=SEND_JOB).exists()
    assert sms_lines(sms_file) == []


def test_purge_time_follows_the_retention_setting(db: None, settings: Any) -> None:
    settings.SKRANKE_MESSAGE_RETENTION_DAYS = 7

    message = send_message(channel=Channel.SMS, recipient="12345678", body="Hej")

    assert message.purge_after - message.created_at == dt.timedelta(days=7)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"channel": "sms", "recipient": "1234", "body": "Hej"}, "recipient"),
        (
            {"channel": "email", "recipient": "not-an-address", "subject": "S", "body": "B"},
            "recipient",
        ),
        ({"channel": "email", "recipient": "a@example.dk", "body": "B"}, "subject"),
        (
            {"channel": "email", "recipient": "a@example.dk", "subject": "A\nB", "body": "B"},
            "subject",
        ),
        ({"channel": "sms", "recipient": "12345678", "body": "  "}, "body"),
        ({"channel": "sms", "recipient": "12345678", "body": "Hej", "language": "fr"}, "language"),
        ({"channel": "fax", "recipient": "12345678", "body": "Hej"}, "channel"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(
    db: None, arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        send_message(**arguments)

    assert list(refused.value.message_dict) == [field]
    assert not Message.objects.exists()
    assert not Job.objects.exists()
