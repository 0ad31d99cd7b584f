"""/api/v1/openapi.json documents every number-system endpoint with its error answers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from skranke.queue.tests.factories import use_api_test_settings

pytestmark = pytest.mark.django_db

STAFF_ERRORS = {"401", "403", "404", "409", "422"}

# Method, path and the answers each must document.
ENDPOINTS: dict[tuple[str, str], set[str]] = {
    ("post", "/api/v1/tickets"): {"201", "404", "409", "422", "429"},
    ("get", "/api/v1/tickets/{token}"): {"200", "404", "422", "429"},
    ("post", "/api/v1/tickets/{token}/cancel"): {"200", "404", "409", "422", "429"},
    ("get", "/api/v1/locations/{slug}/status"): {"200", "404", "422", "429"},
    **{
        ("post", f"/api/v1/counters/{{counter_id}}/{action}"): {"200", *STAFF_ERRORS}
        for action in ("open", "pause", "resume", "close", "call-next", "call")
    },
    **{
        ("post", f"/api/v1/tickets/{{ticket_id}}/{action}"): {"200", *STAFF_ERRORS}
        for action in (
            "recall",
            "serve",
            "no-show",
            "reinstate",
            "park",
            "resume",
            "transfer",
            "finish",
            "staff-cancel",
        )
    },
    ("post", "/api/v1/staff/tickets"): {"201", *STAFF_ERRORS},
    ("post", "/api/v1/queues/{queue_id}/close"): {"200", *STAFF_ERRORS},
}
# Answered before any endpoint runs (skranke.api): control characters in the address or a body
# ninja cannot parse (400) on every operation; a write from another site (403) or a body that
# is not JSON (415) on every write.
REFUSED_BEFORE_ENDPOINTS = {"get": {"400"}, "post": {"400", "403", "415"}}
CITIZEN_PATHS = {
    "/api/v1/tickets",
    "/api/v1/tickets/{token}",
    "/api/v1/tickets/{token}/cancel",
    "/api/v1/locations/{slug}/status",
}


@pytest.fixture
def schema(client: Client, settings: Any) -> dict[str, Any]:
    use_api_test_settings(settings)
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return dict(response.json())


def test_every_number_system_endpoint_documents_its_answers(schema: dict[str, Any]) -> None:
    for (method, path), expected in ENDPOINTS.items():
        operation = schema["paths"].get(path, {}).get(method)
        assert operation is not None, f"{method.upper()} {path} is not documented"
        refused_before = REFUSED_BEFORE_ENDPOINTS[method]
        assert set(operation["responses"]) == expected | refused_before, (method, path)
        assert operation["summary"], (method, path)


def test_error_answers_describe_their_body(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    for (method, path), expected in ENDPOINTS.items():
        responses = schema["paths"][path][method]["responses"]
        for status in expected - {"200", "201"}:
            content = responses[status]["content"]["application/json"]["schema"]
            name = content["$ref"].rsplit("/", 1)[-1]
            assert "detail" in components[name]["properties"], (method, path, status)
        if "409" in expected:
            refusal = responses["409"]["content"]["application/json"]["schema"]["$ref"]
            properties = components[refusal.rsplit("/", 1)[-1]]["properties"]
            assert {"detail", "code", "next_opening"} <= set(properties)


def test_staff_endpoints_need_a_token_or_session_and_citizen_ones_nothing(
    schema: dict[str, Any],
) -> None:
    for (method, path), _expected in ENDPOINTS.items():
        operation = schema["paths"][path][method]
        schemes = {name for requirement in operation.get("security", []) for name in requirement}
        if path in CITIZEN_PATHS:
            assert not schemes, path
        else:
            assert schemes == {"ApiTokenAuth", "SessionAuth"}, path
    assert schema["components"]["securitySchemes"]["ApiTokenAuth"]["scheme"] == "bearer"


def test_no_two_paths_differ_only_in_their_parameter_names(schema: dict[str, Any]) -> None:
    # Django would send both to the first one registered: POST /tickets/{ticket_id}/cancel once
    # answered every staff cancel with the citizen's (token) endpoint.
    shapes: dict[str, str] = {}
    for path in schema["paths"]:
        shape = re.sub(r"\{[^}]+\}", "{}", path)
        assert shape not in shapes, f"{path} and {shapes[shape]} are the same route"
        shapes[shape] = path


def test_the_interactive_documentation_is_served(client: Client, settings: Any) -> None:
    use_api_test_settings(settings)
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert "openapi.json" in response.content.decode()
