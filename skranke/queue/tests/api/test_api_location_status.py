"""GET /api/v1/locations/{slug}/status: the live floor as displays, kiosks and phones see it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from skranke.queue import services
from skranke.queue.models import Source, TicketEvent
from skranke.queue.tests.factories import (
    Centre,
    make_centre,
    make_staff,
    make_staff_client,
    use_api_test_settings,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _api_test_settings(settings: Any) -> None:
    use_api_test_settings(settings)


def status_url(centre: Centre) -> str:
    return f"/api/v1/locations/{centre.location.slug}/status"


def issue_ago(centre: Centre, minutes: int, *, moving: bool = False) -> None:
    service = centre.moving if moving else centre.passport
    services.issue_ticket(
        centre.location,
        service,
        source=Source.KIOSK,
        now=timezone.now() - dt.timedelta(minutes=minutes),
    )


def test_status_lists_queues_counters_and_recent_calls(client: Client) -> None:
    centre = make_centre()
    for minutes in (17, 5, 1):
        issue_ago(centre, minutes)
    issue_ago(centre, 2, moving=True)
    first, second = make_staff(), make_staff()
    one = services.open_counter(centre.counters[0], first, [centre.passports])
    called = services.call_next(one, first)
    assert called is not None and called.display_number == "P001"
    services.recall(called, first)
    two = services.open_counter(centre.counters[1], second, [centre.passports, centre.general])
    services.pause_counter(two, second)
    services.close_queue_now(centre.general, "Ingen flere flyttesager i dag", second)

    response = client.get(status_url(centre))
    assert response.status_code == 200
    body = response.json()
    assert (body["slug"], body["name"], body["open_now"]) == (
        centre.location.slug,
        centre.location.name,
        True,
    )
    assert body["last_event_id"] == TicketEvent.objects.latest("id").pk
    queues = {queue["prefix"]: queue for queue in body["queues"]}
    assert [queue["prefix"] for queue in body["queues"]] == ["B", "BO", "P"]
    # P: P002 and P003 wait, P002 for 5 minutes. Counter 1 serves P and holds P001, counter 2
    # is paused, so c = 1, b = 1, f = 0; a newcomer has k = 2 ahead and waits
    # (k − f + 1) × μ ÷ c = 3 × 15 min (the typical duration, without history) = 45 min.
    assert queues["P"] == {
        "id": centre.passports.pk,
        "prefix": "P",
        "name": "Pas",
        "kind": "front",
        "waiting": 2,
        "longest_wait_minutes": 5,
        "expected_wait_minutes": 45,
        "counters_open": 1,
        "closed_reason": "",
    }
    # B: one waiting for 2 minutes; only the paused counter serves it, so the wait is unknown.
    assert (
        queues["B"]["waiting"],
        queues["B"]["longest_wait_minutes"],
        queues["B"]["expected_wait_minutes"],
        queues["B"]["counters_open"],
        queues["B"]["closed_reason"],
    ) == (1, 2, None, 0, "Ingen flere flyttesager i dag")
    assert (queues["BO"]["waiting"], queues["BO"]["longest_wait_minutes"]) == (0, None)
    assert queues["BO"]["kind"] == "back"

    assert body["counters"] == [
        {
            "id": centre.counters[0].pk,
            "number": 1,
            "name": "",
            "state": "open",
            "ticket": "P001",
            "queues": [centre.passports.pk],
        },
        {
            "id": centre.counters[1].pk,
            "number": 2,
            "name": "",
            "state": "paused",
            "ticket": None,
            "queues": sorted([centre.passports.pk, centre.general.pk]),
        },
        {
            "id": centre.counters[2].pk,
            "number": 3,
            "name": "",
            "state": "closed",
            "ticket": None,
            "queues": [],
        },
    ]
    calls = [(call["number"], call["counter"], call["recall"]) for call in body["recent_calls"]]
    assert calls == [("P001", 1, True), ("P001", 1, False)]


def test_status_follows_the_floor_as_it_changes(client: Client) -> None:
    centre = make_centre()
    issue_ago(centre, 3)
    before = client.get(status_url(centre)).json()
    passports = next(queue for queue in before["queues"] if queue["prefix"] == "P")
    assert (passports["waiting"], passports["expected_wait_minutes"]) == (1, None)
    assert before["recent_calls"] == []

    staff = make_staff()
    session = services.open_counter(centre.counters[0], staff, [centre.passports])
    called = services.call_next(session, staff)
    assert called is not None
    after = client.get(status_url(centre)).json()
    passports = next(queue for queue in after["queues"] if queue["prefix"] == "P")
    # Nobody waits and the only counter is busy: a newcomer waits one service, 15 minutes.
    assert (passports["waiting"], passports["longest_wait_minutes"]) == (0, None)
    assert passports["expected_wait_minutes"] == 15
    assert after["last_event_id"] > before["last_event_id"]
    assert after["counters"][0]["ticket"] == "P001"


def test_staff_see_the_same_status(client: Client) -> None:
    centre = make_centre()
    issue_ago(centre, 1)
    staff_view = make_staff_client(make_staff()).get(status_url(centre))
    assert staff_view.status_code == 200
    assert staff_view.json() == client.get(status_url(centre)).json()


def test_a_closed_centre_reports_when_it_opens(client: Client) -> None:
    centre = make_centre(always_open=False)
    body = client.get(status_url(centre)).json()
    assert body["open_now"] is False and body["next_opening"] is None
    assert all(queue["expected_wait_minutes"] is None for queue in body["queues"])


def test_unknown_or_inactive_centre_answers_404(client: Client) -> None:
    inactive = make_centre(active=False)
    for url in ("/api/v1/locations/nowhere/status", status_url(inactive)):
        response = client.get(url)
        assert response.status_code == 404
        assert isinstance(response.json()["detail"], str)


def test_wrong_method_answers_405(client: Client) -> None:
    centre = make_centre()
    assert client.post(status_url(centre)).status_code == 405
    assert client.delete(status_url(centre)).status_code == 405
