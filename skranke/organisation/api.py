"""Public API for centres and their opening hours."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Schema

from skranke.organisation.hours import DayHours, centre_today
from skranke.organisation.models import Location

router = Router(tags=["centres"])


class IntervalOut(Schema):
    opens: dt.datetime
    closes: dt.datetime


class DayHoursOut(Schema):
    date: dt.date
    intervals: list[IntervalOut]
    closed_reason: str


class LocationOut(Schema):
    slug: str
    name: str
    address: str
    phone: str
    open_now: bool
    next_opening: dt.datetime | None
    attendance_today: DayHoursOut
    telephone_today: DayHoursOut


class ErrorOut(Schema):
    detail: str


def _day_out(hours: DayHours) -> DayHoursOut:
    return DayHoursOut(
        date=hours.date,
        intervals=[IntervalOut(opens=i.start, closes=i.end) for i in hours.intervals],
        closed_reason=hours.closed_reason,
    )


def _location_out(location: Location, now: dt.datetime) -> LocationOut:
    today = centre_today(location, now)
    return LocationOut(
        slug=location.slug,
        name=location.name,
        address=location.full_address,
        phone=location.phone,
        open_now=today.open_now,
        next_opening=today.next_opening,
        attendance_today=_day_out(today.attendance),
        telephone_today=_day_out(today.telephone),
    )


@router.get(
    "",
    response={200: list[LocationOut], 429: ErrorOut},
    summary="List the active citizen service centres",
)
def list_locations(request: HttpRequest) -> list[LocationOut]:
    now = timezone.now()
    return [_location_out(location, now) for location in Location.objects.filter(active=True)]


@router.get(
    "/{slug}",
    response={200: LocationOut, 404: ErrorOut, 429: ErrorOut},
    summary="One centre with today's hours",
)
def get_location(request: HttpRequest, slug: str) -> LocationOut:
    location = get_object_or_404(Location, slug=slug, active=True)
    return _location_out(location, timezone.now())
