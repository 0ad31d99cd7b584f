"""Control characters in an address are refused with 400 on every route, never a 500.

PostgreSQL cannot compare text holding NUL, so before the guard (skranke.core.hardening) nine
routes answered an anonymous `GET /t/a%00b/` and the like with a server error and a traceback.
The walk below fills every parameter of every route of the resolver with such a value, and adds
one as a query parameter, for GET and POST, through the sync chain (the test client, as the
pages and API run) and the async one (the live streams). Run it on PostgreSQL as well
(SKRANKE_TEST_DATABASE_URL): removing the guard then fails it with 500s on those nine routes,
and on SQLite with 404s, 405s and other answers where 400 is expected.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.http import HttpResponse
from django.test import AsyncClient, Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from skranke.queue.models import Ticket, TicketStatus
from skranke.queue.tests.factories import make_centre, post_json, use_api_test_settings

pytestmark = pytest.mark.django_db

CONTROL_VALUE = "a%00b"
_ROUTE_PARAMETER = re.compile(r"<(?:[^>:]+:)?[^>]+>")


@pytest.fixture(autouse=True)
def _api_test_settings(settings: Any) -> None:
    use_api_test_settings(settings)


def _fill_regex(regex: str, value: str) -> str:
    """Return a path for a re_path() pattern: each named group replaced by ``value``."""
    path, index = [], 0
    regex = regex.removeprefix("^").removesuffix("$").removesuffix(r"\Z")
    while index < len(regex):
        if regex.startswith("(?P<", index):
            depth = 0
            while True:
                depth += {"(": 1, ")": -1}.get(regex[index], 0)
                index += 2 if regex[index] == "\\" else 1
                if depth == 0:
                    break
            path.append(value)
        elif regex[index] == "\\":
            path.append(regex[index + 1])
            index += 2
        else:
            path.append(regex[index])
            index += 1
    return "".join(path)


def _fill(entry: URLPattern | URLResolver, value: str) -> str:
    if isinstance(entry.pattern, RoutePattern):
        return _ROUTE_PARAMETER.sub(value, str(entry.pattern))
    return _fill_regex(entry.pattern.regex.pattern, value)


def every_route(value: str) -> Iterator[str]:
    """Yield a path for every route of the resolver, its parameters filled with ``value``."""

    def walk(patterns: Iterable[URLPattern | URLResolver], prefix: str) -> Iterator[str]:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + _fill(entry, value))
            else:
                yield prefix + _fill(entry, value)

    return walk(get_resolver().url_patterns, "/")


def requests_with_control_characters() -> list[tuple[str, str]]:
    """Every route with a NUL in each path parameter, and with plain parameters and ?x=%00."""
    paths = {path for path in every_route(CONTROL_VALUE) if "%00" in path}
    paths |= {f"{path}?x=%00" for path in every_route("1")}
    return [(method, path) for path in sorted(paths) for method in ("GET", "POST")]


def assert_refused(path: str, response: HttpResponse) -> None:
    assert response.status_code == 400, f"{path}: {response.status_code}"
    if path.startswith("/api/"):
        assert response.json() == {
            "detail": "The address holds characters that are not allowed in it."
        }
    else:
        assert "text/html" in response["Content-Type"]
        assert b"<h1>Bad request</h1>" in response.content


def test_the_walk_reaches_every_route_and_the_routes_that_once_failed() -> None:
    requests = requests_with_control_characters()
    paths = {path for _method, path in requests}
    for once_a_server_error in (
        "/t/a%00b/",
        "/t/a%00b/cancel/",
        "/t/a%00b/sms/",
        "/api/v1/locations/a%00b",
        "/api/v1/locations/a%00b/events",
        "/api/v1/tickets/a%00b/events",
        "/kiosk/a%00b/number/a%00b/",
        "/floor/a%00b/number/a%00b/",
        "/devices/pair/a%00b/",
    ):
        assert once_a_server_error in paths
    assert len(requests) > 200


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_every_route_refuses_control_characters_with_400(mode: str, settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"
    failures = []
    # A server error must come back as an answer here, to be listed with the others.
    client = Client(raise_request_exception=False)
    async_client = AsyncClient(raise_request_exception=False)

    async def fetch_async(method: str, path: str) -> HttpResponse:
        response: HttpResponse = await async_client.generic(method, path)
        return response

    for method, path in requests_with_control_characters():
        if mode == "sync":
            response = client.generic(method, path)
        else:
            response = async_to_sync(fetch_async)(method, path)
        try:
            assert_refused(path, response)
        except AssertionError as failure:
            failures.append(f"{method} {failure}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "character",
    ["%00", "%01", "%09", "%0A", "%0D", "%1B", "%1F", "%7F", "%C2%80", "%C2%85", "%C2%9F"],
)
@pytest.mark.parametrize(
    "template",
    ["/t/a{}b/", "/api/v1/tickets/a{}b", "/?x=a{}b", "/?a{}b=1", "/api/v1/health?x={}"],
)
def test_c0_del_and_c1_characters_are_refused_in_path_query_values_and_names(
    character: str, template: str
) -> None:
    path = template.format(character)
    assert Client().get(path).status_code == 400, path


@pytest.mark.parametrize(
    ("path", "status"),
    [
        # Text that only looks like a control character, and letters beyond ASCII, are fine.
        ("/?q=%2500", 200),
        ("/?q=%C3%A6%C3%B8%C3%A5", 200),
        ("/?q=a+b&r=%C2%A0", 200),
        ("/api/v1/health?x=%E2%80%8B", 200),
        ("/t/%C3%A6%C3%B8%C3%A5/", 404),
        ("/t/abc%2500/", 404),
    ],
)
def test_addresses_without_control_characters_pass(path: str, status: int) -> None:
    assert Client().get(path).status_code == status


def test_the_refusal_page_speaks_the_chosen_language_and_has_a_strict_policy() -> None:
    danish = Client().get("/t/a%00b/")
    assert danish.status_code == 400
    assert '<html lang="da">' in danish.content.decode()
    assert "default-src 'none'" in danish["Content-Security-Policy"]
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get("/t/a%00b/")
    assert '<html lang="en">' in english.content.decode()
    assert "The address holds characters that are not allowed in it." in english.content.decode()


def test_a_ticket_is_not_touched_by_a_cancel_with_a_nul_in_its_token() -> None:
    centre = make_centre()
    drawn = post_json(
        Client(),
        "/api/v1/tickets",
        {"location": centre.location.slug, "service": centre.passport.slug},
    )
    ticket = Ticket.objects.get(token=drawn.json()["token"])
    assert Client().post(f"/t/{ticket.token}%00/cancel/").status_code == 400
    assert Client().post(f"/api/v1/tickets/{ticket.token}%00/cancel").status_code == 400
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING
