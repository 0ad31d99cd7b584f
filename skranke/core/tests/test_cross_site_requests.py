"""Another web site cannot drive the citizens' endpoints (skranke.core.hardening).

Before the guard, `POST /api/v1/tickets` with a `text/plain` or form body and a foreign `Origin`
drew a number: a hostile page would draw one for each of its visitors. Now a body to the API
must be JSON (415 otherwise), and a state-changing request from a foreign origin is refused
(403) unless it carries an `Authorization` header, which no browser sends cross-site without a
CORS preflight that Skranke never allows. Removing the guard fails the 415 and 403 tests here
with 201s and numbers drawn.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from skranke.access.middleware import DEVICE_COOKIE
from skranke.access.services import create_api_token
from skranke.queue.models import Ticket, TicketStatus
from skranke.queue.tests.factories import (
    Centre,
    make_centre,
    make_device_client,
    make_staff,
    post_json,
    use_api_test_settings,
)

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets"
HOSTILE = "https://hostile.example"
OWN = "http://testserver"
CSRF_SECRET = "a" * 32


@pytest.fixture(autouse=True)
def _api_test_settings(settings: Any) -> None:
    use_api_test_settings(settings)
    settings.LANGUAGE_CODE = "en"


def draw_body(centre: Centre) -> str:
    return json.dumps({"location": centre.location.slug, "service": centre.passport.slug})


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "application/jsonx",
        "",
    ],
)
def test_a_body_to_the_api_that_is_not_json_is_refused_and_draws_nothing(
    content_type: str,
) -> None:
    centre = make_centre()
    for origin in ({}, {"Origin": OWN}):
        response = Client().post(
            TICKETS, draw_body(centre), content_type=content_type, headers=origin
        )
        assert response.status_code == 415, response.content
        assert response.json() == {
            "detail": "Send the request body as JSON, with the header "
            "Content-Type: application/json."
        }
    assert not Ticket.objects.exists()


def test_a_multipart_form_to_the_api_is_refused() -> None:
    centre = make_centre()
    form = {"location": centre.location.slug, "service": centre.passport.slug}
    assert Client().post(TICKETS, form).status_code == 415
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "Application/JSON"]
)
def test_a_json_body_from_the_own_site_draws_a_number(content_type: str) -> None:
    centre = make_centre()
    response = Client().post(
        TICKETS, draw_body(centre), content_type=content_type, headers={"Origin": OWN}
    )
    assert response.status_code == 201, response.content
    assert Ticket.objects.get().token == response.json()["token"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": HOSTILE},
        {"Origin": "http://testserver.hostile.example"},
        {"Origin": "https://testserver"},  # another scheme is another origin
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
)
def test_an_anonymous_write_from_another_site_is_refused_even_as_json(
    headers: dict[str, str],
) -> None:
    centre = make_centre()
    response = Client().post(
        TICKETS, draw_body(centre), content_type="application/json", headers=headers
    )
    assert response.status_code == 403, response.content
    assert response.json() == {
        "detail": "This request came from another web site, so it was refused."
    }
    assert not Ticket.objects.exists()


def test_a_bodyless_cancel_from_another_site_is_refused() -> None:
    centre = make_centre()
    token = post_json(Client(), TICKETS, json.loads(draw_body(centre))).json()["token"]
    hostile = Client().post(f"{TICKETS}/{token}/cancel", headers={"Origin": HOSTILE})
    assert hostile.status_code == 403
    assert Ticket.objects.get().status == TicketStatus.WAITING
    own = Client().post(f"{TICKETS}/{token}/cancel", headers={"Origin": OWN})
    assert own.status_code == 200
    assert Ticket.objects.get().status == TicketStatus.CANCELLED


def test_the_mobile_pages_form_post_from_another_site_gets_a_refusal_page() -> None:
    centre = make_centre()
    token = post_json(Client(), TICKETS, json.loads(draw_body(centre))).json()["token"]
    response = Client().post(f"/t/{token}/cancel/", headers={"Origin": HOSTILE})
    assert response.status_code == 403
    assert b"This request came from another web site, so it was refused." in response.content
    assert Ticket.objects.get().status == TicketStatus.WAITING


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Origin": OWN},
        {"Origin": OWN.upper()},
        {"Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "none"},
    ],
)
def test_writes_from_the_own_site_and_from_scripts_without_an_origin_pass(
    headers: dict[str, str],
) -> None:
    centre = make_centre()
    response = Client().post(
        TICKETS, draw_body(centre), content_type="application/json", headers=headers
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("trusted", "origin"),
    [
        ("https://borgerservice.example.dk", "https://borgerservice.example.dk"),
        ("https://*.example.dk", "https://kiosk.example.dk"),
        ("https://*.example.dk", "https://example.dk"),
    ],
)
def test_an_origin_in_csrf_trusted_origins_passes(trusted: str, origin: str, settings: Any) -> None:
    settings.CSRF_TRUSTED_ORIGINS = [trusted]
    centre = make_centre()
    response = Client().post(
        TICKETS, draw_body(centre), content_type="application/json", headers={"Origin": origin}
    )
    assert response.status_code == 201, response.content


def test_a_wildcard_trusted_origin_does_not_trust_another_scheme_or_domain(settings: Any) -> None:
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.example.dk"]
    centre = make_centre()
    for origin in ("http://kiosk.example.dk", "https://example.dk.hostile.example"):
        response = Client().post(
            TICKETS, draw_body(centre), content_type="application/json", headers={"Origin": origin}
        )
        assert response.status_code == 403, origin


def test_a_staff_token_from_another_origin_passes() -> None:
    # An integration's script may run on another origin; its bearer token is no cookie a
    # hostile page could borrow.
    centre = make_centre()
    _token, secret = create_api_token(make_staff(), "Integration")
    response = Client().post(
        "/api/v1/staff/tickets",
        draw_body(centre),
        content_type="application/json",
        headers={"Origin": HOSTILE, "Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 201, response.content


def test_the_displays_bodyless_heartbeat_still_works() -> None:
    # display.js posts it from its own origin with no body (no Content-Type either) and the
    # CSRF token of its page, which the device's cookie sign-in requires.
    centre = make_centre()
    paired, _device = make_device_client(centre.location)
    client = Client(enforce_csrf_checks=True)
    client.cookies[DEVICE_COOKIE] = paired.cookies[DEVICE_COOKIE].value
    client.cookies[settings.CSRF_COOKIE_NAME] = CSRF_SECRET
    response = client.generic(
        "POST",
        "/api/v1/devices/heartbeat",
        b"",
        content_type="",
        headers={"Origin": OWN, "X-CSRFToken": CSRF_SECRET, "Accept": "application/json"},
    )
    assert response.status_code == 200, response.content


def test_safe_requests_from_another_site_are_answered() -> None:
    centre = make_centre()
    response = Client().get(
        f"/api/v1/locations/{centre.location.slug}/status", headers={"Origin": HOSTILE}
    )
    assert response.status_code == 200
