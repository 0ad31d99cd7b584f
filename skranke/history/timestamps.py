"""Timestamps in imported files, and the local times that daylight saving makes doubtful.

A cell holds ISO 8601 (``2025-03-12T09:15:00``, ``2025-03-12 09:15``) or the Danish
``dd-mm-yyyy HH:MM[:SS]``, in the installation's local time or with an explicit offset (``Z``,
``+01:00``). On the autumn night the clocks go back, a local time between 02:00 and 03:00 happens
twice; the file does not say which, so the order of its rows decides (they come in time order):
such a time is its first occurrence unless that would put it before the timestamp it follows, in
which case it is the second. A local time in the spring gap never happened, and is refused.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from skranke.history.errors import BadValue, shown

_DANISH = re.compile(
    r"(\d{1,2})-(\d{1,2})-(\d{4})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*(Z|[+-]\d{2}:?\d{2})?"
)
_UTC = dt.UTC


@dataclass(slots=True)
class Stamp:
    """A timestamp read from a file: the instant (UTC) and the local wall-clock time it was."""

    instant: dt.datetime
    local: dt.datetime


def _parse(text: str) -> dt.datetime:
    """Return the datetime a cell holds, naive (local) or aware (it gives its offset).

    Raises ValueError when it is neither ISO 8601 with a time nor ``dd-mm-yyyy HH:MM[:SS]``.
    """
    length = len(text)
    if length in (16, 19) and text[2] == "-" and text[5] == "-" and text[10] in " T":
        # Frontdesk's own dd-mm-yyyy HH:MM[:SS], rearranged for the (strict, fast) ISO parser.
        return dt.datetime.fromisoformat(f"{text[6:10]}-{text[3:5]}-{text[:2]}T{text[11:]}")
    if length >= 10 and text[4] == "-":
        if length <= 10:
            raise ValueError("a date without a time")
        return dt.datetime.fromisoformat(text)
    match = _DANISH.fullmatch(text)
    if match is None:
        raise ValueError("not a timestamp")
    day, month, year, hour, minute, second, offset = match.groups()
    parsed = dt.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
    if offset:
        # fromisoformat reads the offset the same way for both spellings.
        parsed = dt.datetime.fromisoformat(f"{parsed.isoformat()}{offset}")
    return parsed


class TimestampReader:
    """Reads the timestamps of one file in order, resolving the doubtful local times.

    ``ambiguous`` counts the local times of the autumn night that the order decided, and
    ``second_occurrence`` how many of them it took as the second time the clocks showed them.
    """

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.ambiguous = 0
        self.second_occurrence = 0
        # The UTC offset of each local date the clocks do not change on, None for those they do.
        self._offsets: dict[dt.date, dt.timedelta | None] = {}

    def read(self, text: str, column: str, not_before: dt.datetime | None) -> Stamp:
        """Return the timestamp in ``text``; ``not_before`` is the instant it follows in the
        file's order (the previous row's, or an earlier column's of the same row), which decides
        a doubtful local time.

        Raises BadValue for text that is no timestamp and for a local time that never happened.
        """
        try:
            parsed = _parse(text.strip())
        except ValueError:
            raise BadValue(
                column,
                _("%(value)s is not a time (write 2025-03-12 09:15 or 12-03-2025 09:15).")
                % {"value": shown(text)},
            ) from None
        if parsed.tzinfo is not None:
            instant = parsed.astimezone(_UTC)
            return Stamp(instant, instant.astimezone(self.zone).replace(tzinfo=None))
        return Stamp(self._local_instant(parsed, column, not_before), parsed)

    def _day_offset(self, day: dt.date) -> dt.timedelta | None:
        if day not in self._offsets:
            starts = dt.datetime.combine(day, dt.time.min, tzinfo=self.zone).utcoffset()
            ends = dt.datetime.combine(day, dt.time.max, tzinfo=self.zone).replace(fold=1)
            self._offsets[day] = starts if starts == ends.utcoffset() else None
        return self._offsets[day]

    def _local_instant(
        self, local: dt.datetime, column: str, not_before: dt.datetime | None
    ) -> dt.datetime:
        offset = self._day_offset(local.date())
        if offset is not None:
            return (local - offset).replace(tzinfo=_UTC)
        # The day the clocks change: this time may be doubtful, or never have happened.
        first_offset = local.replace(tzinfo=self.zone).utcoffset()
        second_offset = local.replace(tzinfo=self.zone, fold=1).utcoffset()
        assert first_offset is not None and second_offset is not None
        first = (local - first_offset).replace(tzinfo=_UTC)
        if first_offset == second_offset:
            return first
        if first.astimezone(self.zone).replace(tzinfo=None) != local:
            raise BadValue(
                column,
                _(
                    "%(value)s never happened in local time: the clocks skipped that hour when "
                    "summer time began."
                )
                % {"value": shown(local.isoformat(sep=" "))},
            )
        # Twice on the autumn night: the first occurrence (summer time) comes first.
        second = (local - second_offset).replace(tzinfo=_UTC)
        self.ambiguous += 1
        if not_before is not None and first < not_before:
            self.second_occurrence += 1
            return second
        return first
