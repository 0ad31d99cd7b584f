"""Figure group `import`: `skranke import tickets` of 1,000,000 Frontdesk rows into PostgreSQL.

The file is generated once (var/bench/frontdesk-v1-1000000.csv, about 120 MB) and reused: three
years of weekdays at a large centre, 08:00-16:00, in time order, with the columns a Frontdesk
export has plus one it carries and Skranke ignores. The import runs as the `skranke` command in
a process of its own, on a freshly migrated database, so its wall time (start-up included) and
its peak resident memory (the kernel's own count, from wait4) are the command's as a user sees
them. `python -m bench --only import` measures this group alone.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.stack import (
    DATA_DIR,
    ROOT,
    SKRANKE,
    CouldNotMeasure,
    recreate_database,
    server_environment,
)

ROWS = 1_000_000
QUICK_ROWS = 100_000
RATE_GOAL = 20_000.0
MEMORY_GOAL_MB = 300.0
LOCATION = "bench-import"
# Bump when the generated file changes, so a cached one of an older shape is not reused.
FILE_VERSION = 1
HEADER = (
    "TicketId;CreatedAt;CalledAt;EndedAt;QueueName;QueueCategoryName;CounterName;EmployeeName;"
    "Tickettype;WaitingTime"
)
QUEUES = {
    "Pas og kørekort": ["Pas", "Kørekort"],
    "Borgerservice": ["Folkeregister", "Sygesikring", "Skat", "Information"],
    "Ydelser": ["Pension", "Boligstøtte", "Opkrævning"],
    "MitID og Digital Post": ["MitID", "Digital Post"],
}
EMPLOYEES = [
    f"{first} {last}"
    for first in ("Mette", "Søren", "Anne", "Jens", "Åse", "Bo")
    for last in ("Hansen", "Jørgensen", "Nielsen", "Ærø", "Poulsen")
]


def generate(path: Path, rows: int = ROWS, seed: int = 14) -> None:
    """Write the Frontdesk file (UTF-8 with a byte order mark, ``;``), in time order."""
    randomiser = random.Random(seed)
    queues = list(QUEUES)
    partial = path.with_name(path.name + ".partial")
    day = dt.date(2023, 1, 2)
    written = 0
    per_day = 1300
    with partial.open("w", encoding="utf-8-sig", newline="") as out:
        out.write(HEADER + "\r\n")
        while written < rows:
            if day.weekday() < 5:
                count = min(per_day, rows - written)
                opening = dt.datetime.combine(day, dt.time(8, 0))
                # Arrival offsets in seconds over the eight opening hours, sorted: time order.
                arrivals = sorted(randomiser.randrange(8 * 3600) for _ in range(count))
                lines = []
                for arrival in arrivals:
                    written += 1
                    created = opening + dt.timedelta(seconds=arrival)
                    queue = randomiser.choice(queues)
                    area = randomiser.choice(QUEUES[queue])
                    draw = randomiser.random()
                    called = ended = ""
                    counter = employee = ""
                    wait = randomiser.randrange(30, 1800)
                    if draw < 0.93:
                        called_at = created + dt.timedelta(seconds=wait)
                        called = f"{called_at:%d-%m-%Y %H:%M:%S}"
                        counter = f"Skranke {randomiser.randrange(1, 13)}"
                        employee = randomiser.choice(EMPLOYEES)
                        if draw < 0.86:
                            ended_at = called_at + dt.timedelta(
                                seconds=randomiser.randrange(60, 1500)
                            )
                            ended = f"{ended_at:%d-%m-%Y %H:%M:%S}"
                    kind = "Tidsbestilling" if randomiser.random() < 0.2 else "Walk-in"
                    lines.append(
                        f"{written};{created:%d-%m-%Y %H:%M:%S};{called};{ended};{queue};{area};"
                        f"{counter};{employee};{kind};{wait // 60}\r\n"
                    )
                out.writelines(lines)
            day += dt.timedelta(days=1)
    os.replace(partial, path)


def frontdesk_file(rows: int = ROWS) -> Path:
    """Return the generated file, generating it the first time."""
    path = DATA_DIR / f"frontdesk-v{FILE_VERSION}-{rows}.csv"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        print(f"Generating {path.name} (once) …", flush=True)
        generate(path, rows)
    return path


def _prepare(database_url: str) -> dict[str, str]:
    recreate_database(database_url)
    environment = server_environment(database_url)
    for arguments, what in (
        ([str(SKRANKE), "migrate", "--verbosity", "0"], "skranke migrate"),
        (
            [
                str(SKRANKE),
                "shell",
                "-c",
                "from skranke.organisation.models import Location; "
                f"Location.objects.create(name='Import benchmark', slug='{LOCATION}')",
            ],
            "creating the centre",
        ),
    ):
        done = subprocess.run(
            arguments, env=environment, cwd=ROOT, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise CouldNotMeasure(f"{what} failed:\n{done.stderr[-3000:]}")
    return environment


def _run_measured(arguments: list[str], environment: dict[str, str]) -> tuple[float, int, str]:
    """Run ``arguments``; returns its wall seconds, peak resident memory in bytes, and stdout."""
    log = DATA_DIR / "import.log"
    with log.open("w") as output, (DATA_DIR / "import.err").open("w") as errors:
        started = time.monotonic()
        process = subprocess.Popen(
            arguments, env=environment, cwd=ROOT, stdout=output, stderr=errors
        )
        # wait4 gives this child's own resource use; RUSAGE_CHILDREN would mix in every
        # process this benchmark has waited for before (servers, migrations).
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.monotonic() - started
        process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise CouldNotMeasure(
            f"skranke import failed:\n{(DATA_DIR / 'import.err').read_text()[-3000:]}"
        )
    # Linux reports ru_maxrss in kilobytes.
    return wall, usage.ru_maxrss * 1024, log.read_text()


def _count(database_url: str) -> int:
    import psycopg

    with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1)) as connection:
        row = connection.execute("SELECT count(*) FROM queue_visitfact").fetchone()
    return int(row[0]) if row else 0


def run(database_url: str, rows: int = ROWS) -> list[dict[str, Any]]:
    """Measure the import; returns the two figures."""
    path = frontdesk_file(rows)
    environment = _prepare(database_url)
    wall, peak, output = _run_measured(
        [
            str(SKRANKE),
            "import",
            "tickets",
            str(path),
            "--location",
            LOCATION,
            "--format",
            "frontdesk",
        ],
        environment,
    )
    written = _count(database_url)
    if written != rows:
        raise CouldNotMeasure(f"the import wrote {written} visits of {rows} rows:\n{output}")
    rate = rows / wall
    peak_mb = peak / 2**20
    common = {
        "rows": rows,
        "file_bytes": path.stat().st_size,
        "wall_seconds": round(wall, 1),
        "command": f"skranke import tickets {path.name} --location {LOCATION} --format frontdesk",
    }
    return [
        {
            "name": f"import of {rows:,} Frontdesk rows",
            "value": round(rate),
            "unit": "rows/s",
            "goal": f">= {RATE_GOAL:,.0f} rows/s",
            "met": rate >= RATE_GOAL,
            **common,
        },
        {
            "name": f"import of {rows:,} Frontdesk rows, peak memory",
            "value": round(peak_mb, 1),
            "unit": "MB",
            "goal": f"<= {MEMORY_GOAL_MB:g} MB",
            "met": peak_mb <= MEMORY_GOAL_MB,
            **common,
        },
    ]


if __name__ == "__main__":
    import json

    url = sys.argv[1] if len(sys.argv) > 1 else "postgres://postgres@127.0.0.1:5432/skranke_bench"
    print(json.dumps(run(url), indent=2, ensure_ascii=False))
