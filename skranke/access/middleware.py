"""Recognises paired devices by their sign-in cookie and records their heartbeat."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponseBase

from skranke.access.models import DeviceAccount
from skranke.access.services import device_for_credential, record_heartbeat
from skranke.lib.middleware import HybridMiddleware

DEVICE_COOKIE = "skranke_device"


def _signed_in_device(credential: str) -> DeviceAccount | None:
    device = device_for_credential(credential)
    if device is not None:
        record_heartbeat(device)
    return device


class DeviceMiddleware(HybridMiddleware):
    """Sets ``request.device`` to the paired, unrevoked device making the request, or None.

    The credential is checked against the database on every request, so a device revoked in
    the admin is refused at once. Sync and async: under the ASGI server the chain stays async,
    and only a request that carries the cookie goes to a thread for its database read.
    """

    def handle(self, request: HttpRequest) -> HttpResponseBase:
        credential = request.COOKIES.get(DEVICE_COOKIE, "")
        request.device = _signed_in_device(credential) if credential else None  # type: ignore[attr-defined]
        return self.get_response(request)

    async def ahandle(self, request: HttpRequest) -> HttpResponseBase:
        credential = request.COOKIES.get(DEVICE_COOKIE, "")
        # The request's own thread (thread-sensitive), like Django's own middleware, so the
        # connection it opens is closed with the request's others when the request ends.
        device = await sync_to_async(_signed_in_device)(credential) if credential else None
        request.device = device  # type: ignore[attr-defined]
        return await self.aget_response(request)
