"""The Definitions of DESIGN.md written out plainly over visit records loaded into Python, to
check the KPI engine against on random histories. Exact arithmetic with fractions throughout."""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction

from skranke.queue.models import Ending, VisitFact


def percentile(values: Iterable[int], fraction: Fraction) -> Fraction | None:
    """Linear interpolation between closest ranks (numpy's default, PERCENTILE.INC)."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    lower, upper = math.floor(position), math.ceil(position)
    return ordered[lower] + (position - lower) * (ordered[upper] - ordered[lower])


def mean(values: list[int]) -> Fraction | None:
    return Fraction(sum(values), len(values)) if values else None


def waits(visits: Iterable[VisitFact]) -> list[int]:
    """The waits of called visits: served or no-show, with a wait."""
    return [
        visit.wait_seconds
        for visit in visits
        if visit.ending in (Ending.SERVED, Ending.NO_SHOW) and visit.wait_seconds is not None
    ]


def service_times(visits: Iterable[VisitFact]) -> list[int]:
    return [
        visit.service_seconds
        for visit in visits
        if visit.ending == Ending.SERVED and visit.service_seconds is not None
    ]
