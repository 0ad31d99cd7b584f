"""Exact percentiles on both databases: known answers on hand-made data (ties, one value, none),
random histories against the plain definition, and on PostgreSQL the frequency tables giving the
very same floats as PostgreSQL's own percentile_cont on the same rows.

The same tests run on SQLite (the default) and on PostgreSQL (SKRANKE_TEST_DATABASE_URL), with
the same expected numbers, so the two databases agree by construction of these tests.
"""

from __future__ import annotations

import datetime as dt
import random
from fractions import Fraction

import pytest
from django.db import connection

from skranke.queue.models import Ending, VisitFact
from skranke.queue.tests.factories import make_centre
from skranke.reports.kpi import WAIT, VisitFilter, percentiles, wait_summary
from skranke.reports.kpi.percentiles import Percentiles, interpolate, percentiles_of
from skranke.reports.tests import reference
from skranke.reports.tests.visit_factory import make_visit

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 2)


def test_interpolate_between_the_two_closest_ranks() -> None:
    # Four sorted values 60, 120, 120, 300: the median sits halfway between ranks 1 and 2
    # (both 120); the 90th percentile at 0.9 × 3 = 2.7, i.e. 120 + 0.7 × (300 − 120) = 246.
    values = {0: 60.0, 1: 120.0, 2: 120.0, 3: 300.0}
    assert interpolate(values, 0.5 * 3) == 120.0
    assert interpolate(values, 0.9 * 3) == pytest.approx(246.0)
    assert interpolate({0: 42.0}, 0.9 * 0) == 42.0


def test_percentiles_of_a_frequency_table() -> None:
    # The same four values as counts per second: 60 once, 120 twice, 300 once.
    assert percentiles_of({300: 1, 60: 1, 120: 2}) == (120.0, pytest.approx(246.0))
    assert percentiles_of({42: 1}) == (42.0, 42.0)
    assert percentiles_of({}) == (None, None)
    # Both neighbours of a rank in the same second, and ranks at either end.
    assert percentiles_of({5: 1000, 9: 1}, (0.0, 0.5, 1.0)) == (5.0, 5.0, 9.0)


def test_ties_one_value_and_none() -> None:
    centre = make_centre()
    for seconds in (300, 60, 120, 120):
        make_visit(centre, DAY, wait=seconds)
    assert percentiles(VisitFact.objects.all(), WAIT) == {None: (120.0, pytest.approx(246.0))}
    make_visit(centre, DAY + dt.timedelta(days=1), wait=75)
    one_day = VisitFact.objects.filter(issue_date=DAY + dt.timedelta(days=1))
    assert percentiles(one_day, WAIT) == {None: (75.0, 75.0)}
    assert percentiles(VisitFact.objects.none(), WAIT) == {None: (None, None)}
    assert percentiles(VisitFact.objects.none(), WAIT, "subject_area_id") == {}


def test_grouped_percentiles_and_nulls_left_out() -> None:
    centre = make_centre()
    passports = centre.passport.subject_area
    moving = centre.moving.subject_area
    # Passports: 10, 20, 30, 40, 50 s → median 30, p90 at 3.6: 40 + 0.6 × 10 = 46.
    for seconds in (50, 10, 40, 20, 30):
        make_visit(centre, DAY, wait=seconds, subject_area=passports)
    # Moving: 7 and 7 → 7 and 7; a cancelled visit never called has no wait and is left out.
    make_visit(centre, DAY, wait=7, subject_area=moving)
    make_visit(centre, DAY, wait=7, subject_area=moving)
    make_visit(centre, DAY, wait=None, ending=Ending.CANCELLED, subject_area=moving)
    found = percentiles(VisitFact.objects.all(), WAIT, "subject_area_id")
    assert found == {passports.pk: (30.0, pytest.approx(46.0)), moving.pk: (7.0, 7.0)}


def test_grouped_by_a_boolean_gives_booleans() -> None:
    centre = make_centre()
    make_visit(centre, DAY, wait=100, is_appointment=True)
    make_visit(centre, DAY, wait=300, is_appointment=False)
    make_visit(centre, DAY, wait=500, is_appointment=False)
    found = percentiles(VisitFact.objects.all(), WAIT, "is_appointment")
    assert found == {True: (100.0, 100.0), False: (400.0, pytest.approx(480.0))}


def random_history(seed: int, visits: int) -> None:
    """Visits over three subject areas with waits drawn from a small range (many ties) and a
    few long ones, some no-shows and cancellations."""
    chance = random.Random(seed)
    centre = make_centre()
    areas = [centre.passport.subject_area, centre.moving.subject_area]
    for _visit in range(visits):
        ending = chance.choice([Ending.SERVED] * 6 + [Ending.NO_SHOW, Ending.CANCELLED])
        wait = chance.choice([chance.randrange(0, 40) * 30, chance.randrange(0, 7200)])
        make_visit(
            centre,
            DAY + dt.timedelta(days=chance.randrange(0, 5)),
            hour=chance.randrange(8, 18),
            wait=None if ending == Ending.CANCELLED else wait,
            service=chance.randrange(30, 3600),
            ending=ending,
            subject_area=chance.choice(areas),
        )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_histories_match_the_definition(seed: int) -> None:
    random_history(seed, visits=120 + seed * 37)
    rows = list(VisitFact.objects.all())
    waits = reference.waits(rows)
    found = wait_summary(VisitFilter(DAY, DAY + dt.timedelta(days=4)))
    assert found.count == len(waits)
    assert found.mean_seconds == reference.mean(waits)
    assert found.max_seconds == max(waits)
    assert found.median_seconds == pytest.approx(
        float(reference.percentile(waits, Fraction(1, 2)) or 0), rel=1e-12
    )
    assert found.p90_seconds == pytest.approx(
        float(reference.percentile(waits, Fraction(9, 10)) or 0), rel=1e-12
    )
    grouped = percentiles(VisitFact.objects.all(), "service_seconds", "subject_area_id")
    for area_id, (median, p90) in grouped.items():
        times = reference.service_times(row for row in rows if row.subject_area_id == area_id)
        assert median == pytest.approx(float(reference.percentile(times, Fraction(1, 2)) or 0))
        assert p90 == pytest.approx(float(reference.percentile(times, Fraction(9, 10)) or 0))


def percentile_cont(field: str, group: str | None = None) -> dict[object, Percentiles]:
    """PostgreSQL's own answer over every visit record: the reference on that database."""
    key, grouped = (group, f"GROUP BY {group}") if group else ("NULL", "")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {key}, percentile_cont(ARRAY[0.5, 0.9]::double precision[]) "  # noqa: S608
            f"WITHIN GROUP (ORDER BY {field}) FROM queue_visitfact "
            f"WHERE {field} IS NOT NULL {grouped}"
        )
        return {row[0]: tuple(row[1]) for row in cursor.fetchall()}


@pytest.mark.postgres
@pytest.mark.parametrize("seed", [4, 5, 6, 7])
def test_the_same_floats_as_percentile_cont_on_postgresql(seed: int) -> None:
    random_history(seed, visits=200 + seed * 13)
    visits = VisitFact.objects.all()
    for field in ("wait_seconds", "service_seconds"):
        assert percentiles(visits, field) == percentile_cont(field)
        for group in ("subject_area_id", "issue_date", "is_appointment"):
            assert percentiles(visits, field, group) == percentile_cont(field, group)


@pytest.mark.postgres
def test_rounded_as_percentile_cont_rounds_on_postgresql() -> None:
    """Far-apart neighbours in groups of every size from 2 to 24: here an interpolation written
    another way (upper − (1 − t) × (upper − lower)) differs from percentile_cont in the last
    bit for some groups (tried: it fails), so equality shows the arithmetic is PostgreSQL's."""
    chance = random.Random(8)
    centre = make_centre()
    for hour in range(23):
        for _visit in range(hour + 2):
            make_visit(centre, DAY, hour=hour, wait=chance.randrange(0, 10**6))
    visits = VisitFact.objects.all()
    assert percentiles(visits, WAIT, "issue_hour") == percentile_cont(WAIT, "issue_hour")


def test_the_frequency_table_has_a_row_per_second_not_per_visit() -> None:
    """However many visits there are, the database sends one row per distinct second and group
    (the rows it sends are counted by running its statement again)."""
    centre = make_centre()
    for seconds in range(200):
        make_visit(centre, DAY, wait=seconds % 7)
        make_visit(centre, DAY, wait=seconds % 3, subject_area=centre.moving.subject_area)
    statements: list[tuple[str, object]] = []

    def remember(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(remember):
        found = percentiles(VisitFact.objects.all(), WAIT, "subject_area_id")
    assert found[centre.moving.subject_area_id] == (1.0, 2.0)
    [(sql, params)] = statements
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        assert len(cursor.fetchall()) == 7 + 3
