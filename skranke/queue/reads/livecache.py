"""A second or two of memory, per server process, for what the public floor reads recompute.

Citizens' phones and the centre status are read far more often than the floor changes. Two
things are kept here, each under rules that keep what citizens see correct:

- a queue's measured service time (skranke.queue.reads.estimates), which is the mean of its last
  fifty served visits and moves slowly, for a couple of seconds;
- a centre's whole status (skranke.queue.reads.status), together with the id of the newest event it
  reflects, answered again only while that is still the newest event at the centre.

Nothing that decides a transition reads from here. Entries expire by time; a test starts with
none (the suite's conftest clears them).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable
from typing import Any

_entries: dict[Hashable, tuple[float, Any]] = {}
_lock = threading.Lock()


def get(key: Hashable) -> Any:
    """Return the value stored under ``key``, or None when there is none or it has expired."""
    entry = _entries.get(key)
    if entry is None or entry[0] < time.monotonic():
        return None
    return entry[1]


def put(key: Hashable, value: Any, seconds: float) -> None:
    """Keep ``value`` under ``key`` for ``seconds``."""
    now = time.monotonic()
    with _lock:
        _entries[key] = (now + seconds, value)
        # Drop what has expired now and then, so entries of deleted queues do not pile up.
        if len(_entries) > 1000:
            for stale in [old for old, (expires, _value) in _entries.items() if expires < now]:
                del _entries[stale]


def clear() -> None:
    """Forget everything."""
    with _lock:
        _entries.clear()
