"""The booking API: free times, holds and bookings for citizens (no account), and the same
operations for staff on a citizen's behalf (session or token with manage_bookings).

An appointment is acted on with its link's secret, in the header `X-Booking-Secret` (or, to
move it, in the body), or by staff with manage_bookings at its centre; the secret is never in
the address. Refusals answer `{"detail", "code"}`: 404 (no such centre, service, booking or
hold; not booked at that centre), 409 with `next_free` (taken, closed that day, a limit, no
longer changeable: `cancelled`, `checked_in`, `no_show`, `started`), 422 (a past date, beyond
the horizon, not a bookable time, malformed phone or e-mail, CPR-shaped text; or the body's
shape, as a list of problems).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import HeaderEx, P, Query, Router, Status
from ninja.security import SessionAuth as NinjaSessionAuth
from ninja.throttling import BaseThrottle

from skranke.access.auth import api_token_auth
from skranke.access.permissions import Capability, NotSignedIn, staff_role, user_has_capability
from skranke.access.ratelimit import AnonymousRateThrottle, requester_key
from skranke.booking import services
from skranke.booking.errors import BadBookingInput, NotBookable
from skranke.booking.models import Appointment
from skranke.booking.ratelimit import BookingRateThrottle
from skranke.booking.schemas import (
    CALLER_ERRORS,
    PUBLIC_ERRORS,
    BookingCreatedOut,
    BookingIn,
    BookingOut,
    HoldIn,
    HoldOut,
    MoveIn,
    SlotOut,
    SlotsOut,
    SlotsQuery,
)
from skranke.catalogue.models import Service
from skranke.lib.ids import parse_id
from skranke.lib.localtime import local_date
from skranke.organisation.models import Location

router = Router(tags=["appointments"])

SECRET_HEADER = "X-Booking-Secret"  # noqa: S105 - the name of a header, not a secret
SecretHeader = HeaderEx[
    str | None,
    P(alias=SECRET_HEADER, description="The secret of the appointment's link; staff leave it out."),
]


class SessionAuth(NinjaSessionAuth):
    """Django's session, for staff: checked (with its CSRF token) only when the request carries
    a session cookie, so a citizen's request without one is not refused for want of a CSRF
    token. Named like ninja's, so the document names the same security scheme."""

    def __call__(self, request: HttpRequest) -> Any:
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return None
        return super().__call__(request)


class Citizen:
    """Lets everyone else through as a citizen; the document says so with an empty
    requirement (`{}`) beside the staff schemes."""

    def __call__(self, request: HttpRequest) -> str:
        return "citizen"


# Staff by token or session when they send one, anyone else as a citizen.
STAFF_OR_CITIZEN = [api_token_auth, SessionAuth(), Citizen()]
_OPTIONAL_SIGN_IN: dict[str, Any] = {"security": [{"ApiTokenAuth": []}, {"SessionAuth": []}, {}]}
# Citizens' writes count against the booking limit besides the API's anonymous one (an
# operation's own throttles replace the API's, so both are named).
WRITE_THROTTLES: list[BaseThrottle] = [AnonymousRateThrottle(), BookingRateThrottle()]


def _location(slug: str) -> Location:
    location = Location.objects.filter(slug=slug, active=True).first()
    if location is None:
        raise NotBookable("unknown_location", _("No such centre."))
    return location


def _service(identifier: str) -> Service:
    lookup = Q(slug=identifier)
    pk = parse_id(identifier)
    if pk is not None:
        lookup |= Q(pk=pk)
    service = Service.objects.filter(lookup, active=True).first()
    if service is None:
        raise NotBookable("unknown_service", _("No such service."))
    return service


def _staff_at(request: HttpRequest, location: Location) -> Any:
    """Return the signed-in employee when they may book at ``location`` on a citizen's behalf;
    None otherwise (anyone else books as a citizen)."""
    user = getattr(request, "user", None)
    if user_has_capability(user, Capability.MANAGE_BOOKINGS, location):
        return user
    return None


def _site_url(request: HttpRequest) -> str:
    return str(settings.SKRANKE_SITE_URL or request.build_absolute_uri("/"))


def _slot_out(slot: services.Slot) -> SlotOut:
    return SlotOut(start=slot.start, end=slot.end, remaining=slot.remaining)


def booking_out(appointment: Appointment) -> BookingOut:
    location, service = appointment.location, appointment.service
    ticket = appointment.ticket
    return BookingOut(
        code=appointment.code,
        status=appointment.status,
        changeable=services.why_not_changeable(appointment, timezone.now()) is None,
        cancel_reason=appointment.cancel_reason,
        cancelled_at=appointment.cancelled_at,
        checked_in_at=appointment.checked_in_at,
        ticket_number=ticket.display_number if ticket is not None else None,
        no_show_at=appointment.no_show_at,
        reminder_sent_at=appointment.reminder_sent_at,
        source=appointment.source,
        location=location.slug,
        centre=location.name,
        address=location.full_address,
        service=service.slug,
        service_name=service.display_name(appointment.language),
        start=appointment.starts_at,
        end=appointment.ends_at,
        people=appointment.people,
        name=appointment.name,
        phone=appointment.phone,
        email=appointment.email,
        language=appointment.language,
        what_to_bring=service.display_what_to_bring(appointment.language),
    )


@router.get(
    "/locations/{slug}/slots",
    response={200: SlotsOut, **PUBLIC_ERRORS},
    summary="Free times of a booked service at a centre, on a date or from one date to another",
)
def slots(request: HttpRequest, slug: str, query: Query[SlotsQuery]) -> SlotsOut:
    location, service = _location(slug), _service(query.service)
    setup = services.booking_setup(location, service)
    now = timezone.now()
    if query.date is not None and (query.date_from or query.date_to):
        raise BadBookingInput("bad_range", _("Give either date, or from and to."), field="date")
    first = query.date or query.date_from or local_date(now)
    last = query.date or query.date_to or first
    found = services.free_slots(location, service, first, last, people=query.people, now=now)
    earliest = services.first_free_slot(location, service, people=query.people, now=now)
    return SlotsOut(
        location=location.slug,
        service=service.slug,
        people=query.people,
        slot_minutes=setup.slot_minutes,
        slots=[_slot_out(slot) for slot in found],
        first_free=_slot_out(earliest) if earliest else None,
    )


@router.post(
    "/holds",
    auth=STAFF_OR_CITIZEN,
    throttle=WRITE_THROTTLES,
    response={201: HoldOut, **PUBLIC_ERRORS},
    openapi_extra=_OPTIONAL_SIGN_IN,
    summary="Hold a free time for SKRANKE_BOOKING_HOLD_MINUTES while the form is filled in",
)
def hold(request: HttpRequest, payload: HoldIn) -> Status[HoldOut]:
    location, service = _location(payload.location), _service(payload.service)
    staff = _staff_at(request, location)
    held = services.hold_slot(
        location,
        service,
        payload.start,
        people=payload.people,
        client=None if staff is not None else requester_key(request),
    )
    return Status(
        201,
        HoldOut(
            token=held.token,
            location=location.slug,
            service=service.slug,
            start=held.hold.starts_at,
            end=held.hold.ends_at,
            people=held.hold.people,
            expires_at=held.hold.expires_at,
        ),
    )


@router.post(
    "/bookings",
    auth=STAFF_OR_CITIZEN,
    throttle=WRITE_THROTTLES,
    response={201: BookingCreatedOut, **PUBLIC_ERRORS},
    openapi_extra=_OPTIONAL_SIGN_IN,
    summary="Book a held time (`hold`), or a free time directly (`location`, `service`, `start`)",
)
def create_booking(request: HttpRequest, payload: BookingIn) -> Status[BookingCreatedOut]:
    contact = services.clean_contact(
        payload.name, payload.phone, payload.email, payload.language or get_language()
    )
    if payload.hold:
        held = services.find_hold(payload.hold)
        staff = _staff_at(request, held.location) if held is not None else None
        booked = services.book_held(
            payload.hold,
            contact,
            staff=staff,
            send_confirmation=payload.send_confirmation or staff is None,
            site_url=_site_url(request),
        )
    else:
        if not (payload.location and payload.service and payload.start):
            raise BadBookingInput(
                "hold_or_time",
                _("Give the hold, or the centre, service and start of the time to book."),
            )
        location, service = _location(payload.location), _service(payload.service)
        staff = _staff_at(request, location)
        booked = services.book(
            location,
            service,
            payload.start,
            contact,
            people=payload.people,
            staff=staff,
            send_confirmation=payload.send_confirmation or staff is None,
            site_url=_site_url(request),
        )
    appointment = booked.appointment
    return Status(
        201,
        BookingCreatedOut(
            code=appointment.code,
            secret=booked.secret,
            manage_url=services.absolute(
                services.manage_url(appointment, booked.secret), _site_url(request)
            ),
            calendar_url=services.absolute(
                services.calendar_url(appointment, booked.secret), _site_url(request)
            ),
            booking=booking_out(appointment),
        ),
    )


def _appointment(request: HttpRequest, code: str, secret: str | None) -> Appointment:
    """Return the appointment for the holder of its secret, or for staff who may manage it.

    Raises NotSignedIn (401) without a secret or a sign-in, PermissionDenied (403) for a device
    or an employee without manage_bookings at its centre, BookingNotFound (404).
    """
    if secret:
        return services.appointment_by_secret(code, secret)
    user = getattr(request, "user", None)
    if staff_role(user) is not None:
        return services.appointment_for_staff(code, user)
    if getattr(request, "device", None) is not None:
        raise PermissionDenied(_("You do not have access to this."))
    raise NotSignedIn


def _acting_staff(request: HttpRequest, appointment: Appointment, secret: str | None) -> Any:
    return None if secret else _staff_at(request, appointment.location)


@router.get(
    "/bookings/{code}",
    auth=STAFF_OR_CITIZEN,
    response={200: BookingOut, **CALLER_ERRORS},
    openapi_extra=_OPTIONAL_SIGN_IN,
    summary="An appointment, for the holder of its secret (header) or staff",
)
def booking(
    request: HttpRequest,
    code: str,
    secret: SecretHeader = None,
) -> BookingOut:
    return booking_out(_appointment(request, code, secret))


@router.delete(
    "/bookings/{code}",
    auth=STAFF_OR_CITIZEN,
    throttle=WRITE_THROTTLES,
    response={200: BookingOut, **CALLER_ERRORS},
    openapi_extra=_OPTIONAL_SIGN_IN,
    summary="Cancel an appointment; its time is free again at once",
)
def cancel_booking(
    request: HttpRequest,
    code: str,
    secret: SecretHeader = None,
) -> BookingOut:
    appointment = _appointment(request, code, secret)
    cancelled = services.cancel_appointment(
        appointment, staff=_acting_staff(request, appointment, secret)
    )
    return booking_out(cancelled)


@router.post(
    "/bookings/{code}/move",
    auth=STAFF_OR_CITIZEN,
    throttle=WRITE_THROTTLES,
    response={200: BookingOut, **CALLER_ERRORS},
    openapi_extra=_OPTIONAL_SIGN_IN,
    summary="Move an appointment to another free time; it keeps its code",
)
def move_booking(
    request: HttpRequest,
    code: str,
    payload: MoveIn,
    secret: SecretHeader = None,
) -> BookingOut:
    secret = secret or payload.secret
    appointment = _appointment(request, code, secret)
    staff = _acting_staff(request, appointment, secret)
    moved = services.move_appointment(
        appointment,
        payload.start,
        people=payload.people,
        staff=staff,
        secret=secret,
        send_confirmation=payload.send_confirmation or staff is None,
        site_url=_site_url(request),
    )
    return booking_out(moved.appointment)
