"""Admin for subject areas, services and queues.

Subject areas and services are the same for every centre; queues belong to one and follow the
signed-in user's centre limits (skranke.access.admin_scope).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from skranke.access.admin_scope import CentreScopedAdmin, admin_centre_ids
from skranke.catalogue.models import Queue, QueueKind, Service, SubjectArea


@admin.register(SubjectArea)
class SubjectAreaAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "slug", "kle_code", "service_count", "sort_order", "active"]
    list_editable = ["sort_order"]
    list_filter = ["active"]
    search_fields = ["name", "name_en", "slug", "kle_code"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[SubjectArea]:
        return super().get_queryset(request).annotate(number_of_services=Count("services"))

    @admin.display(description=_("services"), ordering="number_of_services")
    def service_count(self, area: Any) -> int:
        return int(area.number_of_services)


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "subject_area",
        "typical_duration",
        "bookable",
        "walk_in",
        "queue_prefixes",
        "active",
    ]
    list_filter = ["subject_area", "bookable", "walk_in", "active"]
    search_fields = ["name", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["subject_area", "name", "name_en", "slug", "active", "sort_order"]}),
        (_("Serving"), {"fields": ["typical_duration", "walk_in", "bookable"]}),
        (_("What to bring"), {"fields": ["what_to_bring", "what_to_bring_en"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Service]:
        queues = Queue.objects.all()
        centre_ids = admin_centre_ids(request)
        if centre_ids is not None:
            # Services are shared, but the queues column names only the user's centres' queues.
            queues = queues.filter(location__in=centre_ids)
        return (
            super()
            .get_queryset(request)
            .select_related("subject_area")
            .prefetch_related(Prefetch("queues", queryset=queues))
        )

    @admin.display(description=_("queues"))
    def queue_prefixes(self, service: Service) -> str:
        return ", ".join(sorted({queue.prefix for queue in service.queues.all()}))


class QueueForm(forms.ModelForm):
    """Keeps a service in at most one front-office queue per centre.

    A citizen who draws a number picks a service; two queues taking it at the same centre would
    leave the kiosk no way to choose.
    """

    class Meta:
        model = Queue
        fields = [
            "location",
            "prefix",
            "name",
            "name_en",
            "kind",
            "active",
            "sort_order",
            "services",
            "daily_quota",
            "cutoff_minutes",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        location, services = data.get("location"), data.get("services")
        if location is None or not services or data.get("kind") != QueueKind.FRONT:
            return data
        clashes = Queue.objects.filter(
            location=location, kind=QueueKind.FRONT, services__in=services
        ).exclude(pk=self.instance.pk)
        clash = clashes.first()
        if clash is not None:
            taken = clash.services.filter(pk__in=[service.pk for service in services])
            raise ValidationError(
                {
                    "services": _("%(services)s already belongs to queue %(queue)s at this centre.")
                    % {
                        "services": ", ".join(service.name for service in taken),
                        "queue": clash.prefix,
                    }
                }
            )
        return data


@admin.register(Queue)
class QueueAdmin(CentreScopedAdmin, admin.ModelAdmin):
    form = QueueForm
    list_display = [
        "prefix",
        "name",
        "location",
        "kind",
        "service_count",
        "daily_quota",
        "cutoff_minutes",
        "active",
    ]
    list_filter = ["location", "kind", "active"]
    search_fields = ["name", "name_en", "prefix"]
    filter_horizontal = ["services"]
    fieldsets = [
        (
            None,
            {"fields": ["location", "prefix", "name", "name_en", "kind", "active", "sort_order"]},
        ),
        (_("Services"), {"fields": ["services"]}),
        (_("Limits"), {"fields": ["daily_quota", "cutoff_minutes"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Queue]:
        return (
            super()
            .get_queryset(request)
            .select_related("location")
            .annotate(number_of_services=Count("services"))
        )

    @admin.display(description=_("services"), ordering="number_of_services")
    def service_count(self, queue: Any) -> int:
        return int(queue.number_of_services)
