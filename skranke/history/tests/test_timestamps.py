"""Timestamps in imported files: the spellings read, and the night the clocks go back, when a
local time happens twice and the order of the rows decides which."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from skranke.history.errors import BadValue
from skranke.history.tests.files import (
    facts_of,
    frontdesk_file,
    frontdesk_row,
    import_frontdesk,
    make_location,
)
from skranke.history.timestamps import TimestampReader

COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def _utc(day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(2025, 10, day, hour, minute, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2025-10-20T09:15:00", _utc(20, 7, 15)),
        ("2025-10-20 09:15", _utc(20, 7, 15)),
        ("2025-10-20T09:15:00.250000", _utc(20, 7, 15) + dt.timedelta(milliseconds=250)),
        ("20-10-2025 09:15", _utc(20, 7, 15)),
        ("20-10-2025 09:15:00", _utc(20, 7, 15)),
        ("5-1-2025 9:05", dt.datetime(2025, 1, 5, 8, 5, tzinfo=dt.UTC)),
        ("2025-10-20T07:15:00Z", _utc(20, 7, 15)),
        ("2025-10-20T08:15:00+01:00", _utc(20, 7, 15)),
        ("20-10-2025 08:15 +0100", _utc(20, 7, 15)),
        ("  2025-10-20 09:15  ", _utc(20, 7, 15)),
    ],
)
def test_the_spellings_a_file_may_use(text: str, instant: dt.datetime) -> None:
    stamp = TimestampReader(COPENHAGEN).read(text, "CreatedAt", None)
    assert stamp.instant == instant
    assert stamp.local == instant.astimezone(COPENHAGEN).replace(tzinfo=None)


@pytest.mark.parametrize(
    "text", ["2025-10-20", "20/10/2025 09:15", "31-02-2025 09:00", "09:15", "", "i går"]
)
def test_what_is_not_a_timestamp(text: str) -> None:
    with translation.override("en"), pytest.raises(BadValue, match="is not a time"):
        TimestampReader(COPENHAGEN).read(text, "CreatedAt", None)


def test_a_local_time_in_the_spring_gap_never_happened() -> None:
    reader = TimestampReader(COPENHAGEN)
    with translation.override("en"), pytest.raises(BadValue, match="never happened"):
        reader.read("30-03-2025 02:30", "CreatedAt", None)
    # Either side of the gap, and the gap's time with its offset, are fine.
    assert reader.read("30-03-2025 01:59", "CreatedAt", None).instant.hour == 0
    assert reader.read("30-03-2025 03:00", "CreatedAt", None).instant.hour == 1
    assert reader.read("2025-03-30T02:30:00+01:00", "CreatedAt", None).instant.hour == 1


@pytest.mark.django_db
def test_the_autumn_night_is_resolved_by_the_order_of_the_rows(tmp_path: Path) -> None:
    """On 26 October 2025 Copenhagen clocks showed 02:00-02:59 twice: first in summer time
    (00:xx UTC), then, after going back at 03:00, in standard time (01:xx UTC)."""
    location = make_location()
    night = "26-10-2025"
    rows = [
        # Before the doubtful hour, called and ended in it: the first 02:05 and 02:50.
        frontdesk_row("1", f"{night} 01:50", f"{night} 02:05", f"{night} 02:50"),
        frontdesk_row("2", f"{night} 02:10", f"{night} 02:20", f"{night} 02:25"),
        frontdesk_row("3", f"{night} 02:40"),
        # Earlier than the 02:40 before it: the clocks have gone back.
        frontdesk_row("4", f"{night} 02:05", f"{night} 02:15"),
        frontdesk_row("5", f"{night} 02:30"),
        # With its offset, nothing is doubtful.
        frontdesk_row("6", "2025-10-26T02:45:00+01:00"),
        frontdesk_row("7", f"{night} 03:10"),
    ]

    summary = import_frontdesk(frontdesk_file(tmp_path, rows), location)

    one, two, three, four, five, six, seven = facts_of(location)
    assert one.issued_at == _utc(25, 23, 50) and one.first_called_at == _utc(26, 0, 5)
    assert one.wait_seconds == 15 * 60 and one.ended_at == _utc(26, 0, 50)
    assert (two.issued_at, two.first_called_at) == (_utc(26, 0, 10), _utc(26, 0, 20))
    assert two.service_seconds == 5 * 60
    assert three.issued_at == _utc(26, 0, 40)
    assert (four.issued_at, four.first_called_at) == (_utc(26, 1, 5), _utc(26, 1, 15))
    assert four.wait_seconds == 10 * 60
    assert five.issued_at == _utc(26, 1, 30)
    assert six.issued_at == _utc(26, 1, 45)
    assert seven.issued_at == _utc(26, 2, 10)
    # Hours are local: the second 02:05 is in hour 2 as much as the first.
    assert [fact.issue_hour for fact in (one, two, three, four, five, six, seven)] == [
        1,
        2,
        2,
        2,
        2,
        2,
        3,
    ]
    assert {fact.issue_date for fact in (two, four, seven)} == {dt.date(2025, 10, 26)}
    assert one.issue_date == dt.date(2025, 10, 26)

    # Row 1: two times; row 2: three; rows 3 and 5: one; row 4: two, both the second.
    assert (summary.ambiguous_times, summary.second_occurrences) == (9, 3)
    with translation.override("en"):
        assert summary.lines()[-1] == (
            "Local times on the night the clocks went back, which happened twice, decided by "
            "the order of the rows: 9 (3 of them taken as the second time)."
        )
