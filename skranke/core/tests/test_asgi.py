"""The ASGI handler: an open live stream keeps no thread of its own in the server process."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from asgiref.sync import ThreadSensitiveContext, sync_to_async

from skranke.asgi import release_request_thread
from skranke.queue import services
from skranke.queue.models import Source
from skranke.queue.tests.factories import Centre, make_centre
from skranke.testing.fixtures import ServerFactory, asgi_server_factory  # noqa: F401
from skranke.testing.streams import (
    STREAM_ENV,
    WAIT_SECONDS,
    EventStream,
    location_events_url,
)

STREAMS = 30


def _wait_until_gone(thread_id: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(thread.ident != thread_id for thread in threading.enumerate()):
            return True
        time.sleep(0.02)
    return False


def test_releasing_ends_the_requests_thread_and_a_later_call_gets_a_new_one() -> None:
    async def scenario() -> tuple[int, bool, int, bool]:
        async with ThreadSensitiveContext():
            first = await sync_to_async(threading.get_ident)()
            released = await release_request_thread()
            second = await sync_to_async(threading.get_ident)()
        # Outside a request there is nothing to release.
        return first, released, second, await release_request_thread()

    first, released, second, outside = asyncio.run(scenario())
    assert released
    assert second != first
    assert not outside
    assert _wait_until_gone(first, WAIT_SECONDS), "the request's thread is still running"


@pytest.fixture
def centre(transactional_db: None) -> Centre:
    return make_centre()


@pytest.fixture
def streams() -> Iterator[list[EventStream]]:
    opened: list[EventStream] = []
    yield opened
    for stream in opened:
        stream.close()


def server_threads(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    raise AssertionError("no Threads line in /proc/<pid>/status")


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/<pid>/status")
def test_open_streams_keep_no_thread_each(
    asgi_server_factory: ServerFactory,  # noqa: F811
    centre: Centre,
    streams: list[EventStream],
) -> None:
    server = asgi_server_factory(env=STREAM_ENV)
    url = location_events_url(server, centre)
    # One stream first: it starts the event hub and the shared thread pool.
    first = EventStream(url)
    streams.append(first)
    assert first.next().event == "snapshot"
    before = server_threads(server.process.pid)
    for _display in range(STREAMS):
        stream = EventStream(url)
        streams.append(stream)
        assert stream.next().event == "snapshot"
    # The shared pool (asyncio's default executor) may grow by a few threads; one thread per
    # stream would add STREAMS. Released threads end a moment after their stream started.
    bound = before + STREAMS // 3
    deadline = time.monotonic() + WAIT_SECONDS
    while (threads := server_threads(server.process.pid)) > bound and time.monotonic() < deadline:
        time.sleep(0.05)
    assert threads <= bound, (before, threads)
    # And every stream still gets the next event.
    ticket = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    for stream in streams:
        message = stream.next()
        assert (message.event, message.data["queue"]) == ("changed", ticket.queue_id)
