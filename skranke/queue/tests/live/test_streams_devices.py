"""A device heard from again (`device_back`) is staff detail: the centre's staff stream carries it
with the device's id, live and when resumed; the public stream and a citizen's ticket stream
carry nothing of it, not even a bare `changed` (DESIGN.md: device heartbeats go on the staff
stream).

Streams are read from the real server as in test_streams.py; the event's forms are checked in
this process too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from django.utils import timezone

from skranke.access.models import DeviceAccount, DevicePurpose
from skranke.access.services import record_heartbeat
from skranke.organisation.models import Role
from skranke.queue import services
from skranke.queue.live import streams
from skranke.queue.live.hub import HubEvent
from skranke.queue.models import STAFF_ONLY_KINDS, CancelReason, EventKind, Source
from skranke.queue.tests.factories import Centre, make_centre, make_device_client, make_staff
from skranke.queue.tests.live.test_streams_public import session_cookie, staff_events_url
from skranke.testing.fixtures import ServerFactory, asgi_server_factory  # noqa: F401
from skranke.testing.server import RunningServer
from skranke.testing.streams import (
    STREAM_ENV,
    EventStream,
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


def test_a_device_back_has_a_staff_form_with_the_device_and_no_public_one() -> None:
    at = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
    event = HubEvent.from_row(
        (41, 1, EventKind.DEVICE_BACK.value, at, None, None, None, None, {"device": 5}, None)
    )

    assert EventKind.DEVICE_BACK in STAFF_ONLY_KINDS
    assert streams._public_message(event) == b""
    assert not streams._TicketWatch(ticket_id=9).concerns(event)
    assert event.staff_message.startswith(b"id: 41\nevent: device_back\ndata: ")
    assert event.payload["device"] == 5


def test_a_device_back_reaches_the_staff_stream_and_no_public_one(
    server: RunningServer, centre: Centre, stream_of: Any
) -> None:
    lead = make_staff(Role.TEAM_LEAD, [centre.location])
    mine = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    floor = stream_of(staff_events_url(server, centre), session_cookie(lead))
    display = stream_of(location_events_url(server, centre))
    phone = stream_of(ticket_events_url(server, mine))
    snapshots = [stream.next() for stream in (floor, display, phone)]
    assert [snapshot.event for snapshot in snapshots] == ["snapshot"] * 3
    since = snapshots[0].id
    assert since is not None

    _client, device = make_device_client(centre.location, DevicePurpose.DISPLAY)
    DeviceAccount.objects.filter(pk=device.pk).update(
        last_seen_at=timezone.now() - dt.timedelta(minutes=5)
    )
    device.refresh_from_db()
    assert record_heartbeat(device) is True
    back = newest_event_id()
    # Then something every stream carries: the citizen cancels their own number.
    services.cancel(mine, CancelReason.CITIZEN)
    cancelled = newest_event_id()

    device_back, cancel = floor.take(2)
    assert (device_back.event, device_back.id) == ("device_back", back)
    assert device_back.data["kind"] == "device_back"
    assert device_back.data["device"] == device.pk
    assert (device_back.data["ticket"], device_back.data["staff"]) == (None, None)
    assert (cancel.event, cancel.id) == ("cancelled", cancelled)
    # The display's next message is the cancellation: nothing at all of the device before it.
    public = display.next()
    assert (public.event, public.id) == ("changed", cancelled)
    own = phone.take(2)
    assert [(message.event, message.id) for message in own] == [
        ("cancelled", cancelled),
        ("ticket", cancelled),
    ]

    # Resumed from before, each stream gets the same again, read from the table this time.
    resumed = {
        "floor": stream_of(
            staff_events_url(server, centre), {**session_cookie(lead), "Last-Event-ID": str(since)}
        ),
        "display": stream_of(location_events_url(server, centre), {"Last-Event-ID": str(since)}),
        "phone": stream_of(ticket_events_url(server, mine), {"Last-Event-ID": str(since)}),
    }
    assert [(message.event, message.id) for message in resumed["floor"].take(2)] == [
        ("device_back", back),
        ("cancelled", cancelled),
    ]
    first = resumed["display"].next()
    assert (first.event, first.id) == ("changed", cancelled)
    assert [(message.event, message.id) for message in resumed["phone"].take(2)] == [
        ("cancelled", cancelled),
        ("ticket", cancelled),
    ]
