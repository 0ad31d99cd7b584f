"""The database queries of the hot request paths (those `make bench` drives), counted.

Each test fails when a path needs more queries than it does today, so a change that adds a
query per request (an unselected relation, a second lookup) is seen here and not first as a
slower benchmark. PostgreSQL runs one more statement per written event than SQLite
(`pg_notify`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from skranke.access.services import create_api_token
from skranke.queue import services
from skranke.queue.models import Ticket, TicketStatus
from skranke.queue.reads import estimates, status
from skranke.queue.tests.factories import (
    Centre,
    issue,
    make_centre,
    make_staff,
    use_api_test_settings,
)

pytestmark = pytest.mark.django_db

# Statements per request on (SQLite, PostgreSQL), as Django's CaptureQueriesContext counts them
# (inside the test's transaction, so a service's own transaction adds SAVEPOINT and RELEASE).
BUDGET = {
    "health": (0, 0),
    # The ticket, the COUNT of those ahead, the counters serving its queue, and the queue's
    # measured service time (two statements, kept for a moment afterwards: "ticket again").
    "ticket": (5, 5),
    "ticket again": (3, 3),
    # Three queues here, their loads in one grouped statement; the same state is answered again,
    # after one read of the newest event, while no event happens at the centre.
    "status": (13, 13),
    "status again": (2, 2),
    # Two of them read the queue's measured service time, which later draws reuse for a moment.
    "issue": (13, 14),
    "call-next": (10, 11),
    "finish": (9, 10),
}


@pytest.fixture(autouse=True)
def _api_test_settings(settings: Any) -> None:
    use_api_test_settings(settings)


@contextmanager
def at_most(path: str) -> Iterator[CaptureQueriesContext]:
    budget = BUDGET[path][1 if connection.vendor == "postgresql" else 0]
    with CaptureQueriesContext(connection) as queries:
        yield queries
    statements = "\n".join(query["sql"][:200] for query in queries.captured_queries)
    assert len(queries) <= budget, f"{path}: {len(queries)} queries, budget {budget}:\n{statements}"


@pytest.fixture
def centre() -> Centre:
    centre = make_centre(counters=2)
    for _ in range(5):
        issue(centre)
    return centre


@pytest.fixture
def counter_client(centre: Centre) -> tuple[Client, int]:
    """A staff member's token client at counter 1, which is open for the passport queue."""
    staff = make_staff(locations=[centre.location])
    _token, secret = create_api_token(staff, "test")
    services.open_counter(centre.counters[0], staff, [centre.passports])
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    # The first request notes the token's use; the budgets are for the requests after it.
    assert client.get("/api/v1/me").status_code in {200, 404}
    return client, centre.counters[0].pk


def test_health_reads_no_database(client: Client) -> None:
    with at_most("health"):
        response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.fixture
def kept_long(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep what the public reads reuse for an hour, so "again" never depends on the clock."""
    monkeypatch.setattr(estimates, "MEAN_SECONDS", 3600)
    monkeypatch.setattr(status, "STATUS_SECONDS", 3600)


def test_citizen_ticket(client: Client, centre: Centre, kept_long: None) -> None:
    ticket = Ticket.objects.filter(location=centre.location).last()
    assert ticket is not None
    with at_most("ticket"):
        response = client.get(f"/api/v1/tickets/{ticket.token}")
    assert response.status_code == 200
    assert response.json()["position"] == 5
    with at_most("ticket again"):
        again = client.get(f"/api/v1/tickets/{ticket.token}")
    assert again.json() == response.json()


def test_location_status(client: Client, centre: Centre, kept_long: None) -> None:
    url = f"/api/v1/locations/{centre.location.slug}/status"
    with at_most("status"):
        response = client.get(url)
    assert response.status_code == 200
    with at_most("status again"):
        again = client.get(url)
    assert again.json() == response.json()
    # A number drawn since is counted at once: the state is read afresh after any event.
    issue(centre)
    waiting = {queue["prefix"]: queue["waiting"] for queue in client.get(url).json()["queues"]}
    assert waiting["P"] == 6


def test_issue(client: Client, centre: Centre) -> None:
    body = json.dumps({"location": centre.location.slug, "service": centre.passport.slug})
    with at_most("issue"):
        response = client.post("/api/v1/tickets", body, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["position"] == 6


def test_call_next_and_finish(counter_client: tuple[Client, int], centre: Centre) -> None:
    client, counter_id = counter_client
    with at_most("call-next"):
        response = client.post(f"/api/v1/counters/{counter_id}/call-next")
    assert response.status_code == 200, response.content
    called = response.json()["ticket"]
    assert called["counter"] == 1
    assert Ticket.objects.get(pk=called["id"]).status == TicketStatus.CALLED

    body = json.dumps({"outcome": "resolved_first_contact"})
    with at_most("finish"):
        response = client.post(
            f"/api/v1/tickets/{called['id']}/finish", body, content_type="application/json"
        )
    assert response.status_code == 200, response.content
    finished = Ticket.objects.get(pk=called["id"])
    assert finished.status == TicketStatus.FINISHED
    assert finished.fact.subject_area_id == centre.passport.subject_area_id
