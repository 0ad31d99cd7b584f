"""Abuse limits: 429 after the limit, per paired device or client address, and the off switch."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from skranke.access import ratelimit
from skranke.access.middleware import DEVICE_COOKIE
from skranke.access.models import DeviceAccount, DevicePurpose
from skranke.access.ratelimit import (
    Rate,
    check_rate_limit,
    client_address,
    parse_rate,
    rate_limit,
    requester_key,
)
from skranke.access.services import new_pairing_token, pair_device
from skranke.organisation.models import Location

API = "/api/v1/locations"
_numbers = itertools.count()


@pytest.fixture
def limits(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Limits on, three requests a minute, and a clock that stands still until moved."""
    settings.SKRANKE_RATE_LIMITS_ENABLED = True
    settings.SKRANKE_RATE_LIMIT_ANONYMOUS = "3/min"
    settings.SKRANKE_TRUSTED_PROXIES = []
    settings.LANGUAGE_CODE = "en"
    monkeypatch.setattr(ratelimit, "clock", lambda: 1_800_000_000.0)
    return settings


def get_api(client: Client, address: str = "192.0.2.1", **headers: Any) -> HttpResponse:
    return client.get(  # type: ignore[return-value]
        API, REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en", **headers
    )


def paired_kiosk(location: Location) -> tuple[DeviceAccount, Client]:
    device = DeviceAccount.objects.create(
        location=location, purpose=DevicePurpose.KIOSK, name=f"Kiosk {next(_numbers)}"
    )
    paired = pair_device(new_pairing_token(device))
    assert paired is not None
    client = Client()
    client.cookies[DEVICE_COOKIE] = paired[1]
    return paired[0], client


# Rates ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("60/min", Rate(60, 60)),
        ("60/minute", Rate(60, 60)),
        ("5/10s", Rate(5, 10)),
        ("1000/day", Rate(1000, 86400)),
        ("100/hours", Rate(100, 3600)),
        (" 2 / 30 sec ", Rate(2, 30)),
        ("10/M", Rate(10, 60)),
    ],
)
def test_rates_are_read(text: str, rate: Rate) -> None:
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["", "60", "60/", "/min", "0/min", "60/0min", "6O/min", "1/week"])
def test_bad_rates_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rate(text)


def test_a_bad_rate_in_a_decorator_fails_when_the_view_is_defined() -> None:
    with pytest.raises(ValueError):
        rate_limit(rate="many")


# The JSON API --------------------------------------------------------------------------------
def test_the_api_answers_429_with_a_detail_after_the_limit(db: None, limits: Any) -> None:
    client = Client()
    answers = [get_api(client) for _request in range(4)]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    refused = answers[3]
    assert refused.json() == {"detail": "Too many requests. Please wait 60 seconds and try again."}
    assert refused["Retry-After"] == "60"


def test_the_api_document_declares_the_429_of_the_public_centre_endpoints(db: None) -> None:
    paths = Client().get("/api/v1/openapi.json").json()["paths"]

    for path in ("/api/v1/locations", "/api/v1/locations/{slug}"):
        assert "429" in paths[path]["get"]["responses"], path


def test_the_limit_starts_afresh_in_the_next_window(
    db: None, limits: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = Client()
    for _request in range(3):
        get_api(client)
    assert get_api(client).status_code == 429

    monkeypatch.setattr(ratelimit, "clock", lambda: 1_800_000_060.0)

    assert get_api(client).status_code == 200


def test_each_client_address_has_its_own_budget(db: None, limits: Any) -> None:
    client = Client()
    for _request in range(3):
        get_api(client, "192.0.2.1")

    assert get_api(client, "192.0.2.1").status_code == 429
    assert get_api(client, "192.0.2.2").status_code == 200


def test_addresses_in_one_ipv6_network_share_a_budget(db: None, limits: Any) -> None:
    client = Client()
    for host in range(1, 4):
        get_api(client, f"2001:db8:1:2::{host}")

    assert get_api(client, "2001:db8:1:2::99").status_code == 429
    assert get_api(client, "2001:db8:1:3::1").status_code == 200


def test_each_paired_device_has_its_own_budget_behind_one_address(db: None, limits: Any) -> None:
    location = Location.objects.create(name="Borgerservice Nord", slug="nord")
    _first_kiosk, first = paired_kiosk(location)
    _second_kiosk, second = paired_kiosk(location)
    for _request in range(3):
        get_api(first)

    assert get_api(first).status_code == 429
    assert get_api(second).status_code == 200
    assert get_api(Client()).status_code == 200  # a phone on the centre's network


def test_signed_in_staff_are_not_limited(admin_client: Client, limits: Any) -> None:
    answers = [get_api(admin_client) for _request in range(5)]

    assert {answer.status_code for answer in answers} == {200}


def test_rate_limits_off_lifts_the_limit(db: None, limits: Any) -> None:
    limits.SKRANKE_RATE_LIMITS_ENABLED = False
    client = Client()

    answers = [get_api(client) for _request in range(10)]

    assert {answer.status_code for answer in answers} == {200}


def test_a_failing_cache_lets_requests_through(
    db: None, limits: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # Nothing listens on port 1, so every cache call fails.
    limits.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    client = Client()

    answers = [get_api(client) for _request in range(4)]

    assert {answer.status_code for answer in answers} == {200}
    assert "counting failed" in caplog.text


# Client addresses ----------------------------------------------------------------------------
def address_of(rf: RequestFactory, remote: str, forwarded: str | None = None) -> str | None:
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_address(rf.get("/", REMOTE_ADDR=remote, **headers))


def test_forwarded_for_is_ignored_unless_it_comes_from_a_trusted_proxy(
    rf: RequestFactory, settings: Any
) -> None:
    settings.SKRANKE_TRUSTED_PROXIES = ["10.0.0.0/8"]

    assert address_of(rf, "198.51.100.4", "203.0.113.9") == "198.51.100.4"
    assert address_of(rf, "10.1.2.3", "203.0.113.9") == "203.0.113.9"
    assert address_of(rf, "10.1.2.3") == "10.1.2.3"


def test_hops_a_client_wrote_itself_are_not_believed(rf: RequestFactory, settings: Any) -> None:
    settings.SKRANKE_TRUSTED_PROXIES = ["10.0.0.0/8"]

    # The client sent "X-Forwarded-For: 192.0.2.66"; proxy 10.0.0.2 appended the client's real
    # address, and proxy 10.0.0.1 (REMOTE_ADDR) appended 10.0.0.2.
    assert address_of(rf, "10.0.0.1", "192.0.2.66, 203.0.113.9, 10.0.0.2") == "203.0.113.9"
    assert address_of(rf, "10.0.0.1", "192.0.2.66, not-an-address") == "10.0.0.1"
    assert address_of(rf, "10.0.0.1", "[2001:db8::5]:4711") == "2001:db8::5"


def test_without_trusted_proxies_the_socket_address_counts(
    rf: RequestFactory, settings: Any
) -> None:
    settings.SKRANKE_TRUSTED_PROXIES = []

    assert address_of(rf, "127.0.0.1", "203.0.113.9") == "127.0.0.1"
    assert address_of(rf, "::ffff:192.0.2.5") == "192.0.2.5"
    assert address_of(rf, "") is None


def test_requesters_are_devices_addresses_or_ipv6_networks(rf: RequestFactory) -> None:
    request = rf.get("/", REMOTE_ADDR="2001:db8:aa:bb:1:2:3:4")
    assert requester_key(request) == "network:2001:db8:aa:bb::/64"
    request = rf.get("/", REMOTE_ADDR="192.0.2.1")
    assert requester_key(request) == "address:192.0.2.1"
    request.device = DeviceAccount(pk=42)  # type: ignore[attr-defined]
    assert requester_key(request) == "device:42"


# Pages ---------------------------------------------------------------------------------------
@rate_limit(scope="test-page", rate="2/min")
def limited_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("welcome")


@rate_limit(scope="test-async-page", rate="2/min")
async def limited_async_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("welcome")


def anonymous_get(rf: RequestFactory, **headers: Any) -> HttpRequest:
    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/kiosk/", REMOTE_ADDR="192.0.2.1", **headers)
    request.user = AnonymousUser()
    return request


def test_a_page_answers_with_a_short_page_after_its_limit(
    db: None, limits: Any, rf: RequestFactory
) -> None:
    answers = [limited_page(anonymous_get(rf, HTTP_ACCEPT="text/html")) for _request in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    page = answers[2].content.decode()
    assert "<h1>Too many requests</h1>" in page
    assert "Please wait 60 seconds" in page
    assert answers[2]["Retry-After"] == "60"


def test_a_page_asked_for_json_answers_json(db: None, limits: Any, rf: RequestFactory) -> None:
    for _request in range(2):
        limited_page(anonymous_get(rf))

    refused = limited_page(anonymous_get(rf, HTTP_ACCEPT="application/json"))

    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/json"
    assert "Too many requests" in refused.content.decode()


def test_pages_with_their_own_scope_do_not_share_a_budget(
    db: None, limits: Any, rf: RequestFactory
) -> None:
    for _request in range(2):
        limited_page(anonymous_get(rf))

    assert limited_page(anonymous_get(rf)).status_code == 429
    assert check_rate_limit(anonymous_get(rf), "another-scope").allowed


def test_async_pages_are_limited_too(limits: Any, rf: RequestFactory) -> None:
    # The check runs in a worker thread, which must not open a database connection of its own
    # (it would outlive the test): count in local memory, and ask for the JSON answer, which
    # needs no template context from the database.
    limits.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

    async def three_requests() -> list[int]:
        return [
            (
                await limited_async_page(anonymous_get(rf, HTTP_ACCEPT="application/json"))
            ).status_code
            for _request in range(3)
        ]

    assert asyncio.run(three_requests()) == [200, 200, 429]


def test_inside_an_event_loop_requests_are_counted_in_memory(
    db: None, limits: Any, rf: RequestFactory
) -> None:
    # django-ninja checks the throttles of async endpoints in the event loop, where the database
    # cache would raise SynchronousOnlyOperation.
    ratelimit._process_cache().clear()
    request = rf.get("/api/v1/", REMOTE_ADDR="192.0.2.200")

    async def count() -> list[bool]:
        return [check_rate_limit(request, "in-loop", "2/min").allowed for _request in range(3)]

    assert asyncio.run(count()) == [True, True, False]
