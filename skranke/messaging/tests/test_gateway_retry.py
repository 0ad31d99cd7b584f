"""An HTTP gateway that fails is tried again later, and the citizen still gets one SMS."""

from __future__ import annotations

import json

from django.utils import timezone

from skranke.jobs.models import Job, JobStatus
from skranke.jobs.worker import Worker
from skranke.messaging.models import Channel, MessageStatus
from skranke.messaging.services import SEND_JOB, send_message
from skranke.messaging.tests.conftest import Gateway


def test_sms_through_the_http_gateway(db: None, gateway: Gateway) -> None:
    message = send_message(channel=Channel.SMS, recipient="12 34 56 78", body="Det er din tur")

    Worker().run_once()

    [request] = gateway.requests
    assert request.path == "/sms/send"
    assert request.headers["X-Api-Key"] == "secret-key"
    assert json.loads(request.body) == {
        "to": "+4512345678",
        "text": "Det er din tur",
        "from": "Kommunen",
    }
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT


def test_gateway_500_is_retried_then_the_message_is_sent_once(db: None, gateway: Gateway) -> None:
    gateway.answers = [500, 200]
    message = send_message(channel=Channel.SMS, recipient="12345678", body="Husk din tid i dag")
    worker = Worker()

    worker.run_once()

    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.PENDING, 1)
    assert "answered 500: gateway trouble" in message.last_error
    job = Job.objects.get(kind=SEND_JOB)
    assert (job.status, job.attempts) == (JobStatus.QUEUED, 1)
    assert job.run_after > timezone.now()
    assert worker.run_once() == 0  # backing off
    assert len(gateway.requests) == 1

    Job.objects.filter(id=job.id).update(run_after=timezone.now())
    worker.run_once()
    Job.objects.filter(id=job.id).update(run_after=timezone.now())
    worker.run_once()

    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (MessageStatus.SENT, 2, "")
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.DONE, 2)
    assert len(gateway.requests) == 2
    assert gateway.requests[0].body == gateway.requests[1].body


def test_gateway_that_keeps_failing_leaves_the_job_failed_and_the_message_pending(
    db: None, gateway: Gateway
) -> None:
    gateway.answers = [503]
    message = send_message(channel=Channel.SMS, recipient="12345678", body="Husk din tid i dag")
    job = Job.objects.get(kind=SEND_JOB)
    Job.objects.filter(id=job.id).update(max_attempts=3)

    for _attempt in range(3):
        Job.objects.filter(id=job.id).update(run_after=timezone.now())
        Worker().run_once()

    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.FAILED, 3)
    message.refresh_from_db()
    # Pending, not failed: the gateway never took it, so "retry now" on the job may send it.
    assert (message.status, message.attempts) == (MessageStatus.PENDING, 3)
    assert len(gateway.requests) == 3
