"""The visit record: what statistics need of one ended visit, written once when it ends.

Reports read these rows and never replay events (DESIGN.md, Definitions). A record outlives its
ticket (a purge of tickets sets the link to null) and may come from another system's history
(source ``import``, with an ``import_key`` that makes a re-import add nothing).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from skranke.lib.validators import validate_no_cpr
from skranke.queue.models.choices import CancelReason, Ending, Outcome, ReferredTo, VisitSource
from skranke.queue.models.floor import Ticket


class VisitFact(models.Model):
    """One ended visit: when, where, for what, how long it waited and was served, how it ended.

    Reports read a period's rows by date (the BRIN and day indexes); the links to centre, served
    queue, subject area, service, counter, team and employee have no index of their own, because
    every written or imported row would update each one and no report looks a visit up by them
    (deleting a linked row, rare and mostly refused by PROTECT, scans the table instead).
    """

    ticket = models.OneToOneField(
        Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="fact"
    )
    # Null, not empty, for a live visit: the unique constraint holds only between imported ones.
    import_key = models.CharField(  # noqa: DJ001
        max_length=200, null=True, blank=True, validators=[validate_no_cpr]
    )
    source = models.CharField(max_length=12, choices=VisitSource.choices)
    location = models.ForeignKey(
        "organisation.Location", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # Counted under the queue it was issued in; served_queue is where it ended after transfers.
    first_queue = models.ForeignKey("catalogue.Queue", on_delete=models.PROTECT, related_name="+")
    served_queue = models.ForeignKey(
        "catalogue.Queue", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    subject_area = models.ForeignKey(
        "catalogue.SubjectArea", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # Empty for an imported visit, whose history names only a queue and a subject area.
    service = models.ForeignKey(
        "catalogue.Service", on_delete=models.PROTECT, null=True, related_name="+", db_index=False
    )
    issued_at = models.DateTimeField()
    issue_date = models.DateField()
    issue_hour = models.PositiveSmallIntegerField()
    issue_weekday = models.PositiveSmallIntegerField()
    first_called_at = models.DateTimeField(null=True)
    first_call_hour = models.PositiveSmallIntegerField(null=True)
    ended_at = models.DateTimeField()
    # DESIGN.md, Definitions: wait over called visits, service time over served ones (all legs).
    wait_seconds = models.PositiveIntegerField(null=True)
    service_seconds = models.PositiveIntegerField(null=True)
    # After a transfer to a back-office queue: service time at the front desk and in back-office
    # queues (they add up to service_seconds), and the time waited again in back office.
    front_service_seconds = models.PositiveIntegerField(null=True)
    back_office_service_seconds = models.PositiveIntegerField(null=True)
    back_office_wait_seconds = models.PositiveIntegerField(null=True)
    outcome = models.CharField(max_length=30, choices=Outcome.choices, blank=True)
    referred_to = models.CharField(max_length=30, choices=ReferredTo.choices, blank=True)
    ending = models.CharField(max_length=12, choices=Ending.choices)
    cancel_reason = models.CharField(max_length=12, choices=CancelReason.choices, blank=True)
    is_appointment = models.BooleanField()
    transferred = models.BooleanField(default=False)
    counter = models.ForeignKey(
        "organisation.Counter",
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        db_index=False,
    )
    team = models.ForeignKey(
        "organisation.Team", on_delete=models.PROTECT, null=True, related_name="+", db_index=False
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        db_index=False,
    )
    # The employee's name as the history gives it, where no user account exists (imports).
    staff_name = models.CharField(max_length=150, blank=True, validators=[validate_no_cpr])

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        # On PostgreSQL a BRIN index on issue_date (migration 0009, visit_issue_date_brin)
        # serves reports over a period at every centre; SQLite has no such index.
        indexes = [
            models.Index(fields=["location", "issue_date"], name="visit_day_idx"),
            models.Index(fields=["issue_date", "first_queue"], name="visit_queue_idx"),
        ]
        constraints = [
            # A constraint rather than unique=True: PostgreSQL then keeps one index for it, not a
            # second one for LIKE searches nobody makes, which every imported row would update.
            models.UniqueConstraint(fields=["import_key"], name="visit_import_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.issue_date} {self.first_queue_id} {self.ending}"
