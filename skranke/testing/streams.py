"""Reading Skranke's live streams (server-sent events) from a test, against the real server.

`EventStream` parses server-sent events in a thread of its own; every wait has a deadline, so a
missing event fails the test within seconds instead of hanging it. Used by the queue's stream
tests and by the core's ASGI and outage tests.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from skranke.organisation.models import Location
from skranke.queue.models import Ticket, TicketEvent
from skranke.testing.server import RunningServer


class Centre(Protocol):
    """A centre of the tests' factories (skranke.queue.tests.factories.Centre)."""

    location: Location


# Long enough for a loaded CI machine to pass an event through the hub; a correct server does it
# in milliseconds (PostgreSQL) or within one poll (SQLite, 0.25 s).
WAIT_SECONDS = 10.0

# Streams in these tests send a heartbeat every second, so a test can wait for one.
STREAM_ENV = {"SKRANKE_STREAM_HEARTBEAT_SECONDS": "1", "SKRANKE_RATE_LIMITS": "off"}


@dataclass(frozen=True)
class Message:
    """One server-sent event; `event` is "comment" for a comment line such as a heartbeat."""

    event: str
    id: int | None
    data: Any
    received_at: float


class EventStream:
    """A server-sent-events connection read in a thread of its own.

    Opening it waits for the response headers (so `status_code` and `headers` are there at
    once); `next` and `take` wait for messages with a deadline.
    """

    def __init__(self, url: str, headers: Mapping[str, str] | None = None) -> None:
        self.url = url
        # The read timeout only guards against a server that stops sending altogether; tests
        # run with a heartbeat every second.
        self._client = httpx.Client(timeout=httpx.Timeout(10.0, read=30.0))
        self.response = self._client.send(
            self._client.build_request("GET", url, headers=dict(headers or {})), stream=True
        )
        self.status_code = self.response.status_code
        self.headers = self.response.headers
        self.retry: int | None = None
        self.error: BaseException | None = None
        self._closing = False
        self._inbox: queue.Queue[Message | None] = queue.Queue()
        self._thread = threading.Thread(target=self._read, name=f"sse {url}", daemon=True)
        if self.status_code == 200:
            self._thread.start()

    def _read(self) -> None:
        fields: dict[str, str] = {}
        data: list[str] = []
        try:
            for line in self.response.iter_lines():
                if line.startswith(":"):
                    self._inbox.put(Message("comment", None, line[1:].strip(), time.monotonic()))
                    continue
                if line:
                    name, _colon, value = line.partition(":")
                    value = value.removeprefix(" ")
                    if name == "data":
                        data.append(value)
                    elif name == "retry":
                        self.retry = int(value)
                    else:
                        fields[name] = value
                    continue
                # A blank line ends a message; one without data is not dispatched (as browsers do).
                if data:
                    event_id = int(fields["id"]) if "id" in fields else None
                    payload = json.loads("\n".join(data))
                    event = fields.get("event", "message")
                    self._inbox.put(Message(event, event_id, payload, time.monotonic()))
                fields, data = {}, []
        except Exception as error:
            if not self._closing:
                self.error = error
        finally:
            self._inbox.put(None)

    def next(self, timeout: float = WAIT_SECONDS, *, comments: bool = False) -> Message:
        """Return the next message (comments skipped unless asked for); fail after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                message = self._inbox.get(timeout=max(0.0, remaining))
            except queue.Empty:
                raise AssertionError(f"no message from {self.url} within {timeout} s") from None
            if message is None:
                self._inbox.put(None)
                raise AssertionError(f"{self.url} ended ({self.error!r}) while a message was due")
            if comments or message.event != "comment":
                return message

    def take(self, count: int, timeout: float = WAIT_SECONDS) -> list[Message]:
        """Return the next ``count`` messages that are not comments."""
        deadline = time.monotonic() + timeout
        return [self.next(max(0.0, deadline - time.monotonic())) for _ in range(count)]

    def quiet_for(self, seconds: float) -> list[Message]:
        """Return the messages (not comments) that arrive within ``seconds``; normally none."""
        arrived = []
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                message = self._inbox.get(timeout=remaining)
            except queue.Empty:
                break
            if message is None:
                self._inbox.put(None)
                break
            if message.event != "comment":
                arrived.append(message)
        return arrived

    def wait_for_end(self, timeout: float = WAIT_SECONDS) -> list[Message]:
        """Wait until the server ends the stream; return what came before the end (no comments).

        Fails after ``timeout``, or when the connection broke instead of ending.
        """
        deadline = time.monotonic() + timeout
        rest: list[Message] = []
        while True:
            try:
                message = self._inbox.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"{self.url} did not end within {timeout} s") from None
            if message is None:
                assert self.error is None, f"{self.url} broke off: {self.error!r}"
                return rest
            if message.event != "comment":
                rest.append(message)

    def close(self) -> None:
        self._closing = True
        self.response.close()
        self._client.close()
        if self._thread.is_alive():
            self._thread.join(WAIT_SECONDS)

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def location_events_url(server: RunningServer, centre: Centre) -> str:
    return f"{server.url}/api/v1/locations/{centre.location.slug}/events"


def ticket_events_url(server: RunningServer, ticket: Ticket) -> str:
    return f"{server.url}/api/v1/tickets/{ticket.token}/events"


def events_at(centre: Centre, after: int) -> list[tuple[int, str]]:
    """Return (id, kind) of the centre's events after ``after``, as the database has them."""
    return list(
        TicketEvent.objects.filter(location=centre.location, id__gt=after)
        .order_by("id")
        .values_list("id", "kind")
    )


def newest_event_id() -> int:
    return TicketEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
