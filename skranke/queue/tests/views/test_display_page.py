"""The display screen page: only a paired display of its own centre sees it; it shows the latest
calls (number → counter), the front queues with waiting counts and expected waits, and carries
what its script needs to speak each call in the page's language."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from skranke.access.models import DevicePurpose
from skranke.queue import services
from skranke.queue.tests.factories import (
    Centre,
    issue,
    make_centre,
    make_device_client,
    make_staff,
    make_staff_client,
    open_counters,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_settings")]


@pytest.fixture
def display(centre: Centre) -> Client:
    client, _device = make_device_client(centre.location, DevicePurpose.DISPLAY)
    return client


def display_url(centre: Centre) -> str:
    return f"/display/{centre.location.slug}/"


def rows(page: str, body_marker: str) -> list[list[str]]:
    """The cells' text of each row in the <tbody> carrying ``body_marker``."""
    body = page.split(body_marker, 1)[1].split("</tbody>", 1)[0]
    return [
        [
            " ".join(re.sub(r"<[^>]+>", " ", cell).split())
            for cell in re.findall(r"<td>(.*?)</td>", row)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def test_without_a_paired_display_the_page_asks_for_sign_in(centre: Centre) -> None:
    response = Client().get(display_url(centre))
    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={display_url(centre)}"


@pytest.mark.parametrize("purpose", [DevicePurpose.KIOSK, DevicePurpose.COUNTER_SCREEN])
def test_a_device_paired_for_something_else_is_refused(
    centre: Centre, purpose: DevicePurpose
) -> None:
    client, _device = make_device_client(centre.location, purpose)
    assert client.get(display_url(centre)).status_code == 403


def test_a_display_of_another_centre_and_staff_are_refused(centre: Centre) -> None:
    elsewhere, _device = make_device_client(make_centre().location, DevicePurpose.DISPLAY)
    assert elsewhere.get(display_url(centre)).status_code == 403
    assert make_staff_client(make_staff()).get(display_url(centre)).status_code == 403


def test_wrong_method_and_unknown_centre(centre: Centre, display: Client) -> None:
    assert display.post(display_url(centre)).status_code == 405
    assert display.get("/display/no-such-centre/").status_code == 404


def test_the_display_shows_the_latest_calls_and_the_front_queues(
    centre: Centre, display: Client
) -> None:
    (_staff, first), (_staff2, second), _third = open_counters(
        centre, [centre.passports, centre.general]
    )
    for _ in range(4):
        issue(centre)
    issue(centre, centre.moving)
    services.call_next(first, first.staff)
    services.call_next(second, second.staff)

    response = display.get(display_url(centre))

    assert response.status_code == 200
    page = response.content.decode()
    # Newest call first, marked as the latest.
    assert rows(page, "data-calls") == [["P002", "2"], ["P001", "1"]]
    assert re.search(r'<tr class="call-latest"><td>P002</td>', page)
    queues = rows(page, "data-queues")
    # The back office is not shown to citizens; three counters serve both queues.
    assert [row[:2] for row in queues] == [["B Borgerservice", "1"], ["P Pas", "2"]]
    assert all(re.fullmatch(r"ca\. \d+ min\.|ingen ventetid", row[2]) for row in queues)
    assert "Lyd slået fra – tryk for at slå til" in page


def test_a_queue_without_an_open_counter_says_so(centre: Centre, display: Client) -> None:
    issue(centre)
    queues = rows(display.get(display_url(centre)).content.decode(), "data-queues")
    assert queues == [
        ["B Borgerservice", "0", "ingen skranke åben"],
        ["P Pas", "1", "ingen skranke åben"],
    ]


def test_the_page_carries_the_spoken_text_and_its_live_addresses(
    centre: Centre, display: Client
) -> None:
    page = display.get(display_url(centre)).content.decode()

    assert 'data-say="Nummer {number}, skranke {counter}"' in page
    assert 'data-language="da"' in page
    slug = centre.location.slug
    assert f'data-stream-url="/api/v1/locations/{slug}/events"' in page
    assert f'data-status-url="/api/v1/locations/{slug}/status"' in page
    # The heartbeat's script, with what it needs on its tag (access/_heartbeat.html).
    assert 'data-heartbeat-url="/api/v1/devices/heartbeat"' in page
    assert 'data-heartbeat-seconds="20"' in page
    assert re.search(r'data-csrf-token="[\w-]+"', page)


def test_the_display_in_english(centre: Centre, display: Client) -> None:
    display.cookies["skranke_language"] = "en"
    page = display.get(display_url(centre)).content.decode()

    assert '<html lang="en">' in page
    assert 'data-say="Number {number}, counter {counter}"' in page
    assert "Sound off — touch to enable" in page
