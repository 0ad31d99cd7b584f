"""`skranke worker`: run background jobs (messages, reminders, purges, roll-ups)."""

from __future__ import annotations

import signal
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection

from skranke.jobs.models import WORKER_NAME_LENGTH, Job
from skranke.jobs.worker import Worker

MAX_POLL_SECONDS = 300


class Command(BaseCommand):
    help = (
        "Run queued and periodic background jobs until stopped (SIGTERM or Ctrl+C finish the "
        "current job first), or with --once run what is due and exit."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="Run the jobs that are due now, then exit."
        )
        parser.add_argument(
            "--poll-seconds",
            type=int,
            default=None,
            help="Seconds between looks for due jobs (default: SKRANKE_WORKER_POLL_SECONDS).",
        )
        parser.add_argument(
            "--name", default="", help="Name shown on the jobs it claims (default: host:pid)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        poll_seconds = options["poll_seconds"]
        if poll_seconds is not None and not 1 <= poll_seconds <= MAX_POLL_SECONDS:
            raise CommandError(f"--poll-seconds must be between 1 and {MAX_POLL_SECONDS}.")
        name = options["name"].strip()
        if len(name) > WORKER_NAME_LENGTH:
            raise CommandError(f"--name is too long; use at most {WORKER_NAME_LENGTH} characters.")
        try:
            migrated = Job._meta.db_table in connection.introspection.table_names()
        except DatabaseError as error:
            raise CommandError(f"Cannot reach the database: {error}") from None
        if not migrated:
            raise CommandError("The database has no job table yet; run `skranke migrate` first.")

        worker = Worker(name=name or None, poll_seconds=poll_seconds)
        if options["once"]:
            try:
                ran = worker.run_once()
            except DatabaseError as error:
                raise CommandError(f"Database error: {error}") from None
            self.stdout.write(f"Ran {ran} job(s).")
            return
        self._run_until_signalled(worker)

    def _run_until_signalled(self, worker: Worker) -> None:
        """Run ``worker`` until SIGTERM or SIGINT; a second signal acts as if none was caught."""
        previous: dict[int, Any] = {}

        def stop(signum: int, frame: FrameType | None) -> None:
            self.stderr.write("Stopping after the current job (signal again to stop at once).")
            worker.stop()
            signal.signal(signum, previous[signum])

        for signal_number in (signal.SIGTERM, signal.SIGINT):
            previous[signal_number] = signal.signal(signal_number, stop)
        try:
            worker.run()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
