"""Exact percentiles of a visit record column, in the database, by linear interpolation between
the closest ranks (DESIGN.md, Definitions: numpy's default, Excel's PERCENTILE.INC).

For fraction p of n sorted values x[0..n-1]: h = p·(n−1), result = x[⌊h⌋] + (h−⌊h⌋)·(x[⌈h⌉]−x[⌊h⌋]).

PostgreSQL computes it with the ordered-set aggregate ``percentile_cont(ARRAY[…]) WITHIN GROUP
(ORDER BY …)``, one sort for all fractions. SQLite has no such aggregate, so there the database
ranks the values of each group with the window functions ROW_NUMBER() and COUNT(*) and returns
only the rows at ranks ⌊h⌋ and ⌊h⌋+1 for each fraction — at most four rows per group whatever
the number of visits — and Python interpolates between them. The sort stays in the database
(which spills to disk when it must), so no path holds every value in memory; streaming every
sorted value to Python would also work but would send every row over.

The interpolation repeats PostgreSQL's own double-precision arithmetic step by step (h = p·(n−1)
with p the same double; lower value + (h − ⌊h⌋)·(upper − lower)), so both paths return the very
same floats on the same data; the tests compare them on PostgreSQL, where both can run.
"""

from __future__ import annotations

import math
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Aggregate, F, Field, FloatField, IntegerField, Q, QuerySet, Value

from skranke.queue.models import VisitFact

MEDIAN_AND_P90 = (0.5, 0.9)

Percentiles = tuple[float | None, ...]


class PercentilesCont(Aggregate):
    """PostgreSQL's ``percentile_cont`` for several fractions at once; an array of doubles,
    NULL over no rows."""

    function = "percentile_cont"
    template = (
        "%(function)s(ARRAY[%(fractions)s]::double precision[]) "
        "WITHIN GROUP (ORDER BY %(expressions)s)"
    )

    def __init__(
        self, expression: str, fractions: tuple[float, ...], condition: Q | None = None
    ) -> None:
        # The fractions are this module's own floats, written as literals; repr() gives the
        # shortest text that reads back as the same double. ``condition`` becomes the
        # aggregate's FILTER clause: only those rows' values are ranked.
        super().__init__(
            expression,
            filter=condition,
            fractions=", ".join(repr(float(fraction)) for fraction in fractions),
            output_field=ArrayField(FloatField()),
        )


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
    if computed_in_statement(visits):
        return percentiles_cont(visits, field, group_by, fractions)
    return percentiles_by_rank(visits, field, group_by, fractions)


def computed_in_statement(visits: QuerySet[VisitFact]) -> bool:
    """Whether the database of ``visits`` computes percentiles as an aggregate (PostgreSQL's
    PercentilesCont), which can then share one statement with other aggregates."""
    return connections[visits.db].vendor == "postgresql"


def percentiles_cont(
    visits: QuerySet[VisitFact],
    field: str,
    group_by: str | None = None,
    fractions: tuple[float, ...] = MEDIAN_AND_P90,
) -> dict[Any, Percentiles]:
    """The PostgreSQL path of percentiles()."""
    valued = visits.filter(**{f"{field}__isnull": False})
    aggregate = PercentilesCont(field, fractions)
    if group_by is None:
        found = valued.aggregate(values=aggregate)["values"]
        return {None: tuple(found) if found else (None,) * len(fractions)}
    rows = valued.values(group_by).annotate(values=aggregate).order_by()
    return {row[group_by]: tuple(row["values"]) for row in rows}


def percentiles_by_rank(
    visits: QuerySet[VisitFact],
    field: str,
    group_by: str | None = None,
    fractions: tuple[float, ...] = MEDIAN_AND_P90,
) -> dict[Any, Percentiles]:
    """The SQLite path of percentiles(): the neighbouring ranks from window functions,
    interpolated here. Plain SQL, so it runs on PostgreSQL too (where the tests compare it
    with percentiles_cont)."""
    base = (
        visits.filter(**{f"{field}__isnull": False})
        .annotate(
            pct_group=F(group_by) if group_by else Value(0, output_field=IntegerField()),
            pct_value=F(field),
        )
        .values_list("pct_group", "pct_value")
        .order_by()
    )
    try:
        inner_sql, params = base.query.get_compiler(using=base.db).as_sql()
    except EmptyResultSet:
        # A condition that can match nothing (no centres, an empty period) compiles to no SQL.
        return {None: (None,) * len(fractions)} if group_by is None else {}
    wanted = " OR ".join(
        f"(row_rank - 1 BETWEEN FLOOR(CAST({fraction!r} AS DOUBLE PRECISION) * (group_size - 1))"
        f" AND FLOOR(CAST({fraction!r} AS DOUBLE PRECISION) * (group_size - 1)) + 1)"
        for fraction in map(float, fractions)
    )
    # Only the ORM's compiled query (its values kept apart in ``params``) and this module's own
    # float literals are put into the text.
    sql = (
        "SELECT pct_group, group_size, row_rank, pct_value FROM ("  # noqa: S608
        " SELECT pct_group, pct_value,"
        " ROW_NUMBER() OVER (PARTITION BY pct_group ORDER BY pct_value) AS row_rank,"
        " COUNT(*) OVER (PARTITION BY pct_group) AS group_size"
        f" FROM ({inner_sql}) AS valued) AS ranked WHERE {wanted}"
    )
    sizes: dict[Any, int] = {}
    ranked: dict[Any, dict[int, float]] = {}
    with connections[base.db].cursor() as cursor:
        cursor.execute(sql, params)
        for group, size, rank, value in cursor.fetchall():
            sizes[group] = size
            ranked.setdefault(group, {})[rank - 1] = float(value)
    # SQLite returns a boolean as 0 or 1; the field turns a raw value into what the ORM gives.
    key_field = VisitFact._meta.get_field(group_by) if group_by else None
    assert key_field is None or isinstance(key_field, Field)
    result: dict[Any, Percentiles] = {}
    for group, size in sizes.items():
        key = key_field.to_python(group) if key_field is not None else None
        result[key] = tuple(interpolate(ranked[group], size, float(p)) for p in fractions)
    if group_by is None and not result:
        result[None] = (None,) * len(fractions)
    return result


def interpolate(values: dict[int, float], size: int, fraction: float) -> float:
    """Return the ``fraction`` percentile of ``size`` sorted values, given those at the two
    ranks (from 0) around it, as PostgreSQL's percentile_cont computes it."""
    position = fraction * (size - 1)
    lower = math.floor(position)
    upper = math.ceil(position)
    if lower == upper:
        return values[lower]
    return values[lower] + ((position - lower) * (values[upper] - values[lower]))
