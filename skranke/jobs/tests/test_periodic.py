"""Periodic jobs: enqueued once per interval, by one worker only, however many race for it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from skranke.jobs.models import Job, JobStatus, PeriodicSchedule
from skranke.jobs.registry import Handler, PeriodicJob, registry
from skranke.jobs.services import enqueue_due_periodic_jobs
from skranke.jobs.tests.racing import race
from skranke.jobs.worker import Worker

INTERVAL = dt.timedelta(minutes=10)
ROUNDS = 20


@pytest.fixture
def tick_runs(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Register the periodic job "test.tick" (every 10 minutes); return the payloads it ran."""
    runs: list[dict[str, Any]] = []
    monkeypatch.setitem(registry.handlers, "test.tick", Handler("test.tick", runs.append))
    monkeypatch.setitem(registry.periodic_jobs, "test.tick", PeriodicJob("test.tick", INTERVAL))
    return runs


def test_a_new_periodic_job_runs_at_once_then_after_its_interval(
    db: None, tick_runs: list[dict[str, Any]]
) -> None:
    worker = Worker(name="worker-1")
    start = timezone.now()

    worker.run_once()
    worker.run_once()

    assert tick_runs == [{}]
    schedule = PeriodicSchedule.objects.get(name="test.tick")
    assert schedule.last_enqueued_by == "worker-1"
    assert schedule.next_run_at >= start + INTERVAL
    assert (
        enqueue_due_periodic_jobs("worker-1", schedule.next_run_at - dt.timedelta(seconds=1)) == []
    )
    assert enqueue_due_periodic_jobs("worker-1", schedule.next_run_at) == ["test.tick"]
    assert Job.objects.filter(kind="test.tick").count() == 2


def test_periodic_job_is_enqueued_by_one_of_two_racing_workers(
    transactional_db: None, tick_runs: list[dict[str, Any]]
) -> None:
    PeriodicSchedule.objects.create(name="test.tick", next_run_at=timezone.now())

    # Several rounds, so that without the guard the two would (also) both get through at least
    # once in practice; with it, each round has exactly one winner.
    for round_number in range(1, ROUNDS + 1):
        PeriodicSchedule.objects.update(next_run_at=timezone.now() - dt.timedelta(seconds=1))

        enqueued = race(2, lambda index: enqueue_due_periodic_jobs(f"worker-{index}"))

        assert sorted(enqueued) == [[], ["test.tick"]]
        assert Job.objects.filter(kind="test.tick").count() == round_number
    assert set(Job.objects.values_list("status", flat=True)) == {JobStatus.QUEUED}
