"""The real ASGI server, `skranke serve`, as a subprocess for tests.

Browser tests and multi-process tests talk to the same server a municipality runs: uvicorn in
its own process, started through the console entry point (`python -m skranke serve`), reading
the test database the test process committed its rows to.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

# Collecting static files and importing Django takes a few seconds; 30 s leaves room for a
# loaded CI machine while still failing a hung start-up within one test's patience.
STARTUP_TIMEOUT_SECONDS = 30.0
# `skranke serve` gives open requests 5 s to finish on SIGTERM; wait a little longer than that
# before killing.
STOP_TIMEOUT_SECONDS = 10.0
# A free port found by binding port 0 can be taken by someone else before uvicorn binds it;
# a start-up that fails for that reason is retried on another port this many times in all.
PORT_ATTEMPTS = 3

# uvicorn logs this once it listens (the parent logs it when it binds the shared socket of a
# multi-worker server). "Application startup complete" would need lifespan="on", which
# `skranke serve` turns off, so it never appears.
_LISTENING = "Uvicorn running on"
# Each worker process logs this after it imported the application.
_WORKER_STARTED = "Started server process"
_ADDRESS_IN_USE = "address already in use"


def log_leaks(output: str, secrets: Iterable[str]) -> list[str]:
    """Return the lines of a server's ``output`` that a log must not hold.

    That is a line holding one of ``secrets`` (ticket and pairing tokens, phone numbers as
    typed), a secret link not masked (skranke.core.secret_paths), or a CPR number.
    """
    from skranke.core.secret_paths import secret_path_prefixes
    from skranke.lib.cpr import find_cpr_numbers
    from skranke.lib.logmask import PathSecretMasker

    masker = PathSecretMasker(secret_path_prefixes() or [])
    wanted = [secret for secret in secrets if secret]
    return [
        line
        for line in output.splitlines()
        if any(secret in line for secret in wanted)
        or masker.mask(line) != line
        or find_cpr_numbers(line)
    ]


class ServerDidNotStart(RuntimeError):
    """`skranke serve` exited or stayed silent during start-up; the message has its output."""


def database_url(settings_dict: Mapping[str, Any]) -> str:
    """Return the SKRANKE_DATABASE_URL of a Django connection's settings (the test database).

    Raises ValueError for an in-memory SQLite database, which no second process can open, and
    for engines Skranke does not support.
    """
    engine = str(settings_dict["ENGINE"])
    name = str(settings_dict["NAME"])
    if engine.endswith("sqlite3"):
        if name == ":memory:" or "mode=memory" in name or name.startswith("file:"):
            raise ValueError(
                f"the test database {name!r} is in memory, so the server process cannot read "
                "it; Skranke's tests use a file database (settings.py, TEST NAME)"
            )
        # An absolute path after sqlite:/// gives the four slashes dj-database-url expects.
        return f"sqlite:///{Path(name).resolve()}"
    if engine.endswith("postgresql"):
        credentials = quote(str(settings_dict.get("USER") or ""), safe="")
        if settings_dict.get("PASSWORD"):
            credentials += ":" + quote(str(settings_dict["PASSWORD"]), safe="")
        host = quote(str(settings_dict.get("HOST") or ""), safe="")
        port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
        at = "@" if credentials else ""
        return f"postgres://{credentials}{at}{host}{port}/{quote(name, safe='')}"
    raise ValueError(f"no SKRANKE_DATABASE_URL form for the database engine {engine!r}")


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RunningServer:
    """One `skranke serve` process; its output is read continuously into `output`.

    Reading the pipe all the time matters: a server whose output nobody reads blocks once the
    pipe's buffer is full.
    """

    def __init__(
        self, process: subprocess.Popen[str], command: list[str], port: int, workers: int
    ) -> None:
        self.process = process
        self.command = command
        self.port = port
        self.workers = workers
        self.url = f"http://127.0.0.1:{port}"
        self._lines: list[str] = []
        self._output_ended = False
        self._changed = threading.Condition()
        self._reader = threading.Thread(
            target=self._read_output, name=f"skranke-serve-{port}", daemon=True
        )
        self._reader.start()

    def __repr__(self) -> str:
        return f"<RunningServer {self.url} pid={self.process.pid}>"

    @property
    def output(self) -> str:
        """Everything the server wrote to stdout and stderr so far."""
        with self._changed:
            return "\n".join(self._lines)

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def _read_output(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self._lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._output_ended = True
            self._changed.notify_all()

    def _ready(self) -> bool:
        started_workers = sum(_WORKER_STARTED in line for line in self._lines)
        listening = any(_LISTENING in line for line in self._lines)
        return listening and started_workers >= self.workers

    def wait_until_ready(self, timeout: float = STARTUP_TIMEOUT_SECONDS) -> None:
        """Return once uvicorn listens and every worker has loaded the application.

        Raises ServerDidNotStart, with the server's output, when the process exits first or
        `timeout` seconds pass.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while not self._ready():
                remaining = deadline - time.monotonic()
                if self._output_ended or remaining <= 0:
                    break
                self._changed.wait(remaining)
            if self._ready():
                return
        if self._output_ended:
            self.process.wait(STOP_TIMEOUT_SECONDS)
            problem = f"exited with status {self.process.returncode} during start-up"
        else:
            problem = f"did not start within {timeout:g} s"
            self.stop()
        raise ServerDidNotStart(f"`{' '.join(self.command)}` {problem}. Its output:\n{self.output}")

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> int:
        """Stop the server as a service manager would (SIGTERM, then SIGKILL); return its status.

        SIGTERM lets uvicorn finish open requests and end its worker processes itself.
        """
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._kill_process_group()
                self.process.wait(timeout)
        self._reader.join(timeout)
        return self.process.returncode

    def kill(self) -> int:
        """Kill the server and its workers at once (SIGKILL), as a crash would; return status."""
        if self.process.poll() is None:
            self._kill_process_group()
            self.process.wait(STOP_TIMEOUT_SECONDS)
        self._reader.join(STOP_TIMEOUT_SECONDS)
        return self.process.returncode

    def _kill_process_group(self) -> None:
        # The server leads a session of its own (start_new_session), so its group holds exactly
        # the server and the workers it forked; killing the group leaves no worker orphaned.
        # Only called while the server still runs, so the group id is still the server's.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


def start_server(
    database_url: str,
    *,
    port: int | None = None,
    workers: int = 1,
    collectstatic: bool = True,
    access_log: bool = True,
    extra_env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = STARTUP_TIMEOUT_SECONDS,
) -> RunningServer:
    """Start `python -m skranke serve` on 127.0.0.1 and return it once it serves.

    The server gets this process's environment (so the same SKRANKE_DATA_DIR and
    SKRANKE_SECRET_KEY) with SKRANKE_DATABASE_URL set to `database_url`, plus `extra_env`.
    Without `port` a free one is chosen. The access log is on, as in production, so a test can
    read in `output` what a municipality's log would hold. Raises ServerDidNotStart with the
    server's output.
    """
    environment = dict(os.environ)
    # Browser tests allow Django's async-unsafe calls in the *test* process (see fixtures.py);
    # the server must never inherit that, or it would hide real sync-in-async bugs.
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    environment["SKRANKE_DATABASE_URL"] = database_url
    # Log lines arrive as they are written, so readiness and failures are seen at once.
    environment["PYTHONUNBUFFERED"] = "1"
    environment.update(extra_env or {})

    attempts = 1 if port is not None else PORT_ATTEMPTS
    for attempt in range(1, attempts + 1):
        chosen_port = port if port is not None else free_port()
        command = [
            sys.executable,
            "-m",
            "skranke",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(chosen_port),
            "--workers",
            str(workers),
        ]
        if not access_log:
            command.append("--no-access-log")
        if not collectstatic:
            command.append("--no-collectstatic")
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        server = RunningServer(process, command, chosen_port, workers)
        try:
            server.wait_until_ready(timeout)
        except ServerDidNotStart:
            if attempt < attempts and _ADDRESS_IN_USE in server.output.lower():
                continue
            raise
        return server
    raise AssertionError("unreachable: the last attempt returns or raises")
