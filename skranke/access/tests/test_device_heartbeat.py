"""A paired device's heartbeat: stored at most every DEVICE_TOUCH_INTERVAL, so each 20 s beat is
stored; a silent device that is heard from again comes back once, with one `device_back` event
for the staff stream, however many of its requests race; the live floor's device states; the
page a counter tablet shows reports the heartbeat, an anonymous visitor's copy does not.

The race starts its threads together at a barrier, each on its own database connection. The
guard was removed once, in a copy of the code (the condition "stored time still silent" in
``record_heartbeat``'s came-back UPDATE): on PostgreSQL and SQLite alike every racer then wrote
a `device_back` event (8 instead of 1), and the test failed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from skranke.access.middleware import DEVICE_COOKIE
from skranke.access.models import DeviceAccount, DevicePurpose
from skranke.access.services import (
    DEVICE_TOUCH_INTERVAL,
    device_states,
    is_silent,
    new_pairing_token,
    pair_device,
    record_heartbeat,
    revoke_device,
)
from skranke.access.tests.factories import make_device, make_location
from skranke.organisation.models import Location
from skranke.queue.models import EventKind, TicketEvent
from skranke.queue.tests.services.test_concurrency import race

SECOND = dt.timedelta(seconds=1)


def paired(
    location: Location | None = None, purpose: DevicePurpose = DevicePurpose.KIOSK
) -> tuple[DeviceAccount, str]:
    """Return a newly paired device (seen now, at pairing) and its sign-in credential."""
    result = pair_device(new_pairing_token(make_device(location, purpose)))
    assert result is not None
    return result


def last_seen(device: DeviceAccount, at: dt.datetime | None) -> DeviceAccount:
    """Store ``at`` as the device's last heartbeat and return the row as a request reads it."""
    DeviceAccount.objects.filter(pk=device.pk).update(last_seen_at=at)
    return DeviceAccount.objects.get(pk=device.pk)


def stored(device: DeviceAccount) -> dt.datetime | None:
    return DeviceAccount.objects.get(pk=device.pk).last_seen_at


def device_events() -> list[tuple[int, dict[str, Any]]]:
    return [
        (location_id, data)
        for location_id, data in TicketEvent.objects.filter(kind=EventKind.DEVICE_BACK)
        .order_by("id")
        .values_list("location_id", "data")
    ]


# Storing ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_beat_every_20_seconds_is_stored_each_time_and_requests_between_them_are_not() -> None:
    device, _credential = paired()
    start = timezone.now()
    device = last_seen(device, start)

    for beat in range(1, 4):
        now = start + beat * 20 * SECOND
        assert record_heartbeat(device, now) is False
        assert stored(device) == now
        # A page load or API call a few seconds after the beat writes nothing.
        record_heartbeat(device, now + 5 * SECOND)
        assert stored(device) == now

    # The interval itself is the limit: a request exactly DEVICE_TOUCH_INTERVAL on is written.
    then = start + 60 * SECOND + DEVICE_TOUCH_INTERVAL
    record_heartbeat(device, then)
    assert stored(device) == then
    assert device_events() == []


@pytest.mark.django_db
def test_the_heartbeat_endpoint_stores_the_beat(settings: Any) -> None:
    settings.SKRANKE_RATE_LIMITS_ENABLED = False
    device, credential = paired(purpose=DevicePurpose.COUNTER_SCREEN)
    long_ago = timezone.now() - 30 * SECOND
    last_seen(device, long_ago)
    client = Client()
    client.cookies[DEVICE_COOKIE] = credential

    response = client.post("/api/v1/devices/heartbeat")

    assert response.status_code == 200
    seen = stored(device)
    assert seen is not None and seen > long_ago
    assert response.json()["purpose"] == "counter_screen"
    assert device_events() == []  # 30 s is not silent: nothing came back.


# Coming back -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_silent_device_heard_from_again_comes_back_once_and_its_alert_is_cleared() -> None:
    device, _credential = paired()
    now = timezone.now()
    DeviceAccount.objects.filter(pk=device.pk).update(offline_alert_sent_at=now - 60 * SECOND)
    device = last_seen(device, now - 10 * 60 * SECOND)
    assert is_silent(device.last_seen_at, now)

    assert record_heartbeat(device, now) is True

    back = DeviceAccount.objects.get(pk=device.pk)
    assert (back.last_seen_at, back.offline_alert_sent_at) == (now, None)
    assert device_events() == [(device.location_id, {"device": device.pk})]
    event = TicketEvent.objects.get(kind=EventKind.DEVICE_BACK)
    assert (event.at, event.ticket_id, event.queue_id, event.counter_id) == (now, None, None, None)
    # The next beats are ordinary ones.
    assert record_heartbeat(device, now + 20 * SECOND) is False
    assert len(device_events()) == 1


@pytest.mark.django_db
def test_silent_from_the_silent_limit_on(settings: Any) -> None:
    settings.SKRANKE_DEVICE_SILENT_SECONDS = 60
    device, _credential = paired()
    now = timezone.now()

    just_alive = last_seen(device, now - 59 * SECOND)
    assert not is_silent(just_alive.last_seen_at, now)
    assert record_heartbeat(just_alive, now) is False
    assert device_events() == []

    just_silent = last_seen(device, now - 60 * SECOND)
    assert is_silent(just_silent.last_seen_at, now)
    assert record_heartbeat(just_silent, now) is True
    assert len(device_events()) == 1


@pytest.mark.django_db
def test_a_silent_device_s_request_through_the_middleware_brings_it_back(settings: Any) -> None:
    settings.SKRANKE_RATE_LIMITS_ENABLED = False
    device, credential = paired(purpose=DevicePurpose.DISPLAY)
    last_seen(device, timezone.now() - 5 * 60 * SECOND)
    client = Client()
    client.cookies[DEVICE_COOKIE] = credential

    assert client.post("/api/v1/devices/heartbeat").status_code == 200
    assert client.post("/api/v1/devices/heartbeat").status_code == 200

    assert device_events() == [(device.location_id, {"device": device.pk})]


@pytest.mark.django_db(transaction=True)
def test_racing_heartbeats_of_a_silent_device_bring_it_back_once() -> None:
    device, _credential = paired()
    racers = 8
    last_seen(device, timezone.now() - 5 * 60 * SECOND)
    # Each request read the row before any of them wrote: all of them saw it silent.
    reads = [DeviceAccount.objects.get(pk=device.pk) for _racer in range(racers)]

    results = race(racers, lambda index, _round: record_heartbeat(reads[index]))

    assert sorted(result for [result] in results) == [False] * (racers - 1) + [True]
    assert device_events() == [(device.location_id, {"device": device.pk})]


# The live floor's view ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_device_states_are_the_devices_of_the_centre_by_purpose_and_name() -> None:
    location = make_location()
    now = timezone.now()
    kiosk, _credential = paired(location, DevicePurpose.KIOSK)
    display, _credential = paired(location, DevicePurpose.DISPLAY)
    tablet, _credential = paired(location, DevicePurpose.COUNTER_SCREEN)
    last_seen(kiosk, now - 20 * SECOND)
    last_seen(display, now - 61 * SECOND)
    last_seen(tablet, None)  # Paired before heartbeats were kept.
    revoked, _credential = paired(location)
    revoke_device(revoked)
    waiting = make_device(location)  # Waiting for pairing: listed, never silent.
    paired(make_location())  # Another centre's.

    states = device_states(location, now)

    assert {state.device.pk: (state.silent, state.paired) for state in states} == {
        tablet.pk: (True, True),
        display.pk: (True, True),
        kiosk.pk: (False, True),
        waiting.pk: (False, False),
    }
    order = [(state.device.purpose, state.device.name) for state in states]
    assert order == sorted(order)
    assert [state.last_seen_at for state in states if state.paired] == [
        None,
        now - 61 * SECOND,
        now - 20 * SECOND,
    ]
    # Without a time, now.
    assert [state.silent for state in device_states(location)] == [True, True, False, False]


# The counter tablet's page -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_counter_tablet_s_page_reports_its_heartbeat(settings: Any) -> None:
    settings.SKRANKE_DEVICE_HEARTBEAT_SECONDS = 7
    _device, credential = paired(purpose=DevicePurpose.COUNTER_SCREEN)
    client = Client()
    client.cookies[DEVICE_COOKIE] = credential

    page = client.get("/devices/this/").content.decode()

    assert 'data-heartbeat-url="/api/v1/devices/heartbeat"' in page
    assert 'data-heartbeat-seconds="7"' in page
    assert "skranke/js/heartbeat.js" in page


@pytest.mark.django_db
def test_an_anonymous_visitor_s_page_sends_no_heartbeat() -> None:
    page = Client().get("/devices/this/").content.decode()

    assert "data-heartbeat-url" not in page
    assert "heartbeat.js" not in page
