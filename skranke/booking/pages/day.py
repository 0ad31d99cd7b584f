"""The staff day view: a centre's appointments of one day with where each stands.

For employees with manage_bookings at the centre (docs/permissions.md). ``?date=YYYY-MM-DD``
picks the day (today by default). While it shows today the page script re-fetches the panel
(summary and table) whenever the centre's live stream brings an event or a snapshot, and once a
minute for what only the clock changes; without the script it is a plain page to reload. The
staff stream is used where the employee may watch the live floor; elsewhere the centre's public
stream, whose events serve only as the signal to re-fetch (what the page shows comes from the
panel, which checks manage_bookings).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from skranke.access.permissions import (
    Capability,
    allowed_location_ids,
    has_capability,
    requires,
)
from skranke.booking.day import appointments_of_day
from skranke.booking.errors import BadBookingInput
from skranke.booking.pages.common import parse_day
from skranke.booking.pages.staff import staff_location
from skranke.lib.localtime import local_date
from skranke.organisation.models import Location
from skranke.queue.models import EventKind

MANAGE = Capability.MANAGE_BOOKINGS
# Further from today than this a day is refused as a typing mistake (and the arithmetic on the
# dates next to it stays far from the calendar's ends).
FURTHEST_DAYS = 10 * 366
# The public stream sends the events a waiting room may not see in detail as this kind.
PUBLIC_CHANGED = "changed"
# The page fetches the panel this often while it shows today, for what only the clock changes
# (a booking nobody checked in for becoming a no-show) and what no queue event announces (a
# booking made or cancelled).
REFRESH_SECONDS = 60


def centres_managed(request: HttpRequest) -> list[Location]:
    """Return the active centres where the signed-in employee may manage bookings, in order."""
    allowed = allowed_location_ids(request.user)
    centres = Location.objects.filter(active=True).order_by("sort_order", "name")
    if allowed is not None:
        centres = centres.filter(pk__in=allowed)
    return [centre for centre in centres if has_capability(request, MANAGE, centre)]


def _chosen_day(request: HttpRequest, today: dt.date) -> dt.date:
    """Return the day asked for (today when none); BadBookingInput for a malformed date or one
    too far from today."""
    day = parse_day(request.GET.get("date", "")[:20]) or today
    if abs((day - today).days) > FURTHEST_DAYS:
        raise BadBookingInput(
            "bad_date", _("Choose a date within ten years of today."), field="date"
        )
    return day


def _day_url(location: Location, day: dt.date | None = None) -> str:
    url = reverse("booking:staff-day", args=[location.slug])
    return f"{url}?date={day.isoformat()}" if day else url


def _live_stream(request: HttpRequest, location: Location) -> tuple[str, str]:
    """Return the address of the centre's live stream for this employee, and its event kinds."""
    kinds = list(EventKind.values)
    if has_capability(request, Capability.VIEW_LIVE_FLOOR, location):
        return reverse("api:location_staff_events", args=[location.slug]), " ".join(kinds)
    return (
        reverse("api:location_events", args=[location.slug]),
        " ".join([*kinds, PUBLIC_CHANGED]),
    )


@require_safe
@requires(MANAGE, location_from=staff_location)
def day_view(request: HttpRequest, slug: str) -> HttpResponse:
    """A centre's appointments of the day asked for, with their states and counts."""
    location = staff_location(request, slug)
    now = timezone.now()
    today = local_date(now)
    context: dict[str, Any] = {
        "location": location,
        "today": today,
        "now": now,
        "today_url": _day_url(location),
    }
    centres = centres_managed(request)
    try:
        day = _chosen_day(request, today)
    except BadBookingInput as error:
        context.update(
            error=error,
            date_text=request.GET.get("date", "")[:20],
            centres=[(centre, _day_url(centre)) for centre in centres],
        )
        return render(request, "booking/staff/day.html", context, status=400)
    context.update(
        day=day,
        # The chooser keeps the day; it is shown only to those with more than one centre.
        centres=[(centre, _day_url(centre, None if day == today else day)) for centre in centres],
        date_text=day.isoformat(),
        is_today=day == today,
        previous_url=_day_url(location, day - dt.timedelta(days=1)),
        next_url=_day_url(location, day + dt.timedelta(days=1)),
        agenda=appointments_of_day(location, day),
        panel_url=reverse("booking:staff-day-panel", args=[location.slug])
        + f"?date={day.isoformat()}",
        login_url=reverse(settings.LOGIN_URL),
        refresh_seconds=REFRESH_SECONDS,
    )
    if day == today:
        context["events_url"], context["event_kinds"] = _live_stream(request, location)
    return render(request, "booking/staff/day.html", context)


@require_safe
@requires(MANAGE, location_from=staff_location)
def day_panel(request: HttpRequest, slug: str) -> HttpResponse:
    """The day view's summary and table alone, fetched again by the page while it is live."""
    location = staff_location(request, slug)
    now = timezone.now()
    try:
        day = _chosen_day(request, local_date(now))
    except BadBookingInput as error:
        return HttpResponse(error.message, status=400, content_type="text/plain; charset=utf-8")
    context = {
        "location": location,
        "day": day,
        "now": now,
        "agenda": appointments_of_day(location, day),
    }
    return render(request, "booking/staff/_day_panel.html", context)
