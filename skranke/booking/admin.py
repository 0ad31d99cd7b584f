"""Admin for appointment calendars: one page per centre with the services booked there, the
capacity by hour of the week and the coming one-off changes; and a list of all capacity changes.

Both follow the signed-in user's centre limits (skranke.access.admin_scope). The rules live on
the models (``clean``): a booked service must be bookable and sit in a front-office queue at the
centre; weekly capacity rows of one weekday must not overlap (checked here, across the rows of
the form, as the opening hours' are).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from skranke.access.admin_scope import CentreScopedAdmin, CentreScopedInline
from skranke.booking.models import BookingCalendar, BookingSetup, CapacityChange, WeeklyCapacity
from skranke.catalogue.models import Service
from skranke.lib.intervals import Interval, first_overlap
from skranke.lib.localtime import local_date
from skranke.organisation.models import MIDNIGHT, Weekday


def _minutes(starts: Any, ends: Any) -> Interval[int]:
    end = 24 * 60 if ends == MIDNIGHT else ends.hour * 60 + ends.minute
    return Interval(starts.hour * 60 + starts.minute, end)


class WeeklyCapacityFormSet(forms.BaseInlineFormSet):
    """Refuses weekly capacity rows that overlap on the same weekday."""

    def clean(self) -> None:
        super().clean()
        by_weekday: dict[int, list[Interval[int]]] = defaultdict(list)
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or data.get("starts") is None:
                continue
            if data.get("ends") is None or data.get("weekday") is None:
                continue
            by_weekday[data["weekday"]].append(_minutes(data["starts"], data["ends"]))
        for weekday, spans in by_weekday.items():
            if first_overlap(spans):
                raise ValidationError(
                    _("Capacity rows on %(weekday)s overlap; each time may belong to one only.")
                    % {"weekday": Weekday(weekday).label}
                )


class BookingSetupInline(CentreScopedInline, admin.TabularInline):
    model = BookingSetup
    extra = 0
    fields = [
        "service",
        "slot_minutes",
        "extra_minutes_per_person",
        "max_people",
        "horizon_days",
        "minimum_notice_minutes",
        "active",
    ]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "service":
            kwargs["queryset"] = Service.objects.filter(bookable=True, active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class WeeklyCapacityInline(CentreScopedInline, admin.TabularInline):
    model = WeeklyCapacity
    formset = WeeklyCapacityFormSet
    extra = 0
    fields = ["weekday", "starts", "ends", "capacity"]


class UpcomingCapacityChangeInline(CentreScopedInline, admin.TabularInline):
    """Today's and later changes; the past ones are listed under capacity changes."""

    model = CapacityChange
    extra = 0
    fields = ["date", "starts", "ends", "capacity", "adjustment", "reason"]
    verbose_name_plural = _("coming capacity changes")

    def get_queryset(self, request: HttpRequest) -> QuerySet[CapacityChange]:
        today = local_date(timezone.now())
        return super().get_queryset(request).filter(date__gte=today)


@admin.register(BookingCalendar)
class BookingCalendarAdmin(CentreScopedAdmin, admin.ModelAdmin):
    list_display = [
        "location",
        "active",
        "service_count",
        "weekly_rows",
        "checkin_window",
        "reminder",
    ]
    list_filter = ["active", "late_arrival"]
    fieldsets = [
        (None, {"fields": ["location", "active"]}),
        (
            _("Check-in at the kiosk"),
            {
                "fields": [("checkin_early_minutes", "checkin_late_minutes"), "late_arrival"],
                "description": _(
                    "Citizens check in with their reference code. A booking nobody checked in "
                    "for by the time check-in closes is recorded as a no-show."
                ),
            },
        ),
        (
            _("Reminders"),
            {
                "fields": ["reminder_hours", ("reminder_by_sms", "reminder_by_email")],
                "description": _(
                    "Sent with the link to move or cancel, to the mobile number and e-mail "
                    "address the citizen gave."
                ),
            },
        ),
    ]
    inlines = [BookingSetupInline, WeeklyCapacityInline, UpcomingCapacityChangeInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The centre is the calendar's key: chosen once.
        return ["location"] if obj is not None else []

    def get_queryset(self, request: HttpRequest) -> QuerySet[BookingCalendar]:
        return (
            super()
            .get_queryset(request)
            .select_related("location")
            .annotate(
                number_of_services=Count("setups", distinct=True),
                number_of_rows=Count("weekly_capacity", distinct=True),
            )
        )

    @admin.display(description=_("booked services"), ordering="number_of_services")
    def service_count(self, calendar: Any) -> int:
        return int(calendar.number_of_services)

    @admin.display(description=_("weekly capacity rows"), ordering="number_of_rows")
    def weekly_rows(self, calendar: Any) -> int:
        return int(calendar.number_of_rows)

    @admin.display(description=_("check-in"))
    def checkin_window(self, calendar: BookingCalendar) -> str:
        return _("%(early)d min before to %(late)d min after") % {
            "early": calendar.checkin_early_minutes,
            "late": calendar.checkin_late_minutes,
        }

    @admin.display(description=_("reminder"), ordering="reminder_hours")
    def reminder(self, calendar: BookingCalendar) -> str:
        channels = [
            str(label)
            for label, on in (
                (_("SMS"), calendar.reminder_by_sms),
                (_("e-mail"), calendar.reminder_by_email),
            )
            if on
        ]
        if not calendar.reminder_hours or not channels:
            return str(_("none"))
        return _("%(hours)d h before by %(channels)s") % {
            "hours": calendar.reminder_hours,
            "channels": " + ".join(channels),
        }


@admin.register(CapacityChange)
class CapacityChangeAdmin(CentreScopedAdmin, admin.ModelAdmin):
    list_display = ["date", "calendar", "starts", "ends", "capacity", "adjustment", "reason"]
    list_filter = ["calendar"]
    date_hierarchy = "date"
    search_fields = ["reason"]
    fields = ["calendar", "date", "starts", "ends", "capacity", "adjustment", "reason"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CapacityChange]:
        return super().get_queryset(request).select_related("calendar__location")
