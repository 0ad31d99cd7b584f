"""What the live streams give away: the centre's public stream (displays, kiosks, counters) carries
only what a waiting-room screen shows and replays only today; outcomes, reasons, transfer sources
and staff go on the staff stream, for those who may watch the live floor (issue 10, item 4).

Streams are read from the real server as in test_streams.py; the rules that need no server
(the public form of each kind, the replay's day limit) are checked in this process.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from skranke.access.middleware import DEVICE_COOKIE
from skranke.access.models import DevicePurpose
from skranke.asgi import application
from skranke.organisation.models import Role
from skranke.queue import services
from skranke.queue.live import hub as hub_module
from skranke.queue.live import streams
from skranke.queue.live.hub import CHANGED, PUBLIC_KINDS, HubEvent
from skranke.queue.models import CancelReason, EventKind, Outcome, Source, TicketEvent
from skranke.queue.services.events import record_event
from skranke.queue.tests.factories import (
    Centre,
    make_centre,
    make_device_client,
    make_staff,
    make_staff_client,
)
from skranke.testing.fixtures import ServerFactory, asgi_server_factory  # noqa: F401
from skranke.testing.server import RunningServer
from skranke.testing.streams import (
    STREAM_ENV,
    WAIT_SECONDS,
    EventStream,
    Message,
    events_at,
    location_events_url,
    newest_event_id,
    ticket_events_url,
)

# What a waiting room may see of an event, by the form it takes on the public stream.
CALL_KEYS = {"id", "kind", "at", "number", "queue", "counter", "counter_id"}
CHANGED_KEYS = {"id", "kind", "at", "queue"}
# What only the citizen concerned and staff may see.
PRIVATE_KEYS = {"ticket", "outcome", "reason", "from_queue", "staff", "recalls", "referred_to"}


@pytest.fixture
def server(asgi_server_factory: ServerFactory) -> RunningServer:  # noqa: F811
    return asgi_server_factory(env=STREAM_ENV)


@pytest.fixture
def centre(transactional_db: None) -> Centre:
    # Committed, so that the server process sees it.
    return make_centre()


@pytest.fixture
def stream_of() -> Iterator[Any]:
    """Open streams with ``stream_of(url, headers)``; all are closed at the end of the test."""
    opened: list[EventStream] = []

    def open_stream(url: str, headers: Mapping[str, str] | None = None) -> EventStream:
        stream = EventStream(url, headers)
        opened.append(stream)
        return stream

    yield open_stream
    for stream in opened:
        stream.close()


def staff_events_url(server: RunningServer, centre: Centre, slug: str | None = None) -> str:
    return f"{server.url}/api/v1/locations/{slug or centre.location.slug}/staff-events"


def session_cookie(user: User) -> dict[str, str]:
    """Return the Cookie header of a signed-in session of ``user`` (stored in the database)."""
    name = settings.SESSION_COOKIE_NAME
    return {"Cookie": f"{name}={make_staff_client(user).cookies[name].value}"}


def yesterday() -> dt.datetime:
    # A whole day back is before today's local midnight whatever the time of day.
    return timezone.now() - dt.timedelta(days=1)


# The public form of each kind (no server) --------------------------------------------------------


def hub_event(kind: EventKind, data: dict[str, Any], *, ticket_id: int | None = 9) -> HubEvent:
    at = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
    return HubEvent.from_row((41, 1, kind.value, at, ticket_id, 7, 3, 2, data, "anna"))


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        (EventKind.ISSUED, {"number": "P001"}),
        (EventKind.SERVING, {"number": "P001"}),
        (EventKind.PARKED, {"number": "P001"}),
        (EventKind.TRANSFERRED, {"number": "P001", "from_queue": 5}),
        (EventKind.NO_SHOW, {"number": "P001"}),
        (EventKind.REINSTATED, {"number": "P001"}),
        (EventKind.CANCELLED, {"number": "P001", "reason": "staff"}),
        (EventKind.FINISHED, {"number": "P001", "outcome": "referred"}),
    ],
)
def test_what_befalls_a_number_reaches_the_public_only_as_a_change_in_its_queue(
    kind: EventKind, data: dict[str, Any]
) -> None:
    event = hub_event(kind, data)

    assert event.public_payload() == {
        "id": 41,
        "kind": CHANGED,
        "at": event.payload["at"],
        "queue": 7,
    }
    assert event.public_message.startswith(b"id: 41\nevent: changed\ndata: ")
    assert b"P001" not in event.public_message
    # The whole event is still there for the citizen's own stream and for staff.
    assert event.payload["kind"] == kind
    assert {**data, "staff": "anna"}.items() <= {**event.payload, "staff": event.staff}.items()


def test_counter_and_queue_changes_keep_what_the_display_shows() -> None:
    opened = hub_event(EventKind.COUNTER_OPENED, {"queues": [7, 8]}, ticket_id=None)
    closed = hub_event(EventKind.QUEUE_CLOSED, {"reason": "Ingen flere i dag"}, ticket_id=None)

    assert opened.public_payload() == {
        "id": 41,
        "kind": "counter_opened",
        "at": opened.payload["at"],
        "number": None,
        "queue": 7,
        "counter": 2,
        "counter_id": 3,
        "queues": [7, 8],
    }
    assert closed.public_payload()["reason"] == "Ingen flere i dag"


def test_every_kind_has_a_public_form_the_pages_listen_for() -> None:
    for kind in EventKind:
        public = hub_event(kind, {"number": "P001"}).public_payload()
        assert public["kind"] in PUBLIC_KINDS, kind
        assert not PRIVATE_KEYS & set(public), kind


def test_each_form_of_an_event_is_encoded_once() -> None:
    event = hub_event(EventKind.FINISHED, {"number": "P001", "outcome": "referred"})

    assert event.public_message is event.public_message
    assert event.staff_message is event.staff_message
    assert event.ticket_message is event.ticket_message


# The public stream -----------------------------------------------------------------------------


def assert_waiting_room_only(messages: list[Message]) -> None:
    for message in messages:
        assert message.event in PUBLIC_KINDS, message
        expected = CHANGED_KEYS if message.event == CHANGED else CALL_KEYS
        assert set(message.data) == expected, message
        assert message.data["kind"] == message.event


def test_the_public_stream_does_not_tell_how_a_visit_ended(
    server: RunningServer, centre: Centre, stream_of: Any
) -> None:
    staff = make_staff()
    session = services.open_counter(centre.counters[0], staff, [centre.passports])
    tickets = [
        services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
        for _number in range(4)
    ]
    display = stream_of(location_events_url(server, centre))
    snapshot = display.next()
    assert snapshot.event == "snapshot"

    finished = services.call_next(session, staff)
    assert finished is not None
    services.start_serving(finished, staff)
    services.finish(finished, staff, outcome=Outcome.PASSED_TO_BACK_OFFICE)
    absent = services.call_next(session, staff)
    assert absent is not None
    for _recall in range(settings.SKRANKE_NO_SHOW_AFTER_RECALLS):
        services.recall(absent, staff)
    services.mark_no_show(absent, staff)
    moved = services.call_next(session, staff)
    assert moved is not None
    services.transfer(moved, centre.back_office, staff)
    services.cancel(tickets[3], CancelReason.STAFF, staff)

    expected = events_at(centre, snapshot.id)
    assert {EventKind.FINISHED, EventKind.NO_SHOW, EventKind.TRANSFERRED, EventKind.CANCELLED} <= {
        kind for _id, kind in expected
    }
    live = display.take(len(expected))
    assert [message.id for message in live] == [event_id for event_id, _kind in expected]
    assert_waiting_room_only(live)
    # The calls are there with their numbers; how each visit ended is not.
    assert [message.data["number"] for message in live if message.event == "called"] == [
        ticket.display_number for ticket in tickets[:3]
    ]
    transfer = next(message for message in live if message.id == expected[-2][0])
    assert transfer.data["queue"] == centre.back_office.pk

    # A display that resumes gets the same, read from the table rather than from the hub.
    resumed = stream_of(location_events_url(server, centre), {"Last-Event-ID": str(snapshot.id)})
    replayed = resumed.take(len(expected))
    assert [(message.event, message.data) for message in replayed] == [
        (message.event, message.data) for message in live
    ]


def test_a_display_resuming_from_yesterday_gets_a_snapshot_not_yesterday_s_events(
    server: RunningServer, centre: Centre, stream_of: Any
) -> None:
    for _number in range(2):
        services.issue_ticket(
            centre.location, centre.passport, source=Source.KIOSK, now=yesterday()
        )
    [(yesterdays_first, _kind), _second] = events_at(centre, 0)
    services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)

    stream = stream_of(
        location_events_url(server, centre), {"Last-Event-ID": str(yesterdays_first)}
    )

    first = stream.next()
    assert (first.event, first.id) == ("snapshot", newest_event_id())
    waiting = {queue["prefix"]: queue["waiting"] for queue in first.data["queues"]}
    assert waiting["P"] == 3


def test_a_resume_from_yesterday_gets_a_snapshot_even_when_nothing_happened_since(
    server: RunningServer, centre: Centre, stream_of: Any
) -> None:
    services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK, now=yesterday())
    last_seen = newest_event_id()

    stream = stream_of(f"{location_events_url(server, centre)}?last_event_id={last_seen}")

    assert stream.next().event == "snapshot"


def test_a_phone_resuming_from_yesterday_gets_a_snapshot_of_its_ticket(
    server: RunningServer, centre: Centre, stream_of: Any
) -> None:
    services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK, now=yesterday())
    yesterdays = newest_event_id()
    mine = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)

    stream = stream_of(ticket_events_url(server, mine), {"Last-Event-ID": str(yesterdays)})

    first = stream.next()
    assert (first.event, first.id) == ("snapshot", newest_event_id())
    assert first.data["number"] == mine.display_number


@pytest.mark.django_db(transaction=True)
def test_the_replay_holds_only_today_s_events(centre: Centre) -> None:
    replay = async_to_sync(streams._replay_rows)
    services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK, now=yesterday())
    before_today = newest_event_id()
    services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    today = newest_event_id()

    # From today's own event, today's events are replayed; from yesterday's, none are.
    assert replay(centre.location.pk, today, today) == []
    assert replay(centre.location.pk, before_today, today) is None
    # An event written today but dated yesterday (a back-dated change) is not replayed either.
    record_event(
        EventKind.COUNTER_PAUSED,
        location_id=centre.location.pk,
        at=yesterday(),
        counter_id=centre.counters[0].pk,
    )
    assert replay(centre.location.pk, today, newest_event_id()) is None


@pytest.mark.django_db
def test_the_public_snapshot_shows_only_today_s_calls(client: Client, settings: Any) -> None:
    settings.SKRANKE_RATE_LIMITS_ENABLED = False
    centre = make_centre()
    staff = make_staff()
    then = yesterday()
    services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK, now=then)
    session = services.open_counter(centre.counters[0], staff, [centre.passports], now=then)
    old = services.call_next(session, staff, now=then)
    assert old is not None
    services.finish(old, staff, outcome=Outcome.RESOLVED_FIRST_CONTACT, now=then)
    today = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    assert services.call_next(session, staff) is not None

    body = client.get(f"/api/v1/locations/{centre.location.slug}/status").json()

    assert [call["number"] for call in body["recent_calls"]] == [today.display_number]
    assert old.display_number == today.display_number == "P001"  # a new day's numbering
    assert TicketEvent.objects.filter(kind=EventKind.CALLED).count() == 2


# The staff stream ------------------------------------------------------------------------------


def test_the_staff_stream_carries_outcomes_and_who_acted(
    server: RunningServer, centre: Centre, stream_of: Any
) -> None:
    lead = make_staff(Role.TEAM_LEAD, [centre.location])
    anna = make_staff(username="anna-at-counter-1")
    session = services.open_counter(centre.counters[0], anna, [centre.passports])
    floor = stream_of(staff_events_url(server, centre), session_cookie(lead))
    assert floor.status_code == 200
    snapshot = floor.next()
    assert snapshot.event == "snapshot"
    assert snapshot.data["slug"] == centre.location.slug

    ticket = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    called = services.call_next(session, anna)
    assert called is not None
    services.finish(called, anna, outcome=Outcome.REFERRED, referred_to="skat")
    services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)

    issued, call, finish, again = floor.take(4)
    assert [message.event for message in (issued, call, finish, again)] == [
        "issued",
        "called",
        "finished",
        "issued",
    ]
    assert (issued.data["ticket"], issued.data["staff"]) == (ticket.pk, None)
    assert (call.data["ticket"], call.data["staff"]) == (ticket.pk, anna.username)
    assert (finish.data["outcome"], finish.data["staff"]) == ("referred", anna.username)

    # Resumed, the same detail comes from the table.
    resumed = stream_of(
        staff_events_url(server, centre),
        {**session_cookie(lead), "Last-Event-ID": str(snapshot.id)},
    )
    assert [message.data for message in resumed.take(4)] == [
        message.data for message in (issued, call, finish, again)
    ]


def test_only_staff_who_may_watch_the_live_floor_of_that_centre_get_the_staff_stream(
    server: RunningServer, centre: Centre, stream_of: Any
) -> None:
    elsewhere = make_centre()
    display, _device = make_device_client(centre.location, DevicePurpose.DISPLAY)
    display_cookie = {"Cookie": f"{DEVICE_COOKIE}={display.cookies[DEVICE_COOKIE].value}"}
    callers: dict[str, tuple[dict[str, str], int]] = {
        "anonymous": ({}, 401),
        "counter staff of this centre": (
            session_cookie(make_staff(Role.COUNTER_STAFF, [centre.location])),
            403,
        ),
        "team lead of another centre": (
            session_cookie(make_staff(Role.TEAM_LEAD, [elsewhere.location])),
            403,
        ),
        "the centre's display screen": (display_cookie, 403),
    }
    url = staff_events_url(server, centre)
    for caller, (headers, status) in callers.items():
        # Opened as a stream, so that a wrongly granted one is not read forever.
        refused = stream_of(url, headers)
        assert refused.status_code == status, caller
        assert set(json.loads(refused.response.read())) == {"detail"}, caller

    lead = session_cookie(make_staff(Role.TEAM_LEAD, [centre.location]))
    # Limited to this centre: another centre's floor is refused, an unknown one not found.
    for slug, status in (("no-such-centre", 404), (elsewhere.location.slug, 403)):
        assert stream_of(staff_events_url(server, centre, slug), lead).status_code == status, slug
    allowed = stream_of(url, lead)
    assert allowed.status_code == 200
    assert allowed.next().event == "snapshot"


@pytest.mark.django_db(transaction=True)
def test_a_staff_stream_ends_in_time_so_that_its_reconnect_is_checked_again(
    centre: Centre, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In this process, through Django's ASGI handler, with a lifetime of nothing: the stream
    # sends its snapshot and ends, where without a lifetime it would run until the client left.
    monkeypatch.setattr(hub_module, "_hub", None)
    monkeypatch.setattr(hub_module, "_stop_signals_chained", True)
    monkeypatch.setattr(streams, "STAFF_STREAM_SECONDS", 0.0)
    lead = make_staff(Role.TEAM_LEAD, [centre.location])
    cookie = session_cookie(lead)["Cookie"].encode()
    scope = {
        "type": "http",
        "method": "GET",
        "path": f"/api/v1/locations/{centre.location.slug}/staff-events",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1"), (b"cookie", cookie)],
        "client": ("127.0.0.1", 50000),
    }

    async def scenario() -> tuple[int, bytes]:
        requested = False
        finished = asyncio.Event()
        status, body = 0, b""

        async def receive() -> dict[str, Any]:
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.Event().wait()  # The client never leaves.
            raise AssertionError

        async def send(message: dict[str, Any]) -> None:
            nonlocal status, body
            if message["type"] == "http.response.start":
                status = message["status"]
            else:
                body += message.get("body", b"")
                if not message.get("more_body", False):
                    finished.set()

        handling = asyncio.create_task(application(scope, receive, send))
        try:
            await asyncio.wait_for(finished.wait(), WAIT_SECONDS)
            await asyncio.wait_for(handling, WAIT_SECONDS)
        finally:
            handling.cancel()
            hub_module.get_hub().stop()
        return status, body

    status, body = asyncio.run(scenario())
    assert status == 200
    assert b"event: snapshot" in body
