"""ASGI entry point; `skranke serve` runs it under uvicorn."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import django
from asgiref.sync import SyncToAsync, iscoroutinefunction, sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler
from django.db import connections
from django.http import HttpRequest, HttpResponseBase
from django.urls import Resolver404, get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "skranke.settings")


async def release_request_thread() -> bool:
    """Give back the thread Django keeps for the current request; True if there was one.

    Django runs each request's sync work (its signal receivers, the sync parts of middleware,
    sync views) in one thread of its own, created at the first such call and kept until the
    response has been sent completely. For a live stream that is hours, so a thousand open
    displays and phones would keep a thousand idle threads. Once a stream's response exists
    that thread has no more work: its database connections go back to the pool and it ends. A
    later sync call of the request (Django closing the response) gets a fresh thread that ends
    with the request.
    """
    context = SyncToAsync.thread_sensitive_context.get(None)
    executor = SyncToAsync.context_to_thread_executor.pop(context, None) if context else None
    if executor is None:
        return False
    # Connections are per thread: close them in the thread that opened them.
    await asyncio.get_running_loop().run_in_executor(executor, connections.close_all)
    executor.shutdown(wait=False)
    return True


def _is_sync_view(request: HttpRequest) -> bool:
    """Return True when ``request``'s path resolves to a view that is not a coroutine."""
    try:
        match = get_resolver(getattr(request, "urlconf", None)).resolve(request.path_info)
    except Resolver404:
        return False
    return not iscoroutinefunction(match.func)


class SkrankeASGIHandler(ASGIHandler):
    """Django's ASGI handler, with two changes.

    An async streaming response (a live stream) keeps no thread. And a request for a sync view
    (every page and API call except the live streams) runs the whole middleware chain and the
    view in the request's thread in one hand-over, as a WSGI server would. Django's own
    middleware (security headers, sessions, CSRF, authentication, messages …) is sync with an
    async adapter, which in the async chain costs one hand-over between the event loop and that
    thread per middleware method, some fifteen per request, and most of a small request's time.
    Async views (the live streams), static files and unknown paths take the async chain.
    """

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=is_async)
        self.sync_handler = BaseHandler()
        self.sync_handler.load_middleware(is_async=False)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        if _is_sync_view(request):
            response: HttpResponseBase = await sync_to_async(
                self.sync_handler.get_response, thread_sensitive=True
            )(request)
            return response
        return await super().get_response_async(request)

    async def send_response(self, response: HttpResponseBase, send: Any) -> None:
        if response.streaming and getattr(response, "is_async", False):
            await release_request_thread()
        await super().send_response(response, send)


# As django.core.asgi.get_asgi_application does, with Skranke's handler.
django.setup(set_prefix=False)
application = SkrankeASGIHandler()
