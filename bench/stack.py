"""The stack under test: a fresh PostgreSQL database, its seed, and `skranke serve` workers."""

from __future__ import annotations

import json
import os
import platform
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "var" / "bench"
SKRANKE = Path(sys.executable).parent / "skranke"


class CouldNotMeasure(RuntimeError):
    """The stack could not be set up or did not answer: `make bench` fails (exit 1)."""


def open_file_limit() -> int:
    """Raise this process's open-file limit to the hard limit (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        wanted = 1 << 20 if hard == resource.RLIM_INFINITY else hard
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        soft = wanted
    return soft


def server_environment(database_url: str) -> dict[str, str]:
    """The production settings, with the abuse limits lifted as the README documents."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "skranke.settings",
        "SKRANKE_DATABASE_URL": database_url,
        "SKRANKE_DATA_DIR": str(DATA_DIR),
        "SKRANKE_SECRET_KEY": "bench-" + "x" * 40,
        "SKRANKE_DEBUG": "0",
        "SKRANKE_RATE_LIMITS": "off",
        "SKRANKE_LOGIN_LOCKOUT": "0",
        "SKRANKE_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }


def recreate_database(database_url: str) -> None:
    """Drop and create the database named in ``database_url`` (through the `postgres` one)."""
    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if not name.replace("_", "").isalnum():
        raise CouldNotMeasure(f"Use a plain database name for the benchmark, not {name!r}.")
    admin_url = urlunsplit(parts._replace(path="/postgres", scheme="postgresql"))
    try:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as error:
        raise CouldNotMeasure(f"PostgreSQL at {parts.hostname}: {error}") from error


def run_checked(arguments: list[str], environment: dict[str, str], what: str) -> str:
    """Run a command to its end and return its output; CouldNotMeasure when it fails."""
    done = subprocess.run(
        arguments, env=environment, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise CouldNotMeasure(f"{what} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def prepare(database_url: str, waiting: int, deep: int) -> dict[str, Any]:
    """Create, migrate and seed a fresh database; returns the seed (counters, tokens …)."""
    recreate_database(database_url)
    environment = server_environment(database_url)
    run_checked([str(SKRANKE), "migrate", "--verbosity", "0"], environment, "skranke migrate")
    run_checked(
        [str(SKRANKE), "collectstatic", "--noinput", "--verbosity", "0"],
        environment,
        "skranke collectstatic",
    )
    seeded = run_checked(
        [sys.executable, "-m", "bench.seed", str(waiting), str(deep)], environment, "seeding"
    )
    return dict(json.loads(seeded))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    workers: int

    def worker_pids(self) -> list[int]:
        import psutil  # type: ignore[import-untyped]

        return [child.pid for child in psutil.Process(self.process.pid).children(recursive=True)]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(database_url: str, workers: int, wrapper: list[str] | None = None) -> Server:
    """Start `skranke serve` with ``workers`` processes and wait until it answers."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [
        str(SKRANKE),
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-collectstatic",
        "--no-access-log",
    ]
    log = open(DATA_DIR / "server.log", "ab")  # noqa: SIM115 - lives as long as the server
    process = subprocess.Popen(
        [*(wrapper or []), *command],
        env=server_environment(database_url),
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = Server(process, base_url, workers)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CouldNotMeasure(f"skranke serve exited; see {DATA_DIR / 'server.log'}")
        try:
            with urllib.request.urlopen(base_url + "/api/v1/health", timeout=2) as response:
                if response.status == 200:
                    _warm_up(base_url, workers)
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    server.stop()
    raise CouldNotMeasure(f"skranke serve did not answer within a minute on {base_url}")


def _warm_up(base_url: str, workers: int) -> None:
    """Let every worker import its code before anything is measured."""
    for _ in range(20 * workers):
        with urllib.request.urlopen(base_url + "/api/v1/health", timeout=5):
            pass


def machine() -> dict[str, Any]:
    """Cores, CPU model, load, git revision and versions, recorded in every figure."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    revision = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    import django

    return {
        "cores": os.cpu_count(),
        "cpu_model": model,
        "load_average": [round(value, 2) for value in os.getloadavg()],
        "git_revision": revision + ("-dirty" if dirty else ""),
        "python": platform.python_version(),
        "django": django.get_version(),
    }
