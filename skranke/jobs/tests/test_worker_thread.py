"""`start_worker_thread`: the in-process worker of small sites runs jobs and stops on request."""

from __future__ import annotations

import threading
from typing import Any

from skranke.jobs.models import Job, JobStatus
from skranke.jobs.services import enqueue
from skranke.jobs.tests.conftest import RegisterHandler
from skranke.jobs.worker import start_worker_thread
from skranke.testing.waiting import wait_for

# Far longer than the waits below: a job they see done was run because enqueueing woke the
# worker, not because its poll came round.
POLL_SECONDS = 600
WAIT_SECONDS = 30


def job_done(job: Job) -> bool:
    return Job.objects.filter(id=job.id, status=JobStatus.DONE).exists()


def test_worker_thread_runs_jobs_as_they_are_enqueued_and_stops(
    transactional_db: None, register_handler: RegisterHandler
) -> None:
    payloads: list[dict[str, Any]] = []
    register_handler("test.record", payloads.append)
    stop = start_worker_thread(poll_seconds=POLL_SECONDS)
    try:
        first = enqueue("test.record", {"n": 1})
        wait_for(lambda: job_done(first), WAIT_SECONDS, "the first job ran")
        second = enqueue("test.record", {"n": 2})
        wait_for(lambda: job_done(second), WAIT_SECONDS, "the second job ran")
    finally:
        stop()

    assert payloads == [{"n": 1}, {"n": 2}]
    assert "skranke-worker" not in {thread.name for thread in threading.enumerate()}
    stop()  # a second call does nothing
