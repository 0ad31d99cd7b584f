"""A base for middleware that runs in whichever mode the request chain runs in.

Under the ASGI server a sync-only middleware makes Django adapt the chain around it, sending
every request (each live stream included) through extra thread hand-overs; under the test client
and management commands the chain is sync. A subclass writes both paths, ``handle`` and
``ahandle``, and Django calls the one that fits without an adapter.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase

AsyncGetResponse = Callable[[HttpRequest], Awaitable[HttpResponseBase]]


class HybridMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.ahandle(request)
        return self.handle(request)

    def handle(self, request: HttpRequest) -> HttpResponseBase:
        raise NotImplementedError  # pragma: no cover - every subclass has both

    async def ahandle(self, request: HttpRequest) -> HttpResponseBase:
        raise NotImplementedError  # pragma: no cover - every subclass has both

    async def aget_response(self, request: HttpRequest) -> HttpResponseBase:
        get_response: AsyncGetResponse = self.get_response
        return await get_response(request)
