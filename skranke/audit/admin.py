"""The audit log in the admin: readable by managers and administrators, editable by nobody.

django-auditlog registers an admin of its own for LogEntry; it is replaced here so that reading
follows Skranke's roles (the VIEW_AUDIT_LOG capability) and nobody, superusers included, may
add, change or delete an entry. A reader limited to some centres sees the entries about those
centres' objects and staff, and about objects that belong to no centre (subject areas …).
"""

from __future__ import annotations

import json
from typing import Any

from auditlog.mixins import LogEntryAdminMixin
from auditlog.models import LogEntry
from auditlog.render import get_field_verbose_name
from django.apps import apps
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext_lazy as _

from skranke.access.admin_scope import (
    CentreScopedAdmin,
    admin_centre_ids,
    belongs_to_centres,
    rows_at_centres,
)
from skranke.access.permissions import Capability, user_has_capability
from skranke.audit.services import domain_action

SUMMARY_LENGTH = 100

admin.site.unregister(LogEntry)


class EntryKindFilter(admin.SimpleListFilter):
    """Changes made in forms, or actions recorded by the services."""

    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("change", _("changes")), ("action", _("actions"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "change":
            return queryset.exclude(additional_data__has_key="action")
        if self.value() == "action":
            return queryset.filter(additional_data__has_key="action")
        return queryset


class DomainActionFilter(admin.SimpleListFilter):
    """The domain actions that occur in the log, such as "ticket_called"."""

    title = _("action name")
    parameter_name = "action_name"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        names = (
            model_admin.get_queryset(request)
            .filter(additional_data__has_key="action")
            .values_list("additional_data__action", flat=True)
            .distinct()
        )
        return [(name, name) for name in sorted({str(name) for name in names})]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value():
            return queryset.filter(additional_data__action=self.value())
        return queryset


class ObjectTypeFilter(admin.SimpleListFilter):
    """The kinds of object that occur in the log, by their translated names."""

    title = _("object type")
    parameter_name = "object_type"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        present = model_admin.get_queryset(request).values("content_type").distinct()
        choices = []
        for content_type in ContentType.objects.filter(pk__in=present):
            model = content_type.model_class()
            name = model._meta.verbose_name_plural if model else content_type.model
            choices.append((str(content_type.pk), str(capfirst(name))))
        return sorted(choices, key=lambda choice: choice[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value():
            return queryset.filter(content_type_id=self.value())
        return queryset


def _can_read_log(request: HttpRequest) -> bool:
    return user_has_capability(getattr(request, "user", None), Capability.VIEW_AUDIT_LOG)


def entries_at_centres(centre_ids: frozenset[int]) -> Q:
    """Return the filter keeping entries about objects at ``centre_ids`` (or their staff), and
    entries about objects that belong to no centre.

    An entry about a deleted object of a centre can no longer be placed, so it is left out.
    """
    at_centres = Q()
    centre_bound_types = []
    for model in apps.get_models():
        if not belongs_to_centres(model):
            continue
        content_type = ContentType.objects.get_for_model(model)
        centre_bound_types.append(content_type.pk)
        objects = model._default_manager.filter(rows_at_centres(model, centre_ids))
        at_centres |= Q(content_type=content_type, object_id__in=objects.values("pk"))
    return at_centres | ~Q(content_type__in=centre_bound_types)


class ReadOnlyForAuditors(admin.ModelAdmin):
    """Reading follows the role; writing is for nobody, so the log stays as it was written."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _can_read_log(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _can_read_log(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LogEntry)
class AuditLogEntryAdmin(CentreScopedAdmin, LogEntryAdminMixin, ReadOnlyForAuditors):
    list_display = ["created", "actor_name", "what", "resource_url", "summary", "remote_addr"]
    list_filter = [EntryKindFilter, "action", DomainActionFilter, ObjectTypeFilter]
    search_fields = [
        "object_repr",
        "actor__username",
        "actor__first_name",
        "actor__last_name",
        "changes",
        "additional_data",
    ]
    date_hierarchy = "timestamp"
    list_select_related = ["content_type", "actor"]
    fieldsets = [
        (None, {"fields": ["created", "actor_name", "remote_addr", "resource_url"]}),
        (_("What happened"), {"fields": ["what", "msg", "details"]}),
    ]
    readonly_fields = [
        "created",
        "actor_name",
        "remote_addr",
        "resource_url",
        "what",
        "msg",
        "details",
    ]

    def centre_scope(self, request: HttpRequest) -> Q | None:
        centre_ids = admin_centre_ids(request)
        return None if centre_ids is None else entries_at_centres(centre_ids)

    @admin.display(description=_("by"))
    def actor_name(self, entry: Any) -> str:
        if entry.actor is not None:
            full_name = entry.actor.get_full_name()
            username = entry.actor.get_username()
            return f"{full_name} ({username})" if full_name else username
        device = (entry.additional_data or {}).get("device")
        if isinstance(device, dict) and device.get("name"):
            return str(device["name"])
        return str(_("system"))

    @admin.display(description=_("what"), ordering="action")
    def what(self, entry: Any) -> str:
        return domain_action(entry) or str(entry.get_action_display())

    @admin.display(description=_("summary"))
    def summary(self, entry: Any) -> str:
        if domain_action(entry) is not None:
            details = entry.additional_data.get("details") or {}
            text = ", ".join(f"{key}: {value}" for key, value in details.items())
        elif entry.action == LogEntry.Action.DELETE:
            text = ""
        else:
            text = ", ".join(
                str(get_field_verbose_name(entry, name)) for name in entry.changes_dict
            )
        return Truncator(text).chars(SUMMARY_LENGTH)

    @admin.display(description=_("details"))
    def details(self, entry: Any) -> str:
        if not entry.additional_data:
            return ""
        return format_html(
            "<pre>{}</pre>", json.dumps(entry.additional_data, indent=2, ensure_ascii=False)
        )
