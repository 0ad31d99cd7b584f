"""Run a function in several threads that start together at a barrier."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from django.db import connections

T = TypeVar("T")

# Generous: a loaded CI machine may take long to start threads; a hang still ends the test.
JOIN_TIMEOUT_SECONDS = 120.0


def race(racers: int, function: Callable[[int], T]) -> list[T]:
    """Call function(0) … function(racers - 1) in threads released together; return results.

    Each thread uses its own database connection and closes it at the end. Raises the first
    exception a racer raised.
    """
    barrier = threading.Barrier(racers)
    results: dict[int, T] = {}
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=JOIN_TIMEOUT_SECONDS)
            results[index] = function(index)
        except BaseException as error:
            errors.append(error)
            barrier.abort()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a racer hung"
    if errors:
        raise errors[0]
    return [results[index] for index in range(racers)]
