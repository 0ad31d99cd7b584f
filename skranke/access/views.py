"""Pairing a kiosk or screen: the device opens its one-time link and is signed in."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from skranke.access.middleware import DEVICE_COOKIE
from skranke.access.models import DeviceAccount, DevicePurpose
from skranke.access.services import device_for_pairing_token, pair_device

# A paired device stays signed in until it is revoked; the cookie only needs to outlive it.
DEVICE_COOKIE_MAX_AGE = 5 * 365 * 24 * 3600


@require_http_methods(["GET", "POST"])
def pair(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks for confirmation (link previews must not use the link up); POST pairs."""
    if request.method == "GET":
        device = device_for_pairing_token(token)
        status = 200 if device else 404
        return render(request, "access/pair.html", {"device": device}, status=status)
    paired = pair_device(token)
    if paired is None:
        return render(request, "access/pair.html", {"device": None}, status=404)
    device, credential = paired
    response = redirect(device_home(device))
    response.set_cookie(
        DEVICE_COOKIE,
        credential,
        max_age=DEVICE_COOKIE_MAX_AGE,
        httponly=True,
        secure=settings.HTTPS,
        samesite="Lax",
    )
    return response


def device_home(device: DeviceAccount) -> str:
    """Return the page a newly paired device opens: its kiosk, or what it is signed in as."""
    if device.purpose == DevicePurpose.KIOSK:
        return reverse("queue:kiosk", args=[device.location.slug])
    if device.purpose == DevicePurpose.DISPLAY:
        return reverse("queue:display", args=[device.location.slug])
    return reverse("access:this-device")


def heartbeat_context(request: HttpRequest) -> dict[str, object]:
    """Return what a page's heartbeat script needs (access/_heartbeat.html): the URL it posts to
    and how often, when a paired device opened the page; nothing otherwise, so the page sends
    none."""
    if getattr(request, "device", None) is None:
        return {}
    return {
        "heartbeat_url": reverse("api:device-heartbeat"),
        "heartbeat_seconds": settings.SKRANKE_DEVICE_HEARTBEAT_SECONDS,
    }


@require_safe
def this_device(request: HttpRequest) -> HttpResponse:
    """Tell whoever looks at a device what it is signed in as; the page a counter tablet shows,
    so it reports the device's heartbeat."""
    device = getattr(request, "device", None)
    return render(
        request, "access/this_device.html", {"device": device, **heartbeat_context(request)}
    )
