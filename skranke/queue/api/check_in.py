"""Checking in for an appointment at a paired kiosk: POST /api/v1/check-ins.

The kiosk page does the same through the same engine (skranke.booking.services.check_in), and
both count against one rate limit per kiosk, so codes cannot be guessed through either.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from skranke.access.auth import STAFF_OR_DEVICE
from skranke.access.permissions import Capability, check_capability
from skranke.access.ratelimit import AnonymousRateThrottle
from skranke.booking.services import CHECK_IN_RATE, CHECK_IN_SCOPE, CheckInRefused, check_in
from skranke.organisation.models import Location
from skranke.queue.api.citizen import ticket_out
from skranke.queue.api.schemas import ErrorOut, InputErrorOut, Text, TicketOut

router = Router(tags=["number system"])


class CheckInIn(Schema):
    location: Text
    code: Text


class CheckInOut(Schema):
    """The appointment's number; ``already_checked_in`` when it was checked in before (the same
    number again). Nothing about the citizen."""

    ticket: TicketOut
    service: str
    starts_at: dt.datetime
    already_checked_in: bool


class CheckInRefusalOut(Schema):
    """``code``: not_found (404), other_centre, cancelled, not_today, too_early, too_late,
    checked_in, inactive, no_queue (409)."""

    detail: str
    code: str
    come_back_at: dt.datetime | None = None
    walk_in_offered: bool = False
    walk_in_service: str | None = None
    centre: str | None = None


def _refusal_out(refusal: CheckInRefused) -> CheckInRefusalOut:
    service = refusal.walk_in_service
    return CheckInRefusalOut(
        detail=refusal.message,
        code=refusal.code,
        come_back_at=refusal.come_back_at,
        walk_in_offered=refusal.walk_in_offered,
        walk_in_service=service.slug if service is not None else None,
        centre=refusal.centre or None,
    )


@router.post(
    "/check-ins",
    auth=STAFF_OR_DEVICE,
    response={
        200: CheckInOut,
        201: CheckInOut,
        401: ErrorOut,
        403: ErrorOut,
        404: CheckInRefusalOut | ErrorOut,
        409: CheckInRefusalOut,
        422: InputErrorOut,
        429: ErrorOut,
    },
    throttle=[AnonymousRateThrottle(CHECK_IN_SCOPE, CHECK_IN_RATE)],
    summary="Check in for an appointment at a kiosk with its reference code",
    description="For paired kiosks. The booking becomes a priority number in the service's "
    "queue (201); checking in again answers the same number (200). Refusals carry a stable "
    "`code`: an unknown or malformed code 404, anything else 409 (too early with "
    "`come_back_at`, too late with `walk_in_offered`, another centre with `centre`).",
)
def check_in_at_kiosk(
    request: HttpRequest, payload: CheckInIn
) -> Status[CheckInOut] | Status[CheckInRefusalOut]:
    location = get_object_or_404(Location, slug=payload.location, active=True)
    check_capability(request, Capability.USE_KIOSK, location)
    try:
        checked_in = check_in(location, payload.code)
    except CheckInRefused as refusal:
        return Status(404 if refusal.code == "not_found" else 409, _refusal_out(refusal))
    ticket = checked_in.ticket
    return Status(
        200 if checked_in.already else 201,
        CheckInOut(
            ticket=ticket_out(request, ticket),
            service=ticket.service.display_name(),
            starts_at=checked_in.appointment.starts_at,
            already_checked_in=checked_in.already,
        ),
    )
