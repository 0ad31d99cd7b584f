"""The pages team leads and managers open every day: their home (today at their centres at a
glance), the live floor of a centre, and the statistics of yesterday, this week and this month
in plain tables.

Counter staff who come to the home page go on to their counter page. The figures are the KPI
engine's (reports.today, reports.report); the live floor refreshes its panel whenever the
centre's staff stream (server-sent events) brings an event, and flags a device whose last
heartbeat is older than the silent limit by the clock in the browser.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from skranke.access.permissions import (
    Capability,
    allowed_location_ids,
    has_capability,
    requires,
    staff_role,
)
from skranke.access.services import device_states
from skranke.lib.localtime import local_date
from skranke.organisation.models import Counter, Location
from skranke.queue import services
from skranke.queue.errors import IllegalTransition
from skranke.queue.models import EventKind
from skranke.queue.reads.staff_floor import counters_at_work
from skranke.reports.query import (
    ALL_LOCATIONS,
    LocationNotAllowed,
    ReportQueryRefused,
    parse_report_query,
)
from skranke.reports.report import build_report
from skranke.reports.today import centre_today


def _my_centres(request: HttpRequest, capability: Capability) -> list[Location]:
    """The active centres where the signed-in staff member has ``capability``."""
    allowed = allowed_location_ids(request.user)
    centres = Location.objects.filter(active=True).order_by("sort_order", "name")
    if allowed is not None:
        centres = centres.filter(pk__in=allowed)
    return [centre for centre in centres if has_capability(request, capability, centre)]


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The staff home after sign-in: today at a glance for those who lead; counter staff go on
    to their counter page."""
    if not request.user.is_authenticated and getattr(request, "device", None) is None:
        return redirect_to_login(request.get_full_path())
    if staff_role(request.user) is None:
        raise PermissionDenied(_("You do not have access to this."))
    if not has_capability(request, Capability.VIEW_LIVE_FLOOR):
        return redirect("queue:counter-choose")
    now = timezone.now()
    centres = [
        centre_today(centre, now) for centre in _my_centres(request, Capability.VIEW_LIVE_FLOOR)
    ]
    return render(
        request,
        "reports/home.html",
        {
            "centres": centres,
            "now": now,
            "may_read_statistics": has_capability(request, Capability.VIEW_STATISTICS),
            "may_manage_bookings": has_capability(request, Capability.MANAGE_BOOKINGS),
            "booking_centre_ids": {
                centre.pk for centre in _my_centres(request, Capability.MANAGE_BOOKINGS)
            },
            "may_use_admin": request.user.is_staff,
        },
    )


def _live_floor_centre(request: HttpRequest, slug: str, **_kwargs: object) -> Location:
    return get_object_or_404(Location, slug=slug, active=True)


def _floor_context(location: Location) -> dict[str, Any]:
    now = timezone.now()
    return {
        "location": location,
        "today": centre_today(location, now),
        "counters": counters_at_work(location),
        "devices": device_states(location, now),
        "now": now,
        "silent_seconds": settings.SKRANKE_DEVICE_SILENT_SECONDS,
    }


@require_safe
@requires(Capability.VIEW_LIVE_FLOOR, _live_floor_centre)
def live_floor(request: HttpRequest, slug: str) -> HttpResponse:
    """A centre's live floor: queues, counters and devices, kept current by its staff stream."""
    location = _live_floor_centre(request, slug)
    context = _floor_context(location)
    context.update(
        events_url=reverse("api:location_staff_events", args=[location.slug]),
        event_kinds=" ".join(EventKind.values),
        login_url=reverse(settings.LOGIN_URL),
        may_close_sessions=has_capability(request, Capability.MANAGE_QUEUES, location),
    )
    return render(request, "reports/live_floor.html", context)


@require_safe
@requires(Capability.VIEW_LIVE_FLOOR, _live_floor_centre)
def live_floor_panel(request: HttpRequest, slug: str) -> HttpResponse:
    """The live floor's panel alone, fetched again on every event of the staff stream."""
    location = _live_floor_centre(request, slug)
    context = _floor_context(location)
    context["may_close_sessions"] = has_capability(request, Capability.MANAGE_QUEUES, location)
    return render(request, "reports/_live_floor_panel.html", context)


@require_POST
@requires(Capability.MANAGE_QUEUES, _live_floor_centre)
def close_colleague_counter(request: HttpRequest, slug: str, counter_id: int) -> HttpResponse:
    """A team lead closes a colleague's abandoned counter session (audited by the engine)."""
    location = _live_floor_centre(request, slug)
    counter = get_object_or_404(Counter, pk=counter_id, location=location)
    session = services.open_session(counter)
    try:
        if session is None:
            raise IllegalTransition("not_open", _("The counter is not open."))
        services.close_abandoned_session(session, request.user)
    except IllegalTransition as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("Counter %(number)s is closed.") % {"number": counter.number})
    return redirect("reports:live-floor", slug=location.slug)


def _periods(today: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    yesterday = today - dt.timedelta(days=1)
    monday = today - dt.timedelta(days=today.weekday())
    return [
        (_("Yesterday"), yesterday, yesterday),
        (_("This week"), monday, today),
        (_("This month"), today.replace(day=1), today),
    ]


@require_safe
@requires(Capability.VIEW_STATISTICS)
def statistics(request: HttpRequest) -> HttpResponse:
    """The report's figures for yesterday, this week and this month, in plain tables."""
    centres = _my_centres(request, Capability.VIEW_STATISTICS)
    chosen = request.GET.get("location", ALL_LOCATIONS)
    today = local_date(timezone.now())
    reports = []
    for label, first, last in _periods(today):
        try:
            query = parse_report_query(
                chosen,
                first.isoformat(),
                last.isoformat(),
                allowed_location_ids=allowed_location_ids(request.user),
            )
        except LocationNotAllowed as refused:
            raise PermissionDenied(refused.message) from None
        except ReportQueryRefused as refused:
            raise Http404(refused.message) from None
        reports.append((label, build_report(query)))
    return render(
        request,
        "reports/statistics.html",
        {"centres": centres, "chosen": chosen, "reports": reports, "all": ALL_LOCATIONS},
    )
