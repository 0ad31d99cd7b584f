"""Local dates and wall-clock instants in Europe/Copenhagen, daylight-saving days included."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from skranke.lib.localtime import (
    end_of_local_day,
    local_date,
    local_zone,
    start_of_local_day,
    wall_clock_instant,
)

UTC = dt.UTC


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_local_zone_is_the_installations_zone() -> None:
    assert local_zone() == ZoneInfo("Europe/Copenhagen")


def test_local_zone_follows_the_setting(settings: SettingsWrapper) -> None:
    settings.TIME_ZONE = "America/Nuuk"
    assert local_zone() == ZoneInfo("America/Nuuk")


def test_local_date_of_an_instant_late_in_the_utc_evening_is_the_next_day() -> None:
    assert local_date(utc(2026, 1, 5, 23, 30)) == dt.date(2026, 1, 6)
    assert local_date(utc(2026, 7, 5, 21, 59)) == dt.date(2026, 7, 5)
    assert local_date(utc(2026, 7, 5, 22, 0)) == dt.date(2026, 7, 6)


def test_wall_clock_instant_uses_winter_and_summer_offsets() -> None:
    assert wall_clock_instant(dt.date(2026, 1, 5), dt.time(9)) == utc(2026, 1, 5, 8)
    assert wall_clock_instant(dt.date(2026, 7, 6), dt.time(9)) == utc(2026, 7, 6, 7)


def test_wall_clock_instant_reads_as_local_time() -> None:
    instant = wall_clock_instant(dt.date(2026, 7, 6), dt.time(9, 15))
    assert (instant.hour, instant.minute) == (9, 15)
    assert instant.utcoffset() == dt.timedelta(hours=2)


def test_a_time_in_the_spring_gap_moves_forward_by_the_gap() -> None:
    # On 2026-03-29 clocks jump from 02:00 to 03:00; 02:30 never shows, 03:30 does.
    instant = wall_clock_instant(dt.date(2026, 3, 29), dt.time(2, 30))
    assert instant == utc(2026, 3, 29, 1, 30)
    assert instant.astimezone(local_zone()).time() == dt.time(3, 30)


def test_an_ambiguous_autumn_time_is_its_first_occurrence() -> None:
    # On 2026-10-25 clocks go back from 03:00 to 02:00; 02:30 shows twice, first in summer time.
    assert wall_clock_instant(dt.date(2026, 10, 25), dt.time(2, 30)) == utc(2026, 10, 25, 0, 30)


@pytest.mark.parametrize(
    ("day", "hours"),
    [
        (dt.date(2026, 3, 29), 23),
        (dt.date(2026, 10, 25), 25),
        (dt.date(2026, 3, 28), 24),
        (dt.date(2026, 6, 1), 24),
    ],
)
def test_local_days_have_their_real_length(day: dt.date, hours: int) -> None:
    # Subtracting directly (not via UTC) must give the elapsed time too.
    assert end_of_local_day(day) - start_of_local_day(day) == dt.timedelta(hours=hours)


def test_local_day_boundaries_are_local_midnights() -> None:
    assert start_of_local_day(dt.date(2026, 3, 29)) == utc(2026, 3, 28, 23)
    assert end_of_local_day(dt.date(2026, 3, 29)) == utc(2026, 3, 29, 22)
    assert end_of_local_day(dt.date(2026, 3, 28)) == start_of_local_day(dt.date(2026, 3, 29))


def test_instants_in_the_repeated_hour_compare_by_elapsed_time() -> None:
    zone = local_zone()
    second_half_past_two = dt.datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=zone)
    three = wall_clock_instant(dt.date(2026, 10, 25), dt.time(3))
    first_half_past_two = wall_clock_instant(dt.date(2026, 10, 25), dt.time(2, 30))
    assert first_half_past_two < second_half_past_two < three
