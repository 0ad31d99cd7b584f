"""API for paired devices: the heartbeat that tells staff a screen is alive."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema

from skranke.access.auth import STAFF, device_auth
from skranke.access.models import DeviceAccount
from skranke.access.permissions import MATRIX, staff_role

router = Router(tags=["devices"])
staff_router = Router(tags=["staff"])


class StaffOut(Schema):
    username: str
    name: str
    role: str
    capabilities: list[str]
    locations: list[str]


class DeviceOut(Schema):
    name: str
    purpose: str
    location: str
    last_seen_at: dt.datetime | None


class ErrorOut(Schema):
    detail: str


@router.post(
    "/heartbeat",
    auth=device_auth,
    url_name="device-heartbeat",
    # 403: the device cookie came without the page's CSRF token (cookie sign-in needs one).
    response={200: DeviceOut, 401: ErrorOut, 403: ErrorOut},
    summary="A paired device reports that it is alive",
)
def heartbeat(request: HttpRequest) -> DeviceOut:
    # DeviceMiddleware has already recorded the heartbeat for this request.
    device: DeviceAccount = request.auth  # type: ignore[attr-defined]
    return DeviceOut(
        name=device.name,
        purpose=device.purpose,
        location=device.location.slug,
        last_seen_at=device.last_seen_at,
    )


@staff_router.get(
    "",
    auth=STAFF,
    # 403: a paired kiosk or screen is signed in, but not as staff (skranke.api).
    response={200: StaffOut, 401: ErrorOut, 403: ErrorOut},
    summary="Who the session or token acts as, and what they may do",
)
def me(request: HttpRequest) -> StaffOut:
    user = request.user
    role = staff_role(user)
    profile = getattr(user, "staff_profile", None)
    return StaffOut(
        username=user.get_username(),
        name=user.get_full_name(),  # type: ignore[union-attr]
        role=role.value if role else "",
        capabilities=sorted(MATRIX[role]) if role else [],
        locations=[location.slug for location in profile.locations.all()] if profile else [],
    )
