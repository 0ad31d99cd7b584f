"""A PostgreSQL outage under load, against two real server processes (skranke.core.outage).

The test runs a PostgreSQL of its own (the suite's shared one cannot be stopped), migrates it,
loads the demo municipality and starts two `skranke serve` processes on it:

* the *busy* process gets API and page requests all the time, outage included;
* the *quiet* process gets them before and after, none while the database is stopped, so its
  pooled connections sit idle through the outage and are dead when the database is back.

PostgreSQL is stopped (`pg_ctl stop -m fast`) for five seconds and started again. Then:

* every answer given wholly while it was stopped is a 503: ``{"detail": …}`` with Retry-After
  under /api/, the self-reloading page otherwise; nothing is ever a 500;
* the quiet process answers every request after the restart (no dead connection is used);
* the busy process answers every request after its first success after the restart (before
  that, within a bounded wait, its pool is still reconnecting and it answers 503);
* the busy process logs exactly one outage-start and one outage-end line, the quiet one none
  (an outage is logged by a process that had a request fail on it), and neither a traceback;
* each process's live stream, open all along, gets an event written after the restart.

When the fix was taken out (checked once each): without ``handler500`` the answers in the
outage were Django's HTML "Server Error (500)" (14 of them); without the log filter each 503 left
a traceback in the log; without ``CONN_HEALTH_CHECKS`` the quiet process's first two requests
after the restart failed on its pool's two dead connections (503, and the quiet process logged
two outages of its own). A signed-in request under way when the database stopped was once told
400 "session deleted" (Django's session store on a failed save): handler400 answers that 503.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from skranke.core.outage import RETRY_AFTER_SECONDS
from skranke.testing.postgres_cluster import ThrowawayCluster
from skranke.testing.server import RunningServer, start_server
from skranke.testing.streams import STREAM_ENV, EventStream
from skranke.testing.waiting import wait_for

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[3]
OUTAGE_SECONDS = 5.0
# Bounds on waiting for the load to reach a phase; reaching one normally takes seconds.
PHASE_DEADLINE_SECONDS = 30.0
# A request while the database is stopped waits this long for a pooled connection, then is
# answered 503 (SKRANKE_DB_POOL_TIMEOUT; the default of 10 s would outlast the outage).
POOL_TIMEOUT_SECONDS = 2
OUTAGE_STARTED = "the database is unavailable"
OUTAGE_ENDED = "the database is available again"

# Run inside `skranke shell` on the throwaway database (one start-up of Django for all of it):
# the tables, the static files both servers serve, the demo municipality, a paired kiosk at the
# around-the-clock centre, a signed-in counter employee and one waiting citizen's number.
SETUP = """
import json
from django.conf import settings
from django.core.management import call_command
from django.contrib.auth import get_user_model
from django.test import Client
from skranke.access.middleware import DEVICE_COOKIE
from skranke.access.models import DevicePurpose
from skranke.access.services import pair_device
from skranke.core.demo import load_demo
from skranke.queue.models import CounterSession, Ticket, TicketStatus

call_command("migrate", verbosity=0)
call_command("collectstatic", interactive=False, verbosity=0)
access = load_demo()
path = next(
    path for device, path in access.pairing_paths
    if device.location.slug == "demo" and device.purpose == DevicePurpose.KIOSK
)
_device, kiosk = pair_device(path.rstrip("/").rsplit("/", 1)[-1])
staff = get_user_model().objects.get(username="medarbejder")
browser = Client()
browser.force_login(staff)
session = browser.cookies[settings.SESSION_COOKIE_NAME].value
ticket = Ticket.objects.filter(location__slug="demo", status=TicketStatus.WAITING).first()
print("SETUP " + json.dumps({
    "manager_token": access.manager_token,
    "kiosk_cookie": f"{DEVICE_COOKIE}={kiosk}",
    "staff_cookie": f"{settings.SESSION_COOKIE_NAME}={session}",
    "counter": CounterSession.objects.get(staff=staff, closed_at__isnull=True).counter_id,
    "ticket_token": ticket.token,
    "service": ticket.service.slug,
}))
"""


@dataclass(frozen=True)
class Probe:
    """One kind of request the load sends, and the status it gets when all is well."""

    label: str
    method: str
    path: str
    expected: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, str] | None = None

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")


@dataclass(frozen=True)
class Answer:
    server: str
    probe: Probe
    sent_at: float
    answered_at: float
    status: int
    content_type: str
    retry_after: str | None
    text: str

    @property
    def succeeded(self) -> bool:
        return self.status == self.probe.expected


class Gate:
    """Lets requests through while open; `close()` waits until those under way have ended."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._open = True
        self._under_way = 0

    def enter(self, stop: threading.Event) -> bool:
        with self._changed:
            while not self._open and not stop.is_set():
                self._changed.wait(0.1)
            if stop.is_set():
                return False
            self._under_way += 1
            return True

    def leave(self) -> None:
        with self._changed:
            self._under_way -= 1
            self._changed.notify_all()

    def close(self) -> None:
        with self._changed:
            self._open = False
            assert self._changed.wait_for(
                lambda: self._under_way == 0, timeout=PHASE_DEADLINE_SECONDS
            ), "requests to the quiet server did not end"

    def open(self) -> None:
        with self._changed:
            self._open = True
            self._changed.notify_all()


class Load:
    """Client threads sending the probes in turn to one server, recording every answer."""

    def __init__(self, name: str, server: RunningServer, probes: list[Probe], clients: int):
        self.name = name
        self.server = server
        self.probes = probes
        self.gate = Gate()
        self.answers: list[Answer] = []
        self.failures: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(offset,), name=f"load {name} {offset}")
            for offset in range(clients)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.gate.open()
        for thread in self._threads:
            thread.join(PHASE_DEADLINE_SECONDS)

    def snapshot(self) -> list[Answer]:
        with self._lock:
            return list(self.answers)

    def _run(self, offset: int) -> None:
        # Each client starts at another probe, so API and page requests are under way together.
        turn = offset * 3
        with httpx.Client(base_url=self.server.url, timeout=4 * POOL_TIMEOUT_SECONDS) as client:
            while self.gate.enter(self._stop):
                probe = self.probes[turn % len(self.probes)]
                turn += 1
                try:
                    self._send(client, probe)
                except httpx.HTTPError as error:
                    with self._lock:
                        self.failures.append(f"{probe.label}: {error!r}")
                finally:
                    self.gate.leave()

    def _send(self, client: httpx.Client, probe: Probe) -> None:
        sent_at = time.monotonic()
        response = client.request(probe.method, probe.path, headers=probe.headers, json=probe.body)
        answer = Answer(
            server=self.name,
            probe=probe,
            sent_at=sent_at,
            answered_at=time.monotonic(),
            status=response.status_code,
            content_type=response.headers.get("Content-Type", ""),
            retry_after=response.headers.get("Retry-After"),
            text=response.text,
        )
        with self._lock:
            self.answers.append(answer)
        # Each probe carries its own cookies (a device's, a staff session's) and nothing else.
        client.cookies.clear()


def skranke(database_url: str, *arguments: str) -> str:
    """Run `python -m skranke …` on ``database_url``; return its output."""
    environment = dict(os.environ, SKRANKE_DATABASE_URL=database_url)
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "-m", "skranke", *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"skranke {arguments[0]} failed:\n{result.stdout}{result.stderr}"
    return result.stdout


@pytest.fixture
def cluster() -> Iterator[ThrowawayCluster]:
    made = ThrowawayCluster.create()
    try:
        made.start()
        yield made
    finally:
        made.remove()


@pytest.fixture
def seed(cluster: ThrowawayCluster) -> dict[str, Any]:
    output = skranke(cluster.url(), "shell", "--command", SETUP)
    line = next(line for line in output.splitlines() if line.startswith("SETUP "))
    return dict(json.loads(line.removeprefix("SETUP ")))


@pytest.fixture
def servers(cluster: ThrowawayCluster, seed: dict[str, Any]) -> Iterator[list[RunningServer]]:
    """The busy and the quiet server process, started side by side on the throwaway database."""
    environment = {**STREAM_ENV, "SKRANKE_DB_POOL_TIMEOUT": str(POOL_TIMEOUT_SECONDS)}
    # At most two pooled connections, both idle when the database stops: with the pool's check
    # each is found dead and replaced before use, without it each fails a request.
    quiet_environment = {**environment, "SKRANKE_DB_POOL_MIN": "2", "SKRANKE_DB_POOL_MAX": "2"}
    with ThreadPoolExecutor(max_workers=2) as pool:
        starting = [
            pool.submit(start_server, cluster.url(), extra_env=env, collectstatic=False, cwd=ROOT)
            for env in (environment, quiet_environment)
        ]
        wait(starting)
    started = [future.result() for future in starting if future.exception() is None]
    try:
        for future in starting:
            future.result()
        yield started
    finally:
        # Both shut down at once, each letting its open requests finish.
        for server in started:
            server.process.terminate()
        for server in started:
            server.stop()
            print(f"--- output of skranke serve on {server.url} ---\n{server.output}")


def probes_for(seed: dict[str, Any]) -> list[Probe]:
    staff = {"Cookie": seed["staff_cookie"]}
    return [
        Probe("centre status", "GET", "/api/v1/locations/demo/status", 200),
        Probe("kiosk page", "GET", "/kiosk/demo/", 200, {"Cookie": seed["kiosk_cookie"]}),
        Probe("me", "GET", "/api/v1/me", 200, {"Authorization": f"Bearer {seed['manager_token']}"}),
        Probe("mobile ticket page", "GET", f"/t/{seed['ticket_token']}/", 200),
        Probe(
            "draw a number",
            "POST",
            "/api/v1/tickets",
            201,
            body={"location": "demo", "service": seed["service"]},
        ),
        Probe("counter page", "GET", f"/counter/{seed['counter']}/", 200, staff),
        Probe("citizen's number", "GET", f"/api/v1/tickets/{seed['ticket_token']}", 200),
        Probe("floor guide", "GET", "/floor/demo/", 200, staff),
        Probe("start page", "GET", "/", 200),
    ]


def assert_unavailable(answer: Answer) -> None:
    """Assert that ``answer`` is the 503 of skranke.core.outage, in its API or page form."""
    where = f"{answer.server} {answer.probe.label}"
    assert answer.status == 503, f"{where}: {answer.status} {answer.text[:300]}"
    assert answer.retry_after == str(RETRY_AFTER_SECONDS), where
    if answer.probe.api:
        assert answer.content_type.startswith("application/json"), where
        detail = json.loads(answer.text)["detail"]
        assert isinstance(detail, str) and detail, where
    else:
        assert answer.content_type.startswith("text/html"), where
        assert '<meta http-equiv="refresh"' in answer.text, where
        assert "<script" not in answer.text, where


def event_id_of_issue(cluster: ThrowawayCluster, ticket_id: int) -> int:
    with psycopg.connect(cluster.url()) as connection:
        row = connection.execute(
            "SELECT id FROM queue_ticketevent WHERE ticket_id = %s AND kind = 'issued'",
            [ticket_id],
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_an_outage_is_answered_503_logged_once_and_leaves_no_dead_connection(
    cluster: ThrowawayCluster, seed: dict[str, Any], servers: list[RunningServer]
) -> None:
    busy_server, quiet_server = servers
    probes = probes_for(seed)
    streams = [EventStream(f"{server.url}/api/v1/locations/demo/events") for server in servers]
    busy = Load("busy", busy_server, probes, clients=3)
    quiet = Load("quiet", quiet_server, probes, clients=2)
    loads = [busy, quiet]
    try:
        for stream in streams:
            assert stream.next().event == "snapshot"
        for load in loads:
            load.start()
        wait_for(
            lambda: all(len(load.snapshot()) >= len(probes) for load in loads),
            PHASE_DEADLINE_SECONDS,
            "every server answered a round of requests",
        )

        quiet.gate.close()
        stopping_at = time.monotonic()
        cluster.stop()
        down_from = time.monotonic()

        def outage_seen() -> bool:
            during = [a for a in busy.snapshot() if a.sent_at >= down_from]
            return (
                time.monotonic() - down_from >= OUTAGE_SECONDS
                and any(a.probe.api for a in during)
                and any(not a.probe.api for a in during)
            )

        wait_for(
            outage_seen,
            PHASE_DEADLINE_SECONDS,
            "the busy server answered API and page requests in the outage",
        )
        down_until = time.monotonic()
        cluster.start()
        up_from = time.monotonic()
        quiet.gate.open()

        def first_success_after_restart() -> float | None:
            after = [a.sent_at for a in busy.snapshot() if a.sent_at >= up_from and a.succeeded]
            return min(after, default=None)

        def recovered() -> bool:
            first = first_success_after_restart()
            return (
                first is not None
                and len([a for a in busy.snapshot() if a.sent_at > first]) >= 2 * len(probes)
                and len([a for a in quiet.snapshot() if a.sent_at >= up_from]) >= 2 * len(probes)
            )

        wait_for(
            recovered, PHASE_DEADLINE_SECONDS, "both servers answered two rounds after the restart"
        )
        for load in loads:
            load.stop()

        # The live streams recovered by themselves: each gets a number drawn after the restart.
        drawn = httpx.post(
            f"{quiet_server.url}/api/v1/tickets",
            json={"location": "demo", "service": seed["service"]},
            timeout=4 * POOL_TIMEOUT_SECONDS,
        )
        assert drawn.status_code == 201, drawn.text
        issued = event_id_of_issue(cluster, drawn.json()["id"])
        for stream in streams:
            deadline = time.monotonic() + PHASE_DEADLINE_SECONDS
            while stream.next(max(0.0, deadline - time.monotonic())).id != issued:
                pass
    finally:
        for load in loads:
            load.stop()
        for stream in streams:
            stream.close()

    answers = busy.snapshot() + quiet.snapshot()
    assert busy.failures == [] and quiet.failures == []
    assert [
        (a.server, a.probe.label, a.status) for a in answers if a.status >= 500 and a.status != 503
    ] == []
    before = [a for a in answers if a.answered_at < stopping_at]
    assert before and all(a.succeeded for a in before), [
        (a.server, a.probe.label, a.status) for a in before if not a.succeeded
    ]

    during = [a for a in busy.snapshot() if a.sent_at >= down_from and a.answered_at < down_until]
    assert {a.probe.api for a in during} == {True, False}
    for answer in during:
        assert_unavailable(answer)
    assert [a for a in quiet.snapshot() if down_from <= a.sent_at < up_from] == []
    # Across the stop and the start a request may have been answered either way.
    for answer in answers:
        if not answer.succeeded:
            assert_unavailable(answer)

    quiet_after = [a for a in quiet.snapshot() if a.sent_at >= up_from]
    assert [(a.probe.label, a.status) for a in quiet_after if not a.succeeded] == []
    first = first_success_after_restart()
    assert first is not None
    busy_after = [a for a in busy.snapshot() if a.sent_at > first]
    assert [(a.probe.label, a.status) for a in busy_after if not a.succeeded] == []

    for server, outages in ((busy_server, 1), (quiet_server, 0)):
        log = server.output
        assert "Traceback" not in log
        assert "django.request" not in log
        assert log.count(OUTAGE_STARTED) == outages, log
        assert log.count(OUTAGE_ENDED) == outages, log
