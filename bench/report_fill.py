"""Write the report figure's visit records in PostgreSQL: one INSERT … SELECT over the day
cells of bench.report_data, every random draw from `random()` after `setseed`, so the same
version and row count give the same rows.

PostgreSQL's advice for a bulk load is followed ("Populating a Database" in its manual): the
table's secondary indexes and its unique and foreign-key constraints are dropped before the
insert and made again after it, which checks every row against them at once (a deferred
foreign key would otherwise queue one trigger event per row and key). It all runs in one
transaction, so a failure leaves the previous rows and the marker as they were.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction

from skranke.catalogue.models import Service

TABLE = "queue_visitfact"
SEED = 0.14
# The queue slots (bench.report_data.QUEUES, from 1) of checked-in appointments and of the back
# office that transfers go to.
APPOINTMENT_SLOT = 5
BACK_OFFICE_SLOT = 6

_CELL_COLUMNS = (
    "location_id, day, weekday, visits, first_number, opens_seconds, span_seconds, wait_median,"
    " imported, queues, counters, front_team, back_team"
)

# Each step below names what it decides; only the first level draws (OFFSET 0 keeps PostgreSQL
# from evaluating its random() calls more than once per row).
_INSERT = """
INSERT INTO queue_visitfact (
    ticket_id, import_key, source, location_id, first_queue_id, served_queue_id,
    subject_area_id, service_id, issued_at, issue_date, issue_hour, issue_weekday,
    first_called_at, first_call_hour, ended_at, wait_seconds, service_seconds,
    front_service_seconds, back_office_service_seconds, back_office_wait_seconds, outcome,
    referred_to, ending, cancel_reason, is_appointment, transferred, counter_id, team_id,
    staff_id, staff_name
)
SELECT
    NULL,
    CASE WHEN d.imported THEN 'frontdesk:' || d.location_id || ':'
        || to_char(t.issued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"') || ':'
        || d.number END,
    CASE WHEN d.imported THEN 'import' WHEN b.booked THEN 'appointment'
        WHEN d.r_source < 0.78 THEN 'kiosk' WHEN d.r_source < 0.92 THEN 'mobile'
        WHEN d.r_source < 0.97 THEN 'floor_guide' ELSE 'staff' END,
    d.location_id,
    q.first_queue,
    CASE WHEN s.transferred THEN d.queues[%(back_office_slot)s] ELSE q.first_queue END,
    (%(area_ids)s::bigint[])[d.svc],
    CASE WHEN d.imported THEN NULL ELSE (%(service_ids)s::bigint[])[d.svc] END,
    t.issued_at,
    d.day,
    a.arrival / 3600,
    d.weekday,
    t.called_at,
    extract(hour FROM t.called_at AT TIME ZONE %(zone)s),
    CASE
        WHEN e.ending = 'served'
            THEN t.called_at + (s.service + coalesce(s.back_wait, 0)) * interval '1 second'
        WHEN e.ending = 'no_show' THEN t.called_at + interval '3 minutes'
        WHEN e.cancel_reason = 'staff' THEN t.called_at + interval '1 minute'
        WHEN e.cancel_reason = 'closed'
            THEN (d.day + (d.opens_seconds + d.span_seconds) * interval '1 second')
                AT TIME ZONE %(zone)s
        ELSE t.issued_at + greatest(60, w.call_after * 6 / 10) * interval '1 second'
    END,
    CASE WHEN e.ending IN ('served', 'no_show') THEN w.call_after END,
    s.service,
    CASE WHEN s.transferred THEN s.service * 4 / 10 ELSE s.service END,
    CASE WHEN s.transferred THEN s.service - s.service * 4 / 10
        WHEN e.ending = 'served' THEN 0 END,
    s.back_wait,
    o.outcome,
    CASE WHEN o.outcome <> 'referred' THEN ''
        WHEN d.r_referred < 0.5 THEN 'udbetaling_danmark' WHEN d.r_referred < 0.8 THEN 'skat'
        WHEN d.r_referred < 0.9 THEN 'police' ELSE 'other' END,
    e.ending,
    CASE WHEN d.imported THEN '' ELSE e.cancel_reason END,
    b.booked,
    s.transferred,
    CASE WHEN e.called
        THEN d.counters[1 + floor(d.r_counter * cardinality(d.counters))::integer] END,
    CASE WHEN NOT e.called OR d.imported THEN NULL
        WHEN s.transferred THEN d.back_team ELSE d.front_team END,
    NULL,
    CASE WHEN e.called AND d.imported
        THEN (%(staff_names)s::text[])[1 + floor(d.r_counter * %(staff_count)s)::integer]
        ELSE '' END
FROM (
    SELECT c.*, c.first_number + g.n AS number,
        width_bucket(random(), %(bounds)s::double precision[]) + 1 AS svc,
        random() AS r_booked, random() AS r_arrival_1, random() AS r_arrival_2,
        random() AS r_ending, 1 - random() AS u_wait, random() AS v_wait,
        1 - random() AS u_service, random() AS v_service, random() AS r_outcome,
        random() AS r_referred, random() AS r_transfer, 1 - random() AS u_back_wait,
        random() AS r_counter, random() AS r_source
    FROM bench_cell c CROSS JOIN LATERAL generate_series(1, c.visits) AS g(n)
    OFFSET 0
) AS d
CROSS JOIN LATERAL (
    SELECT (%(bookable)s::boolean[])[d.svc] AND d.r_booked < 0.45 AS booked
) AS b
CROSS JOIN LATERAL (
    SELECT
        CASE WHEN b.booked THEN d.queues[%(appointment_slot)s]
            ELSE d.queues[(%(slots)s::integer[])[d.svc]] END AS first_queue
) AS q
CROSS JOIN LATERAL (
    SELECT ending, cancel_reason,
        ending IN ('served', 'no_show') OR cancel_reason = 'staff' AS called
    FROM (SELECT
        CASE WHEN d.r_ending < (CASE WHEN b.booked THEN 0.93 ELSE 0.85 END) THEN 'served'
            WHEN d.r_ending < (CASE WHEN b.booked THEN 0.96 ELSE 0.895 END) THEN 'no_show'
            ELSE 'cancelled' END AS ending,
        CASE WHEN d.r_ending < (CASE WHEN b.booked THEN 0.96 ELSE 0.895 END) THEN ''
            WHEN b.booked OR d.r_ending < 0.935 THEN 'citizen'
            WHEN d.r_ending < 0.945 THEN 'staff' ELSE 'closed' END AS cancel_reason
    ) AS decided
) AS e
CROSS JOIN LATERAL (
    -- Seconds after opening: late in the day for those still waiting at closing, evenly over
    -- the day for booked times, and peaking around midday for walk-ins.
    SELECT d.opens_seconds + floor(d.span_seconds * CASE
        WHEN e.cancel_reason = 'closed' THEN 0.8 + 0.19 * d.r_arrival_1
        WHEN b.booked THEN 0.97 * d.r_arrival_1
        ELSE (d.r_arrival_1 + d.r_arrival_2) / 2 END)::integer AS arrival
) AS a
CROSS JOIN LATERAL (
    -- Log-normal waits (Box-Muller), longer in the busy middle of the day, called at the
    -- latest half an hour after closing.
    SELECT least(
        round(CASE WHEN b.booked THEN 100 * exp(0.9 * z.wait)
            ELSE d.wait_median * (0.7 + 0.6 * sin(pi() * (a.arrival - d.opens_seconds)
                / d.span_seconds)) * exp(0.75 * z.wait) END),
        d.opens_seconds + d.span_seconds + 1800 - a.arrival
    )::integer AS call_after
    FROM (SELECT sqrt(-2 * ln(d.u_wait)) * cos(2 * pi() * d.v_wait) AS wait) AS z
) AS w
CROSS JOIN LATERAL (
    SELECT (d.day + a.arrival * interval '1 second') AT TIME ZONE %(zone)s AS issued_at,
        CASE WHEN e.called THEN (d.day + a.arrival * interval '1 second') AT TIME ZONE %(zone)s
            + w.call_after * interval '1 second' END AS called_at
) AS t
CROSS JOIN LATERAL (
    SELECT service, transferred,
        CASE WHEN transferred THEN greatest(1, round(-ln(d.u_back_wait) * 900))::integer
            END AS back_wait
    FROM (SELECT
        CASE WHEN e.ending = 'served' THEN greatest(30, least(7200, round(
            (%(minutes)s::double precision[])[d.svc] * 60
            * exp(0.5 * sqrt(-2 * ln(d.u_service)) * cos(2 * pi() * d.v_service)))))::integer
            END AS service,
        e.ending = 'served' AND NOT b.booked AND NOT d.imported AND d.r_transfer < 0.06
            AS transferred
    ) AS timed
) AS s
CROSS JOIN LATERAL (
    SELECT CASE WHEN e.ending <> 'served' OR d.imported THEN ''
        WHEN d.r_outcome < (CASE WHEN s.transferred THEN 0.55 ELSE 0.8 END)
            THEN 'resolved_first_contact'
        WHEN d.r_outcome < (CASE WHEN s.transferred THEN 0.92 ELSE 0.88 END)
            THEN 'passed_to_back_office'
        WHEN d.r_outcome < 0.94 THEN 'referred' ELSE 'not_resolved' END AS outcome
) AS o
"""

STAFF_NAMES = [
    f"{first} {last}"
    for first in ("Mette", "Søren", "Anne", "Jens", "Karen", "Bo", "Lene", "Henrik")
    for last in ("Hansen", "Jørgensen", "Nielsen", "Poulsen", "Kristensen")
]


def is_current(version: int, rows: int) -> bool:
    """Whether the marker names ``version`` and ``rows`` and the table holds ``rows``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_report_data (version integer, visits bigint)"
        )
        cursor.execute("SELECT version, visits FROM bench_report_data")
        marked = cursor.fetchone()
        if marked != (version, rows):
            return False
        cursor.execute("SELECT count(*) FROM queue_visitfact")
        (count,) = cursor.fetchone()
    return bool(count == rows)


def _dropped_constraints(cursor: Any) -> list[str]:
    """Drop the table's secondary indexes and unique and foreign-key constraints; returns the
    statements that make them again."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = %s::regclass AND contype IN ('u', 'f')",
        [TABLE],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x"
        " JOIN pg_class i ON i.oid = x.indexrelid"
        " WHERE x.indrelid = %s::regclass AND NOT x.indisprimary"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid"
        " AND c.conrelid = x.indrelid)",
        [TABLE],
    )
    indexes = cursor.fetchall()
    for name, _definition in constraints:
        cursor.execute(f'ALTER TABLE {TABLE} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in indexes] + [
        f'ALTER TABLE {TABLE} ADD CONSTRAINT "{name}" {definition}'
        for name, definition in constraints
    ]


def _load_cells(cursor: Any, cells: list[dict[str, Any]]) -> None:
    cursor.execute(
        "CREATE TEMPORARY TABLE bench_cell (location_id bigint, day date, weekday smallint,"
        " visits integer, first_number bigint, opens_seconds integer, span_seconds integer,"
        " wait_median double precision, imported boolean, queues bigint[], counters bigint[],"
        " front_team bigint, back_team bigint) ON COMMIT DROP"
    )
    names = [name.strip() for name in _CELL_COLUMNS.split(",")]
    with cursor.copy(f"COPY bench_cell ({_CELL_COLUMNS}) FROM STDIN") as copy:
        for cell in cells:
            copy.write_row([cell[name] for name in names])


def _parameters(services: list[tuple[Service, float, int]]) -> dict[str, Any]:
    shares = [share for _service, share, _slot in services]
    total = sum(shares)
    bounds, running = [], 0.0
    for share in shares[:-1]:
        running += share / total
        bounds.append(running)
    return {
        "bounds": bounds,
        "service_ids": [service.pk for service, _share, _slot in services],
        "area_ids": [service.subject_area_id for service, _share, _slot in services],
        "minutes": [float(service.typical_duration) for service, _share, _slot in services],
        "bookable": [service.bookable for service, _share, _slot in services],
        "slots": [slot for _service, _share, slot in services],
        "appointment_slot": APPOINTMENT_SLOT,
        "back_office_slot": BACK_OFFICE_SLOT,
        "staff_names": STAFF_NAMES,
        "staff_count": len(STAFF_NAMES),
        "zone": "Europe/Copenhagen",
    }


def fill(
    version: int,
    rows: int,
    cells: list[dict[str, Any]],
    services: list[tuple[Service, float, int]],
) -> None:
    """Replace the table's rows with ``rows`` generated ones and mark them ``version``."""
    with transaction.atomic(), connection.cursor() as cursor:
        # Compiling this one large expression list took seconds; the rows need none of it.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cursor.execute(f"TRUNCATE {TABLE}")
        again = _dropped_constraints(cursor)
        _load_cells(cursor, cells)
        cursor.execute("SELECT setseed(%s)", [SEED])
        cursor.execute(_INSERT, _parameters(services))
        for statement in again:
            cursor.execute(statement)
        cursor.execute("DELETE FROM bench_report_data")
        cursor.execute("INSERT INTO bench_report_data VALUES (%s, %s)", [version, rows])
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {TABLE}")
