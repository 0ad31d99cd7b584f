"""A job left 'running' by a worker that died is queued again after the visibility timeout."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from skranke.jobs.models import Job, JobStatus
from skranke.jobs.services import claim_job, enqueue, requeue_stale_jobs
from skranke.jobs.tests.conftest import RegisterHandler
from skranke.jobs.worker import Worker


def test_stale_running_job_is_requeued_after_the_visibility_timeout_and_not_before(
    db: None, register_handler: RegisterHandler, settings: Any
) -> None:
    settings.SKRANKE_JOB_VISIBILITY_TIMEOUT = 600
    register_handler("test.nothing", lambda payload: None)
    job = enqueue("test.nothing")
    claimed_at = timezone.now()
    assert claim_job(job.id, "worker-that-dies", claimed_at)

    assert requeue_stale_jobs(claimed_at + dt.timedelta(seconds=599)) == 0
    job.refresh_from_db()
    assert (job.status, job.claimed_by) == (JobStatus.RUNNING, "worker-that-dies")

    later = claimed_at + dt.timedelta(seconds=601)
    assert requeue_stale_jobs(later) == 1
    job.refresh_from_db()
    assert (job.status, job.run_after, job.attempts) == (JobStatus.QUEUED, later, 1)
    assert "probably stopped" in job.last_error


def test_worker_round_requeues_and_runs_a_dead_workers_job(
    db: None, register_handler: RegisterHandler, settings: Any
) -> None:
    settings.SKRANKE_JOB_VISIBILITY_TIMEOUT = 600
    payloads: list[dict[str, Any]] = []
    register_handler("test.record", payloads.append)
    job = enqueue("test.record", {"n": 1})
    assert claim_job(job.id, "worker-that-dies", timezone.now())
    Job.objects.filter(id=job.id).update(claimed_at=timezone.now() - dt.timedelta(minutes=11))

    assert Worker(name="worker-2").run_once() == 1

    assert payloads == [{"n": 1}]
    job.refresh_from_db()
    assert (job.status, job.attempts, job.claimed_by) == (JobStatus.DONE, 2, "worker-2")


def test_stale_job_without_attempts_left_ends_failed(
    db: None, register_handler: RegisterHandler, settings: Any
) -> None:
    settings.SKRANKE_JOB_VISIBILITY_TIMEOUT = 600
    register_handler("test.nothing", lambda payload: None)
    job = enqueue("test.nothing", max_attempts=1)
    claimed_at = timezone.now()
    assert claim_job(job.id, "worker-that-dies", claimed_at)

    assert requeue_stale_jobs(claimed_at + dt.timedelta(hours=1)) == 1

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.finished_at is not None
    assert Worker().run_once() == 0
