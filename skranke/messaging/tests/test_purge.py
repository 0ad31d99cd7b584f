"""Personal data in messages is blanked after the retention period, not before; rows stay."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from skranke.jobs.models import Job, JobStatus
from skranke.jobs.worker import Worker
from skranke.messaging.models import Channel, Message, MessageStatus
from skranke.messaging.services import PURGE_JOB, purge_personal_data, send_message


def make_message(**fields: Any) -> Message:
    return send_message(
        channel=Channel.EMAIL,
        recipient="borger@example.dk",
        subject="Din tid",
        body="Du har tid tirsdag kl. 10.00.",
        **fields,
    )


def test_purge_blanks_personal_data_after_retention_and_not_before(db: None, settings: Any) -> None:
    settings.SKRANKE_MESSAGE_RETENTION_DAYS = 30
    message = make_message()
    Worker().run_once()
    created = message.created_at

    assert purge_personal_data(created + dt.timedelta(days=29, hours=23)) == 0
    message.refresh_from_db()
    assert (message.recipient, message.body) == (
        "borger@example.dk",
        "Du har tid tirsdag kl. 10.00.",
    )

    purged_at = created + dt.timedelta(days=30)
    assert purge_personal_data(purged_at) == 1
    assert purge_personal_data(purged_at + dt.timedelta(days=1)) == 0

    message.refresh_from_db()
    assert (message.recipient, message.subject, message.body) == ("", "", "")
    assert message.purged_at == purged_at
    # Kept for statistics:
    assert (message.channel, message.status, message.language) == ("email", "sent", "da")
    assert message.sent_at is not None
    assert message.masked_recipient == "—"


def test_periodic_purge_runs_in_the_worker(db: None) -> None:
    old = make_message()
    new = make_message()
    Message.objects.filter(id=old.id).update(purge_after=timezone.now() - dt.timedelta(minutes=1))

    Worker().run_once()

    assert Job.objects.get(kind=PURGE_JOB).status == JobStatus.DONE
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.recipient, old.purged_at is not None) == ("", True)
    assert (new.recipient, new.purged_at) == ("borger@example.dk", None)


def test_a_message_purged_before_it_was_sent_is_not_sent(db: None, mailoutbox: list[Any]) -> None:
    message = make_message()
    purge_personal_data(message.purge_after)

    Worker().run_once()

    assert mailoutbox == []
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert Job.objects.get(kind="messaging.send").status == JobStatus.FAILED
