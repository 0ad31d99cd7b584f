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
from skranke.queue.tests.factories import (
    Centre,
    issue,
    make_centre,
    make_staff,
    use_api_test_settings,
)

pytestmark = pytest.mark.django_db

# Statements per request on (SQLite, PostgreSQL), as Django's CaptureQueriesContext counts them.
BUDGET = {
    "health": (0, 0),
    "ticket": (5, 5),
    # Three queues here; the per-queue load estimate still costs queries of its own.
    "status": (18, 18),
    "issue": (16, 17),
    "call-next": (15, 16),
    "finish": (10, 11),
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


def test_citizen_ticket(client: Client, centre: Centre) -> None:
    ticket = Ticket.objects.filter(location=centre.location).last()
    assert ticket is not None
    with at_most("ticket"):
        response = client.get(f"/api/v1/tickets/{ticket.token}")
    assert response.status_code == 200
    assert response.json()["position"] == 5


def test_location_status(client: Client, centre: Centre) -> None:
    with at_most("status"):
        response = client.get(f"/api/v1/locations/{centre.location.slug}/status")
    assert response.status_code == 200


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
