"""The live streams against the real server (uvicorn in its own process): snapshot first, then
every event in order; resuming with Last-Event-ID; heartbeats; the citizen's ticket stream;
headers; the rate limit; a restart with streams open. Runs on SQLite (the hub polls) and on
PostgreSQL (the hub LISTENs); test_streams_postgres.py adds what only PostgreSQL can show.

Streams are read by `EventStream`, which parses server-sent events in a thread of its own; every
wait has a deadline, so a missing event fails the test within seconds instead of hanging it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from typing import Any

import httpx
import pytest
from asgiref.sync import async_to_sync

from skranke.asgi import application
from skranke.queue import services
from skranke.queue.live import hub as hub_module
from skranke.queue.live import streams
from skranke.queue.models import EventKind, Outcome, Source
from skranke.queue.tests.factories import Centre, make_centre, make_staff
from skranke.testing.fixtures import ServerFactory, asgi_server_factory  # noqa: F401
from skranke.testing.server import RunningServer
from skranke.testing.streams import (
    STREAM_ENV,
    WAIT_SECONDS,
    EventStream,
    events_at,
    location_events_url,
    newest_event_id,
    ticket_events_url,
)


@pytest.fixture
def server(asgi_server_factory: ServerFactory) -> RunningServer:  # noqa: F811
    return asgi_server_factory(env=STREAM_ENV)


@pytest.fixture
def centre(transactional_db: None) -> Centre:
    # Committed, so that the server process sees it.
    return make_centre()


@pytest.fixture
def stream_of(server: RunningServer) -> Iterator[Any]:
    """Open streams with ``stream_of(url, headers)``; all are closed at the end of the test."""
    opened: list[EventStream] = []

    def open_stream(url: str, headers: Mapping[str, str] | None = None) -> EventStream:
        stream = EventStream(url, headers)
        opened.append(stream)
        return stream

    yield open_stream
    for stream in opened:
        stream.close()


# The centre's stream ----------------------------------------------------------------------------


def test_snapshot_first_then_every_change_in_order(
    server: RunningServer, centre: Centre, stream_of: Any
) -> None:
    first = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    stream = stream_of(location_events_url(server, centre))

    snapshot = stream.next()
    assert snapshot.event == "snapshot"
    assert snapshot.id == newest_event_id()
    assert snapshot.data["slug"] == centre.location.slug
    assert snapshot.data["last_event_id"] == snapshot.id
    assert {queue["prefix"]: queue["waiting"] for queue in snapshot.data["queues"]} == {
        "P": 1,
        "B": 0,
        "BO": 0,
    }
    assert stream.retry == 2000

    staff = make_staff()
    elsewhere = make_centre()
    session = services.open_counter(centre.counters[0], staff, [centre.passports])
    services.issue_ticket(elsewhere.location, elsewhere.passport, source=Source.KIOSK)
    second = services.issue_ticket(centre.location, centre.moving, source=Source.KIOSK)
    called = services.call_next(session, staff)
    assert called is not None and called.pk == first.pk
    services.recall(called, staff)
    services.start_serving(called, staff)
    services.finish(called, staff, outcome=Outcome.RESOLVED_FIRST_CONTACT)

    expected = events_at(centre, snapshot.id)
    assert [kind for _id, kind in expected] == [
        EventKind.COUNTER_OPENED,
        EventKind.ISSUED,
        EventKind.CALLED,
        EventKind.RECALLED,
        EventKind.SERVING,
        EventKind.FINISHED,
    ]
    received = stream.take(len(expected))
    # Exactly the database's events of this centre, as a waiting room may see them (calls and
    # counters as they are, the rest as "changed"): the other centre's number, issued between
    # the first two, is not among them.
    assert [(message.id, message.event) for message in received] == [
        (event_id, kind if kind in hub_module.PUBLIC_KINDS else "changed")
        for event_id, kind in expected
    ]
    issued, call, recall = received[1], received[2], received[3]
    assert second.display_number == "B001"
    assert issued.data == {
        "id": issued.id,
        "kind": "changed",
        "at": issued.data["at"],
        "queue": centre.general.pk,
    }
    assert call.data == {
        "id": call.id,
        "kind": "called",
        "at": call.data["at"],
        "number": "P001",
        "queue": centre.passports.pk,
        "counter": centre.counters[0].number,
        "counter_id": centre.counters[0].pk,
    }
    assert (recall.event, recall.data["number"]) == ("recalled", first.display_number)


def test_resuming_with_last_event_id_sends_exactly_the_missed_events(
    server: RunningServer, centre: Centre, stream_of: Any
) -> None:
    staff = make_staff()
    session = services.open_counter(centre.counters[0], staff, [centre.passports])
    url = location_events_url(server, centre)
    first = stream_of(url)
    snapshot = first.next()
    ticket = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    called = services.call_next(session, staff)
    assert called is not None
    seen = first.take(2)
    assert [message.event for message in seen] == ["changed", "called"]
    first.close()

    # While the display is away: a recall, the citizen comes, the visit ends, a new number.
    services.recall(called, staff)
    services.start_serving(called, staff)
    services.finish(called, staff, outcome=Outcome.RESOLVED_FIRST_CONTACT)
    services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)

    second = stream_of(url, {"Last-Event-ID": str(seen[-1].id)})
    missed = second.take(4)
    # Recalled, then serving, finished and issued as a waiting room sees them.
    assert [message.event for message in missed] == ["recalled", "changed", "changed", "changed"]
    assert missed[0].data["number"] == ticket.display_number
    # Then live, each event once.
    services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    live = second.next()
    assert (live.event, live.id) == ("changed", newest_event_id())

    received = [message.id for message in [*seen, *missed, live]]
    assert received == [event_id for event_id, _kind in events_at(centre, snapshot.id)]
    assert len(set(received)) == len(received)


def test_a_new_eventsource_resumes_with_the_last_event_id_parameter(
    server: RunningServer, centre: Centre, stream_of: Any
) -> None:
    first = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    last_seen = newest_event_id()
    second = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)

    stream = stream_of(f"{location_events_url(server, centre)}?last_event_id={last_seen}")

    message = stream.next()
    assert (message.event, message.id) == ("changed", newest_event_id())
    assert (first.display_number, second.display_number) == ("P001", "P002")


@pytest.mark.parametrize("last_event_id", ["999999999", "abc", "-3"])
def test_an_unusable_last_event_id_gets_a_snapshot(
    server: RunningServer, centre: Centre, stream_of: Any, last_event_id: str
) -> None:
    services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)

    stream = stream_of(location_events_url(server, centre), {"Last-Event-ID": last_event_id})

    snapshot = stream.next()
    assert (snapshot.event, snapshot.id) == ("snapshot", newest_event_id())


@pytest.mark.django_db(transaction=True)
def test_a_reconnect_too_far_back_or_from_the_future_gets_a_snapshot_instead(
    centre: Centre, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(streams, "REPLAY_LIMIT", 2)
    for _number in range(3):
        services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    [(first, _kind), (second, _kind), (newest, _kind)] = events_at(centre, 0)
    replay = async_to_sync(streams._replay_rows)

    assert [row[0] for row in replay(centre.location.pk, first, newest)] == [second, newest]
    assert replay(centre.location.pk, first - 1, newest) is None
    assert replay(centre.location.pk, newest + 1, newest) is None


def test_a_quiet_stream_sends_heartbeats(
    server: RunningServer, centre: Centre, stream_of: Any
) -> None:
    stream = stream_of(location_events_url(server, centre))
    assert stream.next().event == "snapshot"

    heartbeat = stream.next(comments=True)

    assert (heartbeat.event, heartbeat.data) == ("comment", "keepalive")


def test_stream_headers_forbid_caching_buffering_and_compression(
    server: RunningServer, centre: Centre, stream_of: Any
) -> None:
    stream = stream_of(location_events_url(server, centre), {"Accept-Encoding": "gzip, br"})

    assert stream.status_code == 200
    assert stream.headers["content-type"] == "text/event-stream"
    assert stream.headers["cache-control"] == "no-cache"
    assert stream.headers["x-accel-buffering"] == "no"
    assert "content-encoding" not in stream.headers
    assert stream.next().event == "snapshot"


def test_unknown_or_inactive_centres_are_not_found(server: RunningServer, centre: Centre) -> None:
    centre.location.active = False
    centre.location.save(update_fields=["active"])
    for slug in ("no-such-centre", centre.location.slug):
        response = httpx.get(f"{server.url}/api/v1/locations/{slug}/events", timeout=WAIT_SECONDS)
        assert response.status_code == 404
        assert response.json() == {"detail": "Not Found"}


def test_the_openapi_document_lists_the_streams(server: RunningServer) -> None:
    paths = httpx.get(f"{server.url}/api/v1/openapi.json", timeout=WAIT_SECONDS).json()["paths"]

    for path in ("/api/v1/locations/{slug}/events", "/api/v1/tickets/{token}/events"):
        responses = paths[path]["get"]["responses"]
        assert "text/event-stream" in responses["200"]["content"]
        assert {"404", "429", "503"} <= set(responses)


# The citizen's stream ---------------------------------------------------------------------------


def test_ticket_stream_carries_its_own_events_and_its_place_in_line(
    server: RunningServer, centre: Centre, stream_of: Any
) -> None:
    staff = make_staff()
    session = services.open_counter(centre.counters[0], staff, [centre.passports])
    ahead = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    mine = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    stream = stream_of(ticket_events_url(server, mine))

    snapshot = stream.next()
    assert snapshot.event == "snapshot"
    assert snapshot.id == newest_event_id()
    assert snapshot.data == {
        "number": "P002",
        "queue": "Pas",
        "location": centre.location.slug,
        "status": "waiting",
        "position": 2,
        "expected_wait_minutes": snapshot.data["expected_wait_minutes"],
        "counter": None,
        "sms_notice": False,
    }

    # Another queue's number changes nothing for this citizen; the call of the one ahead moves
    # them up, without telling them about that other ticket.
    services.issue_ticket(centre.location, centre.moving, source=Source.KIOSK)
    called = services.call_next(session, staff)
    assert called is not None and called.pk == ahead.pk
    moved = stream.next()
    assert moved.event == "ticket"
    assert (moved.data["position"], moved.data["status"]) == (1, "waiting")
    assert moved.id == newest_event_id()

    services.finish(called, staff, outcome=Outcome.RESOLVED_FIRST_CONTACT)
    my_turn = services.call_next(session, staff)
    assert my_turn is not None and my_turn.pk == mine.pk
    # The call itself, and the ticket's state at the counter. The state is read when events
    # come, so it may already show the call when it follows the other citizen's `finished`,
    # before the call's own event: the order of the two is not fixed.
    messages = [stream.next()]
    while not (
        any(message.event == "called" for message in messages)
        and any(message.data.get("status") == "called" for message in messages)
    ):
        messages.append(stream.next())
    [own_call] = [message for message in messages if message.event == "called"]
    assert (own_call.data["ticket"], own_call.data["number"]) == (mine.pk, "P002")
    assert own_call.data["counter"] == centre.counters[0].number
    state = [message for message in messages if message.event == "ticket"][-1]
    assert (state.data["status"], state.data["counter"], state.data["position"]) == (
        "called",
        centre.counters[0].number,
        None,
    )
    # Nothing but this ticket's own events and its states ever came.
    for message in [moved, *messages]:
        assert message.event == "ticket" or message.data["ticket"] == mine.pk, message


def test_ticket_stream_resumes_with_its_own_missed_events(
    server: RunningServer, centre: Centre, stream_of: Any
) -> None:
    staff = make_staff()
    session = services.open_counter(centre.counters[0], staff, [centre.passports])
    mine = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    first = stream_of(ticket_events_url(server, mine))
    snapshot = first.next()
    first.close()

    called = services.call_next(session, staff)
    assert called is not None
    services.recall(called, staff)

    second = stream_of(ticket_events_url(server, mine), {"Last-Event-ID": str(snapshot.id)})
    missed = second.take(3)
    assert [message.event for message in missed] == ["called", "recalled", "ticket"]
    assert missed[2].data["status"] == "called"
    assert missed[2].id == newest_event_id()


def test_unknown_ticket_is_not_found(server: RunningServer) -> None:
    response = httpx.get(f"{server.url}/api/v1/tickets/no-such-token/events", timeout=WAIT_SECONDS)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


# Clients that go away -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_client_that_goes_away_leaves_the_hub(
    centre: Centre, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In this process, through Django's ASGI handler, so the hub can be looked at; its signal
    # handlers are left alone (they belong to the server process).
    monkeypatch.setattr(hub_module, "_hub", None)
    monkeypatch.setattr(hub_module, "_stop_signals_chained", True)
    scope = {
        "type": "http",
        "method": "GET",
        "path": f"/api/v1/locations/{centre.location.slug}/events",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 50000),
    }

    async def scenario() -> None:
        requested = False
        snapshot_sent, gone = asyncio.Event(), asyncio.Event()

        async def receive() -> dict[str, Any]:
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if b"event: snapshot" in message.get("body", b""):
                snapshot_sent.set()

        handling = asyncio.create_task(application(scope, receive, send))
        await asyncio.wait_for(snapshot_sent.wait(), WAIT_SECONDS)
        hub = hub_module.get_hub()
        assert hub.subscriber_count == 1
        gone.set()
        await asyncio.wait_for(handling, WAIT_SECONDS)
        assert hub.subscriber_count == 0
        hub.stop()

    asyncio.run(scenario())


# Limits and restarts ----------------------------------------------------------------------------


def test_anonymous_stream_connections_are_rate_limited(
    asgi_server_factory: ServerFactory,  # noqa: F811
    centre: Centre,
) -> None:
    # Counted in fixed windows: a day's window, so the three requests all fall in one.
    server = asgi_server_factory(
        env={**STREAM_ENV, "SKRANKE_RATE_LIMITS": "on", "SKRANKE_RATE_LIMIT_ANONYMOUS": "2/day"}
    )
    url = location_events_url(server, centre)
    for _attempt in range(2):
        with EventStream(url) as stream:
            assert stream.status_code == 200
            assert stream.next().event == "snapshot"

    refused = httpx.get(url, headers={"Accept": "application/json"}, timeout=WAIT_SECONDS)

    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1


def test_stopping_the_server_ends_open_streams_at_once(
    server: RunningServer, centre: Centre, stream_of: Any
) -> None:
    ticket = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    streams = [
        stream_of(location_events_url(server, centre)),
        stream_of(ticket_events_url(server, ticket)),
    ]
    for stream in streams:
        assert stream.next().event == "snapshot"

    server.stop()

    for stream in streams:
        assert stream.wait_for_end() == []
    # The streams ended cleanly when the server was told to stop, not when uvicorn ran out of
    # patience (after its graceful-shutdown timeout) and cancelled them.
    assert "timeout graceful shutdown exceeded" not in server.output
    assert "Traceback" not in server.output
