"""Fixtures for the jobs tests: handlers registered for one test, and an empty periodic list.

The apps' real periodic jobs (purging messages, deleting finished jobs) would otherwise be
enqueued by every worker round and blur what a test counts; tests of periodic jobs register
their own.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from skranke.jobs.registry import Handler, JobFunction, registry

RegisterHandler = Callable[..., None]


@pytest.fixture(autouse=True)
def no_periodic_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "periodic_jobs", {})


@pytest.fixture
def register_handler(monkeypatch: pytest.MonkeyPatch) -> RegisterHandler:
    """Return register(kind, function, atomic=True, max_attempts=None), undone after the test."""

    def register(
        kind: str, function: JobFunction, atomic: bool = True, max_attempts: int | None = None
    ) -> None:
        monkeypatch.setitem(registry.handlers, kind, Handler(kind, function, atomic, max_attempts))

    return register
