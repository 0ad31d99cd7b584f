"""A due job runs once; a failing one backs off, ends failed, shows in the admin, can be retried."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import SUCCESS, WARNING
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from skranke.jobs.models import Job, JobStatus, PeriodicSchedule
from skranke.jobs.services import (
    PermanentJobError,
    claim_next_job,
    enqueue,
    requeue_stale_jobs,
    retry_delay,
    run_job,
)
from skranke.jobs.tests.conftest import RegisterHandler
from skranke.jobs.worker import Worker

CHANGELIST = reverse("admin:jobs_job_changelist")


class GatewayDown(Exception):
    pass


def fail(payload: dict[str, Any]) -> None:
    raise GatewayDown("the gateway is down")


def make_due(job: Job) -> None:
    """Move a retried job's time to now, as if its back-off had passed."""
    Job.objects.filter(id=job.id).update(run_after=timezone.now())


def test_worker_once_runs_a_due_job_once(db: None, register_handler: RegisterHandler) -> None:
    payloads: list[dict[str, Any]] = []
    register_handler("test.record", payloads.append)
    job = enqueue("test.record", {"ticket": "A001"})
    output = StringIO()

    call_command("worker", "--once", stdout=output)
    call_command("worker", "--once", stdout=output)

    assert payloads == [{"ticket": "A001"}]
    assert output.getvalue().splitlines() == ["Ran 1 job(s).", "Ran 0 job(s)."]
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert job.attempts == 1
    assert job.finished_at is not None
    assert job.claimed_by


def test_worker_leaves_a_job_that_is_not_due_yet(
    db: None, register_handler: RegisterHandler
) -> None:
    payloads: list[dict[str, Any]] = []
    register_handler("test.record", payloads.append)
    job = enqueue("test.record", run_after=timezone.now() + dt.timedelta(minutes=5))

    assert Worker().run_once() == 0

    assert payloads == []
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.QUEUED, 0)


def test_failing_job_backs_off_then_fails_and_is_listed_in_the_admin(
    db: None, register_handler: RegisterHandler, settings: Any, admin_client: Client
) -> None:
    settings.SKRANKE_JOB_RETRY_SECONDS = 30
    register_handler("test.fail", fail)
    job = enqueue("test.fail", {"message_id": 1}, max_attempts=4)
    worker = Worker(name="worker-1")
    waits: list[dt.timedelta] = []

    for attempt in (1, 2, 3):
        assert worker.run_once() == 1
        job.refresh_from_db()
        assert (job.status, job.attempts) == (JobStatus.QUEUED, attempt)
        assert job.last_error == "GatewayDown: the gateway is down"
        assert job.claimed_at is not None
        waits.append(job.run_after - job.claimed_at)
        assert waits[-1] >= retry_delay(attempt)
        # Backing off: the next round leaves it alone until its time comes.
        assert worker.run_once() == 0
        make_due(job)

    assert retry_delay(1) == dt.timedelta(seconds=30)
    assert waits == sorted(waits)
    assert waits[0] < waits[1] < waits[2]

    assert worker.run_once() == 1
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.FAILED, 4)
    assert job.finished_at is not None
    make_due(job)
    assert worker.run_once() == 0

    response = admin_client.get(CHANGELIST, {"status__exact": "failed"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "test.fail" in html
    assert "4 / 4" in html
    assert "GatewayDown: the gateway is down" in html
    assert response.context["cl"].result_count == 1


def test_retry_delay_doubles_up_to_an_hour(settings: Any) -> None:
    settings.SKRANKE_JOB_RETRY_SECONDS = 30

    delays = [retry_delay(attempt).total_seconds() for attempt in range(1, 10)]

    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_retry_now_in_the_admin_queues_failed_jobs_only(
    db: None, register_handler: RegisterHandler, admin_client: Client
) -> None:
    calls: list[dict[str, Any]] = []
    register_handler("test.fail", fail)
    register_handler("test.record", calls.append)
    failed = enqueue("test.fail", max_attempts=1)
    done = enqueue("test.record")
    Worker().run_once()

    response = admin_client.post(
        CHANGELIST,
        {"action": "retry_now", "_selected_action": [failed.id, done.id]},
        follow=True,
    )

    assert response.status_code == 200
    assert [message.level for message in response.context["messages"]] == [SUCCESS, WARNING]
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.finished_at) == (JobStatus.QUEUED, 0, None)
    done.refresh_from_db()
    assert done.status == JobStatus.DONE
    assert Worker().run_once() == 1
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (JobStatus.FAILED, 1)
    assert calls == [{}]


def test_retry_now_needs_the_permission_to_change_jobs(
    db: None, register_handler: RegisterHandler, client: Client, django_user_model: Any
) -> None:
    register_handler("test.fail", fail)
    failed = enqueue("test.fail", max_attempts=1)
    Worker().run_once()
    viewer = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_job"))
    client.force_login(viewer)

    listing = client.get(CHANGELIST)
    client.post(CHANGELIST, {"action": "retry_now", "_selected_action": [failed.id]})

    assert listing.status_code == 200
    assert "retry_now" not in listing.content.decode()
    failed.refresh_from_db()
    assert failed.status == JobStatus.FAILED


def test_job_admin_is_read_only(
    db: None, register_handler: RegisterHandler, admin_client: Client
) -> None:
    register_handler("test.record", lambda payload: None)
    job = enqueue("test.record", {"ticket": "A001"})
    change_url = reverse("admin:jobs_job_change", args=[job.id])

    page = admin_client.get(change_url)
    admin_client.post(change_url, {"kind": "test.other", "status": "done"})

    assert page.status_code == 200
    assert "A001" in page.content.decode()
    assert admin_client.get(reverse("admin:jobs_job_add")).status_code == 403
    job.refresh_from_db()
    assert (job.kind, job.status) == ("test.record", JobStatus.QUEUED)


def test_permanent_error_fails_the_job_without_retries(
    db: None, register_handler: RegisterHandler
) -> None:
    def refuse(payload: dict[str, Any]) -> None:
        raise PermanentJobError("the booking was deleted")

    register_handler("test.refuse", refuse)
    job = enqueue("test.refuse", max_attempts=5)

    Worker().run_once()

    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.FAILED, 1)
    assert job.last_error == "the booking was deleted"


def test_a_failing_atomic_handler_leaves_no_change_behind(
    db: None, register_handler: RegisterHandler
) -> None:
    def half_done(payload: dict[str, Any]) -> None:
        PeriodicSchedule.objects.create(name="written-before-failing", next_run_at=timezone.now())
        raise GatewayDown("after writing")

    register_handler("test.half", half_done)
    job = enqueue("test.half", max_attempts=2)

    Worker().run_once()

    assert not PeriodicSchedule.objects.exists()
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.QUEUED, 1)


def test_job_without_handler_is_retried_not_lost(
    db: None, register_handler: RegisterHandler
) -> None:
    register_handler("test.gone", lambda payload: None)
    job = enqueue("test.gone", max_attempts=3)
    Job.objects.filter(id=job.id).update(kind="test.unknown")

    Worker().run_once()

    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.QUEUED, 1)
    assert "test.unknown" in job.last_error


@pytest.mark.parametrize("atomic", [True, False])
def test_a_job_taken_away_while_running_is_not_marked_done(
    db: None, register_handler: RegisterHandler, atomic: bool
) -> None:
    def write(payload: dict[str, Any]) -> None:
        PeriodicSchedule.objects.create(name="side effect", next_run_at=timezone.now())

    register_handler("test.write", write, atomic=atomic)
    enqueued = enqueue("test.write")
    job = claim_next_job("slow-worker")
    assert job is not None and job.id == enqueued.id
    # Meanwhile the job outlived the visibility timeout and was queued again for another worker.
    requeue_stale_jobs(timezone.now() + dt.timedelta(days=1))

    assert run_job(job, "slow-worker") is False

    job.refresh_from_db()
    assert (job.status, job.last_error != "") == (JobStatus.QUEUED, True)
    # An atomic handler's changes go with its lost claim; the next attempt makes them again.
    assert PeriodicSchedule.objects.exists() is not atomic
