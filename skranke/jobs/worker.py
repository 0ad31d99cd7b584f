"""The worker: runs due jobs, enqueues periodic ones and re-queues jobs of workers that died.

Run it as its own process (`skranke worker`, any number of them, on several machines with
PostgreSQL) or, on a small site, as a thread of the web server (``start_worker_thread``).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections, connections

from skranke.jobs.models import WORKER_NAME_LENGTH
from skranke.jobs.services import (
    add_wake_event,
    claim_next_job,
    discard_wake_event,
    enqueue_due_periodic_jobs,
    requeue_stale_jobs,
    run_job,
)

logger = logging.getLogger("skranke.jobs")

# How long stopping an in-process worker waits for its current job. Jobs are short (an SMS
# gateway call times out in SKRANKE_SMS_HTTP_TIMEOUT seconds); one that is still running after
# this is abandoned with its thread and re-queued later as stale.
STOP_TIMEOUT_SECONDS = 30.0


def default_worker_name() -> str:
    """Return a name that tells workers apart in the admin: host, process id and a random tag."""
    tag = f":{os.getpid()}:{secrets.token_hex(3)}"
    return socket.gethostname()[: WORKER_NAME_LENGTH - len(tag)] + tag


class Worker:
    """One worker: ``run_once`` does what is due now, ``run`` repeats it until ``stop``."""

    def __init__(self, name: str | None = None, poll_seconds: float | None = None) -> None:
        self.name = name or default_worker_name()
        self.poll_seconds = (
            settings.SKRANKE_WORKER_POLL_SECONDS if poll_seconds is None else poll_seconds
        )
        self._stopping = threading.Event()
        self._wake = threading.Event()

    def __repr__(self) -> str:
        return f"<Worker {self.name}>"

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def stop(self) -> None:
        """Ask the worker to stop once its current job is finished; returns at once."""
        self._stopping.set()
        self._wake.set()

    def run_once(self) -> int:
        """Re-queue stale jobs, enqueue due periodic jobs and run every due job.

        Returns the number of jobs run, whether they succeeded or failed (failures are recorded
        on the jobs). Jobs that become due while it runs are run too; a job retried with
        back-off is not, as its new time lies in the future. Database errors are raised.
        """
        requeue_stale_jobs()
        enqueue_due_periodic_jobs(self.name)
        ran = 0
        while not self.stopping:
            job = claim_next_job(self.name)
            if job is None:
                break
            run_job(job, self.name)
            ran += 1
        return ran

    def run(self) -> None:
        """Run rounds of ``run_once`` until ``stop`` is called; returns then.

        Between rounds it waits SKRANKE_WORKER_POLL_SECONDS, or less when a job is enqueued in
        this process. A round that fails (the database restarting, say) is logged and the next
        round tries again. The thread's database connections are closed on the way out.
        """
        add_wake_event(self._wake)
        logger.info("Worker %s started; looking for jobs every %s s", self.name, self.poll_seconds)
        try:
            while not self.stopping:
                # Cleared before the round, so a job enqueued during the round wakes the next.
                self._wake.clear()
                # As Django does around each request: drop connections that broke or aged.
                close_old_connections()
                try:
                    self.run_once()
                except Exception:
                    logger.exception("Worker %s: this round failed; trying again", self.name)
                finally:
                    close_old_connections()
                self._wake.wait(self.poll_seconds)
        finally:
            discard_wake_event(self._wake)
            connections.close_all()
            logger.info("Worker %s stopped", self.name)


def start_worker_thread(poll_seconds: float | None = None) -> Callable[[], None]:
    """Start a Worker in a background thread of this process; return a function that stops it.

    Meant for small sites (`skranke serve --with-worker`, `skranke demo`). The returned
    ``stop()`` asks the worker to finish its current job and waits for the thread up to
    STOP_TIMEOUT_SECONDS; calling it again does nothing. The thread is a daemon, so a hung job
    never keeps the process from exiting (the job is re-queued later as stale).
    """
    worker = Worker(poll_seconds=poll_seconds)
    thread = threading.Thread(target=worker.run, name="skranke-worker", daemon=True)
    thread.start()

    def stop() -> None:
        worker.stop()
        thread.join(STOP_TIMEOUT_SECONDS)
        if thread.is_alive():
            logger.warning("Worker %s did not stop within %s s", worker.name, STOP_TIMEOUT_SECONDS)

    return stop
