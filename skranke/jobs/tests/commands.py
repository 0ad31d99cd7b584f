"""Run `python -m skranke …` as a separate process, as an operator or cron would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from django.db import connection

from skranke.testing.server import database_url

PROJECT = Path(__file__).resolve().parents[3]
# Importing Django and running a round takes a few seconds; a hang still ends the test.
COMMAND_TIMEOUT_SECONDS = 120


def skranke_environment(tmp_path: Path, **variables: str) -> dict[str, str]:
    """Return this environment without SKRANKE_*/DJANGO_* variables, plus ``variables``."""
    environ = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SKRANKE_", "DJANGO_"))
    }
    environ["SKRANKE_DATA_DIR"] = str(tmp_path / "data")
    environ["SKRANKE_SECRET_KEY"] = "test-secret-key-that-is-long-enough-for-django-checks"
    environ["PYTHONUNBUFFERED"] = "1"
    environ.update(variables)
    return environ


def committed_database_url() -> str:
    """Return the URL of the test database (rows must be committed: use transactional_db)."""
    return database_url(connection.settings_dict)


def run_skranke(
    tmp_path: Path, *arguments: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m skranke ARGUMENTS` to the end and return its result."""
    return subprocess.run(
        [sys.executable, "-m", "skranke", *arguments],
        cwd=PROJECT,
        env=skranke_environment(tmp_path, **(env or {})),
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
        check=False,
    )
