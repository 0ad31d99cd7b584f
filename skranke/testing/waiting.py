"""Waiting in a test for something another process or thread does, for a bounded time."""

from __future__ import annotations

import time
from collections.abc import Callable

# How often to look again: a short pause between looks (at a database, a file, a server), not a
# wait for something to happen.
LOOK_AGAIN_SECONDS = 0.02


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Return once ``condition()`` is true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:g} s")
        time.sleep(LOOK_AGAIN_SECONDS)
