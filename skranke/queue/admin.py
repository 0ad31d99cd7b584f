"""Read-only admin views of tickets, counter sessions and queue closures.

Tickets change only through the number system's services (which write events and visit
facts), never by editing rows, so nothing here can be added, changed or deleted. A team lead
limited to some centres sees only those centres' rows (skranke.access.admin_scope).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from skranke.access.admin_scope import CentreScopedAdmin, CentreScopedInline
from skranke.access.permissions import Capability, user_has_capability
from skranke.queue.models import CounterSession, QueueClosure, Ticket, TicketEvent


class ReadOnlyForLeads(admin.ModelAdmin):
    """Visible to those who may watch the floor; editable by nobody."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return user_has_capability(request.user, Capability.VIEW_LIVE_FLOOR)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return user_has_capability(request.user, Capability.VIEW_LIVE_FLOOR)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TicketEventInline(CentreScopedInline, admin.TabularInline):
    model = TicketEvent
    fields = ["at", "kind", "queue", "counter", "staff", "data"]
    readonly_fields = ["at", "kind", "queue", "counter", "staff", "data"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(CentreScopedAdmin, ReadOnlyForLeads):
    list_display = [
        "display_number",
        "issue_date",
        "location",
        "queue",
        "service",
        "status",
        "priority",
        "source",
        "issued_at",
        "counter",
    ]
    list_filter = ["location", "status", "priority", "source", "issue_date", "queue"]
    search_fields = ["display_number"]
    date_hierarchy = "issue_date"
    exclude = ["token", "notify_phone"]
    inlines = [TicketEventInline]
    list_select_related = ["location", "queue", "service", "counter"]


@admin.register(CounterSession)
class CounterSessionAdmin(CentreScopedAdmin, ReadOnlyForLeads):
    list_display = ["counter", "staff", "opened_at", "paused_at", "closed_at"]
    list_filter = ["counter__location", "closed_at"]
    list_select_related = ["counter", "counter__location", "staff"]


@admin.register(QueueClosure)
class QueueClosureAdmin(CentreScopedAdmin, ReadOnlyForLeads):
    list_display = ["queue", "date", "reason", "closed_by", "closed_at"]
    list_filter = ["queue__location", "date"]
