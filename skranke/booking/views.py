"""The appointment's calendar file, for the link in the confirmation (its secret in the path)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from skranke.access.ratelimit import rate_limit
from skranke.booking.calendar_file import appointment_ics
from skranke.booking.errors import BookingNotFound
from skranke.booking.services import appointment_by_secret


@require_safe
@rate_limit()
def calendar_file(request: HttpRequest, code: str, secret: str) -> HttpResponse:
    try:
        appointment = appointment_by_secret(code, secret)
    except BookingNotFound as error:
        raise Http404(error.message) from None
    response = HttpResponse(
        appointment_ics(appointment), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="appointment-{appointment.code}.ics"'
    # The file holds the citizen's appointment: no shared cache may keep it.
    response["Cache-Control"] = "private, no-store"
    return response
