"""Figure 3, live fan-out: 1,000 server-sent-event clients spread over several `skranke serve`
processes on one PostgreSQL database; for each call-next made through the API, the time from its
response to each client receiving the `called` event.

`run()` is what the `make bench` harness calls; `python -m bench.fanout` runs it alone on a
database of its own (created and dropped). The load generator is this process: one asyncio loop
with aiohttp, which shares the machine's cores with the servers, so its CPU use is recorded
beside the figures. Everything is bounded: connecting, each event's wait and the whole run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.fanout_seed import seed_database, setup_main
from bench.probes import database_sessions, percentile, process_status

# The stream clients connect this many at a time: each start reads a snapshot from the
# database, and a thousand at once would only queue for the servers' connection pools.
CONNECT_CONCURRENCY = 50
# Connecting every client must finish within this; a client not connected by then counts as
# missing every event.
CONNECT_TIMEOUT_SECONDS = 180.0
# After each call-next, the clients have this long to receive its event before it counts as
# missed for those that did not.
EVENT_TIMEOUT_SECONDS = 10.0
# Server start-up (Django import) on a loaded two-core machine.
SERVER_START_TIMEOUT_SECONDS = 60.0
# Goals from the issue.
LATENCY_GOAL_SECONDS = 0.5
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/skranke_bench_fanout"


# The load generator -----------------------------------------------------------------------------


@dataclass
class StreamClient:
    """One SSE client; records when each `called` event (by number) arrived."""

    url: str
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    received: dict[str, float] = field(default_factory=dict)
    failure: str = ""
    ended: bool = False

    async def run(self, session: Any, limiter: asyncio.Semaphore, arrivals: asyncio.Event) -> None:
        import aiohttp

        try:
            async with limiter:
                response = await session.get(
                    self.url, headers={"Accept": "text/event-stream"}, timeout=_stream_timeout()
                )
                if response.status != 200:
                    self.failure = f"HTTP {response.status}"
                    response.release()
                    return
                kind = ""
                # The snapshot comes first; once it is read the client is subscribed.
                while True:
                    line = await response.content.readline()
                    if not line:
                        self.failure = "the stream ended before its snapshot"
                        return
                    if line.startswith(b"event: snapshot"):
                        break
                self.connected.set()
            async with response:
                async for raw in response.content:
                    if raw.startswith(b"event: "):
                        kind = raw[7:].strip().decode()
                    elif raw.startswith(b"data: ") and kind == "called":
                        now = time.monotonic()
                        # The public stream names numbers, not tickets; a run's are unique.
                        self.received.setdefault(json.loads(raw[6:])["number"], now)
                        arrivals.set()
                    elif raw == b"\n":
                        kind = ""
        except (aiohttp.ClientError, TimeoutError, ConnectionError) as error:
            self.failure = self.failure or f"{type(error).__name__}: {error}"
        finally:
            self.ended = True
            self.connected.set()


def _stream_timeout() -> Any:
    import aiohttp

    # No total limit (a stream is open for the whole run); connecting is bounded.
    return aiohttp.ClientTimeout(total=None, connect=30, sock_connect=30, sock_read=None)


@dataclass
class Measurement:
    latencies: list[float]
    since_asked: list[float]
    missed: int
    before_response: int
    connected: int
    failures: list[str]
    call_seconds: list[float]
    load_cpu_seconds: float
    load_wall_seconds: float
    connect_seconds: float
    servers_with_streams: list[dict[str, int]]
    sessions_with_streams: dict[str, int]


async def _measure(
    server_urls: list[str],
    server_pids: list[int],
    database_url: str,
    seed: dict[str, Any],
    clients: int,
    events: int,
) -> Measurement:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    limiter = asyncio.Semaphore(CONNECT_CONCURRENCY)
    arrivals = asyncio.Event()
    path = f"/api/v1/locations/{seed['slug']}/events"
    # Round-robin, so every server process holds its share of the streams.
    stream_clients = [
        StreamClient(server_urls[i % len(server_urls)] + path) for i in range(clients)
    ]
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.monotonic()
        tasks = [
            asyncio.create_task(client.run(session, limiter, arrivals)) for client in stream_clients
        ]
        with suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.gather(*(client.connected.wait() for client in stream_clients)),
                CONNECT_TIMEOUT_SECONDS,
            )
        connect_seconds = time.monotonic() - started
        live = [
            client for client in stream_clients if client.connected.is_set() and not client.ended
        ]
        servers_with_streams = [process_status(pid) for pid in server_pids]
        sessions_with_streams = await asyncio.to_thread(database_sessions, database_url)

        usage_before = resource.getrusage(resource.RUSAGE_SELF)
        wall_before = time.monotonic()
        latencies: list[float] = []
        since_asked: list[float] = []
        call_seconds: list[float] = []
        missed = 0
        before_response = 0
        api = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        async with api:
            for index in range(events):
                counter = seed["counters"][index % len(seed["counters"])]
                # Calls go through every server in turn: a call on one process must reach the
                # streams of all of them.
                server_url = server_urls[index % len(server_urls)]
                url = f"{server_url}/api/v1/counters/{counter['counter']}/call-next"
                arrivals.clear()
                asked = time.monotonic()
                async with api.post(
                    url, headers={"Authorization": f"Bearer {counter['token']}"}
                ) as response:
                    body = await response.json()
                    answered = time.monotonic()
                if response.status != 200 or not body.get("ticket"):
                    raise RuntimeError(f"call-next answered {response.status}: {body}")
                call_seconds.append(answered - asked)
                ticket = str(body["ticket"]["number"])
                deadline = answered + EVENT_TIMEOUT_SECONDS
                while True:
                    waiting = [client for client in live if ticket not in client.received]
                    if not waiting or all(client.ended for client in waiting):
                        break
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    arrivals.clear()
                    with suppress(TimeoutError):
                        await asyncio.wait_for(arrivals.wait(), min(remaining, 0.5))
                for client in live:
                    arrived = client.received.get(ticket)
                    if arrived is None:
                        missed += 1
                        continue
                    if arrived < answered:
                        # NOTIFY goes out at commit, before the response is written.
                        before_response += 1
                    latencies.append(max(0.0, arrived - answered))
                    since_asked.append(arrived - asked)
        usage_after = resource.getrusage(resource.RUSAGE_SELF)
        wall = time.monotonic() - wall_before
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    cpu = (usage_after.ru_utime + usage_after.ru_stime) - (
        usage_before.ru_utime + usage_before.ru_stime
    )
    failures = [client.failure for client in stream_clients if client.failure]
    # A client that never connected missed every event.
    missed += (clients - len(live)) * events
    return Measurement(
        latencies=latencies,
        since_asked=since_asked,
        missed=missed,
        before_response=before_response,
        connected=len(live),
        failures=failures,
        call_seconds=call_seconds,
        load_cpu_seconds=cpu,
        load_wall_seconds=wall,
        connect_seconds=connect_seconds,
        servers_with_streams=servers_with_streams,
        sessions_with_streams=sessions_with_streams,
    )


def raise_file_limit(needed: int) -> int:
    """Raise this process's open-file limit towards ``needed`` (up to the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        soft = wanted
    return int(soft)


def run(
    database_url: str, *, clients: int = 1000, processes: int = 2, events: int = 20
) -> list[dict[str, Any]]:
    """Measure live fan-out on ``database_url`` (a PostgreSQL database this run may write to).

    Returns the figures, each {"name", "value", "unit", "goal", "met", ...}. Raises
    RuntimeError when it could not measure (a server did not start, seeding failed).
    """
    from skranke.testing.server import start_server

    if processes < 2:
        raise ValueError("the fan-out figure needs at least two server processes")
    # Each client holds one socket here, and the servers (children) inherit the limit too.
    file_limit = raise_file_limit(clients * 2 + 1024)
    data_dir = tempfile.mkdtemp(prefix="skranke-bench-fanout-")
    environment = {
        **os.environ,
        "SKRANKE_DATA_DIR": data_dir,
        "SKRANKE_SECRET_KEY": secrets.token_urlsafe(48),
        "SKRANKE_DEBUG": "0",
        "SKRANKE_RATE_LIMITS": "off",
        "SKRANKE_LOG_LEVEL": "WARNING",
    }
    seed = seed_database(database_url, environment, counters=events)
    servers = []
    with _environment(environment):
        try:
            for _ in range(processes):
                servers.append(
                    start_server(
                        database_url,
                        collectstatic=False,
                        timeout=SERVER_START_TIMEOUT_SECONDS,
                    )
                )
            pids = [server.process.pid for server in servers]
            idle = [process_status(pid) for pid in pids]
            measured = asyncio.run(
                _measure(
                    [server.url for server in servers], pids, database_url, seed, clients, events
                )
            )
            after = [process_status(pid) for pid in pids]
        finally:
            for server in servers:
                server.stop()
    return _figures(measured, idle, after, clients, processes, events, file_limit)


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    # start_server passes on this process's environment; set it for the servers only.
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _figures(
    measured: Measurement,
    idle: list[dict[str, int]],
    after: list[dict[str, int]],
    clients: int,
    processes: int,
    events: int,
    file_limit: int,
) -> list[dict[str, Any]]:
    latencies = measured.latencies
    p99 = percentile(latencies, 0.99)
    load = {
        "load_generator_cpu_seconds": round(measured.load_cpu_seconds, 3),
        "load_generator_cpu_share_of_one_core": round(
            measured.load_cpu_seconds / measured.load_wall_seconds, 3
        )
        if measured.load_wall_seconds
        else None,
    }
    details = {
        "clients": clients,
        "clients_connected": measured.connected,
        "server_processes": processes,
        "events": events,
        "deliveries_measured": len(latencies),
        "delivered_before_call_response": measured.before_response,
        "connect_seconds": round(measured.connect_seconds, 2),
        "call_next_p50_seconds": round(percentile(measured.call_seconds, 0.5), 4),
        "client_failures": sorted(set(measured.failures))[:5],
        "file_limit": file_limit,
        **load,
    }
    per_process = [
        {
            "threads_idle": before["threads"],
            "threads_with_streams": streams["threads"],
            "rss_mib_idle": round(before["rss_kib"] / 1024, 1),
            "rss_mib_with_streams": round(streams["rss_kib"] / 1024, 1),
        }
        for before, streams in zip(idle, measured.servers_with_streams, strict=True)
    ]
    sessions = measured.sessions_with_streams
    # Each server process may hold its pool (up to SKRANKE_DB_POOL_MAX, default 20) and one
    # LISTEN connection; anything near one per stream would be a leak.
    session_bound = processes * 21
    streams_per_process = clients // processes
    # A few threads for the shared pool are fine; one per stream is what must not happen.
    thread_bound = max(process["threads_idle"] for process in per_process) + max(
        10, streams_per_process // 10
    )
    threads = max(process["threads_with_streams"] for process in per_process)
    shape = f"{clients} clients, {processes} processes"
    return [
        {
            "name": f"fan-out delivery p99 ({shape})",
            "value": round(p99, 4),
            "unit": "s",
            "goal": f"<= {LATENCY_GOAL_SECONDS:g} s",
            "met": bool(latencies) and p99 <= LATENCY_GOAL_SECONDS,
            "p50": round(percentile(latencies, 0.5), 4),
            "p95": round(percentile(latencies, 0.95), 4),
            "max": round(max(latencies), 4) if latencies else None,
            # From sending the call instead: includes the call itself, so never zero.
            "p50_from_request": round(percentile(measured.since_asked, 0.5), 4),
            "p99_from_request": round(percentile(measured.since_asked, 0.99), 4),
            "loadgen_cpu_share": load["load_generator_cpu_share_of_one_core"],
            "details": details,
        },
        {
            "name": f"fan-out missed events ({shape})",
            "value": measured.missed,
            "unit": "events",
            "goal": "0",
            "met": measured.missed == 0 and measured.connected == clients,
            "details": {"expected": clients * events, **load},
        },
        {
            "name": f"fan-out database sessions with {clients} streams open",
            "value": sessions["total"],
            "unit": "sessions",
            "goal": f"<= {session_bound} (pools and LISTEN, none per stream)",
            "met": sessions["total"] <= session_bound,
            "details": sessions,
        },
        {
            "name": f"fan-out server threads per process ({streams_per_process} streams each)",
            "value": threads,
            "unit": "threads",
            "goal": f"<= {thread_bound} (no thread per stream)",
            "met": threads <= thread_bound,
            # Memory has no goal; it is recorded for sizing (docs/deployment.md).
            "rss_mib_per_process": [process["rss_mib_with_streams"] for process in per_process],
            "rss_mib_per_process_idle": [process["rss_mib_idle"] for process in per_process],
            "details": {
                "processes": per_process,
                "threads_after_streams_closed": [status["threads"] for status in after],
            },
        },
    ]


# Running alone ----------------------------------------------------------------------------------


def _maintenance_url(database_url: str) -> tuple[str, str]:
    """Return the URL of the server's `postgres` database and the benchmark database's name."""
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if parts.scheme not in ("postgres", "postgresql") or not name:
        raise SystemExit(f"--database-url must be postgres://…/name, not {database_url!r}")
    return urlunsplit(parts._replace(path="/postgres")), name


def _recreate(database_url: str, *, drop_only: bool = False) -> None:
    import psycopg
    from psycopg import sql

    maintenance, name = _maintenance_url(database_url)
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        if not drop_only:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def print_table(figures: list[dict[str, Any]]) -> None:
    for figure in figures:
        met = "met" if figure["met"] else "MISSED"
        extra = ""
        if "p50" in figure:
            extra = f"  (p50 {figure['p50']} s, p95 {figure['p95']} s, max {figure['max']} s)"
        if "rss_mib_per_process" in figure:
            extra = f"  (RSS {figure['rss_mib_per_process']} MiB)"
        print(
            f"{figure['name']:<60} {figure['value']!s:>8} {figure['unit']:<9} "
            f"goal {figure['goal']}: {met}{extra}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__)
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help="PostgreSQL database to create, use and drop (default: %(default)s).",
    )
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    parser.add_argument("--json", type=Path, help="Also write the figures to this file.")
    parser.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--counters", type=int, default=20, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.setup:
        setup_main(options.counters, tickets=options.counters)
        return 0
    if options.clients < 1 or options.events < 1:
        parser.error("--clients and --events must be at least 1")
    _recreate(options.database_url)
    try:
        figures = run(
            options.database_url,
            clients=options.clients,
            processes=options.processes,
            events=options.events,
        )
    finally:
        if not options.keep:
            _recreate(options.database_url, drop_only=True)
    print_table(figures)
    if options.json:
        options.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
