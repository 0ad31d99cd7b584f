"""Staff on the phone: book, find, move and cancel appointments on a citizen's behalf.

For employees with manage_bookings at the centre (docs/permissions.md). The steps are the
citizen's; the engine knows a staff member acts (``staff=``): the booking is "by phone", the
per-contact limit does not apply, a hold is not counted against a client, and the audit log
records what was done. A staff member may leave out the confirmation (told on the phone).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from skranke.access.permissions import Capability, allowed_location_ids, requires
from skranke.booking import services
from skranke.booking.errors import BookingError, BookingNotFound
from skranke.booking.models import Appointment
from skranke.booking.pages.citizen import details_context, move_page
from skranke.booking.pages.common import (
    booking_centres,
    find_service,
    parse_people,
    parse_start,
    refusal_status,
    refused_page,
    site_url,
    times_page,
)
from skranke.catalogue.models import Service
from skranke.organisation.models import Location

MANAGE = Capability.MANAGE_BOOKINGS


def staff_location(request: HttpRequest, slug: str, **_kwargs: object) -> Location:
    return get_object_or_404(Location, slug=slug, active=True)


def appointment_location(request: HttpRequest, code: str, **_kwargs: object) -> Location:
    """The centre of the appointment ``code`` (404 for an unknown code), for ``requires``."""
    normalised = services.normalise_code(code)
    appointment = (
        Appointment.objects.select_related("location").filter(code=normalised).first()
        if normalised
        else None
    )
    if appointment is None:
        raise Http404(_("No appointment has this reference code."))
    return appointment.location


def _appointment(request: HttpRequest, code: str) -> Appointment:
    try:
        return services.appointment_for_staff(code, request.user)
    except BookingNotFound as error:
        raise Http404(error.message) from None


def _times_url(location: Location, service: Service) -> str:
    return reverse("booking:staff-times", args=[location.slug, service.slug])


@require_safe
@requires(MANAGE, location_from=None)
def start(request: HttpRequest) -> HttpResponse:
    """The employee's centres with their booked services, and finding a booking by its code."""
    allowed = allowed_location_ids(request.user)
    locations = (
        Location.objects.all() if allowed is None else Location.objects.filter(pk__in=allowed)
    )
    code = request.GET.get("code", "").strip()
    error = ""
    status = 200
    if code:
        normalised = services.normalise_code(code[:20])
        if normalised is None:
            error, status = _("A reference code has 8 letters and digits, e.g. K7QX M2PA."), 400
        else:
            try:
                services.appointment_for_staff(normalised, request.user)
            except BookingNotFound as refusal:
                error, status = refusal.message, 404
            except PermissionDenied:
                error, status = _("That appointment is at a centre you do not work at."), 403
            else:
                return redirect("booking:staff-appointment", code=normalised)
    return render(
        request,
        "booking/staff/start.html",
        {
            "centres": booking_centres(locations),
            "day_centres": locations.filter(active=True).order_by("sort_order", "name"),
            "code": code[:20],
            "error": error,
        },
        status=status,
    )


def _times_page(
    request: HttpRequest,
    location: Location,
    service: Service,
    query: Mapping[str, str],
    refusal: BookingError | None = None,
) -> HttpResponse:
    return times_page(
        request,
        location,
        service,
        query,
        times_url=_times_url(location, service),
        hold_url=reverse("booking:staff-hold", args=[location.slug, service.slug]),
        start_over_url=reverse("booking:staff"),
        refusal=refusal,
        extra={"staff": True, "back_url": reverse("booking:staff")},
    )


def _service(request: HttpRequest, location: Location, service_slug: str) -> Service | HttpResponse:
    try:
        return find_service(location, service_slug)
    except BookingError as error:
        return refused_page(
            request,
            error,
            title=_("This service cannot be booked here"),
            back_url=reverse("booking:staff"),
            back_text=_("Choose another service"),
        )


@require_safe
@requires(MANAGE, location_from=staff_location)
def times(request: HttpRequest, slug: str, service_slug: str) -> HttpResponse:
    location = staff_location(request, slug)
    service = _service(request, location, service_slug)
    if isinstance(service, HttpResponse):
        return service
    return _times_page(request, location, service, request.GET.dict())


@require_POST
@requires(MANAGE, location_from=staff_location)
def hold(request: HttpRequest, slug: str, service_slug: str) -> HttpResponse:
    """Hold the time while the citizen's details are taken down (not counted as a client's)."""
    location = staff_location(request, slug)
    service = _service(request, location, service_slug)
    if isinstance(service, HttpResponse):
        return service
    try:
        people = parse_people(request.POST.get("people"))
        start_at = parse_start(request.POST.get("start"))
        held = services.hold_slot(location, service, start_at, people=people, client=None)
    except BookingError as refusal:
        query = {"people": request.POST.get("people", "")}
        return _times_page(request, location, service, query, refusal)
    return redirect(
        "booking:staff-details", slug=location.slug, service_slug=service.slug, token=held.token
    )


@require_http_methods(["GET", "HEAD", "POST"])
@requires(MANAGE, location_from=staff_location)
def details(request: HttpRequest, slug: str, service_slug: str, token: str) -> HttpResponse:
    """The citizen's name, phone and/or e-mail; the POST books on their behalf."""
    location = staff_location(request, slug)
    service = get_object_or_404(Service, slug=service_slug)
    hold = services.find_hold(token)
    times_url = _times_url(location, service)
    if hold is None or hold.location_id != location.pk or hold.service_id != service.pk:
        gone = BookingNotFound(
            "hold_gone", _("The time you held has lapsed. Please choose a time again.")
        )
        return refused_page(
            request,
            gone,
            title=_("The time is no longer held"),
            back_url=times_url,
            back_text=_("Choose a time again"),
            status=410,
        )
    context: dict[str, Any] = {
        "location": location,
        "service": service,
        "values": {"send_confirmation": "on"},
        "error": None,
        "times_url": times_url,
        "action": request.path,
        "hold_action": reverse("booking:staff-hold", args=[location.slug, service.slug]),
        "staff": True,
        **details_context(hold, timezone.now()),
    }
    if request.method == "POST":
        values = {
            "name": request.POST.get("name", "")[:200],
            "phone": request.POST.get("phone", "")[:40],
            "email": request.POST.get("email", "")[:300],
            "send_confirmation": request.POST.get("send_confirmation", ""),
        }
        context["values"] = values
        try:
            contact = services.clean_contact(
                values["name"], values["phone"], values["email"], translation.get_language()
            )
            booked = services.book_held(
                token,
                contact,
                staff=request.user,
                send_confirmation=values["send_confirmation"] == "on",
                site_url=site_url(request),
            )
        except BookingError as refusal:
            context["error"] = refusal
            status = 410 if refusal.code == "hold_gone" else refusal_status(refusal)
            return render(request, "booking/details.html", context, status=status)
        return redirect("booking:staff-appointment", code=booked.appointment.code)
    return render(request, "booking/details.html", context)


@require_safe
@requires(MANAGE, location_from=appointment_location)
def appointment(request: HttpRequest, code: str) -> HttpResponse:
    """One appointment with the citizen's details and its history (reminded, checked in with
    its number, no-show, cancelled and why), to read out, move or cancel while it may change."""
    found = _appointment(request, code)
    refusal = services.why_not_changeable(found, timezone.now())
    return render(
        request,
        "booking/staff/appointment.html",
        {
            "appointment": found,
            "location": found.location,
            "service": found.service,
            "what_to_bring": found.service.display_what_to_bring(),
            "may_change": refusal is None,
            "refusal": refusal,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@requires(MANAGE, location_from=appointment_location)
def move(request: HttpRequest, code: str) -> HttpResponse:
    found = _appointment(request, code)
    refusal: BookingError | None = None
    query = request.GET.dict()
    if request.method == "POST":
        try:
            people = parse_people(request.POST.get("people"))
            start_at = parse_start(request.POST.get("start"))
            services.move_appointment(
                found, start_at, people=people, staff=request.user, site_url=site_url(request)
            )
        except BookingError as error:
            refusal = error
            query = {"people": request.POST.get("people", "")}
        else:
            return redirect("booking:staff-appointment", code=found.code)
    return move_page(request, found, query, refusal, staff=True)


@require_http_methods(["GET", "HEAD", "POST"])
@requires(MANAGE, location_from=appointment_location)
def cancel(request: HttpRequest, code: str) -> HttpResponse:
    found = _appointment(request, code)
    refusal = services.why_not_changeable(found, timezone.now())
    context: dict[str, Any] = {
        "appointment": found,
        "location": found.location,
        "service": found.service,
        "may_change": refusal is None,
        "refusal": refusal,
        "staff": True,
        "back_url": reverse("booking:staff-appointment", args=[found.code]),
    }
    if request.method == "POST":
        try:
            services.cancel_appointment(found, staff=request.user)
        except BookingError as error:
            context["error"] = error
            return render(request, "booking/cancel.html", context, status=refusal_status(error))
        return redirect("booking:staff-appointment", code=found.code)
    return render(request, "booking/cancel.html", context)
