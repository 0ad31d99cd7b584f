"""Time the one-year JSON report over all centres against a raw-SQL baseline over the same rows.

`python -m bench.report_measure YEAR REPEATS` (Django settings from the environment, the data
of bench.report_data in place) prints one JSON object with every timing.

The report is `build_report` for 1 January to 31 December of YEAR at every active centre (what
`skranke report --location all` asks), timed with its `json.dumps`. The baseline is what a
person would write by hand in SQL for the same figures, one statement per part of the report
(BASELINE below, each with the report's own WHERE: the dates and the centres), with its rows
fetched. One untimed warm-up of each comes first; then they alternate REPEATS times, so a drift
in the machine's speed touches both alike, and the medians are compared. The first warm-up
also counts the report's statements, and the baseline's visit total and median wait are checked
against the report's, so both are known to read the same rows.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import sys
import time
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "skranke.settings")
django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from skranke.organisation.models import Location  # noqa: E402
from skranke.reports import rounding  # noqa: E402
from skranke.reports.query import ReportQuery  # noqa: E402
from skranke.reports.report import build_report  # noqa: E402

# DESIGN.md, Definitions: the wait over called visits, the service time over served ones.
CALLED = "ending IN ('served', 'no_show') AND wait_seconds IS NOT NULL"
SERVED = "ending = 'served' AND service_seconds IS NOT NULL"
ENDINGS = (
    "count(*), count(*) FILTER (WHERE ending = 'served'),"
    " count(*) FILTER (WHERE ending = 'no_show'), count(*) FILTER (WHERE ending = 'cancelled'),"
    " count(*) FILTER (WHERE is_appointment)"
)


def _summary(column: str, condition: str) -> str:
    return (
        f"count({column}) FILTER (WHERE {condition}), avg({column}) FILTER (WHERE {condition}),"
        f" percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY {column})"
        f" FILTER (WHERE {condition}), max({column}) FILTER (WHERE {condition})"
    )


WAIT = _summary("wait_seconds", CALLED)
SERVICE = _summary("service_seconds", SERVED)
# The report's goals are each centre's (bench.report_data): a share called within 10 minutes
# and a mean wait; one GROUP BY per centre gives both.
GOAL_SECONDS = 600

# (what it stands for in the report, period, SELECT list and the rest after the WHERE).
BASELINE: list[tuple[str, str, str, str]] = [
    ("visits by ending, wait summary, within goal", "this", (
        f"{ENDINGS}, {WAIT},"
        f" count(*) FILTER (WHERE {CALLED} AND wait_seconds <= {GOAL_SECONDS})"
    ), ""),
    ("service time summary", "this", SERVICE, ""),
    ("visits by subject area", "this", "subject_area_id, count(*)", "GROUP BY 1"),
    ("visits by queue", "this", "first_queue_id, count(*)", "GROUP BY 1"),
    ("visits by team", "this", "team_id, count(*)", "GROUP BY 1"),
    ("visits by hour", "this", "issue_hour, count(*)", "GROUP BY 1"),
    ("visits by weekday", "this", "issue_weekday, count(*)", "GROUP BY 1"),
    ("visits by month", "this", "date_trunc('month', issue_date), count(*)", "GROUP BY 1"),
    ("visits by ISO week", "this", "date_trunc('week', issue_date), count(*)", "GROUP BY 1"),
    ("visits by day", "this", "issue_date, count(*)", "GROUP BY 1"),
    ("appointments and walk-ins: visits, wait and service time", "this",
     f"is_appointment, count(*), {WAIT}, {SERVICE}", "GROUP BY 1"),
    ("first-contact resolution: served visits by outcome", "this",
     "outcome, count(*)", f"AND {SERVED} GROUP BY 1"),
    ("longest-waiting subject areas", "this", f"subject_area_id, {WAIT}",
     "GROUP BY 1 ORDER BY 3 DESC LIMIT 5"),
    ("service goals: called, within the goal and total wait per centre", "this", (
        f"location_id, count(*) FILTER (WHERE {CALLED}),"
        f" count(*) FILTER (WHERE {CALLED} AND wait_seconds <= {GOAL_SECONDS}),"
        f" sum(wait_seconds) FILTER (WHERE {CALLED})"
    ), "GROUP BY 1"),
    ("previous year: visits by ending, wait summary, within goal", "last", (
        f"{ENDINGS}, {WAIT},"
        f" count(*) FILTER (WHERE {CALLED} AND wait_seconds <= {GOAL_SECONDS})"
    ), ""),
    ("previous year: service time summary", "last", SERVICE, ""),
    ("previous year: visits by subject area", "last", "subject_area_id, count(*)", "GROUP BY 1"),
    ("previous year: visits by month", "last",
     "date_trunc('month', issue_date), count(*)", "GROUP BY 1"),
    ("previous year: first-contact resolution", "last",
     "outcome, count(*)", f"AND {SERVED} GROUP BY 1"),
]  # fmt: skip


def _statements(
    query: ReportQuery, last_from: dt.date, last_to: dt.date
) -> list[tuple[str, list[Any]]]:
    periods = {"this": (query.date_from, query.date_to), "last": (last_from, last_to)}
    centres = ", ".join(["%s"] * len(query.location_ids))
    found = []
    for _name, period, selected, rest in BASELINE:
        sql = (
            f"SELECT {selected} FROM queue_visitfact"  # noqa: S608 - this module's own text
            f" WHERE issue_date BETWEEN %s AND %s AND location_id IN ({centres}) {rest}"
        )
        found.append((sql, [*periods[period], *query.location_ids]))
    return found


def _run_baseline(statements: list[tuple[str, list[Any]]]) -> list[list[Any]]:
    answers = []
    with connection.cursor() as cursor:
        for sql, parameters in statements:
            cursor.execute(sql, parameters)
            answers.append(cursor.fetchall())
    return answers


def _run_report(query: ReportQuery) -> tuple[dict[str, Any], int]:
    report = build_report(query)
    return report, len(json.dumps(report, ensure_ascii=False))


def _timed(work: Any, *arguments: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    done = work(*arguments)
    return time.perf_counter() - started, done


def _check_same_rows(report: dict[str, Any], answers: list[list[Any]]) -> None:
    """Raise SystemExit when the baseline read other rows than the report."""
    total, median = answers[0][0][0], answers[0][0][7][0]
    if (total, rounding.minutes(median)) != (
        report["visits"]["total"],
        report["wait_minutes"]["median"],
    ):
        raise SystemExit(
            f"the baseline counts {total} visits with a median wait of {median} s; the report"
            f" {report['visits']['total']} with {report['wait_minutes']['median']} minutes"
        )


def measure(year: int, repeats: int) -> dict[str, Any]:
    """Return the report's and the baseline's timings (seconds), their medians and the ratio."""
    query = ReportQuery(
        location_ids=tuple(
            Location.objects.filter(active=True).order_by("pk").values_list("pk", flat=True)
        ),
        all_locations=True,
        date_from=dt.date(year, 1, 1),
        date_to=dt.date(year, 12, 31),
    )
    with CaptureQueriesContext(connection) as captured:
        report, size = _run_report(query)
    last = report["previous_year"]["period"]
    statements = _statements(
        query, dt.date.fromisoformat(last["from"]), dt.date.fromisoformat(last["to"])
    )
    _check_same_rows(report, _run_baseline(statements))
    report_runs, baseline_runs = [], []
    for _ in range(repeats):
        report_runs.append(_timed(_run_report, query)[0])
        baseline_runs.append(_timed(_run_baseline, statements)[0])
    report_seconds = statistics.median(report_runs)
    baseline_seconds = statistics.median(baseline_runs)
    return {
        "report_seconds": report_seconds,
        "baseline_seconds": baseline_seconds,
        "ratio": report_seconds / baseline_seconds,
        "report_runs": [round(seconds, 3) for seconds in report_runs],
        "baseline_runs": [round(seconds, 3) for seconds in baseline_runs],
        "report_statements": len(captured.captured_queries),
        "report_json_bytes": size,
        "baseline_statements": [name for name, *_rest in BASELINE],
        "visits_in_year": report["visits"]["total"],
        "visits_in_previous_year": report["previous_year"]["visits"]["total"],
        "centres": len(query.location_ids),
        "period": report["period"],
    }


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]), int(sys.argv[2]))))
