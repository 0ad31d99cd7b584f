"""The kiosk: a citizen picks a subject area and a service, and gets a number; or checks in for
an appointment with its reference code and gets the appointment's number.

Pages are plain server-rendered forms, so the kiosk works on a cheap tablet without a script;
a small script only returns to the start screen after inactivity and prints the ticket.
"""

from __future__ import annotations

import segno
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from skranke.access.permissions import Capability, requires
from skranke.access.ratelimit import rate_limit
from skranke.access.views import heartbeat_context
from skranke.booking.models import Appointment, BookingCalendar
from skranke.booking.services import CHECK_IN_RATE, CHECK_IN_SCOPE, CheckInRefused, check_in
from skranke.catalogue.models import Service, SubjectArea
from skranke.lib.ids import parse_id
from skranke.organisation.hours import centre_today
from skranke.organisation.models import Location
from skranke.queue import services
from skranke.queue.errors import IssueRefused
from skranke.queue.models import Source, Ticket
from skranke.queue.reads.estimates import estimate_for_ticket


def kiosk_location(request: HttpRequest, slug: str, **_kwargs: object) -> Location:
    return get_object_or_404(Location, slug=slug, active=True)


def _context(request: HttpRequest, location: Location, **extra: object) -> dict[str, object]:
    return {
        "location": location,
        "idle_seconds": settings.SKRANKE_KIOSK_IDLE_SECONDS,
        "start_url": reverse("queue:kiosk-reset", args=[location.slug]),
        **heartbeat_context(request),
        **extra,
    }


@require_safe
@requires(Capability.USE_KIOSK, location_from=kiosk_location)
def start(request: HttpRequest, slug: str) -> HttpResponse:
    """Subject areas to choose from, or a plain 'closed' message with the next opening."""
    location = kiosk_location(request, slug)
    today = centre_today(location, timezone.now())
    drawable = services.drawable_services(location)
    areas: dict[int, SubjectArea] = {}
    for service in drawable:
        areas.setdefault(service.subject_area_id, service.subject_area)
    return render(
        request,
        "queue/kiosk/start.html",
        _context(
            request,
            location,
            today=today,
            areas=list(areas.values()),
            takes_appointments=_takes_appointments(location),
        ),
    )


def _takes_appointments(location: Location) -> bool:
    """Return True when the centre has an appointment calendar (booked times are kept when it
    stops taking new ones, so they can still be checked in)."""
    return BookingCalendar.objects.filter(location=location).exists()


@require_safe
def reset(request: HttpRequest, slug: str) -> HttpResponse:
    """Back to the start screen in the default language, for the next citizen."""
    response = redirect("queue:kiosk", slug=slug)
    response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
    return response


@require_safe
@requires(Capability.USE_KIOSK, location_from=kiosk_location)
def area(request: HttpRequest, slug: str, area_slug: str) -> HttpResponse:
    """The services of one subject area, as big buttons."""
    location = kiosk_location(request, slug)
    chosen = get_object_or_404(SubjectArea, slug=area_slug, active=True)
    offered = [s for s in services.drawable_services(location) if s.subject_area_id == chosen.pk]
    if not offered:
        return redirect("queue:kiosk", slug=slug)
    return render(
        request, "queue/kiosk/area.html", _context(request, location, area=chosen, services=offered)
    )


@require_POST
@rate_limit("kiosk-draw")
@requires(Capability.USE_KIOSK, location_from=kiosk_location)
def draw(request: HttpRequest, slug: str) -> HttpResponse:
    """Issue a number and show it; a refusal is said plainly with the next opening."""
    location = kiosk_location(request, slug)
    service_id = request.POST.get("service", "")
    pk = parse_id(service_id)
    service = Service.objects.filter(pk=pk).first() if pk is not None else None
    if service is None:
        return render(
            request,
            "queue/kiosk/refused.html",
            _context(request, location, refusal=None),
            status=400,
        )
    try:
        ticket = services.issue_ticket(location, service, source=Source.KIOSK)
    except IssueRefused as refusal:
        return render(
            request,
            "queue/kiosk/refused.html",
            _context(request, location, refusal=refusal),
            status=409,
        )
    return redirect("queue:kiosk-number", slug=slug, token=ticket.token)


@require_http_methods(["GET", "HEAD", "POST"])
@requires(Capability.USE_KIOSK, location_from=kiosk_location)
def check_in_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The reference code field (typed, or scanned from the confirmation's QR code by a scanner
    that types it and presses Enter); posting it checks in."""
    if request.method == "POST":
        return _check_in(request, slug)
    location = kiosk_location(request, slug)
    return render(request, "queue/kiosk/check_in.html", _context(request, location, refusal=None))


@rate_limit(CHECK_IN_SCOPE, CHECK_IN_RATE)
def _check_in(request: HttpRequest, slug: str) -> HttpResponse:
    """Check in and show the appointment's number; a refusal says what to do (come back at …,
    take an ordinary number instead, speak to staff), with no personal data. Attempts are
    limited per kiosk, so codes cannot be guessed."""
    location = kiosk_location(request, slug)
    try:
        checked_in = check_in(location, request.POST.get("code", ""))
    except CheckInRefused as refusal:
        return render(
            request,
            "queue/kiosk/check_in.html",
            _context(request, location, refusal=refusal),
            status=404 if refusal.code == "not_found" else 409,
        )
    return redirect("queue:kiosk-number", slug=slug, token=checked_in.ticket.token)


@require_safe
@requires(Capability.USE_KIOSK, location_from=kiosk_location)
def number(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """The number drawn: people ahead, expected wait, a QR code for the phone, print."""
    location = kiosk_location(request, slug)
    ticket = get_object_or_404(
        Ticket.objects.select_related("queue", "service"), token=token, location=location
    )
    estimate = estimate_for_ticket(ticket)
    # A checked-in appointment's number says so, with the booked time (nothing personal).
    appointment_at = (
        Appointment.objects.filter(ticket=ticket).values_list("starts_at", flat=True).first()
    )
    mobile_url = request.build_absolute_uri(reverse("queue:mobile", args=[ticket.token]))
    qr_code = segno.make(mobile_url, error="m").svg_data_uri(scale=5, border=2)
    return render(
        request,
        "queue/kiosk/number.html",
        _context(
            request,
            location,
            ticket=ticket,
            ahead=(estimate.position - 1) if estimate.position else 0,
            expected_wait=estimate.expected_wait_minutes,
            mobile_url=mobile_url,
            qr_code=qr_code,
            appointment_at=appointment_at,
        ),
    )
