"""Read-only admin of background jobs and the periodic schedule, with "retry now"."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from skranke.access.admin_scope import ForStaffOfEveryCentre
from skranke.jobs.models import Job, PeriodicSchedule
from skranke.jobs.services import retry_failed_jobs


class ReadOnlyAdmin(ForStaffOfEveryCentre):
    """Rows written only by the worker: administrators look, they do not edit or delete."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "kind",
        "status",
        "attempts_display",
        "run_after",
        "claimed_by",
        "error_summary",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "kind"]
    date_hierarchy = "created_at"
    actions = ["retry_now"]
    fields = [
        "kind",
        "payload",
        "status",
        "attempts",
        "max_attempts",
        "run_after",
        "claimed_by",
        "claimed_at",
        "created_at",
        "finished_at",
        "last_error",
    ]

    @admin.display(description=_("attempts"))
    def attempts_display(self, job: Job) -> str:
        return f"{job.attempts} / {job.max_attempts}"

    @admin.display(description=_("last error"))
    def error_summary(self, job: Job) -> str:
        return Truncator(job.last_error).chars(80)

    def has_retry_permission(self, request: HttpRequest) -> bool:
        # Retrying changes the job, so it needs the permission to change jobs even though the
        # form itself is read-only.
        return request.user.has_perm("jobs.change_job")

    @admin.action(
        description=_("Retry now (failed jobs only, with fresh attempts)"), permissions=["retry"]
    )
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        selected = list(queryset.values_list("id", flat=True))
        retried = retry_failed_jobs(selected)
        if retried:
            self.message_user(
                request,
                ngettext(
                    "%(count)d job was queued to run now.",
                    "%(count)d jobs were queued to run now.",
                    retried,
                )
                % {"count": retried},
                messages.SUCCESS,
            )
        skipped = len(selected) - retried
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d job was not failed and was left alone.",
                    "%(count)d jobs were not failed and were left alone.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )


@admin.register(PeriodicSchedule)
class PeriodicScheduleAdmin(ReadOnlyAdmin):
    list_display = ["name", "next_run_at", "last_enqueued_at", "last_enqueued_by"]
