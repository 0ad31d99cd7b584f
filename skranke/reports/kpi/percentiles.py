"""Exact percentiles of a visit record's time, from a frequency table counted in the database, by
linear interpolation between the closest ranks (DESIGN.md, Definitions: numpy's default, Excel's
PERCENTILE.INC).

For fraction p of n sorted values x[0..n-1]: h = p·(n−1), result = x[⌊h⌋] + (h−⌊h⌋)·(x[⌈h⌉]−x[⌊h⌋]).

Times are whole seconds, so the database counts how many visits took each second (one grouped
statement, ``GROUP BY group, seconds``, which PostgreSQL runs in parallel and no database needs
to sort every value for) and the ranks are found here by adding up those counts in order. The
table holds one row per distinct second and group, not one per visit: a year of visits at a
centre waits a few thousand distinct seconds. The same statement serves both databases, and the
count, sum and maximum come from the same table, so a time's whole summary is one statement.

The interpolation repeats PostgreSQL's own double-precision arithmetic step by step (h = p·(n−1)
with p the same double; lower value + (h − ⌊h⌋)·(upper − lower)), so the floats are the very ones
``percentile_cont`` returns on the same rows; the tests compare them on PostgreSQL.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, QuerySet

from skranke.queue.models import VisitFact

MEDIAN_AND_P90 = (0.5, 0.9)

Percentiles = tuple[float | None, ...]
# How many visits took each whole second: {seconds: visits}.
Frequencies = dict[int, int]


def add_frequency(table: Frequencies, seconds: int, visits: int) -> None:
    """Count ``visits`` more at ``seconds`` in ``table``."""
    table[seconds] = table.get(seconds, 0) + visits


def frequencies(
    visits: QuerySet[VisitFact], field: str, group_by: tuple[str, ...] = ()
) -> Iterable[tuple[tuple[Any, ...], int, int]]:
    """Return (group values, seconds, visits) for every second of ``field`` that occurs among
    ``visits`` (rows where it is null left out), per combination of ``group_by``: one grouped
    statement."""
    rows = (
        visits.filter(**{f"{field}__isnull": False})
        .values_list(*group_by, field)
        .annotate(frequency=Count("pk"))
        .order_by()
    )
    width = len(group_by)
    return ((tuple(row[:width]), row[width], row[width + 1]) for row in rows)


def percentiles_of(
    table: Frequencies, fractions: tuple[float, ...] = MEDIAN_AND_P90
) -> Percentiles:
    """Return the ``fractions`` percentiles of the values counted in ``table``; None for each
    when it is empty."""
    size = sum(table.values())
    if not size:
        return (None,) * len(fractions)
    wanted: dict[int, float] = {}
    positions = []
    for fraction in map(float, fractions):
        position = fraction * (size - 1)
        positions.append(position)
        wanted[math.floor(position)] = wanted[math.ceil(position)] = 0.0
    # Walk the seconds in order, adding up their counts, to find the value at each wanted rank.
    ranks = sorted(wanted)
    next_rank = 0
    passed = 0
    for seconds in sorted(table):
        passed += table[seconds]
        while next_rank < len(ranks) and ranks[next_rank] < passed:
            wanted[ranks[next_rank]] = float(seconds)
            next_rank += 1
        if next_rank == len(ranks):
            break
    return tuple(interpolate(wanted, position) for position in positions)


def percentiles(
    visits: QuerySet[VisitFact],
    field: str,
    group_by: str | None = None,
    fractions: tuple[float, ...] = MEDIAN_AND_P90,
) -> dict[Any, Percentiles]:
    """Return, per value of ``group_by`` (the key None without it), the ``fractions``
    percentiles of ``field`` over ``visits`` (rows where it is null left out).

    Grouped, only groups with a value appear; ungrouped, the key None is always there, with
    None for each fraction when there is no value.
    """
    tables: dict[Any, Frequencies] = {}
    for group, seconds, count in frequencies(visits, field, (group_by,) if group_by else ()):
        add_frequency(tables.setdefault(group[0] if group_by else None, {}), seconds, count)
    if group_by is None:
        return {None: percentiles_of(tables.get(None, {}), fractions)}
    return {key: percentiles_of(table, fractions) for key, table in tables.items()}


def interpolate(values: dict[int, float], position: float) -> float:
    """Return the value at ``position`` (p·(n−1)) between those at the two ranks (from 0)
    around it, as PostgreSQL's percentile_cont computes it."""
    lower = math.floor(position)
    upper = math.ceil(position)
    if lower == upper:
        return values[lower]
    return values[lower] + ((position - lower) * (values[upper] - values[lower]))
