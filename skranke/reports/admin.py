"""Admin for service goals, limited to the signed-in user's centres (skranke.access.admin_scope)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from skranke.access.admin_scope import CentreScopedAdmin
from skranke.reports.models import ServiceGoal


@admin.register(ServiceGoal)
class ServiceGoalAdmin(CentreScopedAdmin, admin.ModelAdmin):
    list_display = ["goal", "location", "queue", "valid_from"]
    list_filter = ["location", "kind"]
    date_hierarchy = "valid_from"
    fields = ["location", "queue", "kind", "minutes", "target_percent", "valid_from"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ServiceGoal]:
        return super().get_queryset(request).select_related("location", "queue")

    @admin.display(description=_("goal"), ordering="kind")
    def goal(self, goal: ServiceGoal) -> str:
        return goal.name
