"""ASGI entry point; `skranke serve` runs it under uvicorn."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import django
from asgiref.sync import SyncToAsync
from django.core.handlers.asgi import ASGIHandler
from django.db import connections
from django.http import HttpResponseBase

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


class SkrankeASGIHandler(ASGIHandler):
    """Django's ASGI handler; an async streaming response (a live stream) keeps no thread."""

    async def send_response(self, response: HttpResponseBase, send: Any) -> None:
        if response.streaming and getattr(response, "is_async", False):
            await release_request_thread()
        await super().send_response(response, send)


# As django.core.asgi.get_asgi_application does, with Skranke's handler.
django.setup(set_prefix=False)
application = SkrankeASGIHandler()
