"""Which function runs each kind of job, and which jobs run periodically.

Apps register their handlers in a module called ``jobs.py`` (e.g. skranke/messaging/jobs.py),
which the jobs app imports at start-up, like Django's admin imports ``admin.py``::

    @job_handler("messaging.send", atomic=False)
    def send(payload: dict[str, Any]) -> None: ...

    @periodic_job("messaging.purge_personal_data", every=dt.timedelta(hours=1))
    def purge(payload: dict[str, Any]) -> None: ...
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured

JobFunction = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Handler:
    """A registered job function.

    ``atomic`` handlers run inside one transaction together with marking their job done, so
    their database changes happen exactly once even when a worker dies. A handler that talks
    to the outside world and must commit progress first (sending a message) is not atomic and
    makes its own retries safe.
    """

    kind: str
    function: JobFunction
    atomic: bool = True
    max_attempts: int | None = None


@dataclass(frozen=True)
class PeriodicJob:
    """A job kind that the worker enqueues every ``interval``, with an empty payload."""

    name: str
    interval: dt.timedelta


def _origin(function: JobFunction) -> str:
    return f"{function.__module__}.{function.__qualname__}"


class Registry:
    """Handlers by kind and periodic jobs by name; the module-level ``registry`` is the one used."""

    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}
        self.periodic_jobs: dict[str, PeriodicJob] = {}

    def add_handler(self, handler: Handler) -> None:
        """Register ``handler`` for its kind.

        Raises ImproperlyConfigured when another function already handles that kind, which
        would otherwise make one of them silently unreachable.
        """
        existing = self.handlers.get(handler.kind)
        # Importing the same module twice (e.g. under two names) registers the same function.
        if existing is not None and _origin(existing.function) != _origin(handler.function):
            raise ImproperlyConfigured(
                f"Two handlers for the job kind {handler.kind!r}: "
                f"{_origin(existing.function)} and {_origin(handler.function)}"
            )
        self.handlers[handler.kind] = handler

    def add_periodic_job(self, periodic: PeriodicJob) -> None:
        """Register a periodic job; raises ImproperlyConfigured for an interval below a second."""
        if periodic.interval < dt.timedelta(seconds=1):
            raise ImproperlyConfigured(f"The periodic job {periodic.name!r} needs an interval")
        self.periodic_jobs[periodic.name] = periodic

    def handler_for(self, kind: str) -> Handler | None:
        """Return the handler registered for ``kind``, or None."""
        return self.handlers.get(kind)


registry = Registry()


def job_handler(
    kind: str, *, atomic: bool = True, max_attempts: int | None = None
) -> Callable[[JobFunction], JobFunction]:
    """Return a decorator registering a function ``f(payload) -> None`` for jobs of ``kind``.

    The function returns normally when the job is done and raises to have it retried (see
    skranke.jobs.services.PermanentJobError for a failure that should not be retried).
    ``max_attempts`` overrides the SKRANKE_JOB_MAX_ATTEMPTS setting for this kind.
    """

    def register(function: JobFunction) -> JobFunction:
        registry.add_handler(Handler(kind, function, atomic, max_attempts))
        return function

    return register


def periodic_job(
    name: str, *, every: dt.timedelta, atomic: bool = True
) -> Callable[[JobFunction], JobFunction]:
    """Return a decorator registering ``f(payload) -> None`` to run every ``every``.

    The function becomes the handler of the job kind ``name``; each time the schedule comes
    round exactly one worker enqueues one such job, which then retries like any other.
    """

    def register(function: JobFunction) -> JobFunction:
        registry.add_handler(Handler(name, function, atomic))
        registry.add_periodic_job(PeriodicJob(name, every))
        return function

    return register
