"""`enqueue` writes a job in the caller's transaction, or not at all."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from skranke.jobs.models import Job, JobStatus
from skranke.jobs.services import UnknownJobKind, enqueue
from skranke.jobs.tests.conftest import RegisterHandler


class DomainChangeFailed(Exception):
    pass


def nothing(payload: dict[str, Any]) -> None:
    pass


def test_enqueue_in_a_rolled_back_transaction_leaves_no_job(
    db: None, register_handler: RegisterHandler
) -> None:
    register_handler("test.nothing", nothing)

    with pytest.raises(DomainChangeFailed), transaction.atomic():
        enqueue("test.nothing", {"booking": 7})
        raise DomainChangeFailed

    assert not Job.objects.exists()


def test_enqueue_in_a_committed_transaction_leaves_one_queued_job(
    db: None, register_handler: RegisterHandler, settings: Any
) -> None:
    register_handler("test.nothing", nothing)
    settings.SKRANKE_JOB_MAX_ATTEMPTS = 3
    before = timezone.now()

    with transaction.atomic():
        enqueue("test.nothing", {"booking": 7})

    job = Job.objects.get()
    assert (job.kind, job.payload, job.status) == ("test.nothing", {"booking": 7}, "queued")
    assert job.status == JobStatus.QUEUED
    assert job.attempts == 0
    assert job.max_attempts == 3
    assert job.run_after >= before
    assert job.claimed_by == ""


def test_enqueue_keeps_a_later_start_and_the_handlers_attempts(
    db: None, register_handler: RegisterHandler
) -> None:
    register_handler("test.nothing", nothing, max_attempts=2)
    later = timezone.now() + dt.timedelta(hours=2)

    job = enqueue("test.nothing", run_after=later)

    job.refresh_from_db()
    assert job.run_after == later
    assert job.max_attempts == 2
    assert job.payload == {}


def test_enqueue_refuses_a_kind_without_handler(db: None) -> None:
    with pytest.raises(UnknownJobKind, match=r"test\.typo"):
        enqueue("test.typo", {})

    assert not Job.objects.exists()


def test_enqueue_refuses_a_payload_that_is_not_json(
    db: None, register_handler: RegisterHandler
) -> None:
    register_handler("test.nothing", nothing)

    with pytest.raises(TypeError), transaction.atomic():
        enqueue("test.nothing", {"when": object()})

    assert not Job.objects.exists()
