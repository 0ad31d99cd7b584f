"""A message a dead worker left 'sending' is not sent again by itself (outcome unknown)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from skranke.jobs.models import Job, JobStatus
from skranke.jobs.services import retry_failed_jobs
from skranke.jobs.worker import Worker
from skranke.messaging import sms
from skranke.messaging.models import Channel, Message, MessageStatus
from skranke.messaging.services import OUTCOME_UNKNOWN, SEND_JOB, resend_message, send_message
from skranke.messaging.tests.conftest import sms_lines


class WorkerKilled(BaseException):
    """Stands for SIGKILL: nothing after the gateway call runs, not even except clauses."""


class DyingGateway:
    def send(self, phone: str, text: str) -> None:
        raise WorkerKilled


@pytest.fixture
def crashed_message(db: None, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Message:
    """A message whose worker died while the gateway had it; its job's claim has gone stale."""
    monkeypatch.setitem(sms.BACKENDS, "dying", DyingGateway)  # type: ignore[arg-type]
    settings.SKRANKE_SMS_BACKEND = "dying"
    message = send_message(channel=Channel.SMS, recipient="12345678", body="Din kode er 4711")
    with pytest.raises(WorkerKilled):
        Worker().run_once()
    long_ago = timezone.now() - dt.timedelta(seconds=settings.SKRANKE_JOB_VISIBILITY_TIMEOUT + 1)
    Job.objects.filter(kind=SEND_JOB).update(claimed_at=long_ago)
    return message


def test_message_found_sending_is_marked_failed_and_not_resent(
    crashed_message: Message, settings: Any, sms_file: Path
) -> None:
    crashed_message.refresh_from_db()
    assert crashed_message.status == MessageStatus.SENDING

    Worker().run_once()  # re-queues the stale job and runs it: the gateway works again now
    Worker().run_once()

    assert sms_lines(sms_file) == []
    crashed_message.refresh_from_db()
    assert (crashed_message.status, crashed_message.last_error) == (
        MessageStatus.FAILED,
        OUTCOME_UNKNOWN,
    )
    assert OUTCOME_UNKNOWN == "Outcome unknown after a crash; check before resending."
    job = Job.objects.get(kind=SEND_JOB)
    assert (job.status, job.attempts) == (JobStatus.FAILED, 2)
    assert OUTCOME_UNKNOWN in job.last_error


def test_retrying_the_failed_job_does_not_send_it_either(
    crashed_message: Message, sms_file: Path
) -> None:
    Worker().run_once()
    job = Job.objects.get(kind=SEND_JOB)
    assert retry_failed_jobs([job.id]) == 1  # "retry now" in the jobs admin

    Worker().run_once()

    assert sms_lines(sms_file) == []
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "send again" in job.last_error


def test_a_person_can_send_it_again_after_checking(
    crashed_message: Message, sms_file: Path
) -> None:
    Worker().run_once()

    assert resend_message(crashed_message.id) is True
    assert resend_message(crashed_message.id) is False  # pending now, not failed
    Worker().run_once()

    assert [line["text"] for line in sms_lines(sms_file)] == ["Din kode er 4711"]
    crashed_message.refresh_from_db()
    assert crashed_message.status == MessageStatus.SENT
    assert Message.objects.count() == 1
