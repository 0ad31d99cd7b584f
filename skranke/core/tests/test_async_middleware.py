"""Every middleware in the chain is async-capable, and Skranke's own work the same in both modes.

Under the ASGI server a single sync-only middleware makes Django adapt the chain around it,
sending every request, live streams included, through extra thread hand-overs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync, iscoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient, AsyncRequestFactory
from django.utils import translation
from django.utils.module_loading import import_string

from skranke.access.middleware import DEVICE_COOKIE, DeviceMiddleware
from skranke.access.services import new_pairing_token, pair_device
from skranke.access.tests.factories import make_device
from skranke.core.middleware import LanguageMiddleware, StaticFilesMiddleware


async def _ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"language={translation.get_language()}")


@pytest.mark.parametrize("path", settings.MIDDLEWARE)
def test_every_middleware_in_the_chain_is_async_capable(path: str) -> None:
    middleware = import_string(path)
    assert getattr(middleware, "async_capable", False), f"{path} is sync-only"
    # And it really runs as a coroutine in an async chain (not just claims to).
    assert iscoroutinefunction(middleware(_ok)), path


def test_language_middleware_in_async_mode_uses_the_cookie() -> None:
    middleware = LanguageMiddleware(_ok)
    request = AsyncRequestFactory().get("/")
    request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = async_to_sync(middleware)(request)
    assert response.content == b"language=en"
    assert response["Content-Language"] == "en"
    assert "Cookie" in response["Vary"]


def test_language_middleware_in_async_mode_ignores_an_unknown_language() -> None:
    middleware = LanguageMiddleware(_ok)
    request = AsyncRequestFactory().get("/")
    request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = "xx"
    response = async_to_sync(middleware)(request)
    assert response["Content-Language"] == settings.LANGUAGE_CODE


@pytest.mark.django_db
def test_device_middleware_in_async_mode_recognises_a_paired_device() -> None:
    device = make_device()
    paired = pair_device(new_pairing_token(device))
    assert paired is not None
    _device, credential = paired
    seen: dict[str, Any] = {}

    async def view(request: HttpRequest) -> HttpResponse:
        seen["device"] = request.device  # type: ignore[attr-defined]
        return HttpResponse()

    middleware = DeviceMiddleware(view)
    request = AsyncRequestFactory().get("/")
    request.COOKIES[DEVICE_COOKIE] = credential
    async_to_sync(middleware)(request)
    assert seen["device"].pk == device.pk
    device.refresh_from_db()
    assert device.last_seen_at is not None  # the heartbeat was written


@pytest.mark.django_db
def test_device_middleware_in_async_mode_refuses_a_wrong_or_missing_cookie() -> None:
    seen: list[Any] = []

    async def view(request: HttpRequest) -> HttpResponse:
        seen.append(request.device)  # type: ignore[attr-defined]
        return HttpResponse()

    middleware = DeviceMiddleware(view)
    for cookies in ({DEVICE_COOKIE: "not-a-credential"}, {}):
        request = AsyncRequestFactory().get("/")
        request.COOKIES.update(cookies)
        async_to_sync(middleware)(request)
    assert seen == [None, None]


@pytest.mark.django_db
def test_static_files_middleware_in_async_mode_serves_files_and_passes_the_rest_on(
    tmp_path: Path,
) -> None:
    (tmp_path / "example.css").write_text("body { margin: 0 }\n", encoding="utf-8")
    middleware = StaticFilesMiddleware(_ok)
    middleware.autorefresh = False
    middleware.add_files(str(tmp_path), prefix="static-test/")
    served = async_to_sync(middleware)(AsyncRequestFactory().get("/static-test/example.css"))
    assert served.status_code == 200
    assert served["Content-Type"].startswith("text/css")
    # Under ASGI a synchronous file iterator would make Django warn and block the loop.
    assert served.is_async

    async def body() -> bytes:
        return b"".join([chunk async for chunk in served.streaming_content])

    assert async_to_sync(body)() == b"body { margin: 0 }\n"
    served.close()
    passed = async_to_sync(middleware)(AsyncRequestFactory().get("/static-test/missing.css"))
    assert passed.content.startswith(b"language=")


@pytest.mark.django_db
def test_a_page_through_the_whole_async_chain_speaks_the_chosen_language() -> None:
    client = AsyncClient()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = async_to_sync(client.get)("/")
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
