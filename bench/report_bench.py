"""Figure group `report`: the one-year JSON report over ten million visit records ÷ a raw-SQL
baseline over the same rows, in the same run.

The records live in a database of their own beside the benchmark's (its name with `_report`
appended), which `make bench` never drops: it is created and migrated when missing, and
bench.report_data fills it once (about five minutes) and again only when its marker names
another version or row count. The measuring runs in a process of its own with the production
settings (bench.report_measure). `python -m bench.report_bench` runs this group alone.
"""

from __future__ import annotations

import json
import sys
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.stack import SKRANKE, CouldNotMeasure, run_checked, server_environment

ROWS = 10_000_000
YEAR = 2024
REPEATS = 3
SECONDS_GOAL = 10.0
RATIO_GOAL = 3.0


def report_database_url(bench_url: str) -> str:
    """The report data's database: the benchmark's, with `_report` appended to its name."""
    parts = urlsplit(bench_url)
    name = parts.path.lstrip("/")
    if not name.replace("_", "").isalnum():
        raise CouldNotMeasure(f"Use a plain database name for the benchmark, not {name!r}.")
    return urlunsplit(parts._replace(path=f"/{name}_report"))


def _ensure_database(database_url: str) -> None:
    """Create the database named in ``database_url`` unless it exists; never drop it."""
    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres", scheme="postgresql"))
    try:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            found = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [name]
            ).fetchone()
            if found is None:
                connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as error:
        raise CouldNotMeasure(f"PostgreSQL at {parts.hostname}: {error}") from error


def run(bench_url: str, rows: int = ROWS, repeats: int = REPEATS) -> list[dict[str, Any]]:
    """Make sure the data is there, measure, and return the three figures."""
    database_url = report_database_url(bench_url)
    _ensure_database(database_url)
    environment = server_environment(database_url)
    run_checked([str(SKRANKE), "migrate", "--verbosity", "0"], environment, "skranke migrate")
    print(
        f"Checking the report data ({rows:,} visit records; the first run generates them,"
        " which takes minutes) …",
        flush=True,
    )
    data = json.loads(
        run_checked(
            [sys.executable, "-m", "bench.report_data", str(rows)], environment, "report data"
        )
    )
    print(f"Timing the {YEAR} report and the baseline ({repeats} times each) …", flush=True)
    measured = json.loads(
        run_checked(
            [sys.executable, "-m", "bench.report_measure", str(YEAR), str(repeats)],
            environment,
            "timing the report",
        )
    )
    report, baseline, ratio = (
        measured["report_seconds"],
        measured["baseline_seconds"],
        measured["ratio"],
    )
    common = {
        "group": "report",
        "visit_records": data["rows"],
        "data_version": data["version"],
        "data_generated_this_run": data["generated"],
        "report_database": urlsplit(database_url).path.lstrip("/"),
        **{key: value for key, value in measured.items() if key not in ("ratio",)},
    }
    what = f"one-year report, {measured['centres']} centres, {rows:,} visit records"
    return [
        {
            "name": f"{what}: seconds",
            "value": round(report, 2),
            "unit": "s",
            "goal": f"<= {SECONDS_GOAL:g} s",
            "met": report <= SECONDS_GOAL,
            **common,
        },
        {
            "name": f"{what}: raw-SQL baseline ({len(measured['baseline_statements'])} statements)",
            "value": round(baseline, 2),
            "unit": "s",
            "goal": "none (the ratio's reference)",
            "met": None,
            **common,
        },
        {
            "name": f"{what}: report ÷ baseline",
            "value": round(ratio, 2),
            "unit": "ratio",
            "goal": f"<= {RATIO_GOAL:g}",
            "met": ratio <= RATIO_GOAL,
            **common,
        },
    ]


if __name__ == "__main__":
    url = sys.argv[1] if len(sys.argv) > 1 else "postgres://postgres@127.0.0.1:5432/skranke_bench"
    print(json.dumps(run(url), indent=2, ensure_ascii=False))
