"""Test configuration shared by every test.

The suite runs on an SQLite file database by default and on PostgreSQL when
SKRANKE_TEST_DATABASE_URL is set (the same URL form as SKRANKE_DATABASE_URL; pytest-django
creates and drops a `test_…` database next to the one named). This module is imported before
Django's settings are read (pytest's ini names no settings module on purpose), so it can choose
the database and a data folder of its own.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

_ROOT = Path(__file__).resolve().parent
# A data folder per database kind, so a run on SQLite and one on PostgreSQL side by side do not
# collect static files into (or share a test database file in) the same place.
# SKRANKE_TEST_DATA_DIR chooses another, for runs side by side in one checkout.
_TEST_DATA = (
    Path(os.environ["SKRANKE_TEST_DATA_DIR"])
    if os.environ.get("SKRANKE_TEST_DATA_DIR")
    else (
        _ROOT
        / "var"
        / (
            "test-postgresql"
            if os.environ.get("SKRANKE_TEST_DATABASE_URL", "").startswith("postgres")
            else "test"
        )
    )
)

os.environ["SKRANKE_DATA_DIR"] = str(_TEST_DATA)
os.environ.setdefault("SKRANKE_SECRET_KEY", "test-secret-key-that-is-long-enough-for-django-checks")
# Abuse limits and the login lockout are lifted for the suite (the README says how); the tests
# of those features turn them on for themselves.
os.environ.setdefault("SKRANKE_RATE_LIMITS", "off")
os.environ.setdefault("SKRANKE_LOGIN_LOCKOUT", "0")
if os.environ.get("SKRANKE_TEST_DATABASE_URL"):
    os.environ["SKRANKE_DATABASE_URL"] = os.environ["SKRANKE_TEST_DATABASE_URL"]
else:
    os.environ.pop("SKRANKE_DATABASE_URL", None)
os.environ["DJANGO_SETTINGS_MODULE"] = "skranke.settings"

(_TEST_DATA / "static").mkdir(parents=True, exist_ok=True)

# Settings are read here, after the variables above; pytest-django sets Django up afterwards.
from django.conf import settings as _settings  # noqa: E402

_ = _settings.DATABASES


def uses_postgresql() -> bool:
    from django.conf import settings

    return bool(settings.DATABASES["default"]["ENGINE"].endswith("postgresql"))


def pytest_report_header() -> str:
    from django.conf import settings

    database = settings.DATABASES["default"]
    return f"skranke database: {database['ENGINE'].rsplit('.', 1)[-1]} {database['NAME']}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip PostgreSQL-only tests, with the reason printed, when no PostgreSQL is given."""
    if uses_postgresql():
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set SKRANKE_TEST_DATABASE_URL")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


class _SkipRecorder:
    """Writes each skipped or xfailed test with its reason to a file, one JSON object a line.

    CI reads the file with .ci/check_skips.py, which fails on a reason it does not allow, so a
    new skip cannot pass unnoticed among the expected ones.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")

    def _record(self, report: pytest.CollectReport | pytest.TestReport) -> None:
        if not report.skipped:
            return
        wasxfail = getattr(report, "wasxfail", None)
        if wasxfail is not None:
            kind, reason = "xfail", str(wasxfail)
        else:
            # A skip's longrepr is (path, line, "Skipped: <reason>").
            longrepr: Any = report.longrepr
            text = str(longrepr[2]) if isinstance(longrepr, tuple) else str(longrepr)
            kind, reason = "skip", text.removeprefix("Skipped: ")
        line = json.dumps({"test": report.nodeid, "kind": kind, "reason": reason})
        with self.path.open("a", encoding="utf-8") as skips:
            skips.write(line + "\n")

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        self._record(report)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._record(report)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--record-skips",
        metavar="PATH",
        help="write each skipped test and its reason to PATH, one JSON object a line (for CI)",
    )


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("--record-skips")
    if path:
        config.pluginmanager.register(_SkipRecorder(Path(path)), "skranke-skip-recorder")


@pytest.fixture(autouse=True)
def _plain_static_files(settings: pytest.FixtureRequest) -> None:
    # In-process tests render templates without collected static files; the real server
    # (browser tests) collects them and uses the hashed, compressed storage.
    settings.STORAGES = {  # type: ignore[attr-defined]
        **settings.STORAGES,  # type: ignore[attr-defined]
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_live_cache() -> None:
    # The floor state a server process reuses for a second or two (skranke.queue.reads.livecache)
    # must not reach from one test into the next: the databases reuse ids between tests.
    from skranke.queue.reads import livecache

    livecache.clear()
