"""The tighter limit on the public booking writes (holds, bookings, moves, cancellations).

Besides the anonymous limit every API endpoint has (SKRANKE_RATE_LIMIT_ANONYMOUS), these count
against SKRANKE_RATE_LIMIT_BOOKING per device or client address in a scope of their own, with
the same atomic counting (skranke.access.ratelimit). Signed-in staff are not counted.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from skranke.access.ratelimit import AnonymousRateThrottle, parse_rate
from skranke.lib.env import BadSetting

SCOPE = "booking"


def check_booking_rate_setting() -> None:
    """Raise BadSetting, naming the variable, when SKRANKE_RATE_LIMIT_BOOKING is unreadable."""
    value = settings.SKRANKE_RATE_LIMIT_BOOKING
    try:
        parse_rate(value)
    except ValueError:
        raise BadSetting(
            f"SKRANKE_RATE_LIMIT_BOOKING={value!r} is not a rate; use e.g. 20/hour or 5/10min"
        ) from None


class BookingRateThrottle(AnonymousRateThrottle):
    """django-ninja throttle of the booking writes; reads the rate from the settings each time,
    so a changed setting (or a test's) applies at once."""

    def __init__(self) -> None:
        super().__init__(SCOPE)

    def allow_request(self, request: HttpRequest) -> bool:
        self.rate = parse_rate(settings.SKRANKE_RATE_LIMIT_BOOKING)
        return super().allow_request(request)
