"""The event hub's own rules, without a server or database: putting events that committed out of
order back into id order, fanning out by location and filter, and ending slow clients."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import pytest
from django.test import RequestFactory

from skranke.queue.live import hub as hub_module
from skranke.queue.live import hub_postgres
from skranke.queue.live.hub import EventHub, HubEvent, encode_message
from skranke.queue.live.hub_postgres import Sequencer
from skranke.queue.live.streams import last_event_id


def event(event_id: int, location_id: int = 1, ticket_id: int | None = None) -> HubEvent:
    at = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
    data = {"number": "P001", "recalls": 2}
    return HubEvent.from_row(
        (event_id, location_id, "recalled", at, ticket_id, 7, 3, 2, data, "anna")
    )


def message_data(message: bytes) -> Any:
    lines = message.decode().split("\n")
    return json.loads(lines[2].removeprefix("data: "))


class QuietHub(EventHub):
    """A hub that reads nothing: its events come from the test."""

    async def _run(self) -> None:
        self._ready.set()


def ids(events: list[HubEvent]) -> list[int]:
    return [item.id for item in events]


# Messages -------------------------------------------------------------------------------------


def test_an_event_becomes_one_sse_message_with_its_id_kind_and_json() -> None:
    message = event(41, ticket_id=9).ticket_message.decode()

    lines = message.split("\n")
    assert lines[:2] == ["id: 41", "event: recalled"]
    assert message.endswith("\n\n")
    assert json.loads(lines[2].removeprefix("data: ")) == {
        "id": 41,
        "kind": "recalled",
        "at": "2026-03-02T09:30:00Z",
        "ticket": 9,
        "number": "P001",
        "queue": 7,
        "counter": 2,
        "counter_id": 3,
        "recalls": 2,
    }


def test_the_staff_message_adds_the_staff_member_and_the_public_one_keeps_only_the_call() -> None:
    recalled = event(41, ticket_id=9)

    assert message_data(recalled.staff_message) == {
        **message_data(recalled.ticket_message),
        "staff": "anna",
    }
    assert recalled.public_message.decode().split("\n")[:2] == ["id: 41", "event: recalled"]
    assert message_data(recalled.public_message) == {
        "id": 41,
        "kind": "recalled",
        "at": "2026-03-02T09:30:00Z",
        "number": "P001",
        "queue": 7,
        "counter": 2,
        "counter_id": 3,
    }


def test_a_message_may_carry_retry_and_no_id() -> None:
    assert encode_message(data={"a": 1}, event="snapshot", retry_ms=2000) == (
        b'retry: 2000\nevent: snapshot\ndata: {"a":1}\n\n'
    )


@pytest.mark.parametrize(
    ("header", "query", "expected"),
    [
        (None, None, None),
        ("17", None, 17),
        (" 17 ", None, 17),
        (None, "23", 23),
        ("17", "23", 17),
        ("-1", None, None),
        ("1e3", None, None),
        ("١٢", None, None),
        ("9" * 19, None, None),
    ],
)
def test_last_event_id_comes_from_the_header_or_the_parameter(
    header: str | None, query: str | None, expected: int | None
) -> None:
    headers = {} if header is None else {"Last-Event-ID": header}
    params = {} if query is None else {"last_event_id": query}

    request = RequestFactory().get("/events", params, headers=headers)

    assert last_event_id(request) == expected


# Putting events back into id order (PostgreSQL) --------------------------------------------------


def test_events_in_order_go_out_at_once() -> None:
    sequencer = Sequencer(delivered_upto=10, fetched_upto=10)

    assert sequencer.add([event(11), event(12)], now=0.0) == []
    assert ids(sequencer.release()) == [11, 12]
    assert sequencer.delivered_upto == 12


def test_an_event_behind_a_gap_waits_until_the_gap_commits() -> None:
    sequencer = Sequencer(delivered_upto=10, fetched_upto=10)

    new_gaps = sequencer.add([event(11), event(13)], now=0.0)
    sequencer.note_writers(new_gaps, {"3/41"})

    assert new_gaps == [12]
    assert ids(sequencer.release()) == [11]
    sequencer.settle({"3/41"}, now=0.1)
    assert sequencer.ids_to_read() == [12]
    sequencer.add([event(12)], now=0.1)
    assert ids(sequencer.release()) == [12, 13]
    assert sequencer.gaps == {}


def test_a_gap_whose_writers_ended_without_it_was_rolled_back() -> None:
    sequencer = Sequencer(delivered_upto=10, fetched_upto=10)
    sequencer.note_writers(sequencer.add([event(12)], now=0.0), {"3/41", "4/7"})

    # Others still write events (5/1 started later and cannot hold 11): the gap stays open.
    sequencer.settle({"4/7", "5/1"}, now=0.1)
    sequencer.add([], now=0.1)
    assert sequencer.release() == []
    # Both writers that could hold 11 have ended, and 11 was not there when read after that.
    sequencer.settle({"5/1"}, now=0.2)
    sequencer.add([], now=0.2)
    assert ids(sequencer.release()) == [12]
    assert sequencer.delivered_upto == 12


def test_a_stuck_gap_is_passed_over_and_its_event_sent_late_if_it_comes() -> None:
    sequencer = Sequencer(delivered_upto=10, fetched_upto=10)
    sequencer.note_writers(sequencer.add([event(12)], now=0.0), {"3/41"})

    sequencer.settle({"3/41"}, now=hub_postgres.GAP_PATIENCE_SECONDS + 1)
    sequencer.add([], now=hub_postgres.GAP_PATIENCE_SECONDS + 1)
    assert ids(sequencer.release()) == [12]

    assert sequencer.ids_to_read(notified=[11, 13]) == [11]
    sequencer.add([event(11)], now=hub_postgres.GAP_PATIENCE_SECONDS + 2)
    assert ids(sequencer.release()) == [11]
    # Read once more (a repeated notification), it is not sent twice.
    sequencer.add([event(11)], now=hub_postgres.GAP_PATIENCE_SECONDS + 3)
    assert sequencer.release() == []


def test_a_gap_seen_before_its_writers_are_known_is_not_settled() -> None:
    sequencer = Sequencer(delivered_upto=10, fetched_upto=10)
    sequencer.add([event(12)], now=0.0)

    sequencer.settle(set(), now=0.1)

    assert sequencer.release() == []


def test_of_a_huge_jump_in_ids_only_the_newest_are_waited_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(hub_postgres, "MOST_GAPS_TRACKED", 100)
    sequencer = Sequencer(delivered_upto=10, fetched_upto=10)

    new_gaps = sequencer.add([event(11), event(500), event(1000)], now=0.0)
    sequencer.note_writers(new_gaps, {"3/41"})

    # Ids 12 to 900 are taken as never coming; 901 to 999 may still commit, so 1000 waits.
    assert new_gaps == list(range(901, 1000))
    assert ids(sequencer.release()) == [11, 500]
    sequencer.settle({"3/41"}, now=0.1)
    sequencer.add([event(950)], now=0.1)
    assert sequencer.release() == []
    sequencer.settle(set(), now=0.2)
    sequencer.add([], now=0.2)
    assert ids(sequencer.release()) == [950, 1000]
    assert (sequencer.delivered_upto, sequencer.gaps) == (1000, {})
    assert sequencer.add([event(1002)], now=0.3) == [1001]


# Fan-out ---------------------------------------------------------------------------------------


def test_subscriptions_get_their_location_s_events_after_since_that_they_accept(
    settings: Any,
) -> None:
    settings.SKRANKE_STREAM_CLIENT_BUFFER = 10

    async def scenario() -> None:
        hub = QuietHub()
        hub.deliver([event(1)])
        everything = await hub.subscribe(1)
        own_ticket = await hub.subscribe(1, accepts=lambda item: item.ticket_id == 5)
        elsewhere = await hub.subscribe(2)
        assert everything.since == own_ticket.since == 1

        hub.deliver([event(2, ticket_id=5), event(3, ticket_id=6), event(4, location_id=2)])

        assert ids((await everything.next_batch(1.0))[0]) == [2, 3]
        assert ids((await own_ticket.next_batch(1.0))[0]) == [2]
        assert ids((await elsewhere.next_batch(1.0))[0]) == [4]
        assert await everything.next_batch(0.01) == ([], False)
        everything.close()
        assert hub.subscriber_count == 2

    asyncio.run(scenario())


def test_a_client_too_far_behind_is_ended_without_holding_up_the_others(settings: Any) -> None:
    settings.SKRANKE_STREAM_CLIENT_BUFFER = 3

    async def scenario() -> None:
        hub = QuietHub()
        slow = await hub.subscribe(1)
        keeping_up = await hub.subscribe(1)

        for event_id in range(1, 6):
            hub.deliver([event(event_id)])
            assert ids((await keeping_up.next_batch(1.0))[0]) == [event_id]

        events, ended = await slow.next_batch(1.0)
        assert (ids(events), ended) == ([1, 2, 3], True)
        assert hub.subscriber_count == 1

    asyncio.run(scenario())


def test_stopping_the_hub_ends_every_subscription(settings: Any) -> None:
    settings.SKRANKE_STREAM_CLIENT_BUFFER = 3

    async def scenario() -> None:
        hub = QuietHub()
        subscriptions = [await hub.subscribe(1), await hub.subscribe(2)]
        hub.deliver([event(1)])

        hub.stop()

        assert [await item.next_batch(1.0) for item in subscriptions] == [
            ([event(1)], True),
            ([], True),
        ]
        with pytest.raises(hub_module.HubUnavailable):
            await hub.subscribe(1)

    asyncio.run(scenario())
