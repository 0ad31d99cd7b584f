"""Counting the rate limits: a burst of parallel requests against a limit of L lets exactly L
through (DESIGN.md, Targets), in the database and in Redis; ended windows are deleted.

In each burst twenty anonymous API requests from one address are released together by a
barrier, each in its own thread on its own database connection, against a limit of five a
minute, in three windows one after the other. The database variant runs on SQLite, and on
PostgreSQL when SKRANKE_TEST_DATABASE_URL is set; the Redis variant uses the machine's Redis.

Without the fix (counting with Django's database cache, whose incr reads and then writes) the
database variant failed in every one of three runs on each database: of the 20 requests of a
burst, 5 to 15 got through on SQLite and 10 to 20 on PostgreSQL (a first window sometimes let
exactly 5 through on SQLite, hence three windows). The Redis variant passed before too (INCR
was atomic already); with Redis counted by get and set instead it let 5 to 20 through and failed
every run.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections import Counter as Tally
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from django.db import connection
from django.test import Client

from skranke.access import ratelimit
from skranke.access.jobs import DELETE_ENDED_RATE_LIMIT_WINDOWS
from skranke.access.models import RateLimitWindow
from skranke.jobs.registry import registry
from skranke.lib.env import env_bool

API = "/api/v1/locations"
LIMIT = 5
REQUESTS = 20
WINDOWS = 3
# Ten seconds into a minute window, which therefore ends at …060.
START = 1_800_000_010.0
# The machine's Redis, as in CI; a database number of its own and a key prefix per test keep
# side-by-side runs apart.
REDIS_URL = "redis://127.0.0.1:6379/13"
# Generous: a loaded machine may take long to start the threads; a hang still ends the test.
JOIN_TIMEOUT_SECONDS = 300.0


class StoppedClock:
    """A seconds clock that stands still until moved on."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> StoppedClock:
    stopped = StoppedClock(START)
    monkeypatch.setattr(ratelimit, "clock", stopped)
    return stopped


@pytest.fixture
def limits(settings: Any, clock: StoppedClock) -> Any:
    """Limits on, five requests a minute, counted as the default settings count them."""
    settings.SKRANKE_RATE_LIMITS_ENABLED = True
    settings.SKRANKE_RATE_LIMIT_ANONYMOUS = f"{LIMIT}/min"
    settings.SKRANKE_TRUSTED_PROXIES = []
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "skranke_cache",
        }
    }
    return settings


@pytest.fixture
def redis_cache(limits: Any) -> Iterator[None]:
    """Count in the machine's Redis (127.0.0.1:6379), as SKRANKE_CACHE_URL=redis://… does.

    Without a Redis there the test is skipped, except where one is required (CI=1 or
    SKRANKE_REQUIRE_REDIS=1): there it fails.
    """
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        reason = f"needs Redis on 127.0.0.1:6379 ({error})"
        if env_bool("CI", False) or env_bool("SKRANKE_REQUIRE_REDIS", False):
            pytest.fail(f"{reason}; CI=1 or SKRANKE_REQUIRE_REDIS=1 requires it", pytrace=False)
        pytest.skip(reason)
    limits.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"test-{secrets.token_hex(8)}",
        }
    }
    yield


def burst(requests: int, send: Callable[[], int]) -> list[int]:
    """Call send() in ``requests`` threads released together by a barrier; return the answers.

    Each thread closes its database connection at the end. Raises the first exception a thread
    raised (not the broken barrier it left behind).
    """
    barrier = threading.Barrier(requests)
    answers: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=JOIN_TIMEOUT_SECONDS)
            answers.append(send())
        except BaseException as error:
            errors.append(error)
            barrier.abort()
        finally:
            connection.close()

    # The test's own connection back to the pool, so that every thread can hold one at once.
    connection.close()
    threads = [threading.Thread(target=run) for _ in range(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    real = [error for error in errors if not isinstance(error, threading.BrokenBarrierError)]
    if real or errors:
        raise (real or errors)[0]
    return answers


def anonymous_api_request() -> int:
    return Client().get(API, REMOTE_ADDR="192.0.2.1").status_code


def bursts_in_successive_windows(clock: StoppedClock) -> list[Tally[int]]:
    """Return the answers to a burst in each of WINDOWS minute windows, one after the other."""
    tallies = []
    for _window in range(WINDOWS):
        tallies.append(Tally(burst(REQUESTS, anonymous_api_request)))
        clock.now += 60
    return tallies


EXACTLY_THE_LIMIT = [Tally({200: LIMIT, 429: REQUESTS - LIMIT})] * WINDOWS


@pytest.mark.django_db(transaction=True)
def test_a_burst_counted_in_the_database_lets_exactly_the_limit_through(
    limits: Any, clock: StoppedClock
) -> None:
    assert bursts_in_successive_windows(clock) == EXACTLY_THE_LIMIT

    # One row per window; the refused requests left its count at the limit.
    rows = RateLimitWindow.objects.order_by("ends_at").values_list("key", "ends_at", "requests")
    first_end = dt.datetime.fromtimestamp(START + 50, tz=dt.UTC)
    assert list(rows) == [
        ("anonymous:5/60:address:192.0.2.1", first_end + dt.timedelta(minutes=window), LIMIT)
        for window in range(WINDOWS)
    ]


@pytest.mark.django_db(transaction=True)
def test_a_burst_counted_in_redis_lets_exactly_the_limit_through(
    redis_cache: None, clock: StoppedClock
) -> None:
    assert bursts_in_successive_windows(clock) == EXACTLY_THE_LIMIT
    assert not RateLimitWindow.objects.exists()


# Ended windows -------------------------------------------------------------------------------
def window(key: str, ends_at: float) -> RateLimitWindow:
    return RateLimitWindow.objects.create(
        key=key, ends_at=dt.datetime.fromtimestamp(ends_at, tz=dt.UTC), requests=1
    )


def test_the_worker_deletes_the_windows_that_have_ended(db: None, clock: StoppedClock) -> None:
    ended = window("anonymous:5/60:address:192.0.2.1", START - 10)
    ending_now = window("anonymous:5/60:address:192.0.2.2", START)
    current = window("anonymous:5/60:address:192.0.2.3", START + 50)
    current_day = window("anonymous:1000/86400:address:192.0.2.1", START + 3600)

    registry.handlers[DELETE_ENDED_RATE_LIMIT_WINDOWS].function({})

    remaining = set(RateLimitWindow.objects.values_list("pk", flat=True))
    assert remaining == {current.pk, current_day.pk}
    assert {ended.pk, ending_now.pk}.isdisjoint(remaining)
    assert DELETE_ENDED_RATE_LIMIT_WINDOWS in registry.periodic_jobs
