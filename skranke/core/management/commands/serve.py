"""`skranke serve`: the production ASGI server (uvicorn)."""

from __future__ import annotations

import signal
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from skranke.lib.logmask import with_masked_handlers

# Seconds a restart waits for open requests and live streams before closing them.
GRACEFUL_SHUTDOWN_SECONDS = 5


def uses_sqlite() -> bool:
    return bool(settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"))


def uvicorn_log_config() -> dict[str, Any]:
    """Return uvicorn's own logging configuration with every handler masking secrets.

    Its access log writes each request's path and query, which hold the tokens of pairing and
    ticket links; its error log may write them in a traceback. Each worker process applies this
    configuration itself (uvicorn passes it on), before it imports the application.
    """
    from uvicorn.config import LOGGING_CONFIG

    return with_masked_handlers(LOGGING_CONFIG, settings.LOG_MASK_PATH_PREFIXES)


def run_server(
    host: str, port: int, workers: int, access_log: bool = True, with_worker: bool = False
) -> None:
    """Serve Skranke with uvicorn until interrupted; refuses several workers on SQLite.

    ``with_worker`` also runs the background worker (skranke.jobs) in a thread of this process
    for as long as the server runs, so a small site needs no `skranke worker` beside it.
    """
    import uvicorn

    from skranke.jobs.worker import start_worker_thread

    if workers > 1 and uses_sqlite():
        raise CommandError(
            "SQLite serves one process only; use --workers 1, or PostgreSQL "
            "(SKRANKE_DATABASE_URL) for more workers."
        )
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "workers": workers,
        "lifespan": "off",
        "proxy_headers": True,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
        "access_log": access_log,
        "log_config": uvicorn_log_config(),
    }
    if not with_worker:
        uvicorn.run("skranke.asgi:application", **options)
        return
    # The thread lives in this (the supervising) process; uvicorn's own workers are started
    # fresh (spawned), so with --workers N there is still one background worker, not N.
    stop_worker = start_worker_thread()
    # After a graceful shutdown uvicorn restores the SIGTERM handler it found and raises the
    # signal again, which by default ends the process at once, in the middle of the worker's
    # job. This handler takes that signal so the worker finishes first; then it is raised again.
    terminated: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda number, frame: terminated.append(number))
    try:
        uvicorn.run("skranke.asgi:application", **options)
    finally:
        stop_worker()
        signal.signal(signal.SIGTERM, previous)
    if terminated:
        signal.raise_signal(signal.SIGTERM)


class Command(BaseCommand):
    help = "Serve Skranke over ASGI with uvicorn (the production server)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on.")
        parser.add_argument(
            "--workers", type=int, default=1, help="Server processes (PostgreSQL only if > 1)."
        )
        parser.add_argument(
            "--no-collectstatic",
            action="store_true",
            help="Skip collecting static files (they were collected at deployment).",
        )
        parser.add_argument("--no-access-log", action="store_true", help="Log no request lines.")
        parser.add_argument(
            "--with-worker",
            action="store_true",
            help="Also run the background worker (messages, reminders, purges) in this process.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["workers"] < 1:
            raise CommandError("--workers must be at least 1.")
        if not 0 < options["port"] < 65536:
            raise CommandError("--port must be between 1 and 65535.")
        if options["workers"] > 1 and uses_sqlite():
            raise CommandError(
                "SQLite serves one process only; use --workers 1, or PostgreSQL "
                "(SKRANKE_DATABASE_URL) for more workers."
            )
        if not options["no_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        run_server(
            options["host"],
            options["port"],
            options["workers"],
            access_log=not options["no_access_log"],
            with_worker=options["with_worker"],
        )
