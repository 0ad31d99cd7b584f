"""The API tests' clock: a fixed working day, so "earlier today" never crosses midnight."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine

# A Tuesday at half past ten in Copenhagen; the clock runs on from there.
WORKING_DAY = dt.datetime(2026, 11, 10, 10, 30, tzinfo=ZoneInfo("Europe/Copenhagen"))


@pytest.fixture(autouse=True)
def _working_day_clock() -> Iterator[None]:
    with time_machine.travel(WORKING_DAY, tick=True):
        yield
