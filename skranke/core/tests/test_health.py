"""GET /api/v1/health: the process answers, without the database and without a rate limit."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client


def test_health_answers_ok_without_the_database(client: Client) -> None:
    # No django_db mark: a query here would fail the test ("Database access not allowed").
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_is_never_rate_limited(client: Client, settings: Any) -> None:
    settings.SKRANKE_RATE_LIMITS_ENABLED = True
    settings.SKRANKE_RATE_LIMIT_ANONYMOUS = "2/min"
    statuses = [client.get("/api/v1/health").status_code for _ in range(5)]
    assert statuses == [200] * 5


@pytest.mark.django_db
def test_other_endpoints_are_still_limited(client: Client, settings: Any) -> None:
    # The counterpart of the test above: the limit itself is on in this configuration.
    settings.SKRANKE_RATE_LIMITS_ENABLED = True
    settings.SKRANKE_RATE_LIMIT_ANONYMOUS = "2/min"
    statuses = [client.get("/api/v1/locations").status_code for _ in range(3)]
    assert statuses[-1] == 429


def test_health_refuses_other_methods(client: Client) -> None:
    assert client.post("/api/v1/health").status_code == 405
