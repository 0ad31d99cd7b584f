"""Enqueue jobs; claim, run and retry them; keep periodic jobs on schedule.

Guarantees, on SQLite and PostgreSQL alike:

- ``enqueue`` writes the job in the caller's transaction: a rolled-back change enqueues nothing,
  and no worker sees the job before the change is committed.
- A queued job is claimed by a conditional update (``claim_job``) whose row count says which
  worker won, so two workers never run one job at the same time. On PostgreSQL the candidates
  are first locked with ``SELECT … FOR UPDATE SKIP LOCKED`` so racing workers take different
  jobs instead of queueing behind the same row.
- A worker that dies leaves its job ``running``; after SKRANKE_JOB_VISIBILITY_TIMEOUT seconds
  ``requeue_stale_jobs`` queues it again. A job can therefore run more than once when a worker
  dies in the middle of it: atomic handlers (the default) commit their changes together with
  the job's "done", so their changes still happen once; other handlers make retries safe
  themselves (skranke.messaging does).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from skranke.jobs.models import Job, JobQuerySet, JobStatus, PeriodicSchedule
from skranke.jobs.registry import Handler, registry

logger = logging.getLogger("skranke.jobs")

# Retries back off exponentially from SKRANKE_JOB_RETRY_SECONDS, but never wait longer than this:
# an SMS gateway that was down for a morning should be tried again within the hour.
MAX_RETRY_DELAY = dt.timedelta(hours=1)
# SQLite has no SKIP LOCKED, so a worker that loses the race for the oldest due job tries the
# next ones; this many are read at a time.
CLAIM_CANDIDATES = 20
# last_error keeps the start of a long message (an HTML error page from a gateway, say).
ERROR_TEXT_LIMIT = 2000


class UnknownJobKind(LookupError):
    """``enqueue`` was given a kind that no handler is registered for."""


class PermanentJobError(Exception):
    """Raised by a handler for a failure that retrying cannot fix: the job fails at once."""


class _ClaimLost(Exception):
    """The job was taken from this worker (re-queued as stale) while its handler ran."""


# Workers running in this process (skranke.jobs.worker) register an event here; a job enqueued
# in this process sets them when its transaction commits, so a small site's in-process worker
# sends a message at once instead of at its next poll.
_wake_events: set[threading.Event] = set()
_wake_events_lock = threading.Lock()


def add_wake_event(event: threading.Event) -> None:
    """Have ``event`` set whenever a job enqueued in this process is committed."""
    with _wake_events_lock:
        _wake_events.add(event)


def discard_wake_event(event: threading.Event) -> None:
    """Stop setting ``event`` (its worker stopped)."""
    with _wake_events_lock:
        _wake_events.discard(event)


def wake_local_workers() -> None:
    """Wake the workers running in this process, so they look for due jobs now."""
    with _wake_events_lock:
        for event in _wake_events:
            event.set()


def enqueue(
    kind: str,
    payload: dict[str, Any] | None = None,
    run_after: dt.datetime | None = None,
    *,
    max_attempts: int | None = None,
) -> Job:
    """Queue a job of ``kind`` with a JSON-serialisable ``payload``; return the new Job.

    Call it inside the transaction that makes the change the job is about, so the job exists
    exactly when the change does. ``run_after`` (default: now) is the earliest time it runs;
    ``max_attempts`` defaults to the handler's, then to SKRANKE_JOB_MAX_ATTEMPTS.

    Raises UnknownJobKind when no handler is registered for ``kind``, and TypeError when the
    payload cannot be stored as JSON.
    """
    handler = registry.handler_for(kind)
    if handler is None:
        raise UnknownJobKind(f"No handler is registered for the job kind {kind!r}")
    job = Job.objects.create(
        kind=kind,
        payload=payload or {},
        run_after=run_after or timezone.now(),
        max_attempts=max_attempts or handler.max_attempts or settings.SKRANKE_JOB_MAX_ATTEMPTS,
    )
    transaction.on_commit(wake_local_workers)
    return job


def claim_job(job_id: int, worker_name: str, now: dt.datetime) -> bool:
    """Mark job ``job_id`` running for ``worker_name`` if it is still queued and due.

    Returns True when this call claimed it; False when another worker was first, or the job is
    not queued or not due yet. The update's row count decides, so this holds across processes
    and databases without locks.
    """
    claimed = Job.objects.filter(id=job_id, status=JobStatus.QUEUED, run_after__lte=now).update(
        status=JobStatus.RUNNING,
        claimed_by=worker_name,
        claimed_at=now,
        attempts=F("attempts") + 1,
    )
    return claimed == 1


def claim_next_job(worker_name: str, now: dt.datetime | None = None) -> Job | None:
    """Claim the oldest due job for ``worker_name``; return it, or None when none is due."""
    now = now or timezone.now()
    due_ids = Job.objects.due(now).values_list("id", flat=True)
    if connection.features.has_select_for_update_skip_locked:
        # The row lock lasts until the claim below commits; other workers skip the row meanwhile
        # and take the next job rather than waiting for this one and losing the claim.
        with transaction.atomic():
            locked = list(due_ids.select_for_update(skip_locked=True)[:1])
            if locked and claim_job(locked[0], worker_name, now):
                return Job.objects.get(id=locked[0])
        return None
    # Every candidate lost went to another worker, so re-reading always makes progress.
    while candidates := list(due_ids[:CLAIM_CANDIDATES]):
        for job_id in candidates:
            if claim_job(job_id, worker_name, now):
                return Job.objects.get(id=job_id)
    return None


def retry_delay(attempts: int) -> dt.timedelta:
    """Return how long to wait after failed attempt number ``attempts`` (1, 2, …).

    SKRANKE_JOB_RETRY_SECONDS after the first, doubling after each further one, at most an hour.
    """
    seconds = settings.SKRANKE_JOB_RETRY_SECONDS * 2 ** max(0, min(attempts - 1, 20))
    return min(dt.timedelta(seconds=seconds), MAX_RETRY_DELAY)


def _error_text(error: BaseException) -> str:
    text = (
        str(error) if isinstance(error, PermanentJobError) else f"{type(error).__name__}: {error}"
    )
    return text[:ERROR_TEXT_LIMIT]


def _still_ours(job: Job, worker_name: str) -> JobQuerySet:
    """Return the job's row as long as this worker's claim on it stands."""
    return Job.objects.filter(
        id=job.id, status=JobStatus.RUNNING, claimed_by=worker_name, attempts=job.attempts
    )


def _mark_done(job: Job, worker_name: str) -> bool:
    finished = _still_ours(job, worker_name).update(
        status=JobStatus.DONE, finished_at=timezone.now(), last_error=""
    )
    return finished == 1


def _record_failure(job: Job, worker_name: str, error: Exception) -> None:
    now = timezone.now()
    if isinstance(error, PermanentJobError) or job.attempts >= job.max_attempts:
        outcome: dict[str, Any] = {"status": JobStatus.FAILED, "finished_at": now}
        logger.error(
            "Job %s (%s) failed for good after attempt %d of %d: %s",
            job.id,
            job.kind,
            job.attempts,
            job.max_attempts,
            error,
            exc_info=not isinstance(error, PermanentJobError),
        )
    else:
        outcome = {"status": JobStatus.QUEUED, "run_after": now + retry_delay(job.attempts)}
        logger.warning(
            "Job %s (%s) failed on attempt %d of %d, retrying after %s: %s",
            job.id,
            job.kind,
            job.attempts,
            job.max_attempts,
            outcome["run_after"].isoformat(timespec="seconds"),
            error,
        )
    if not _still_ours(job, worker_name).update(last_error=_error_text(error), **outcome):
        logger.warning(
            "Job %s was re-queued as stale while it ran; its failure is not recorded", job.id
        )


def run_job(job: Job, worker_name: str) -> bool:
    """Run a job this worker has claimed and record the outcome on it.

    Returns True when the handler succeeded and the job is done. A handler's exception is
    recorded (retry with back-off, or ``failed`` when attempts are used up or the error is a
    PermanentJobError) and False returned; nothing is raised.
    """
    handler: Handler | None = registry.handler_for(job.kind)
    try:
        if handler is None:
            # A retry, not a permanent failure: during an upgrade an older worker may meet a
            # job that a newer web process enqueued.
            raise UnknownJobKind(f"No handler is registered for the job kind {job.kind!r}")
        if handler.atomic:
            with transaction.atomic():
                handler.function(job.payload)
                if not _mark_done(job, worker_name):
                    raise _ClaimLost
        else:
            handler.function(job.payload)
            if not _mark_done(job, worker_name):
                raise _ClaimLost
    except _ClaimLost:
        logger.warning(
            "Job %s (%s) ran past SKRANKE_JOB_VISIBILITY_TIMEOUT and was re-queued meanwhile; "
            "another attempt will run it",
            job.id,
            job.kind,
        )
        return False
    except Exception as error:
        _record_failure(job, worker_name, error)
        return False
    return True


def requeue_stale_jobs(now: dt.datetime | None = None) -> int:
    """Queue again the jobs left ``running`` longer than SKRANKE_JOB_VISIBILITY_TIMEOUT.

    Such a job's worker was killed (or lost its database) before it could record the outcome.
    A job with no attempts left ends ``failed`` instead. Returns how many jobs were changed.
    """
    now = now or timezone.now()
    timeout = settings.SKRANKE_JOB_VISIBILITY_TIMEOUT
    stale = Job.objects.stale(now - dt.timedelta(seconds=timeout))
    # Every round asks; reading first spares SQLite's single write lock when, as almost
    # always, nothing is stale.
    if not stale.exists():
        return 0
    # Stored errors are diagnostics for administrators, in English like the exceptions
    # handlers raise, rather than in whichever language the worker happens to run.
    note = f"The worker gave no result within {timeout} s of claiming the job; it probably stopped."
    requeued = stale.filter(attempts__lt=F("max_attempts")).update(
        status=JobStatus.QUEUED, run_after=now, last_error=note
    )
    failed = stale.filter(attempts__gte=F("max_attempts")).update(
        status=JobStatus.FAILED, finished_at=now, last_error=note
    )
    if requeued or failed:
        logger.warning("Re-queued %d and failed %d jobs whose worker stopped", requeued, failed)
    return requeued + failed


def enqueue_due_periodic_jobs(worker_name: str, now: dt.datetime | None = None) -> list[str]:
    """Enqueue each registered periodic job whose time has come; return the names enqueued.

    The schedule row of a name is moved on by a conditional update (``next_run_at <= now``)
    in the same transaction as the enqueue, so of several workers racing only the one whose
    update changed the row enqueues the job. A name seen for the first time is due at once.
    """
    now = now or timezone.now()
    periodic = registry.periodic_jobs
    if not periodic:
        return []
    known = set(PeriodicSchedule.objects.filter(name__in=periodic).values_list("name", flat=True))
    if missing := [name for name in periodic if name not in known]:
        PeriodicSchedule.objects.bulk_create(
            [PeriodicSchedule(name=name, next_run_at=now) for name in missing],
            ignore_conflicts=True,
        )
    due = PeriodicSchedule.objects.filter(name__in=periodic, next_run_at__lte=now)
    enqueued = []
    for name in due.values_list("name", flat=True):
        with transaction.atomic():
            won = PeriodicSchedule.objects.filter(name=name, next_run_at__lte=now).update(
                next_run_at=now + periodic[name].interval,
                last_enqueued_at=now,
                last_enqueued_by=worker_name,
            )
            if won:
                enqueue(name)
                enqueued.append(name)
    return enqueued


def retry_failed_jobs(job_ids: Iterable[int]) -> int:
    """Queue the failed jobs among ``job_ids`` to run now with fresh attempts; return how many.

    Jobs that are not ``failed`` (queued, running or done) are left alone.
    """
    retried = Job.objects.filter(id__in=list(job_ids), status=JobStatus.FAILED).update(
        status=JobStatus.QUEUED,
        attempts=0,
        run_after=timezone.now(),
        finished_at=None,
    )
    if retried:
        transaction.on_commit(wake_local_workers)
    return retried


def delete_finished_jobs(now: dt.datetime | None = None) -> int:
    """Delete done and failed jobs that finished SKRANKE_JOB_RETENTION_DAYS ago or earlier.

    Their errors may quote personal data (a gateway echoing a phone number), and the table
    would otherwise grow with every message. Returns how many jobs were deleted.
    """
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.SKRANKE_JOB_RETENTION_DAYS)
    deleted, _by_model = Job.objects.filter(
        status__in=[JobStatus.DONE, JobStatus.FAILED], finished_at__lte=cutoff
    ).delete()
    return deleted
