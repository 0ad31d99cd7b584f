"""Centre limits in the Django admin: the rule the pages use, applied to every admin page.

Staff whose profile lists centres see and change in the admin only what belongs to those
centres; superusers and staff who list none see every centre
(skranke.access.permissions.allowed_location_ids). docs/permissions.md ("The admin") lists which
admin pages are scoped and how.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.options import BaseModelAdmin, InlineModelAdmin
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.forms import ModelChoiceField, ModelMultipleChoiceField
from django.http import HttpRequest

from skranke.access.permissions import allowed_location_ids
from skranke.organisation.models import StaffProfile

# How each model that belongs to one centre reaches it, as a lookup path ending at the
# Location (or "pk" for the Location itself). A test fails when a model with a relation to a
# centre-bound model is missing here.
CENTRE_PATHS: dict[str, str] = {
    "organisation.Location": "pk",
    "organisation.OpeningHours": "location",
    "organisation.OpeningException": "location",
    "organisation.Counter": "location",
    "catalogue.Queue": "location",
    "queue.DailySequence": "queue__location",
    "queue.QueueClosure": "queue__location",
    "queue.CounterSession": "counter__location",
    "queue.Ticket": "location",
    "queue.TicketEvent": "location",
    "queue.VisitFact": "location",
    "reports.ServiceGoal": "location",
    "access.DeviceAccount": "location",
    "booking.BookingCalendar": "location",
    "booking.BookingSetup": "calendar__location",
    "booking.WeeklyCapacity": "calendar__location",
    "booking.CapacityChange": "calendar__location",
    "booking.Appointment": "location",
    "booking.Hold": "location",
    "booking.CalendarTick": "location",
}

# Models that belong to a staff member, by the path to the user. A staff member belongs to the
# centres their profile lists (every centre when it lists none, and for superusers).
STAFF_PATHS: dict[str, str] = {
    "auth.User": "pk",
    "organisation.StaffProfile": "user",
    "access.ApiToken": "user",
}

_CENTRE_IDS_ATTRIBUTE = "_skranke_admin_centre_ids"
_UNKNOWN = object()


def admin_centre_ids(request: HttpRequest) -> frozenset[int] | None:
    """Return the ids of the centres the request's user may see, or None for every centre.

    An empty set means no centre: anyone who is not active staff with a profile (or a
    superuser). Computed once per request, since one admin page asks many times.
    """
    known = getattr(request, _CENTRE_IDS_ATTRIBUTE, _UNKNOWN)
    if known is _UNKNOWN:
        known = allowed_location_ids(getattr(request, "user", None))
        setattr(request, _CENTRE_IDS_ATTRIBUTE, known)
    return known  # type: ignore[return-value]


def is_limited_to_listed_centres(request: HttpRequest) -> bool:
    """Return True when the user's staff profile limits them to the centres it lists."""
    return bool(admin_centre_ids(request))


def staff_at_centres(centre_ids: frozenset[int]) -> Q:
    """Return a filter on users keeping those who work at one of ``centre_ids`` or more.

    Superusers and staff whose profile lists no centre work at every centre.
    """
    listed = StaffProfile.locations.through.objects.filter(staffprofile__user=OuterRef("pk"))
    return (
        Q(is_superuser=True)
        | (Q(staff_profile__isnull=False) & ~Exists(listed))
        | Exists(listed.filter(location_id__in=centre_ids))
    )


def staff_only_at_centres(centre_ids: frozenset[int]) -> Q:
    """Return a filter on users keeping those who work at no centre but ``centre_ids``.

    Acting for such a staff member (changing their account, issuing them an API token) gives
    no reach beyond ``centre_ids``; acting for anyone else would.
    """
    listed = StaffProfile.locations.through.objects.filter(staffprofile__user=OuterRef("pk"))
    return (
        Q(is_superuser=False) & Exists(listed) & ~Exists(listed.exclude(location_id__in=centre_ids))
    )


def belongs_to_centres(model: type[models.Model]) -> bool:
    """Return True when ``model``'s rows belong to centres (directly or through staff)."""
    label = model._meta.label
    return label in CENTRE_PATHS or label in STAFF_PATHS or model is get_user_model()


def rows_at_centres(
    model: type[models.Model], centre_ids: frozenset[int], *, staff_only_there: bool = False
) -> Q | None:
    """Return the filter keeping ``model``'s rows that belong to ``centre_ids``.

    Rows of a staff member belong to the centres that person works at; with
    ``staff_only_there`` only to those of staff who work nowhere else. None when ``model``
    belongs to no centre (municipality-wide rows such as subject areas).
    """
    label = model._meta.label
    if label in CENTRE_PATHS:
        return Q(**{f"{CENTRE_PATHS[label]}__in": centre_ids})
    if label == get_user_model()._meta.label:
        label = "auth.User"
    if label in STAFF_PATHS:
        staff = staff_only_at_centres if staff_only_there else staff_at_centres
        users = get_user_model()._default_manager.filter(staff(centre_ids)).values("pk")
        return Q(**{f"{STAFF_PATHS[label]}__in": users})
    return None


def _choices_scope(model: type[models.Model], request: HttpRequest) -> Q | None:
    """Return the filter on ``model`` for the choices the user may pick in a form, or None."""
    centre_ids = admin_centre_ids(request)
    if centre_ids is None:
        return None
    # Picking a staff member (a token's owner) is acting for them: only staff wholly inside.
    return rows_at_centres(model, centre_ids, staff_only_there=True)


class CentreChoicesFilter(admin.RelatedFieldListFilter):
    """A list filter over centres, queues or counters naming only those the user may see."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> Any:
        centre_ids = admin_centre_ids(request)
        scope = None if centre_ids is None else rows_at_centres(field.related_model, centre_ids)
        if scope is None:
            return super().field_choices(field, request, model_admin)
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(include_blank=False, limit_choices_to=scope, ordering=ordering)


class _CentreScoped(BaseModelAdmin):
    """What admins and inlines share: rows and form choices limited to the user's centres."""

    def centre_scope(self, request: HttpRequest) -> Q | None:
        """Return the filter keeping the rows the user may see, or None for all of them."""
        centre_ids = admin_centre_ids(request)
        if centre_ids is None:
            return None
        scope = rows_at_centres(self.model, centre_ids)
        if scope is None:
            raise TypeError(f"{self.model._meta.label} belongs to no centre; do not scope it")
        return scope

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        scope = self.centre_scope(request)
        return queryset if scope is None else queryset.filter(scope)

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        if "queryset" not in kwargs:
            scope = _choices_scope(db_field.related_model, request)
            if scope is not None:
                kwargs["queryset"] = db_field.related_model._default_manager.filter(scope)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> ModelMultipleChoiceField[Any] | None:
        if "queryset" not in kwargs:
            scope = _choices_scope(db_field.related_model, request)
            if scope is not None:
                kwargs["queryset"] = db_field.related_model._default_manager.filter(scope)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class CentreScopedAdmin(_CentreScoped, admin.ModelAdmin):
    """A ModelAdmin showing a centre-limited user only their centres' rows.

    Lists, detail and history pages, delete pages, actions (which act on the listed rows), form
    choices and the list filters over centres, queues and counters all follow the limits. Put it
    first among the bases so it wraps the admin's own permission checks.
    """

    def change_scope(self, request: HttpRequest) -> Q | None:
        """Return the filter keeping the rows the user may change or delete (None: all)."""
        return self.centre_scope(request)

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
        found = super().get_object(request, object_id, from_field)
        if found is None and self.centre_scope(request) is not None:
            # Another centre's object is refused as the pages and the API refuse it, with 403,
            # and a missing one the same way, so the answer does not tell which it was.
            raise PermissionDenied
        return found

    def _includes(self, obj: Any, scope: Q | None) -> bool:
        if obj is None or scope is None:
            return True
        return bool(self.model._default_manager.filter(scope, pk=obj.pk).exists())

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) and self._includes(
            obj, self.centre_scope(request)
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._includes(
            obj, self.change_scope(request)
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self._includes(
            obj, self.change_scope(request)
        )

    def get_list_filter(self, request: HttpRequest) -> Any:
        return [self._scoped_list_filter(entry) for entry in super().get_list_filter(request)]

    def _scoped_list_filter(self, entry: Any) -> Any:
        """Return ``entry`` with CentreChoicesFilter when it lists centre-bound objects."""
        if not isinstance(entry, str):
            return entry
        field = get_fields_from_path(self.model, entry)[-1]
        related = getattr(field, "related_model", None)
        if related is not None and belongs_to_centres(related):
            return (entry, CentreChoicesFilter)
        return entry


class CentreScopedInline(_CentreScoped, InlineModelAdmin):
    """An inline showing and offering only rows at the user's centres (see CentreScopedAdmin)."""


class ForStaffOfEveryCentre(admin.ModelAdmin):
    """Rows that belong to no one centre but may concern any (messages to citizens, background
    jobs): hidden from staff whose profile limits them to some centres."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return not is_limited_to_listed_centres(request) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not is_limited_to_listed_centres(request) and super().has_view_permission(
            request, obj
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not is_limited_to_listed_centres(request) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not is_limited_to_listed_centres(request) and super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not is_limited_to_listed_centres(request) and super().has_delete_permission(
            request, obj
        )
