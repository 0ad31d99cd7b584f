"""Live streams on PostgreSQL: across server processes, without holding connections, in id order
when transactions commit out of order, and through a lost LISTEN connection."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from django.db import connection, transaction
from django.utils import timezone

from skranke.access.services import create_api_token
from skranke.queue import services
from skranke.queue.models import EventKind, Outcome, Source, Ticket, TicketEvent
from skranke.queue.services.events import record_event
from skranke.queue.tests.factories import Centre, make_centre, make_staff
from skranke.testing.fixtures import ServerFactory, asgi_server_factory  # noqa: F401
from skranke.testing.streams import (
    STREAM_ENV,
    WAIT_SECONDS,
    EventStream,
    location_events_url,
    newest_event_id,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def centre(transactional_db: None) -> Centre:
    # Committed, so that the server process sees it.
    return make_centre()


@pytest.fixture
def streams() -> Iterator[list[EventStream]]:
    """A list to put open streams in; they are all closed at the end of the test."""
    opened: list[EventStream] = []
    yield opened
    for stream in opened:
        stream.close()


def database_connections() -> int:
    """Return how many other sessions are connected to the test database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])


def event_id(ticket: Ticket, kind: EventKind) -> int:
    """Return the id of ``ticket``'s event of ``kind`` (public streams do not name tickets)."""
    return TicketEvent.objects.get(ticket=ticket, kind=kind).pk


def hub_backends() -> list[int]:
    """Return the process ids of the event hubs' LISTEN connections to the test database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = 'skranke-event-hub'"
        )
        return [row[0] for row in cursor.fetchall()]


def test_a_call_on_one_server_process_reaches_a_client_of_another_in_order(
    asgi_server_factory: ServerFactory,  # noqa: F811
    centre: Centre,
    streams: list[EventStream],
) -> None:
    first = asgi_server_factory(env=STREAM_ENV)
    second = asgi_server_factory(env=STREAM_ENV)
    staff = make_staff()
    services.open_counter(centre.counters[0], staff, [centre.passports])
    _token, secret = create_api_token(staff, "counter PC")
    api = httpx.Client(
        base_url=f"{first.url}/api/v1",
        headers={"Authorization": f"Bearer {secret}"},
        timeout=WAIT_SECONDS,
    )
    display = EventStream(location_events_url(second, centre))
    streams.append(display)
    assert display.next().event == "snapshot"

    delays, after_answer = [], []
    for _visit in range(5):
        ticket = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
        assert display.next().event == "changed"
        asked = time.monotonic()
        response = api.post(f"/counters/{centre.counters[0].pk}/call-next")
        answered = time.monotonic()
        assert response.status_code == 200, response.text
        called = display.next()
        assert (called.event, called.data["number"]) == ("called", ticket.display_number)
        delays.append(called.received_at - asked)
        after_answer.append(called.received_at - answered)
        response = api.post(
            f"/tickets/{ticket.pk}/finish", json={"outcome": Outcome.RESOLVED_FIRST_CONTACT}
        )
        assert response.status_code == 200, response.text
        assert display.next().event == "changed"
    api.close()

    # How fast is a matter for `make bench` (bench/fanout.py measures the delivery across two
    # processes under load); here only that every event arrives, in order, is asserted.
    print(
        f"call on process A -> event at a client of process B: at most {max(delays) * 1000:.0f}"
        f" ms from the request, {max(after_answer) * 1000:.0f} ms from A's answer"
    )


def test_with_several_workers_a_call_through_one_reaches_the_streams_of_the_other(
    asgi_server_factory: ServerFactory,  # noqa: F811
    centre: Centre,
    streams: list[EventStream],
) -> None:
    # `skranke serve --workers 2`, as docs/deployment.md recommends: one port, and the kernel
    # hands each connection to one of the workers.
    server = asgi_server_factory(workers=2, env=STREAM_ENV)
    url = location_events_url(server, centre)
    staff = make_staff()
    services.open_counter(centre.counters[0], staff, [centre.passports])
    _token, secret = create_api_token(staff, "counter PC")
    # Each worker's hub opens its LISTEN connection with that worker's first stream, so two
    # of them prove that both workers hold streams.
    while len(hub_backends()) < 2:
        assert len(streams) < 60, "every stream went to the same worker"
        stream = EventStream(url)
        streams.append(stream)
        assert stream.next().event == "snapshot"
    with httpx.Client(
        base_url=f"{server.url}/api/v1",
        headers={"Authorization": f"Bearer {secret}"},
        timeout=WAIT_SECONDS,
    ) as api:
        for _visit in range(3):
            ticket = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
            # Whichever worker answers the call, the other worker's streams get it too.
            response = api.post(f"/counters/{centre.counters[0].pk}/call-next")
            assert response.status_code == 200, response.text
            assert response.json()["ticket"]["id"] == ticket.pk
            for stream in streams:
                issued, called = stream.take(2)
                assert (issued.event, issued.id) == ("changed", event_id(ticket, EventKind.ISSUED))
                assert (called.event, called.data["number"]) == ("called", ticket.display_number)
            response = api.post(
                f"/tickets/{ticket.pk}/finish", json={"outcome": Outcome.RESOLVED_FIRST_CONTACT}
            )
            assert response.status_code == 200, response.text
            for stream in streams:
                assert stream.next().id == event_id(ticket, EventKind.FINISHED)


def test_open_streams_hold_no_database_connections(
    asgi_server_factory: ServerFactory,  # noqa: F811
    centre: Centre,
    streams: list[EventStream],
) -> None:
    # A pool of at most 4: were streams to keep a connection each, the fifth would wait for one
    # and fail; with them all idle the pool stays as small as before.
    server = asgi_server_factory(
        env={**STREAM_ENV, "SKRANKE_DB_POOL_MIN": "1", "SKRANKE_DB_POOL_MAX": "4"}
    )
    status = httpx.get(
        f"{server.url}/api/v1/locations/{centre.location.slug}/status", timeout=WAIT_SECONDS
    )
    assert status.status_code == 200
    without_streams = database_connections()

    url = location_events_url(server, centre)
    for _display in range(50):
        stream = EventStream(url)
        streams.append(stream)
        assert stream.next().event == "snapshot"
    with_streams = database_connections()

    # The hub's LISTEN connection is the only one the 50 streams added (one hub per process).
    assert len(hub_backends()) == 1
    assert with_streams <= without_streams + 1, (without_streams, with_streams)
    # And every one of them still gets the next event.
    ticket = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    for stream in streams:
        message = stream.next()
        assert (message.event, message.id) == ("changed", event_id(ticket, EventKind.ISSUED))


def _write_event_in_open_transaction(
    centre: Centre, written: threading.Event, finish: threading.Event, commit: bool
) -> None:
    """Take an event id in a transaction that stays open until ``finish``; then end it."""

    class RolledBack(Exception):
        pass

    try:
        with transaction.atomic():
            record_event(
                EventKind.COUNTER_PAUSED,
                location_id=centre.location.pk,
                at=timezone.now(),
                counter_id=centre.counters[1].pk,
            )
            written.set()
            assert finish.wait(WAIT_SECONDS)
            if not commit:
                raise RolledBack
    except RolledBack:
        pass
    finally:
        connection.close()


@pytest.mark.parametrize("commit", [True, False], ids=["committed", "rolled-back"])
def test_events_committed_out_of_order_are_sent_in_id_order(
    asgi_server_factory: ServerFactory,  # noqa: F811
    centre: Centre,
    streams: list[EventStream],
    commit: bool,
) -> None:
    # The table holds none of the many ids given out before (as after a purge): the hub must
    # start from the newest id given out, not from the newest row.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
            "coalesce(pg_sequence_last_value(pg_get_serial_sequence(%s, 'id')), 1) + 50000)",
            [TicketEvent._meta.db_table] * 2,
        )
    server = asgi_server_factory(env=STREAM_ENV)
    display = EventStream(location_events_url(server, centre))
    streams.append(display)
    assert display.next().event == "snapshot"
    written, finish = threading.Event(), threading.Event()
    writer = threading.Thread(
        target=_write_event_in_open_transaction, args=(centre, written, finish, commit)
    )
    writer.start()
    try:
        assert written.wait(WAIT_SECONDS)
        # This number takes a larger event id but commits first.
        ticket = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
        # Sent now, it would come before the smaller id, which a display resuming after it
        # would then never get; so it waits for the open transaction to end. Give a wrong hub
        # the chance to send it early (the NOTIFY of the issue has been delivered by now).
        time.sleep(0.5)
    finally:
        transaction_ended = time.monotonic()
        finish.set()
        writer.join(WAIT_SECONDS)

    if commit:
        paused, issued = display.take(2)
        assert paused.event == "counter_paused"
        assert paused.id is not None and issued.id is not None and paused.id < issued.id
    else:
        issued = display.next()
    assert (issued.event, issued.id) == ("changed", event_id(ticket, EventKind.ISSUED))
    assert issued.id == newest_event_id()
    # Not a speed check: the event must not have reached the display before the transaction
    # holding the smaller id ended, however fast or slow the machine is.
    assert issued.received_at >= transaction_ended


def test_a_lost_listen_connection_is_replaced_and_nothing_is_missed(
    asgi_server_factory: ServerFactory,  # noqa: F811
    centre: Centre,
    streams: list[EventStream],
) -> None:
    server = asgi_server_factory(env=STREAM_ENV)
    display = EventStream(location_events_url(server, centre))
    streams.append(display)
    assert display.next().event == "snapshot"
    [lost] = hub_backends()

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [lost])
    # Written while the hub has no connection (it waits before reconnecting).
    written = [
        services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
        for _number in range(3)
    ]

    caught_up = display.take(3)
    assert [message.id for message in caught_up] == [
        event_id(ticket, EventKind.ISSUED) for ticket in written
    ]
    [replacement] = hub_backends()
    assert replacement != lost
    live = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    assert display.next().id == event_id(live, EventKind.ISSUED)
    assert "the event hub lost its database connection" in server.output
