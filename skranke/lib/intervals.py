"""Half-open time intervals [start, end): open at the start instant, closed at the end."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Generic, Protocol, Self, TypeVar


class _Ordered(Protocol):
    def __lt__(self, other: Self, /) -> bool: ...
    def __le__(self, other: Self, /) -> bool: ...


T = TypeVar("T", bound=_Ordered)


@dataclass(frozen=True, order=True)
class Interval(Generic[T]):
    """A half-open interval; ``start`` is inside it, ``end`` is not."""

    start: T
    end: T

    def contains(self, point: T) -> bool:
        """Return True when ``start <= point < end``."""
        return self.start <= point and point < self.end

    def overlaps(self, other: Interval[T]) -> bool:
        """Return True when the two intervals share any point (touching ends do not)."""
        return self.start < other.end and other.start < self.end


def first_overlap(intervals: Iterable[Interval[T]]) -> tuple[Interval[T], Interval[T]] | None:
    """Return the first pair of overlapping intervals in start order, or None."""
    ordered: Sequence[Interval[T]] = sorted(intervals)
    for earlier, later in pairwise(ordered):
        if earlier.overlaps(later):
            return earlier, later
    return None
