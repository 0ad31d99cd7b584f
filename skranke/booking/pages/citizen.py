"""The citizen's booking pages, without an account: centre → service → day and free time (the
earliest free time first) → a hold while the form is filled in → the booking, its confirmation,
and the page behind the link to see, move or cancel it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import segno
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from skranke.access.ratelimit import rate_limit, requester_key
from skranke.booking import services
from skranke.booking.errors import BookingError, BookingNotFound
from skranke.booking.models import Appointment
from skranke.booking.pages.common import (
    booked_services,
    booking_centres,
    booking_write_refusal,
    find_service,
    free_times,
    limit_booking_writes,
    masked_email,
    masked_phone,
    parse_people,
    parse_start,
    private,
    refusal_status,
    refused_page,
    site_url,
    times_page,
)
from skranke.catalogue.models import Service
from skranke.organisation.models import Location


def _location(slug: str) -> Location:
    return get_object_or_404(Location, slug=slug, active=True)


def _times_url(location: Location, service: Service) -> str:
    return reverse("booking:times", args=[location.slug, service.slug])


@require_safe
@rate_limit()
def start(request: HttpRequest) -> HttpResponse:
    """Step 1: the centres that take appointments."""
    return render(request, "booking/start.html", {"centres": booking_centres()})


@require_safe
@rate_limit()
def centre(request: HttpRequest, slug: str) -> HttpResponse:
    """Step 2: the services booked at the centre."""
    location = _location(slug)
    return render(
        request,
        "booking/services.html",
        {"location": location, "offered": booked_services(location)},
    )


def _times_page(
    request: HttpRequest,
    location: Location,
    service: Service,
    query: Mapping[str, str],
    *,
    refusal: BookingError | None = None,
) -> HttpResponse:
    return times_page(
        request,
        location,
        service,
        query,
        times_url=_times_url(location, service),
        hold_url=reverse("booking:hold", args=[location.slug, service.slug]),
        start_over_url=reverse("booking:centre", args=[location.slug]),
        refusal=refusal,
        extra={"step": 3},
    )


def _status(refusal: BookingError | None) -> int:
    return 200 if refusal is None else refusal_status(refusal)


@require_safe
@rate_limit()
def times(request: HttpRequest, slug: str, service_slug: str) -> HttpResponse:
    """Step 3: the earliest free time, the days with their free times, the chosen day's times."""
    location = _location(slug)
    try:
        service = find_service(location, service_slug)
    except BookingError as error:
        return refused_page(
            request,
            error,
            title=_("This service cannot be booked here"),
            back_url=reverse("booking:centre", args=[location.slug]),
            back_text=_("Choose another service"),
        )
    return _times_page(request, location, service, request.GET.dict())


@require_POST
@rate_limit()
@limit_booking_writes
def hold(request: HttpRequest, slug: str, service_slug: str) -> HttpResponse:
    """Hold the chosen time while the citizen fills in the form; a time just taken, a limit or a
    bad time sends them back to the free times with the engine's reason."""
    location = _location(slug)
    try:
        service = find_service(location, service_slug)
    except BookingError as error:
        return refused_page(
            request,
            error,
            title=_("This service cannot be booked here"),
            back_url=reverse("booking:centre", args=[location.slug]),
            back_text=_("Choose another service"),
        )
    try:
        people = parse_people(request.POST.get("people"))
        start_at = parse_start(request.POST.get("start"))
        held = services.hold_slot(
            location, service, start_at, people=people, client=requester_key(request)
        )
    except BookingError as refusal:
        query = {"people": request.POST.get("people", "")}
        return _times_page(request, location, service, query, refusal=refusal)
    return redirect(
        "booking:details", slug=location.slug, service_slug=service.slug, token=held.token
    )


def _contact_form(request: HttpRequest) -> dict[str, str]:
    return {
        "name": request.POST.get("name", "")[:200],
        "phone": request.POST.get("phone", "")[:40],
        "email": request.POST.get("email", "")[:300],
    }


def details_context(hold: Any, now: Any) -> dict[str, Any]:
    """What the form page shows about the hold: the time, and until when it is kept."""
    return {
        "hold": hold,
        "lapsed": hold.expires_at <= now,
        "hold_minutes": max(0, int((hold.expires_at - now).total_seconds() // 60)),
        "retention_days": settings.SKRANKE_BOOKING_RETENTION_DAYS,
    }


@require_http_methods(["GET", "HEAD", "POST"])
@rate_limit()
def details(request: HttpRequest, slug: str, service_slug: str, token: str) -> HttpResponse:
    """Step 4: name, phone and/or e-mail for the held time; the POST books it."""
    location = _location(slug)
    service = get_object_or_404(Service, slug=service_slug)
    hold = services.find_hold(token)
    if hold is None or hold.location_id != location.pk or hold.service_id != service.pk:
        return _hold_gone(request, location, service)
    now = timezone.now()
    context: dict[str, Any] = {
        "location": location,
        "service": service,
        "values": {},
        "error": None,
        "times_url": _times_url(location, service),
        "action": request.path,
        "hold_action": reverse("booking:hold", args=[location.slug, service.slug]),
        "step": 4,
        **details_context(hold, now),
    }
    if request.method == "POST":
        limited = booking_write_refusal(request)
        if limited is not None:
            return limited
        values = _contact_form(request)
        context["values"] = values
        try:
            contact = services.clean_contact(
                values["name"], values["phone"], values["email"], translation.get_language()
            )
            booked = services.book_held(token, contact, site_url=site_url(request))
        except BookingNotFound:
            return _hold_gone(request, location, service)
        except BookingError as refusal:
            context["error"] = refusal
            return private(
                render(request, "booking/details.html", context, status=_status(refusal))
            )
        return redirect("booking:confirmation", code=booked.appointment.code, secret=booked.secret)
    return private(render(request, "booking/details.html", context))


def _hold_gone(request: HttpRequest, location: Location, service: Service) -> HttpResponse:
    gone = BookingNotFound(
        "hold_gone", _("The time you held has lapsed. Please choose a time again.")
    )
    return private(
        refused_page(
            request,
            gone,
            title=_("The time is no longer held"),
            back_url=_times_url(location, service),
            back_text=_("Choose a time again"),
            status=410,
        )
    )


# The appointment behind its link ----------------------------------------------------------------


def _appointment(code: str, secret: str) -> Appointment:
    try:
        return services.appointment_by_secret(code, secret)
    except BookingNotFound as error:
        raise Http404(error.message) from None


def appointment_context(
    request: HttpRequest, appointment: Appointment, secret: str
) -> dict[str, Any]:
    manage = services.manage_url(appointment, secret)
    refusal = services.why_not_changeable(appointment, timezone.now())
    return {
        "appointment": appointment,
        "location": appointment.location,
        "service": appointment.service,
        "what_to_bring": appointment.service.display_what_to_bring(),
        "manage_path": manage,
        "manage_link": request.build_absolute_uri(manage),
        "calendar_path": services.calendar_url(appointment, secret),
        "move_path": reverse("booking:manage-move", args=[appointment.code, secret]),
        "cancel_path": reverse("booking:manage-cancel", args=[appointment.code, secret]),
        "new_time_path": reverse(
            "booking:times", args=[appointment.location.slug, appointment.service.slug]
        ),
        "may_change": refusal is None,
        "refusal": refusal,
        "masked_phone": masked_phone(appointment.phone),
        "masked_email": masked_email(appointment.email),
        "check_in_qr": check_in_qr(appointment),
    }


def check_in_qr(appointment: Appointment) -> str:
    """Return the reference code as a QR code (an SVG data URI) for the kiosk's scanner, which
    types what it reads: the code alone, nothing that would let the page be found again."""
    return str(segno.make(appointment.code, error="m").svg_data_uri(scale=6, border=2))


@require_safe
@rate_limit()
def confirmation(request: HttpRequest, code: str, secret: str) -> HttpResponse:
    """The booking's confirmation: the code, the time and place, what to bring, the calendar
    file and the link to move or cancel."""
    appointment = _appointment(code, secret)
    return private(
        render(
            request, "booking/confirmation.html", appointment_context(request, appointment, secret)
        )
    )


@require_safe
@rate_limit()
def manage(request: HttpRequest, code: str, secret: str) -> HttpResponse:
    """The appointment behind its link, with moving and cancelling while it can be changed."""
    appointment = _appointment(code, secret)
    return private(
        render(request, "booking/manage.html", appointment_context(request, appointment, secret))
    )


@require_http_methods(["GET", "HEAD", "POST"])
@rate_limit()
def move(request: HttpRequest, code: str, secret: str) -> HttpResponse:
    """Choose a new day and time; the POST moves the appointment, which keeps its code."""
    appointment = _appointment(code, secret)
    refusal: BookingError | None = None
    query = request.GET.dict()
    if request.method == "POST":
        limited = booking_write_refusal(request)
        if limited is not None:
            return limited
        try:
            people = parse_people(request.POST.get("people"))
            start_at = parse_start(request.POST.get("start"))
            services.move_appointment(
                appointment, start_at, people=people, secret=secret, site_url=site_url(request)
            )
        except BookingError as error:
            refusal = error
            query = {"people": request.POST.get("people", "")}
        else:
            return redirect("booking:manage", code=appointment.code, secret=secret)
    return private(move_page(request, appointment, query, refusal, secret=secret))


def move_page(
    request: HttpRequest,
    appointment: Appointment,
    query: Mapping[str, str],
    refusal: BookingError | None,
    *,
    secret: str = "",
    staff: bool = False,
) -> HttpResponse:
    """The page of free times to move ``appointment`` to (the citizen's, or staff's)."""
    location, service = appointment.location, appointment.service
    if staff:
        page_url = reverse("booking:staff-move", args=[appointment.code])
        back_url = reverse("booking:staff-appointment", args=[appointment.code])
    else:
        page_url = reverse("booking:manage-move", args=[appointment.code, secret])
        back_url = reverse("booking:manage", args=[appointment.code, secret])
    not_changeable = services.why_not_changeable(appointment, timezone.now())
    if not_changeable is not None:
        # No free times to offer for an appointment that cannot move (checked in, missed, …).
        return refused_page(
            request,
            not_changeable,
            title=_("This appointment can no longer be moved"),
            back_url=back_url,
            back_text=_("Back to the appointment"),
        )
    query = {"people": str(appointment.people), **{k: v for k, v in query.items() if v}}
    try:
        found = free_times(location, service, page_url, query)
    except BookingError as error:
        return refused_page(
            request,
            error,
            title=_("No free times to show"),
            back_url=page_url,
            back_text=_("Show the free times"),
        )
    return render(
        request,
        "booking/times.html",
        {
            "location": location,
            "service": service,
            "found": found,
            "page_url": page_url,
            "action": page_url,
            "refusal": refusal,
            "moving": appointment,
            "back_url": back_url,
            "staff": staff,
        },
        status=_status(refusal),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@rate_limit()
def cancel(request: HttpRequest, code: str, secret: str) -> HttpResponse:
    """Ask whether to cancel; the POST cancels, and the time is free again at once."""
    appointment = _appointment(code, secret)
    context = appointment_context(request, appointment, secret)
    if request.method == "POST":
        limited = booking_write_refusal(request)
        if limited is not None:
            return limited
        try:
            services.cancel_appointment(appointment)
        except BookingError as error:
            context["error"] = error
            return private(
                render(request, "booking/cancel.html", context, status=refusal_status(error))
            )
        return redirect("booking:manage", code=appointment.code, secret=secret)
    return private(render(request, "booking/cancel.html", context))
