"""Background jobs waiting for, or done by, the worker; and the schedule of periodic jobs."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Long enough for "host:process:tag" of a worker on any machine.
WORKER_NAME_LENGTH = 200


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class JobQuerySet(models.QuerySet["Job"]):
    def due(self, now: dt.datetime) -> JobQuerySet:
        """Return the queued jobs whose time has come, oldest first."""
        return self.filter(status=JobStatus.QUEUED, run_after__lte=now).order_by("run_after", "id")

    def stale(self, claimed_before: dt.datetime) -> JobQuerySet:
        """Return the running jobs claimed before ``claimed_before`` (their worker died)."""
        return self.filter(status=JobStatus.RUNNING, claimed_at__lt=claimed_before)


class Job(models.Model):
    """One piece of background work: a registered handler (``kind``) and its JSON payload.

    A worker claims a queued job with a conditional update (skranke.jobs.services.claim_job),
    so two workers never both run it. A failed attempt puts it back in the queue with a later
    ``run_after`` until ``max_attempts`` is used up; then it stays ``failed`` for a person to
    look at in the admin.
    """

    kind = models.CharField(_("kind"), max_length=100)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    run_after = models.DateTimeField(_("run after"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveIntegerField(_("maximum attempts"))
    last_error = models.TextField(_("last error"), blank=True)
    claimed_by = models.CharField(_("claimed by"), max_length=WORKER_NAME_LENGTH, blank=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The worker's two questions, "what is due?" and "whose worker died?", each read
            # only a sliver of a table that grows with every message sent.
            models.Index(fields=["run_after", "id"], condition=Q(status="queued"), name="job_due"),
            models.Index(fields=["claimed_at"], condition=Q(status="running"), name="job_running"),
            models.Index(fields=["kind", "status"], name="job_kind_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=JobStatus.values), name="job_status_known"
            ),
            models.CheckConstraint(condition=Q(max_attempts__gte=1), name="job_max_attempts"),
            models.CheckConstraint(
                condition=Q(attempts__lte=F("max_attempts")), name="job_attempts_within_max"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.get_status_display()})"


class PeriodicSchedule(models.Model):
    """When a periodic job (skranke.jobs.registry.periodic_job) is next enqueued.

    One row per registered name; a worker that finds ``next_run_at`` passed moves it on with a
    conditional update, and only the worker whose update changed the row enqueues the job.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    next_run_at = models.DateTimeField(_("next run"))
    last_enqueued_at = models.DateTimeField(_("last enqueued"), null=True, blank=True)
    last_enqueued_by = models.CharField(
        _("last enqueued by"), max_length=WORKER_NAME_LENGTH, blank=True
    )

    class Meta:
        verbose_name = _("periodic job")
        verbose_name_plural = _("periodic jobs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
