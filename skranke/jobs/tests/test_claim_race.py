"""Workers racing for the same jobs never run one twice (DESIGN.md: a concurrency test that
proves itself: a barrier releases the racers together, and the test fails without the guard).

Removing ``status=queued`` from the conditional update in ``claim_job`` makes
``test_racers_claiming_one_job_have_one_winner`` fail on both databases and the many-jobs race
fail on SQLite; on PostgreSQL the row lock (SKIP LOCKED) still guards the many-jobs race until
it is removed too.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from django.utils import timezone

from skranke.jobs.models import Job, JobStatus
from skranke.jobs.services import claim_job, enqueue
from skranke.jobs.tests.conftest import RegisterHandler
from skranke.jobs.tests.racing import race
from skranke.jobs.worker import Worker

JOBS = 200


def run_jobs_with_racing_workers(register_handler: RegisterHandler, workers: int) -> None:
    """Enqueue JOBS counting jobs, let ``workers`` race through them, check each ran once."""
    runs: Counter[int] = Counter()
    lock = threading.Lock()

    def count(payload: dict[str, Any]) -> None:
        with lock:
            runs[payload["number"]] += 1

    register_handler("test.count", count)
    for number in range(JOBS):
        enqueue("test.count", {"number": number})

    ran = race(workers, lambda index: Worker(name=f"worker-{index}").run_once())

    duplicates = {number: times for number, times in runs.items() if times > 1}
    assert duplicates == {}, f"jobs run more than once: {duplicates}"
    assert sorted(runs) == list(range(JOBS))
    assert sum(ran) == JOBS
    assert Job.objects.filter(status=JobStatus.DONE, attempts=1).count() == JOBS
    # The race was real: the jobs were shared out between several workers.
    claimers = set(Job.objects.values_list("claimed_by", flat=True))
    assert len(claimers) > 1, claimers


@pytest.mark.postgres
def test_four_workers_run_each_of_200_jobs_exactly_once_on_postgresql(
    transactional_db: None, register_handler: RegisterHandler
) -> None:
    run_jobs_with_racing_workers(register_handler, workers=4)


def test_two_workers_run_each_of_200_jobs_exactly_once(
    transactional_db: None, register_handler: RegisterHandler
) -> None:
    # The single-process guarantee, on SQLite as well: threads with their own connections.
    run_jobs_with_racing_workers(register_handler, workers=2)


def test_racers_claiming_one_job_have_one_winner(
    transactional_db: None, register_handler: RegisterHandler
) -> None:
    register_handler("test.nothing", lambda payload: None)
    job = enqueue("test.nothing")
    now = timezone.now()

    won = race(6, lambda index: claim_job(job.id, f"worker-{index}", now))

    assert won.count(True) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING
    assert job.attempts == 1
    assert job.claimed_by == f"worker-{won.index(True)}"
