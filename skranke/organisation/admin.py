"""Admin for the municipality, centres with their hours and counters, teams and staff.

Centres, their hours and counters, and staff follow the signed-in user's centre limits
(skranke.access.admin_scope); the municipality and teams are the same for every centre. Every
page that changes a centre's opening hours (the centre with its inlines, the dated exceptions)
lists the future bookings a change closes the centre over before saving it, and cancels them
with a message to their citizens when it is saved (skranke.booking.closure_admin).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from skranke.access.admin_scope import (
    CentreScopedAdmin,
    CentreScopedInline,
    admin_centre_ids,
    rows_at_centres,
)
from skranke.booking.closure_admin import ClosurePreviewAdmin
from skranke.lib.intervals import Interval, first_overlap
from skranke.lib.validators import validate_no_cpr
from skranke.organisation.models import (
    MIDNIGHT,
    AccessibilityStatement,
    Counter,
    Location,
    Municipality,
    OpeningException,
    OpeningHours,
    StaffProfile,
    Team,
)


def _span(opens: Any, closes: Any) -> Interval[int]:
    """Return an opening interval in minutes after midnight; closing at 00:00 is minute 1440."""
    end = 24 * 60 if closes == MIDNIGHT else closes.hour * 60 + closes.minute
    return Interval(opens.hour * 60 + opens.minute, end)


def _live_forms(formset: forms.BaseInlineFormSet) -> list[forms.ModelForm]:
    return [
        form
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE", False)
    ]


class WeeklyHoursFormSet(forms.BaseInlineFormSet):
    """Refuses weekly intervals of the same kind that overlap on the same weekday."""

    def clean(self) -> None:
        super().clean()
        groups: dict[tuple[str, int], list[Interval[int]]] = defaultdict(list)
        for form in _live_forms(self):
            data = form.cleaned_data
            if data.get("opens") is None or data.get("closes") is None:
                continue
            groups[(data["kind"], data["weekday"])].append(_span(data["opens"], data["closes"]))
        for (_kind, weekday), intervals in groups.items():
            if first_overlap(intervals):
                raise ValidationError(
                    _("Opening intervals on %(weekday)s overlap; each time may belong to one only.")
                    % {"weekday": OpeningHours(weekday=weekday).get_weekday_display()}
                )


class ExceptionFormSet(forms.BaseInlineFormSet):
    """Refuses overlapping exception hours, and a closed day that also has hours."""

    def clean(self) -> None:
        super().clean()
        groups: dict[tuple[str, Any], list[dict[str, Any]]] = defaultdict(list)
        for form in _live_forms(self):
            if form.cleaned_data.get("date"):
                groups[(form.cleaned_data["kind"], form.cleaned_data["date"])].append(
                    form.cleaned_data
                )
        for (_kind, date), rows in groups.items():
            _check_exception_day(date, rows)


def _check_exception_day(date: Any, rows: list[dict[str, Any]]) -> None:
    """Raise ValidationError when one date's exception rows overlap or mix closed and open."""
    closed_rows = [row for row in rows if row.get("opens") is None]
    if len(closed_rows) > 1:
        raise ValidationError(
            _("%(date)s is closed more than once; keep one row.")
            % {"date": date.strftime("%d-%m-%Y")}
        )
    if len(rows) > 1 and closed_rows:
        raise ValidationError(
            _("%(date)s is both closed and open; remove one of the rows.")
            % {"date": date.strftime("%d-%m-%Y")}
        )
    intervals = [
        _span(row["opens"], row["closes"])
        for row in rows
        if row.get("opens") is not None and row.get("closes") is not None
    ]
    if first_overlap(intervals):
        raise ValidationError(
            _("Opening intervals on %(date)s overlap; each time may belong to one only.")
            % {"date": date.strftime("%d-%m-%Y")}
        )


class OpeningHoursInline(CentreScopedInline, admin.TabularInline):
    model = OpeningHours
    formset = WeeklyHoursFormSet
    extra = 0
    fields = ["kind", "weekday", "opens", "closes"]


class OpeningExceptionInline(CentreScopedInline, admin.TabularInline):
    model = OpeningException
    formset = ExceptionFormSet
    extra = 0
    fields = ["date", "kind", "opens", "closes", "reason"]


class CounterInline(CentreScopedInline, admin.TabularInline):
    model = Counter
    extra = 0
    fields = ["number", "name", "active"]


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # One installation serves one municipality; the database refuses a second one too.
        return super().has_add_permission(request) and not Municipality.objects.exists()


@admin.register(AccessibilityStatement)
class AccessibilityStatementAdmin(admin.ModelAdmin):
    list_display = ["__str__", "updated_at"]
    fields = ["text", "text_en", "updated_at"]
    readonly_fields = ["updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # One statement per installation; the database refuses a second one too.
        return super().has_add_permission(request) and not AccessibilityStatement.objects.exists()


@admin.register(Location)
class LocationAdmin(CentreScopedAdmin, ClosurePreviewAdmin):
    list_display = ["name", "slug", "full_address", "phone", "counter_count", "active"]
    list_filter = ["active"]
    search_fields = ["name", "slug", "address", "city"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [OpeningHoursInline, OpeningExceptionInline, CounterInline]
    # A centre with bookings cannot be deleted (they protect it), so deleting one hits none.
    closure_preview_on_delete = False
    fieldsets = [
        (None, {"fields": ["name", "slug", "active", "sort_order", "always_open"]}),
        (_("Contact"), {"fields": ["address", "postal_code", "city", "phone", "email"]}),
        (
            _("Optional holidays"),
            {
                "description": _(
                    "Public holidays are always closed. These days are working days; choose "
                    "whether the centre opens."
                ),
                "fields": [
                    "open_on_may_day",
                    "open_on_constitution_day",
                    "open_on_christmas_eve",
                    "open_on_new_years_eve",
                ],
            },
        ),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A new centre is in nobody's list yet, so only staff of every centre could see it.
        return admin_centre_ids(request) is None and super().has_add_permission(request)

    @admin.display(description=_("address"))
    def full_address(self, location: Location) -> str:
        return location.full_address

    @admin.display(description=_("counters"))
    def counter_count(self, location: Location) -> int:
        return location.counters.filter(active=True).count()


class OpeningExceptionForm(forms.ModelForm):
    """Checks one exception row against the other rows already saved for its date."""

    class Meta:
        model = OpeningException
        fields = ["location", "date", "kind", "opens", "closes", "reason"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        location, kind, date = data.get("location"), data.get("kind"), data.get("date")
        if not (location and kind and date):
            return data
        others = OpeningException.objects.filter(location=location, kind=kind, date=date)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        rows = [{"opens": row.opens, "closes": row.closes} for row in others]
        _check_exception_day(date, [*rows, data])
        return data


@admin.register(OpeningException)
class OpeningExceptionAdmin(CentreScopedAdmin, ClosurePreviewAdmin):
    form = OpeningExceptionForm
    list_display = ["date", "location", "kind", "opens", "closes", "reason"]
    list_filter = ["location", "kind"]
    date_hierarchy = "date"
    search_fields = ["reason"]


@admin.register(Counter)
class CounterAdmin(CentreScopedAdmin, admin.ModelAdmin):
    list_display = ["number", "name", "location", "active"]
    list_filter = ["location", "active"]
    search_fields = ["name"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "subject_area_names", "member_count"]
    list_filter = ["kind"]
    search_fields = ["name"]
    filter_horizontal = ["subject_areas"]

    @admin.display(description=_("subject areas"))
    def subject_area_names(self, team: Team) -> str:
        return ", ".join(area.name for area in team.subject_areas.all())

    @admin.display(description=_("members"))
    def member_count(self, team: Team) -> int:
        return team.members.count()


class CentreLimitedStaffProfileForm(forms.ModelForm):
    """A staff profile edited by someone limited to some centres, who may offer only those."""

    def clean_locations(self) -> Any:
        locations = self.cleaned_data.get("locations")
        if not locations:
            # An empty list means every centre, which is more than the editor has.
            raise ValidationError(
                _("Choose at least one centre; a profile without centres may work at all of them.")
            )
        return locations


class StaffProfileInline(CentreScopedInline, admin.StackedInline):
    model = StaffProfile
    can_delete = False
    filter_horizontal = ["teams", "locations"]
    verbose_name_plural = _("staff profile")

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        if admin_centre_ids(request) is not None:
            # Every account such an editor saves keeps a profile within their centres, so it
            # stays theirs to see and gives nobody more centres than the editor has.
            kwargs.update(form=CentreLimitedStaffProfileForm, min_num=1, validate_min=True)
        return super().get_formset(request, obj, **kwargs)


User = get_user_model()
admin.site.unregister(User)
admin.site.unregister(Group)


class CprGuardedForm(forms.ModelForm):
    """Refuses CPR numbers in the free text of Django's own models (users, groups), whose
    fields carry no validator of ours; the message stands beside the field, as for our models."""

    cpr_guarded = ("username", "first_name", "last_name", "email", "name")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in self.cpr_guarded:
            value = cleaned.get(name)
            if isinstance(value, str):
                try:
                    validate_no_cpr(value)
                except ValidationError as error:
                    self.add_error(name, error)
        return cleaned


class StaffUserChangeForm(CprGuardedForm, UserChangeForm):
    pass


class StaffUserCreationForm(CprGuardedForm, AdminUserCreationForm):
    pass


class GroupForm(CprGuardedForm):
    class Meta:
        model = Group
        fields = ["name", "permissions"]


@admin.register(Group)
class CprGuardedGroupAdmin(GroupAdmin):
    form = GroupForm


@admin.register(User)
class StaffUserAdmin(CentreScopedAdmin, UserAdmin):
    """Staff limited to some centres see the staff who work at one of them, and change (or
    delete) only those who work at none but theirs, since changing an account is acting as it."""

    inlines = [StaffProfileInline]
    form = StaffUserChangeForm
    add_form = StaffUserCreationForm
    list_display = ["username", "first_name", "last_name", "role", "is_active", "is_staff"]
    list_filter = ["staff_profile__role", "staff_profile__teams", "is_active", "is_staff"]

    def change_scope(self, request: HttpRequest) -> Q | None:
        centre_ids = admin_centre_ids(request)
        if centre_ids is None:
            return None
        return rows_at_centres(self.model, centre_ids, staff_only_there=True)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and admin_centre_ids(request) is not None:
            # Superuser status and Django permissions reach past every centre limit.
            fields += ["is_superuser", "groups", "user_permissions"]
        return fields

    @admin.display(description=_("role"), ordering="staff_profile__role")
    def role(self, user: Any) -> str:
        profile = getattr(user, "staff_profile", None)
        return profile.get_role_display() if profile else "–"
