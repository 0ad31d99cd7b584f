from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingConfig(AppConfig):
    name = "skranke.booking"
    label = "booking"
    verbose_name = _("Appointments")

    def ready(self) -> None:
        from skranke.audit.registry import register_models
        from skranke.booking.models import (
            BookingCalendar,
            BookingSetup,
            CapacityChange,
            WeeklyCapacity,
        )
        from skranke.booking.ratelimit import check_booking_rate_setting

        check_booking_rate_setting()
        # The administrator's set-up of appointments is staff configuration like opening hours.
        register_models([BookingCalendar, BookingSetup, WeeklyCapacity, CapacityChange])
