"""`python -m bench [--only mixed,ratio,fanout] [--workers N] [--quick] [--profile]`.

Exit status: 0 when every figure was measured (whether or not its goal was met), 1 when the
stack could not be set up or a figure could not be measured.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import figures, imports, report_bench
from bench.stack import (
    DATA_DIR,
    ROOT,
    CouldNotMeasure,
    Server,
    machine,
    open_file_limit,
    prepare,
    start_server,
)

RESULTS_JSON = ROOT / "bench" / "results.json"
RESULTS_MD = ROOT / "bench" / "results.md"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/skranke_bench"
FIGURE_GROUPS = ["mixed", "ratio", "fanout", "import", "report"]


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--only",
        default=",".join(FIGURE_GROUPS),
        help=f"comma-separated figure groups to run (default: all of {','.join(FIGURE_GROUPS)})",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("SKRANKE_BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="PostgreSQL database to drop, create and fill (default: %(default)s)",
    )
    # Three served the mixed load best on the 2-core machine beside the load generator
    # (bench/PROFILE.md): a worker often waits on PostgreSQL, and a third keeps the cores busy.
    parser.add_argument("--workers", type=int, default=3, help="uvicorn worker processes")
    parser.add_argument("--quick", action="store_true", help="short phases, for trying it out")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample the server workers with py-spy during the mixed load (var/bench/profile-*)",
    )
    arguments = parser.parse_args(argv)
    arguments.groups = [group.strip() for group in arguments.only.split(",") if group.strip()]
    unknown = set(arguments.groups) - set(FIGURE_GROUPS)
    if unknown:
        parser.error(f"unknown figure group(s): {', '.join(sorted(unknown))}")
    return arguments


def _profiled(server: Server, seconds: int) -> list[subprocess.Popen[bytes]]:
    """Start py-spy on every worker for ``seconds``; the flame data lands in var/bench."""
    spy = Path(sys.executable).parent / "py-spy"
    return [
        subprocess.Popen(
            [
                str(spy),
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(seconds),
                "--rate",
                "200",
                "--format",
                "raw",
                "--output",
                str(DATA_DIR / f"profile-{index}.txt"),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for index, pid in enumerate(server.worker_pids())
    ]


def _measure_on_server(arguments: argparse.Namespace, seed: dict[str, Any]) -> list[dict]:
    durations = figures.Durations.quick() if arguments.quick else figures.Durations()
    server = start_server(arguments.database_url, arguments.workers)
    results: list[dict[str, Any]] = []
    try:
        if "mixed" in arguments.groups:
            spies = (
                _profiled(server, int(durations.warmup + durations.mixed))
                if (arguments.profile)
                else []
            )
            results += _stamped(figures.mixed_load(server, seed, durations), "mixed")
            for spy in spies:
                spy.wait()
        if "ratio" in arguments.groups:
            results += _stamped(figures.call_next_ratio(server, seed, durations), "ratio")
    finally:
        server.stop()
    return results


def _stamped(measured: list[dict[str, Any]], group: str) -> list[dict[str, Any]]:
    run = machine()
    return [{**figure, "group": group, "run": run} for figure in measured]


def _kept(groups: list[str]) -> list[dict[str, Any]]:
    """The figures of the last run's results.json from groups not measured this time, so that
    `--only` replaces its own groups' figures and keeps the others'."""
    try:
        previous = json.loads(RESULTS_JSON.read_text())
    except (OSError, ValueError):
        return []
    return [figure for figure in previous if figure.get("group") not in (*groups, None)]


def _fanout(arguments: argparse.Namespace) -> list[dict[str, Any]]:
    if importlib.util.find_spec("bench.fanout") is None:
        print("bench.fanout is not there: the fan-out figure is skipped.")
        return []
    fanout: Any = importlib.import_module("bench.fanout")
    run: Callable[..., list[dict[str, Any]]] = fanout.run
    if arguments.quick:
        measured = run(arguments.database_url, clients=200, events=5)
    else:
        measured = run(arguments.database_url)
    return _stamped(measured, "fanout")


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return "—" if value is None else str(value)


def _met(met: bool | None) -> str:
    # None: a reference figure without a goal of its own (the report's SQL baseline).
    return "—" if met is None else "yes" if met else "**no**"


def table(results: list[dict[str, Any]]) -> str:
    """A Markdown table of the figures against their goals."""
    rows = [
        "| figure | value | goal | met |",
        "| --- | ---: | --- | --- |",
    ]
    for figure in results:
        value = f"{_format(figure['value'])} {figure['unit']}"
        rows.append(f"| {figure['name']} | {value} | {figure['goal']} | {_met(figure['met'])} |")
    return "\n".join(rows)


def summary(results: list[dict[str, Any]], problems: list[str]) -> str:
    run = results[0]["run"] if results else machine()
    missed = [figure["name"] for figure in results if figure["met"] is False]
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (bench/cli.py); what each figure means is in README.md, "
        "section Benchmarks, and the profile of every shortfall in bench/PROFILE.md.",
        "",
        table(results),
        "",
        f"- Machine: {run['cores']} cores, {run['cpu_model']}; load average "
        f"{', '.join(str(value) for value in run['load_average'])} when measured.",
        f"- Revision {run['git_revision']}, Python {run['python']}, Django {run['django']}.",
    ]
    for figure in results:
        if "loadgen_cpu_share" in figure:
            lines.append(
                f"- {figure['name']}: the load generator used {figure['loadgen_cpu_share']:.0%}"
                " of one core."
            )
    lines.append(
        f"- Goals missed: {', '.join(missed)}." if missed else "- Every measured goal is met."
    )
    lines += [f"- Could not measure: {problem}" for problem in problems]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    arguments = _arguments(argv)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    print(f"Open files allowed: {open_file_limit()}")
    started = time.monotonic()
    results: list[dict[str, Any]] = []
    problems: list[str] = []
    try:
        if {"mixed", "ratio"} & set(arguments.groups):
            print("Setting up a fresh database …", flush=True)
            seed = prepare(arguments.database_url, waiting=600, deep=20_000)
            print("Measuring …", flush=True)
            results += _measure_on_server(arguments, seed)
    except CouldNotMeasure as error:
        problems.append(str(error))
    if "fanout" in arguments.groups:
        try:
            results += _fanout(arguments)
        except Exception as error:
            traceback.print_exc()
            problems.append(f"fan-out: {error}")
    if "import" in arguments.groups:
        try:
            rows = imports.QUICK_ROWS if arguments.quick else imports.ROWS
            print(f"Importing {rows:,} Frontdesk rows …", flush=True)
            results += _stamped(imports.run(arguments.database_url, rows), "import")
        except CouldNotMeasure as error:
            problems.append(f"import: {error}")
    if "report" in arguments.groups:
        try:
            repeats = 1 if arguments.quick else report_bench.REPEATS
            results += _stamped(report_bench.run(arguments.database_url, repeats=repeats), "report")
        except CouldNotMeasure as error:
            problems.append(f"report: {error}")
    results = _kept(arguments.groups) + results
    RESULTS_JSON.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    RESULTS_MD.write_text(summary(results, problems))
    print()
    print(summary(results, problems))
    print(f"Took {time.monotonic() - started:.0f} s; wrote {RESULTS_JSON} and {RESULTS_MD}.")
    return 1 if problems else 0
