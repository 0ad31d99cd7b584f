"""Tells the audit log which request (and so which staff member) made a change.

django-auditlog's own middleware is replaced by this one because it runs only synchronously,
which would push every request of the ASGI server, live streams included, through a thread;
because it trusts any X-Forwarded-For header for the address it logs; and because it connects a
signal receiver per request. Here the request is kept in a context variable, and one receiver
connected at start-up (skranke.audit.receivers.fill_from_request) reads the user, device and
client address from it only when a log entry is actually written.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponseBase
from django.utils.decorators import sync_and_async_middleware

_current_request: ContextVar[HttpRequest | None] = ContextVar("skranke_audit_request", default=None)


def current_request() -> HttpRequest | None:
    """Return the request being handled in this thread or task, or None outside requests."""
    return _current_request.get()


@sync_and_async_middleware
def audit_middleware(get_response: Callable[[HttpRequest], Any]) -> Callable[[HttpRequest], Any]:
    """Keep the request in the audit context while the view and the inner middleware run."""
    if iscoroutinefunction(get_response):

        async def async_middleware(request: HttpRequest) -> HttpResponseBase:
            token = _current_request.set(request)
            try:
                return await get_response(request)
            finally:
                _current_request.reset(token)

        return async_middleware

    def middleware(request: HttpRequest) -> HttpResponseBase:
        token = _current_request.set(request)
        try:
            return get_response(request)
        finally:
            _current_request.reset(token)

    return middleware
