"""The public display screen: latest calls, queues with waits, the clock, spoken calls."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from skranke.access.permissions import Capability, requires
from skranke.access.views import heartbeat_context
from skranke.organisation.models import Location
from skranke.queue.reads.status import location_status


def display_location(request: HttpRequest, slug: str, **_kwargs: object) -> Location:
    return get_object_or_404(Location, slug=slug, active=True)


@require_safe
@requires(Capability.SHOW_DISPLAY, location_from=display_location)
def display(request: HttpRequest, slug: str) -> HttpResponse:
    location = display_location(request, slug)
    status_url = reverse("api:location-status", args=[location.slug])
    return render(
        request,
        "queue/display/display.html",
        {
            "location": location,
            "status": location_status(location),
            "status_url": status_url,
            "stream_url": reverse("api:location_events", args=[location.slug]),
            **heartbeat_context(request),
        },
    )
