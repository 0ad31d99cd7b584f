"""Language choice, and static files served without leaving the event loop.

Every middleware Skranke owns is both sync- and async-capable: under the ASGI server one
sync-only middleware would make Django adapt the chain around it, sending each request (every
live stream included) through extra thread hand-overs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, StreamingHttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from whitenoise.middleware import WhiteNoiseMiddleware

from skranke.lib.middleware import AsyncGetResponse, HybridMiddleware


class LanguageMiddleware(HybridMiddleware):
    """Activates the language chosen with the switch (its cookie), else SKRANKE_LANGUAGE.

    Unlike Django's LocaleMiddleware this ignores the browser's Accept-Language header on
    purpose: kiosks, display screens and counter PCs in a Danish centre often run browsers set
    up in English, and the system must still speak Danish until someone asks for English.
    """

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        super().__init__(get_response)
        self.supported = {code for code, _name in settings.LANGUAGES}

    def handle(self, request: HttpRequest) -> HttpResponseBase:
        language = self._activate(request)
        return self._label(self.get_response(request), language)

    async def ahandle(self, request: HttpRequest) -> HttpResponseBase:
        # The active language lives in a context variable (asgiref's Local), so the view and
        # the threads it hands work to see it too.
        language = self._activate(request)
        return self._label(await self.aget_response(request), language)

    def _activate(self, request: HttpRequest) -> str:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        return language

    @staticmethod
    def _label(response: HttpResponseBase, language: str) -> HttpResponseBase:
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise, made async-capable: its own middleware is sync-only.

    Outside DEBUG the static files are indexed at start-up, so telling a static path from any
    other is a dictionary look-up that needs no thread; only a static file actually served (a
    file opened, headers read) goes to one. Requests for anything else, live streams and API
    calls among them, pass straight through on the event loop.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        super().__init__(get_response)
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self._acall(request)
        return super().__call__(request)

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        if self.autorefresh:
            # DEBUG: files are looked up on disk at each request.
            static_file = await sync_to_async(self.find_file)(request.path_info)
        else:
            static_file = self.files.get(request.path_info)
        if static_file is not None:
            response: HttpResponseBase = await sync_to_async(self.serve)(static_file, request)
            if isinstance(response, StreamingHttpResponse) and not response.is_async:
                # Read the (small) file in the thread too, so the event loop never blocks on
                # the disk and Django need not warn about a synchronous iterator under ASGI.
                chunks = await sync_to_async(_read_all)(response)
                response.streaming_content = _replay(chunks)
            return response
        get_response: AsyncGetResponse = self.get_response
        return await get_response(request)


def _read_all(response: StreamingHttpResponse) -> list[bytes]:
    return [bytes(chunk) for chunk in response.streaming_content]  # type: ignore[union-attr]


async def _replay(chunks: list[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk
