"""Device accounts: pairing by a one-time link, staying signed in, revoking, heartbeat."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test import Client
from django.utils import timezone

from skranke.access.middleware import DEVICE_COOKIE
from skranke.access.models import DeviceAccount, DevicePurpose
from skranke.access.services import (
    DEVICE_TOUCH_INTERVAL,
    digest,
    new_pairing_token,
    pair_device,
    record_heartbeat,
)
from skranke.access.tests.factories import make_device, make_location, make_staff
from skranke.audit.services import domain_action
from skranke.organisation.models import Role

PAIR_LINK = re.compile(r"http://testserver/devices/pair/([\w-]+)/")


def _paired_client(device: DeviceAccount) -> Client:
    client = Client()
    response = client.post(f"/devices/pair/{new_pairing_token(device)}/")
    assert response.status_code == 302
    return client


@pytest.mark.django_db
def test_administrator_creates_a_device_and_gets_a_pairing_link_with_qr(
    admin_client: Client,
) -> None:
    location = make_location()
    response = admin_client.post(
        "/admin/access/deviceaccount/add/",
        {"location": location.pk, "purpose": "kiosk", "name": "Kiosk ved indgangen"},
    )
    device = DeviceAccount.objects.get(name="Kiosk ved indgangen")
    assert response.status_code == 302
    assert response["Location"] == f"/admin/access/deviceaccount/{device.pk}/pairing/"
    assert admin_client.get(response["Location"]).status_code == 200

    page = admin_client.post(response["Location"]).content.decode()
    match = PAIR_LINK.search(page)
    assert match is not None
    assert 'src="data:image/svg+xml' in page
    device.refresh_from_db()
    # Only the digest is stored; the link itself is shown once.
    assert device.pairing_token_hash == digest(match.group(1))
    assert match.group(1) not in device.pairing_token_hash


@pytest.mark.django_db
def test_opening_the_link_asks_first_and_pairing_signs_the_device_in() -> None:
    device = make_device(purpose=DevicePurpose.DISPLAY)
    token = new_pairing_token(device)
    client = Client()

    confirm = client.get(f"/devices/pair/{token}/")
    assert confirm.status_code == 200
    assert device.name in confirm.content.decode()
    device.refresh_from_db()
    assert not device.is_active, "a GET (e.g. a link preview) must not use the link up"

    paired = client.post(f"/devices/pair/{token}/")
    assert paired.status_code == 302
    cookie = paired.cookies[DEVICE_COOKIE]
    assert cookie["httponly"]
    assert int(cookie["max-age"]) > 365 * 24 * 3600
    device.refresh_from_db()
    assert device.is_active and device.paired_at is not None
    assert device.credential_hash == digest(cookie.value)

    page = client.get("/devices/this/").content.decode()
    assert device.name in page
    heartbeat = client.post("/api/v1/devices/heartbeat")
    assert heartbeat.status_code == 200
    assert heartbeat.json()["purpose"] == "display"
    assert heartbeat.json()["location"] == device.location.slug


@pytest.mark.django_db
def test_a_pairing_link_works_once() -> None:
    device = make_device()
    token = new_pairing_token(device)
    assert Client().post(f"/devices/pair/{token}/").status_code == 302
    again = Client().post(f"/devices/pair/{token}/")
    assert again.status_code == 404
    assert DEVICE_COOKIE not in again.cookies
    assert Client().get(f"/devices/pair/{token}/").status_code == 404


@pytest.mark.django_db
def test_an_expired_or_replaced_link_does_not_pair() -> None:
    device = make_device()
    old = new_pairing_token(device)
    new = new_pairing_token(device)
    assert pair_device(old) is None
    DeviceAccount.objects.filter(pk=device.pk).update(
        pairing_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert pair_device(new) is None
    assert Client().post("/devices/pair/not-a-token/").status_code == 404


@pytest.mark.django_db
def test_a_revoked_device_is_refused_at_once(admin_client: Client) -> None:
    device = make_device()
    client = _paired_client(device)
    assert client.post("/api/v1/devices/heartbeat").status_code == 200

    admin_client.post(
        "/admin/access/deviceaccount/",
        {"action": "revoke", "_selected_action": [device.pk]},
    )
    device.refresh_from_db()
    assert device.revoked_at is not None
    assert [domain_action(entry) for entry in LogEntry.objects.get_for_object(device)].count(
        "device_revoked"
    ) == 1
    assert client.post("/api/v1/devices/heartbeat").status_code == 401
    assert device.name not in client.get("/devices/this/").content.decode()


@pytest.mark.django_db
def test_pairing_again_signs_the_old_device_out() -> None:
    device = make_device()
    first = _paired_client(device)
    second = _paired_client(device)
    assert first.post("/api/v1/devices/heartbeat").status_code == 401
    assert second.post("/api/v1/devices/heartbeat").status_code == 200


@pytest.mark.django_db
def test_a_device_has_no_staff_rights() -> None:
    client = _paired_client(make_device())
    assert client.get("/admin/").status_code == 302
    # A paired device is signed in, just not as staff: the API answers 403, not 401.
    assert client.get("/api/v1/me").status_code == 403


@pytest.mark.django_db
def test_staff_without_manage_devices_cannot_see_devices() -> None:
    manager = make_staff(Role.MANAGER, is_staff=True)
    client = Client()
    client.force_login(manager)
    device = make_device()
    assert client.get("/admin/access/deviceaccount/").status_code == 403
    assert client.post(f"/admin/access/deviceaccount/{device.pk}/pairing/").status_code == 403
    device.refresh_from_db()
    assert device.pairing_token_hash == ""


@pytest.mark.django_db
def test_heartbeat_is_written_at_most_once_per_interval() -> None:
    device = make_device()
    pair_device(new_pairing_token(device))
    device.refresh_from_db()
    long_ago = timezone.now() - 2 * DEVICE_TOUCH_INTERVAL
    DeviceAccount.objects.filter(pk=device.pk).update(last_seen_at=long_ago)
    device.refresh_from_db()
    record_heartbeat(device)
    first = DeviceAccount.objects.get(pk=device.pk).last_seen_at
    assert first is not None and first > long_ago
    record_heartbeat(device)
    assert DeviceAccount.objects.get(pk=device.pk).last_seen_at == first


@pytest.mark.django_db(transaction=True)
def test_two_devices_racing_for_one_link_pair_only_one() -> None:
    device = make_device()
    token = new_pairing_token(device)
    racers = 8
    barrier = threading.Barrier(racers)
    results: list[object] = []
    lock = threading.Lock()

    def race() -> None:
        try:
            barrier.wait(timeout=10)
            outcome = pair_device(token)
            with lock:
                results.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=race) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    winners = [result for result in results if result is not None]
    assert len(results) == racers
    assert len(winners) == 1
    credential = winners[0][1]  # type: ignore[index]
    assert DeviceAccount.objects.get(pk=device.pk).credential_hash == digest(credential)
