"""Background jobs of access: deleting the rate-limit windows that have ended."""

from __future__ import annotations

import datetime as dt
from typing import Any

from skranke.access.ratelimit import delete_ended_windows
from skranke.jobs.registry import periodic_job

DELETE_ENDED_RATE_LIMIT_WINDOWS = "access.delete_ended_rate_limit_windows"


# Every few minutes, so the table holds little more than the current windows of active clients
# even under a flood from many addresses.
@periodic_job(DELETE_ENDED_RATE_LIMIT_WINDOWS, every=dt.timedelta(minutes=5))
def delete_ended_rate_limit_windows_job(payload: dict[str, Any]) -> None:
    delete_ended_windows()
