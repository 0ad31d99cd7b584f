"""How the report writes numbers: minutes with one decimal, shares as fractions with three,
changes in % with one; always rounded half away from zero from the exact value, so the same
figure prints the same on every database and platform."""

from __future__ import annotations

import math
from fractions import Fraction

Number = int | float | Fraction


def rounded(value: Number | None, places: int) -> float | None:
    """Return ``value`` rounded half away from zero to ``places`` decimals; None stays None."""
    if value is None:
        return None
    scaled = abs(Fraction(value)) * 10**places
    whole = math.floor(scaled + Fraction(1, 2))
    return math.copysign(whole / 10**places, value) if whole else 0.0


def minutes(seconds: Number | None) -> float | None:
    """Return ``seconds`` as minutes with one decimal."""
    return None if seconds is None else rounded(Fraction(seconds) / 60, 1)


def share(fraction: Number | None) -> float | None:
    """Return a share as a fraction of 1 with three decimals (0.8 for 80 %)."""
    return rounded(fraction, 3)


def percent(change: Number | None) -> float | None:
    """Return a change in % with one decimal."""
    return rounded(change, 1)
