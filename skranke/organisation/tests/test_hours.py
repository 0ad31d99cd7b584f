"""Opening hours: weekly hours, dated exceptions and Danish holidays, in Europe/Copenhagen."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import holidays
import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skranke.organisation.hours import (
    NEXT_OPENING_HORIZON_DAYS,
    centre_today,
    current_interval,
    day_hours,
    is_open,
    next_opening,
    opening_intervals,
)
from skranke.organisation.models import (
    HoursKind,
    Location,
    OpeningException,
    OpeningHours,
    Weekday,
)

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
WORKDAYS = [Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY]
ONE_MICROSECOND = dt.timedelta(microseconds=1)
_slugs = itertools.count()


def clock(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def local(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, fold: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, fold=fold, tzinfo=COPENHAGEN)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


def make_location(**fields: object) -> Location:
    number = next(_slugs)
    fields.setdefault("name", f"Borgerservice {number}")
    fields.setdefault("slug", f"borgerservice-{number}")
    return Location.objects.create(**fields)


def make_hours(
    location: Location,
    weekdays: list[Weekday] | Weekday,
    opens: str,
    closes: str,
    kind: HoursKind = HoursKind.ATTENDANCE,
) -> None:
    for weekday in weekdays if isinstance(weekdays, list) else [weekdays]:
        OpeningHours.objects.create(
            location=location, kind=kind, weekday=weekday, opens=clock(opens), closes=clock(closes)
        )


def make_exception(
    location: Location,
    date: dt.date,
    opens: str | None = None,
    closes: str | None = None,
    reason: str = "",
    kind: HoursKind = HoursKind.ATTENDANCE,
) -> OpeningException:
    return OpeningException.objects.create(
        location=location,
        kind=kind,
        date=date,
        opens=clock(opens) if opens else None,
        closes=clock(closes) if closes else None,
        reason=reason,
    )


def make_weekday_centre(**fields: object) -> Location:
    """A centre open Monday to Friday 09:00–15:00, as most are."""
    location = make_location(**fields)
    make_hours(location, WORKDAYS, "09:00", "15:00")
    return location


def span(interval: object) -> tuple[dt.datetime, dt.datetime]:
    start, end = interval.start, interval.end  # type: ignore[attr-defined]
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


# Half-open intervals ----------------------------------------------------------------------------


def test_open_at_the_opening_instant(db: None) -> None:
    location = make_weekday_centre()
    assert is_open(location, local(2026, 3, 2, 9, 0))  # a Monday
    assert not is_open(location, local(2026, 3, 2, 9, 0) - ONE_MICROSECOND)


def test_closed_at_the_closing_instant_but_open_just_before(db: None) -> None:
    location = make_weekday_centre()
    closing = local(2026, 3, 2, 15, 0)
    assert not is_open(location, closing)
    assert is_open(location, closing - ONE_MICROSECOND)


def test_closed_over_lunch_between_two_intervals(db: None) -> None:
    location = make_location()
    make_hours(location, Weekday.MONDAY, "09:00", "12:00")
    make_hours(location, Weekday.MONDAY, "12:30", "15:00")
    assert is_open(location, local(2026, 3, 2, 11, 59))
    assert not is_open(location, local(2026, 3, 2, 12, 0))
    assert not is_open(location, local(2026, 3, 2, 12, 29))
    assert is_open(location, local(2026, 3, 2, 12, 30))
    assert [span(interval) for interval in opening_intervals(location, dt.date(2026, 3, 2))] == [
        (utc(2026, 3, 2, 8), utc(2026, 3, 2, 11)),
        (utc(2026, 3, 2, 11, 30), utc(2026, 3, 2, 14)),
    ]


def test_closed_on_a_weekday_without_hours(db: None) -> None:
    location = make_weekday_centre()
    hours = day_hours(location, dt.date(2026, 3, 7))  # a Saturday
    assert hours.is_closed_all_day
    assert hours.closed_reason == ""
    assert not is_open(location, local(2026, 3, 7, 10))


def test_is_open_accepts_instants_in_any_zone(db: None) -> None:
    location = make_weekday_centre()
    assert is_open(location, utc(2026, 3, 2, 8, 0))  # 09:00 in Copenhagen
    assert not is_open(location, utc(2026, 3, 2, 14, 0))  # 15:00 in Copenhagen


def test_current_interval_is_the_one_containing_the_instant(db: None) -> None:
    location = make_weekday_centre()
    interval = current_interval(location, local(2026, 3, 2, 10))
    assert interval is not None
    assert span(interval) == (utc(2026, 3, 2, 8), utc(2026, 3, 2, 14))
    assert current_interval(location, local(2026, 3, 2, 15)) is None


# Daylight saving ---------------------------------------------------------------------------------


def test_midnight_to_midnight_on_the_spring_day_lasts_23_hours(db: None) -> None:
    location = make_location()
    make_hours(location, Weekday.SUNDAY, "00:00", "00:00")
    [interval] = opening_intervals(location, dt.date(2026, 3, 29))
    assert interval.end - interval.start == dt.timedelta(hours=23)
    assert span(interval) == (utc(2026, 3, 28, 23), utc(2026, 3, 29, 22))


def test_midnight_to_midnight_on_the_autumn_day_lasts_25_hours(db: None) -> None:
    location = make_location()
    make_hours(location, Weekday.SUNDAY, "00:00", "00:00")
    [interval] = opening_intervals(location, dt.date(2026, 10, 25))
    assert interval.end - interval.start == dt.timedelta(hours=25)
    assert span(interval) == (utc(2026, 10, 24, 22), utc(2026, 10, 25, 23))


def test_closing_at_midnight_closes_when_the_next_day_begins(db: None) -> None:
    location = make_location()
    make_hours(location, Weekday.SUNDAY, "00:00", "00:00")
    assert is_open(location, local(2026, 3, 30, 0, 0) - ONE_MICROSECOND)
    assert not is_open(location, local(2026, 3, 30, 0, 0))  # Monday, no hours


def test_sunday_hours_start_an_hour_earlier_in_utc_after_spring_forward(db: None) -> None:
    location = make_location()
    make_hours(location, Weekday.SUNDAY, "09:00", "15:00")
    [before] = opening_intervals(location, dt.date(2026, 3, 22))
    [after] = opening_intervals(location, dt.date(2026, 3, 29))
    assert span(before) == (utc(2026, 3, 22, 8), utc(2026, 3, 22, 14))
    assert span(after) == (utc(2026, 3, 29, 7), utc(2026, 3, 29, 13))


def test_a_non_existent_local_time_is_read_as_the_instant_it_names(db: None) -> None:
    # 02:30 does not exist on 2026-03-29; with the winter offset it names 01:30 UTC = 03:30.
    location = make_location()
    make_hours(location, Weekday.SUNDAY, "03:00", "04:00")
    assert is_open(location, local(2026, 3, 29, 2, 30))
    assert not is_open(location, local(2026, 3, 29, 2, 30, fold=1))  # 00:30 UTC = 01:30
    assert not is_open(location, utc(2026, 3, 29, 0, 59))


def test_opening_hours_inside_the_spring_gap_begin_when_clocks_jump(db: None) -> None:
    location = make_location()
    make_hours(location, Weekday.SUNDAY, "02:30", "05:00")
    [interval] = opening_intervals(location, dt.date(2026, 3, 29))
    assert span(interval) == (utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 3))


def test_the_repeated_autumn_hour_is_open_both_times(db: None) -> None:
    location = make_location()
    make_hours(location, Weekday.SUNDAY, "02:00", "03:00")
    [interval] = opening_intervals(location, dt.date(2026, 10, 25))
    # From the first 02:00 (summer time) to 03:00 (winter time): two hours pass.
    assert interval.end - interval.start == dt.timedelta(hours=2)
    assert is_open(location, local(2026, 10, 25, 2, 30, fold=0))  # 00:30 UTC
    assert is_open(location, local(2026, 10, 25, 2, 30, fold=1))  # 01:30 UTC
    assert not is_open(location, local(2026, 10, 25, 3, 0))


# Public and optional holidays ------------------------------------------------------------------


def test_christmas_day_is_closed_even_on_a_weekday_with_hours(db: None) -> None:
    location = make_weekday_centre()
    hours = day_hours(location, dt.date(2026, 12, 25), language="da")  # a Friday
    assert hours.is_closed_all_day
    assert hours.closed_reason == "Juledag"
    assert not is_open(location, local(2026, 12, 25, 10))


def test_christmas_day_stays_closed_when_the_centre_opens_on_optional_days(db: None) -> None:
    location = make_weekday_centre(
        open_on_christmas_eve=True,
        open_on_new_years_eve=True,
        open_on_constitution_day=True,
        open_on_may_day=True,
    )
    assert not is_open(location, local(2026, 12, 25, 10))
    assert not is_open(location, local(2026, 4, 3, 10))  # Langfredag, a Friday


OPTIONAL_DAYS = [
    (dt.date(2026, 12, 24), "open_on_christmas_eve", "Juleaftensdag"),
    (dt.date(2026, 12, 31), "open_on_new_years_eve", "Nytårsaften"),
    (dt.date(2026, 6, 5), "open_on_constitution_day", "Grundlovsdag"),
    (dt.date(2026, 5, 1), "open_on_may_day", "Arbejdernes kampdag"),
]


@pytest.mark.parametrize(("day", "field", "name"), OPTIONAL_DAYS)
def test_optional_holidays_are_closed_by_default(
    db: None, day: dt.date, field: str, name: str
) -> None:
    location = make_weekday_centre()
    assert day.weekday() in WORKDAYS
    hours = day_hours(location, day, language="da")
    assert hours.is_closed_all_day
    assert hours.closed_reason == name
    assert not is_open(location, dt.datetime.combine(day, clock("10:00"), COPENHAGEN))


@pytest.mark.parametrize(("day", "field", "name"), OPTIONAL_DAYS)
def test_optional_holidays_follow_the_weekly_hours_when_the_centre_opens(
    db: None, day: dt.date, field: str, name: str
) -> None:
    location = make_weekday_centre(**{field: True})
    hours = day_hours(location, day, language="da")
    assert hours.closed_reason == ""
    assert [span(interval) for interval in hours.intervals] == [
        (
            dt.datetime.combine(day, clock("09:00"), COPENHAGEN).astimezone(dt.UTC),
            dt.datetime.combine(day, clock("15:00"), COPENHAGEN).astimezone(dt.UTC),
        )
    ]
    assert is_open(location, dt.datetime.combine(day, clock("10:00"), COPENHAGEN))


def test_opening_on_one_optional_day_leaves_the_others_closed(db: None) -> None:
    location = make_weekday_centre(open_on_christmas_eve=True)
    assert is_open(location, local(2026, 12, 24, 10))
    assert not is_open(location, local(2026, 12, 31, 10))
    assert not is_open(location, local(2026, 6, 5, 10))


def test_store_bededag_was_a_holiday_until_2023(db: None) -> None:
    location = make_weekday_centre()
    closed = day_hours(location, dt.date(2023, 5, 5), language="da")
    assert closed.is_closed_all_day
    assert closed.closed_reason == "Store bededag"
    # In 2024 the holiday was abolished; the Friday it would have been is a working day.
    assert is_open(location, local(2024, 4, 26, 10))
    assert day_hours(location, dt.date(2024, 4, 26)).closed_reason == ""


def test_holiday_names_in_english(db: None) -> None:
    location = make_weekday_centre()
    assert day_hours(location, dt.date(2026, 12, 25), language="en").closed_reason == (
        "Christmas Day"
    )
    assert day_hours(location, dt.date(2026, 12, 24), language="en").closed_reason == (
        "Christmas Eve"
    )


def test_holiday_names_follow_the_active_language(db: None) -> None:
    location = make_weekday_centre()
    with translation.override("en"):
        assert day_hours(location, dt.date(2026, 4, 3)).closed_reason == "Good Friday"
    with translation.override("da"):
        assert day_hours(location, dt.date(2026, 4, 3)).closed_reason == "Langfredag"


# Dated exceptions --------------------------------------------------------------------------------


def test_a_closed_exception_closes_a_normal_weekday_with_its_reason(db: None) -> None:
    location = make_weekday_centre()
    make_exception(location, dt.date(2026, 3, 4), reason="Lukket pga. personalemøde")
    hours = day_hours(location, dt.date(2026, 3, 4))
    assert hours.is_closed_all_day
    assert hours.closed_reason == "Lukket pga. personalemøde"
    assert not is_open(location, local(2026, 3, 4, 10))
    assert is_open(location, local(2026, 3, 5, 10))  # the next day is unaffected


def test_exception_hours_replace_the_weekly_hours(db: None) -> None:
    location = make_weekday_centre()
    make_exception(location, dt.date(2026, 3, 4), "08:00", "18:00", reason="Pas-aften")
    hours = day_hours(location, dt.date(2026, 3, 4))
    assert [span(interval) for interval in hours.intervals] == [
        (utc(2026, 3, 4, 7), utc(2026, 3, 4, 17))
    ]
    assert is_open(location, local(2026, 3, 4, 17, 30))
    assert not is_open(location, local(2026, 3, 4, 18, 0))


def test_several_exception_rows_give_sorted_intervals(db: None) -> None:
    location = make_weekday_centre()
    make_exception(location, dt.date(2026, 3, 4), "13:00", "16:00")
    make_exception(location, dt.date(2026, 3, 4), "08:00", "11:00")
    assert [span(interval) for interval in opening_intervals(location, dt.date(2026, 3, 4))] == [
        (utc(2026, 3, 4, 7), utc(2026, 3, 4, 10)),
        (utc(2026, 3, 4, 12), utc(2026, 3, 4, 15)),
    ]
    assert not is_open(location, local(2026, 3, 4, 12))  # weekly 09–15 no longer applies


def test_an_exception_with_hours_opens_a_public_holiday(db: None) -> None:
    location = make_weekday_centre()
    make_exception(location, dt.date(2026, 12, 26), "10:00", "12:00", reason="Pas til rejsen")
    hours = day_hours(location, dt.date(2026, 12, 26))
    assert [span(interval) for interval in hours.intervals] == [
        (utc(2026, 12, 26, 9), utc(2026, 12, 26, 11))
    ]
    assert is_open(location, local(2026, 12, 26, 11))


def test_an_exception_opens_a_day_without_weekly_hours(db: None) -> None:
    location = make_weekday_centre()
    make_exception(location, dt.date(2026, 3, 7), "10:00", "13:00")  # a Saturday
    assert is_open(location, local(2026, 3, 7, 10))


def test_exceptions_belong_to_their_own_centre(db: None) -> None:
    closed, other = make_weekday_centre(), make_weekday_centre()
    make_exception(closed, dt.date(2026, 3, 4), reason="Flytning")
    assert not is_open(closed, local(2026, 3, 4, 10))
    assert is_open(other, local(2026, 3, 4, 10))


# Telephone hours -------------------------------------------------------------------------------


def test_telephone_hours_are_separate_from_attendance_hours(db: None) -> None:
    location = make_weekday_centre()
    make_hours(location, WORKDAYS, "08:00", "16:00", kind=HoursKind.TELEPHONE)
    half_past_eight = local(2026, 3, 2, 8, 30)
    assert is_open(location, half_past_eight, HoursKind.TELEPHONE)
    assert not is_open(location, half_past_eight, HoursKind.ATTENDANCE)
    telephone = day_hours(location, dt.date(2026, 3, 2), HoursKind.TELEPHONE)
    assert [span(interval) for interval in telephone.intervals] == [
        (utc(2026, 3, 2, 7), utc(2026, 3, 2, 15))
    ]


def test_a_centre_with_only_telephone_hours_is_closed_for_visits(db: None) -> None:
    location = make_location()
    make_hours(location, WORKDAYS, "08:00", "16:00", kind=HoursKind.TELEPHONE)
    assert opening_intervals(location, dt.date(2026, 3, 2)) == []
    assert next_opening(location, local(2026, 3, 2, 7)) is None
    assert next_opening(location, local(2026, 3, 2, 7), HoursKind.TELEPHONE) == local(2026, 3, 2, 8)


def test_an_attendance_exception_leaves_telephone_hours_alone(db: None) -> None:
    location = make_weekday_centre()
    make_hours(location, WORKDAYS, "08:00", "16:00", kind=HoursKind.TELEPHONE)
    make_exception(location, dt.date(2026, 3, 4), reason="Kursus")
    assert not is_open(location, local(2026, 3, 4, 10))
    assert is_open(location, local(2026, 3, 4, 10), HoursKind.TELEPHONE)


def test_public_holidays_close_the_telephone_too(db: None) -> None:
    location = make_location()
    make_hours(location, WORKDAYS, "08:00", "16:00", kind=HoursKind.TELEPHONE)
    assert not is_open(location, local(2026, 12, 25, 10), HoursKind.TELEPHONE)


# Next opening ------------------------------------------------------------------------------------


def test_next_opening_from_friday_evening_is_monday_morning(db: None) -> None:
    location = make_weekday_centre()
    assert next_opening(location, local(2026, 3, 6, 18)) == local(2026, 3, 9, 9)


def test_next_opening_before_opening_is_the_same_morning(db: None) -> None:
    location = make_weekday_centre()
    assert next_opening(location, local(2026, 3, 2, 7)) == local(2026, 3, 2, 9)


def test_next_opening_over_lunch_is_the_afternoon(db: None) -> None:
    location = make_location()
    make_hours(location, Weekday.MONDAY, "09:00", "12:00")
    make_hours(location, Weekday.MONDAY, "12:30", "15:00")
    assert next_opening(location, local(2026, 3, 2, 12, 10)) == local(2026, 3, 2, 12, 30)


def test_next_opening_at_a_closing_instant_is_an_interval_starting_there(db: None) -> None:
    # Half-open intervals: 09:00–12:00 and 12:00–15:00 meet, and at 12:00 the second opens.
    location = make_location()
    make_hours(location, Weekday.MONDAY, "09:00", "12:00")
    make_hours(location, Weekday.MONDAY, "12:00", "15:00")
    assert next_opening(location, local(2026, 3, 2, 12)) == local(2026, 3, 2, 12)


def test_next_opening_of_an_around_the_clock_centre_at_midnight_is_that_midnight(
    db: None,
) -> None:
    # Its day ends at midnight, where the next day's interval begins: not the day after.
    location = make_location(always_open=True)
    assert next_opening(location, local(2026, 3, 3, 0)) == local(2026, 3, 3, 0)


def test_next_opening_across_christmas(db: None) -> None:
    # 24 Dec (optional, closed), 25 and 26 Dec (public holidays), then the weekend.
    location = make_weekday_centre()
    assert next_opening(location, local(2026, 12, 23, 16)) == local(2026, 12, 28, 9)


def test_next_opening_across_christmas_when_open_on_christmas_eve(db: None) -> None:
    location = make_weekday_centre(open_on_christmas_eve=True)
    assert next_opening(location, local(2026, 12, 23, 16)) == local(2026, 12, 24, 9)


def test_next_opening_across_a_daylight_saving_weekend(db: None) -> None:
    location = make_weekday_centre()
    assert next_opening(location, local(2026, 3, 27, 16)) == utc(2026, 3, 30, 7)


def test_next_opening_is_none_without_hours(db: None) -> None:
    assert next_opening(make_location(), local(2026, 3, 2, 7)) is None


def test_next_opening_is_none_when_closed_for_the_whole_horizon(db: None) -> None:
    location = make_weekday_centre()
    first_day = dt.date(2026, 3, 2)
    OpeningException.objects.bulk_create(
        OpeningException(location=location, date=first_day + dt.timedelta(days=offset))
        for offset in range(NEXT_OPENING_HORIZON_DAYS + 1)
    )
    assert next_opening(location, local(2026, 3, 2, 7)) is None


def test_next_opening_finds_the_last_day_of_the_horizon(db: None) -> None:
    location = make_location()
    last_day = dt.date(2026, 3, 2) + dt.timedelta(days=NEXT_OPENING_HORIZON_DAYS)
    make_exception(location, last_day, "10:00", "12:00")
    assert next_opening(location, local(2026, 3, 2, 7)) == dt.datetime.combine(
        last_day, clock("10:00"), COPENHAGEN
    )


# What a citizen sees today ---------------------------------------------------------------------


def test_centre_today_while_open(db: None) -> None:
    location = make_weekday_centre()
    make_hours(location, WORKDAYS, "08:00", "16:00", kind=HoursKind.TELEPHONE)
    today = centre_today(location, local(2026, 3, 2, 10))
    assert today.location == location
    assert today.open_now
    assert today.attendance.date == dt.date(2026, 3, 2)
    assert [span(interval) for interval in today.attendance.intervals] == [
        (utc(2026, 3, 2, 8), utc(2026, 3, 2, 14))
    ]
    assert [span(interval) for interval in today.telephone.intervals] == [
        (utc(2026, 3, 2, 7), utc(2026, 3, 2, 15))
    ]
    assert today.next_opening == local(2026, 3, 3, 9)


def test_centre_today_on_a_public_holiday(db: None) -> None:
    location = make_weekday_centre()
    with translation.override("da"):
        today = centre_today(location, local(2026, 12, 25, 10))
    assert not today.open_now
    assert today.attendance.closed_reason == "Juledag"
    assert today.telephone.closed_reason == "Juledag"
    assert today.next_opening == local(2026, 12, 28, 9)


def test_centre_today_uses_the_local_date_late_in_the_utc_evening(db: None) -> None:
    location = make_location()
    make_hours(location, Weekday.TUESDAY, "00:00", "01:00")
    # 23:30 UTC on Monday is 00:30 on Tuesday in Copenhagen.
    today = centre_today(location, utc(2026, 3, 2, 23, 30))
    assert today.attendance.date == dt.date(2026, 3, 3)
    assert today.open_now


# Properties over a whole year ------------------------------------------------------------------

# Quarter hours from 04:00 to 24:00, away from the 02:00–03:00 daylight-saving change, so that
# "open" can be checked against the local wall clock alone.
quarter_hours = st.integers(min_value=4 * 4, max_value=24 * 4)
day_schedules = st.lists(quarter_hours, max_size=6, unique=True).map(sorted)
week_schedules = st.lists(day_schedules, min_size=7, max_size=7)
instants_2026 = st.datetimes(
    min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2026, 12, 31, 23, 59, 59)
).map(lambda naive: naive.replace(tzinfo=dt.UTC))


def _quarter_to_time(quarter: int) -> dt.time:
    return dt.time(0, 0) if quarter == 96 else dt.time(quarter // 4, quarter % 4 * 15)


def _pairs(boundaries: list[int]) -> list[tuple[int, int]]:
    return list(zip(boundaries[0::2], boundaries[1::2], strict=False))


def _make_random_week(week: list[list[int]]) -> Location:
    Location.objects.all().delete()
    location = make_location()
    OpeningHours.objects.bulk_create(
        OpeningHours(
            location=location,
            weekday=weekday,
            opens=_quarter_to_time(opens),
            closes=_quarter_to_time(closes),
        )
        for weekday, boundaries in enumerate(week)
        for opens, closes in _pairs(boundaries)
    )
    return location


_DANISH_CLOSED_DAYS = {
    **holidays.country_holidays("DK", years=2026),
    **holidays.country_holidays("DK", years=2026, categories=(holidays.OPTIONAL,)),
}


def _wall_clock_says_open(week: list[list[int]], instant: dt.datetime) -> bool:
    moment = instant.astimezone(COPENHAGEN)
    if moment.date() in _DANISH_CLOSED_DAYS:
        return False
    minutes = moment.hour * 60 + moment.minute + (moment.second + moment.microsecond / 1e6) / 60
    return any(
        opens * 15 <= minutes < closes * 15 for opens, closes in _pairs(week[moment.weekday()])
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(week=week_schedules, instants=st.lists(instants_2026, min_size=1, max_size=10))
def test_is_open_agrees_with_the_wall_clock_and_the_intervals(
    db: None, week: list[list[int]], instants: list[dt.datetime]
) -> None:
    location = _make_random_week(week)
    for instant in instants:
        expected = _wall_clock_says_open(week, instant)
        intervals = opening_intervals(location, instant.astimezone(COPENHAGEN).date())
        assert is_open(location, instant) == expected
        assert any(interval.contains(instant) for interval in intervals) == expected
        assert (current_interval(location, instant) is not None) == expected


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(week=week_schedules, instant=instants_2026)
def test_next_opening_is_the_next_moment_the_centre_opens(
    db: None, week: list[list[int]], instant: dt.datetime
) -> None:
    location = _make_random_week(week)
    opening = next_opening(location, instant)
    if not any(_pairs(boundaries) for boundaries in week):
        assert opening is None
        return
    # Every weekday with hours recurs within a week, and no holiday run lasts long enough to
    # hide all of them from the 60-day horizon.
    assert opening is not None
    assert opening > instant
    assert is_open(location, opening)
    assert not is_open(location, opening - ONE_MICROSECOND)
    # No interval starts between the instant and the opening found.
    day = instant.astimezone(COPENHAGEN).date()
    while day <= opening.astimezone(COPENHAGEN).date():
        for interval in opening_intervals(location, day):
            assert not instant < interval.start < opening
        day += dt.timedelta(days=1)
