"""Half-open intervals: open at the start, closed at the end; touching intervals do not overlap."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import given
from hypothesis import strategies as st

from skranke.lib.intervals import Interval, first_overlap


def make_interval(start: int, end: int) -> Interval[int]:
    return Interval(start, end)


def test_contains_the_start_but_not_the_end() -> None:
    interval = make_interval(10, 20)
    assert interval.contains(10)
    assert interval.contains(19)
    assert not interval.contains(20)
    assert not interval.contains(9)


def test_contains_works_on_instants_one_microsecond_apart() -> None:
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    end = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
    interval = Interval(start, end)
    assert interval.contains(end - dt.timedelta(microseconds=1))
    assert not interval.contains(end)


def test_touching_intervals_do_not_overlap() -> None:
    morning, afternoon = make_interval(9, 12), make_interval(12, 15)
    assert not morning.overlaps(afternoon)
    assert not afternoon.overlaps(morning)


def test_intervals_sharing_a_stretch_overlap_both_ways() -> None:
    assert make_interval(9, 13).overlaps(make_interval(12, 15))
    assert make_interval(12, 15).overlaps(make_interval(9, 13))
    assert make_interval(9, 17).overlaps(make_interval(12, 13))
    assert make_interval(9, 12).overlaps(make_interval(9, 12))


def test_first_overlap_finds_the_pair_in_start_order() -> None:
    intervals = [make_interval(13, 16), make_interval(8, 10), make_interval(9, 11)]
    assert first_overlap(intervals) == (make_interval(8, 10), make_interval(9, 11))


def test_first_overlap_finds_an_interval_inside_a_longer_one() -> None:
    intervals = [make_interval(8, 18), make_interval(10, 11), make_interval(12, 13)]
    assert first_overlap(intervals) == (make_interval(8, 18), make_interval(10, 11))


def test_first_overlap_is_none_for_touching_or_separate_intervals() -> None:
    assert (
        first_overlap([make_interval(12, 15), make_interval(9, 12), make_interval(16, 17)]) is None
    )
    assert first_overlap([]) is None
    assert first_overlap([make_interval(1, 2)]) is None


def test_first_overlap_accepts_any_iterable() -> None:
    assert first_overlap(iter([make_interval(1, 3), make_interval(2, 4)])) is not None


nonempty_intervals = st.tuples(st.integers(-50, 50), st.integers(1, 30)).map(
    lambda start_length: make_interval(start_length[0], start_length[0] + start_length[1])
)


@given(nonempty_intervals, nonempty_intervals)
def test_overlaps_means_some_point_lies_in_both(
    first: Interval[int], second: Interval[int]
) -> None:
    shared = any(
        first.contains(point) and second.contains(point)
        for point in range(min(first.start, second.start), max(first.end, second.end))
    )
    assert first.overlaps(second) == shared == second.overlaps(first)


@given(st.lists(nonempty_intervals, max_size=8))
def test_first_overlap_agrees_with_checking_every_pair(intervals: list[Interval[int]]) -> None:
    any_pair = any(a.overlaps(b) for a, b in itertools.combinations(intervals, 2))
    found = first_overlap(intervals)
    assert (found is not None) == any_pair
    if found is not None:
        earlier, later = found
        assert earlier.overlaps(later)
        assert earlier <= later
