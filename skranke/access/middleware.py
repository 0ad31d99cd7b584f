"""Recognises paired devices by their sign-in cookie and records their heartbeat."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from skranke.access.services import device_for_credential, record_heartbeat

DEVICE_COOKIE = "skranke_device"


class DeviceMiddleware:
    """Sets ``request.device`` to the paired, unrevoked device making the request, or None.

    The credential is checked against the database on every request, so a device revoked in
    the admin is refused at once.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        credential = request.COOKIES.get(DEVICE_COOKIE, "")
        device = device_for_credential(credential) if credential else None
        request.device = device  # type: ignore[attr-defined]
        if device is not None:
            record_heartbeat(device)
        return self.get_response(request)
