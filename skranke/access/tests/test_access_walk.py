"""The access walk: every route of the site, called by everyone, against the permission matrix.

Every URL pattern of the resolver and every operation of the OpenAPI document is called with
centre A's objects in its path by every caller of walk_world.py: anonymous, each paired device
of A, each role limited to A, each role limited to B, and the employee serving at A's counter.
walk_routes.py and walk_admin.py say who may use each route and how to fill it, with the rules
of walk_rules.py; a route of the site they do not list, or cannot fill, fails the walk.

The right caller must get through (2xx or 3xx; a state conflict only where the table says so).
Anyone else must be sent to sign in (pages and the admin), get 401 (the API, anonymous) or 403
(a 409 with a code for a number at someone else's counter; a redirect or 404 for an admin row
kept from them), and write nothing. No answer may show a centre's private data (its staff,
internal notes, API token names) to anyone but that centre's staff, and no admin list may show
another centre's rows.

Each call runs in a savepoint that is rolled back, so every caller finds the world as seeded.
Live streams are opened through Django's async client, and only their status and headers read.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection, connections, transaction
from django.http import HttpResponseBase
from django.shortcuts import resolve_url
from django.test import AsyncClient, Client
from django.urls import resolve

from skranke.access.permissions import MATRIX, Capability
from skranke.access.tests.walk_admin import admin_routes, centres_of
from skranke.access.tests.walk_routes import APIS, PAGES, STREAMS
from skranke.access.tests.walk_rules import (
    AT_COUNTER,
    DEVICE,
    NOT_FOUND,
    CannotFill,
    Route,
    Surface,
    as_openapi_path,
    fill_openapi_path,
    fill_pattern,
    openapi_parameters,
    parameter_value,
    pattern_parameters,
    query_string,
    resolver_routes,
)
from skranke.access.tests.walk_world import Caller, CallerKind, World, callers, seed_world
from skranke.queue.live import hub as hub_module
from skranke.queue.reads import livecache
from skranke.queue.tests.factories import use_api_test_settings
from skranke.queue.views.counter.page import TICKET_ACTIONS

# Committed rows: the live streams read them from threads of their own.
pytestmark = pytest.mark.django_db(transaction=True)

OPENAPI_PATH = "/api/v1/openapi.json"
# Answers that say the state does not allow it, not that the caller may not.
STATE_CONFLICTS = {400, 409, 422}


def openapi_operations() -> dict[str, dict[str, Any]]:
    """Return the OpenAPI document's operations by "METHOD /path"."""
    document = Client().get(OPENAPI_PATH).json()
    return {
        f"{method.upper()} {path}": operation
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    }


def is_stream(operation: Mapping[str, Any]) -> bool:
    ok = operation.get("responses", {}).get("200", {})
    return "text/event-stream" in ok.get("content", {})


def all_routes() -> list[Route]:
    return [*PAGES, *admin_routes(), *APIS, *STREAMS]


def served_routes(operations: Mapping[str, Any]) -> list[Route]:
    """Return the table's routes that the site serves (table_problems names the others)."""
    patterns = resolver_routes()

    def served(route: Route) -> bool:
        if route.surface in (Surface.API, Surface.STREAM):
            return f"{route.method} {route.key}" in operations
        return route.key in patterns

    return [route for route in all_routes() if served(route)]


def table_problems(operations: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Return what the table and the site disagree on: routes served but not listed (or listed
    with the wrong kind), and routes listed that the site does not serve."""
    problems = []
    routes = all_routes()
    api_paths = {key.partition(" ")[2] for key in operations}
    served = {
        key
        for key, pattern in resolver_routes().items()
        if as_openapi_path(pattern) not in api_paths
    }
    listed = {route.key for route in routes if route.surface in (Surface.PAGE, Surface.ADMIN)}
    problems += [f"{key}: served, but not in the table" for key in sorted(served - listed)]
    problems += [f"{key}: in the table, but not served" for key in sorted(listed - served)]
    listed_api = {
        f"{route.method} {route.key}": route
        for route in routes
        if route.surface in (Surface.API, Surface.STREAM)
    }
    for key, operation in sorted(operations.items()):
        route = listed_api.get(key)
        if route is None:
            problems.append(f"{key}: in the OpenAPI document, but not in the table of routes")
        elif (route.surface == Surface.STREAM) != is_stream(operation):
            problems.append(f"{key}: a stream in one of the table and the document, not the other")
        elif "requestBody" in operation and route.body is None:
            problems.append(f"{key}: takes a body, and the table gives no sample")
        problems += [
            f"{key}: needs the query parameter {parameter['name']!r}, and the table gives none"
            for parameter in operation.get("parameters", [])
            if route is not None
            and parameter.get("in") == "query"
            and parameter.get("required")
            and parameter["name"] not in route.query
        ]
    problems += [
        f"{key}: in the table, but not in the OpenAPI document"
        for key in sorted(set(listed_api) - set(operations))
    ]
    walked_actions = {route.variant for route in routes if route.key == "queue:counter-ticket"}
    problems += [
        f"queue:counter-ticket[{action}]: an action of the counter page, not in the table"
        for action in sorted(set(TICKET_ACTIONS) - walked_actions)
    ]
    return problems


def address(world: World, route: Route) -> str:
    """Return the route's address with A's objects in it; raises CannotFill."""
    if route.surface in (Surface.API, Surface.STREAM):
        names = openapi_parameters(route.key)
        path = fill_openapi_path(route.key, {n: parameter_value(world, route, n) for n in names})
        return path + query_string(world, route)
    pattern = resolver_routes().get(route.key)
    if pattern is None:
        raise CannotFill("not served")
    names = pattern_parameters(pattern)
    path = fill_pattern(pattern, {name: parameter_value(world, route, name) for name in names})
    # The address must lead back to the route, not to one matched before it.
    match = resolve(path)
    reached = match.route if route.key == pattern else match.view_name
    if reached != route.key:
        raise CannotFill(f"{path} leads to {reached}")
    return path


# Calling ----------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int = 0
    location: str = ""
    content_type: str = ""
    content: bytes = b""
    context: Mapping[str, Any] | None = None
    error: str = ""
    writes: list[str] = field(default_factory=list)


def _answer(response: HttpResponseBase) -> Answer:
    return Answer(
        status=response.status_code,
        location=response.get("Location", ""),
        content_type=response.get("Content-Type", ""),
        # A stream is never read: it would not end.
        content=b"" if response.streaming else response.content,  # type: ignore[attr-defined]
        context=getattr(response, "context_data", None),
    )


# What any request may write: its session (saved on every request), and when a device or an API
# token was last seen. A refused call must write no other row (a conditional UPDATE that matches
# none, as the engine's refusals run, writes nothing).
_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
_BOOKKEEPING = re.compile(
    r'^(INSERT INTO|UPDATE|DELETE FROM) "django_session"'
    r'|^UPDATE "access_deviceaccount" SET "last_seen_at"'
    r'|^UPDATE "access_apitoken" SET "last_used_at"'
)


@contextmanager
def writes_recorded() -> Iterator[list[str]]:
    """Record the statements run meanwhile that wrote rows beyond bookkeeping."""
    found: list[str] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        result = execute(sql, params, many, context)
        # An INSERT that returns its new id may report no row count until that is read.
        inserted = sql.lstrip().upper().startswith("INSERT")
        written = inserted or context["cursor"].rowcount != 0
        if _WRITE.match(sql) and not _BOOKKEEPING.match(sql) and written:
            found.append(sql)
        return result

    with connection.execute_wrapper(record):
        yield found


def send(client: Client, route: Route, path: str, body: Mapping[str, Any] | None) -> Answer:
    if route.method == "GET":
        return _answer(client.get(path))
    if route.method == "DELETE":
        return _answer(client.delete(path))
    if route.surface == Surface.API and body is not None:
        return _answer(client.post(path, json.dumps(body), content_type="application/json"))
    return _answer(client.post(path, body or {}))


def call(world: World, route: Route, caller: Caller, path: str) -> Answer:
    """Call ``route`` as ``caller`` in a savepoint rolled back afterwards."""
    clients = world.clients[caller.name]
    client = clients.api if route.surface == Surface.API else clients.pages
    # Signing out, pairing and the language switch set cookies the next call must not carry.
    cookies = copy.deepcopy(client.cookies)
    livecache.clear()
    try:
        with transaction.atomic():
            try:
                if route.prepare is not None:
                    route.prepare(world)
                body = route.body(world) if route.body is not None else None
                with writes_recorded() as written:
                    answer = send(client, route, path, body)
                answer.writes = written
            except Exception as error:  # The walk reports it with the cell.
                answer = Answer(error=f"{type(error).__name__}: {error}")
            transaction.set_rollback(True)
    finally:
        client.cookies = cookies
    return answer


async def call_streams(
    world: World, cells: list[tuple[Route, Caller, str]]
) -> list[tuple[Route, Caller, Answer]]:
    """Open each stream as its caller and read only the status and headers."""
    answers = []
    for route, caller, path in cells:
        clients = world.clients[caller.name]
        client = AsyncClient()
        if not clients.bearer:
            client.cookies = copy.deepcopy(clients.pages.cookies)
        # Per request: the async client's default headers do not reach the ASGI scope.
        headers = {"Authorization": clients.bearer} if clients.bearer else {}
        try:
            answer = _answer(await client.get(path, headers=headers))
        except Exception as error:
            answer = Answer(error=f"{type(error).__name__}: {error}")
        answers.append((route, caller, answer))
    # Sync code of these requests ran in asgiref's shared thread, which keeps its connection.
    await sync_to_async(connections.close_all)()
    hub_module.get_hub().stop()
    return answers


# Judging ----------------------------------------------------------------------------------------


def _signs_in(answer: Answer) -> bool:
    return answer.status == 302 and answer.location.startswith(
        f"{resolve_url(settings.LOGIN_URL)}?next="
    )


def _refusal_problem(route: Route, caller: Caller, answer: Answer) -> str | None:
    """Return what is wrong with the answer to a caller who may not use the route, or None."""
    # Pages send anonymous visitors to sign in; the admin also devices, which it does not know.
    if (caller.kind == CallerKind.ANONYMOUS and route.surface == Surface.PAGE) or (
        caller.kind != CallerKind.STAFF and route.surface == Surface.ADMIN
    ):
        return None if _signs_in(answer) else "should be sent to sign in"
    if caller.kind == CallerKind.ANONYMOUS:
        return None if answer.status == 401 else "should get 401"
    allowed = {403}
    if route.surface == Surface.ADMIN:
        # The admin answers a row kept from someone as if it did not exist.
        allowed |= {302, 404}
    if route.rule == DEVICE:
        allowed.add(401)  # staff are not signed in as a device
    if (
        route.rule == AT_COUNTER
        and route.surface == Surface.API
        and caller.centre == "A"
        and Capability.SERVE_AT_COUNTER in MATRIX[caller.role]  # type: ignore[index]
        and answer.status == 409
        and answer.content_type.startswith("application/json")
        and json.loads(answer.content).get("code")
    ):
        return None
    if answer.status in allowed:
        return None
    return f"should be refused ({' or '.join(str(code) for code in sorted(allowed))})"


def _leak(world: World, route: Route, caller: Caller, answer: Answer) -> str | None:
    """Return which centre's private data or rows the answer shows the caller, or None."""
    for centre in (world.a, world.b):
        own = caller.kind == CallerKind.STAFF and caller.centre == centre.key
        if not own and centre.secret.encode() in answer.content:
            return f"shows centre {centre.key}'s private data"
    if route.lists_rows and answer.status == 200 and answer.context is not None:
        home = world.centre(caller.centre or "").location.pk
        for row in answer.context["cl"].result_list:
            belongs = centres_of(row)
            if belongs and home not in belongs:
                return f"lists another centre's {type(row).__name__} {row.pk}"
    return None


def problem(world: World, route: Route, caller: Caller, answer: Answer) -> str | None:
    """Return what is wrong with ``answer`` to ``caller`` on ``route``, or None."""
    if answer.error:
        return f"raised {answer.error}"
    if answer.status >= 500:
        return f"answered {answer.status}"
    if route.rule == NOT_FOUND:
        return None if answer.status == 404 else "should find nothing (404)"
    leak = _leak(world, route, caller, answer)
    if not route.rule.allows(caller):
        refusal = _refusal_problem(route, caller, answer)
        if refusal is not None:
            return refusal
        if answer.writes:
            return f"refused, but wrote: {answer.writes[0][:80]}"
        return leak
    if answer.status in (401, 403, 404) or _signs_in(answer):
        return "should get through"
    if answer.status in STATE_CONFLICTS and caller.name not in route.conflict_for:
        return "should get through, not meet a state conflict"
    if answer.status >= 400 and answer.status not in STATE_CONFLICTS:
        return "should get through"
    if route.surface == Surface.STREAM and not answer.content_type.startswith("text/event-stream"):
        return "should get the event stream"
    return leak


# Tests ------------------------------------------------------------------------------------------


@pytest.fixture
def world(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    use_api_test_settings(settings)
    # The streams start this process's event hub in the walk's own event loop; it must not
    # take over the process's signal handlers, nor outlive the test.
    monkeypatch.setattr(hub_module, "_hub", None)
    monkeypatch.setattr(hub_module, "_stop_signals_chained", True)
    yield seed_world()


@pytest.mark.django_db
def test_every_route_is_in_the_table() -> None:
    problems = table_problems(openapi_operations())
    assert not problems, "\n".join(problems)


def _row(route: Route, caller: str, text: str, status: int | str) -> str:
    return f"{route.name:58}  {caller:18}  {status!s:>3}  {text} [{route.rule}]"


def test_access_walk(world: World, caplog: pytest.LogCaptureFixture) -> None:
    # Every refusal is logged as a warning with its traceback; the walk reports its own.
    caplog.set_level(logging.ERROR, logger="django.request")
    everyone = callers()
    operations = openapi_operations()
    routes = served_routes(operations)
    failures = [f"{text} (table)" for text in table_problems(operations)]
    cells: list[tuple[Route, Caller, Answer]] = []
    streams: list[tuple[Route, Caller, str]] = []
    for route in routes:
        try:
            path = address(world, route)
        except CannotFill as unfilled:
            failures.append(f"{route.name}: cannot fill its path: {unfilled}")
            continue
        for caller in everyone:
            if route.surface == Surface.STREAM:
                streams.append((route, caller, path))
            else:
                cells.append((route, caller, call(world, route, caller, path)))
    cells += asyncio.run(call_streams(world, streams))

    wrong = []
    conflicts = []
    for route, caller, answer in cells:
        found = problem(world, route, caller, answer)
        if found is not None:
            wrong.append(_row(route, caller.name, found, answer.status))
        elif answer.status in STATE_CONFLICTS:
            conflicts.append(_row(route, caller.name, "state conflict, as expected", answer.status))
    summary = (
        f"access walk: {len(routes)} routes × {len(everyone)} callers = "
        f"{len(routes) * len(everyone)} cells; {len(cells)} checked, {len(wrong)} wrong"
    )
    print(summary, *conflicts, sep="\n")
    assert not failures and not wrong, "\n".join([summary, *failures, *sorted(wrong)])
    assert len(cells) == len(routes) * len(everyone), summary
