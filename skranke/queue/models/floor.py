"""The floor: tickets (visits), counter sessions, daily numbering, closures and events.

A ticket is one visit from issue to its end (DESIGN.md, Definitions). Every state change goes
through one function in skranke.queue.services, which also writes the TicketEvent that live
streams read, in the same transaction.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from skranke.lib.validators import validate_no_cpr
from skranke.queue.models.choices import (
    ENDED,
    CancelReason,
    EventKind,
    Outcome,
    Priority,
    ReferredTo,
    SessionState,
    Source,
    TicketStatus,
)


def _call_rank(now: dt.datetime | None) -> models.Case:
    """The call order's first key: urgent cases 0, checked-in appointments whose time has come by
    ``now`` 1, everyone else 2 (then by arrival, then by id).

    With ``now`` None the clock is left out, which is the rank of the tickets that have arrived
    (TicketQuerySet.next_in_line): an index (ticket_call_order_idx) can hold that one, so a
    counter's call reads one index entry.
    """
    time_has_come = {} if now is None else {"waiting_since__lte": now}
    return models.Case(
        models.When(priority=Priority.URGENT, then=models.Value(0)),
        models.When(priority=Priority.APPOINTMENT, **time_has_come, then=models.Value(1)),
        default=models.Value(2),
        output_field=models.IntegerField(),
    )


class DailySequence(models.Model):
    """The last number issued in one queue on one local day.

    Numbers come from incrementing this row inside the issuing transaction, so they are unique
    and gap-free under any concurrency: a rolled-back issue rolls the number back too.
    """

    queue = models.ForeignKey("catalogue.Queue", on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["queue", "date"], name="daily_sequence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.queue_id} {self.date}: {self.last_number}"


class QueueClosure(models.Model):
    """A queue closed for new numbers for the rest of one local day, with a reason for citizens."""

    queue = models.ForeignKey(
        "catalogue.Queue",
        on_delete=models.CASCADE,
        related_name="closures",
        verbose_name=_("queue"),
    )
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=200, validators=[validate_no_cpr])
    closed_at = models.DateTimeField(_("closed at"), auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("closed by"),
    )

    class Meta:
        verbose_name = _("queue closure")
        verbose_name_plural = _("queue closures")
        constraints = [
            models.UniqueConstraint(fields=["queue", "date"], name="queue_closure_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.queue} {self.date}: {self.reason}"


class CounterSession(models.Model):
    """A staff member at a counter, from opening it to closing it."""

    counter = models.ForeignKey(
        "organisation.Counter",
        on_delete=models.PROTECT,
        related_name="sessions",
        verbose_name=_("counter"),
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="counter_sessions",
        verbose_name=_("staff member"),
    )
    queues = models.ManyToManyField(
        "catalogue.Queue", related_name="counter_sessions", verbose_name=_("queues served")
    )
    longest_waiting_first = models.BooleanField(
        _("longest waiting first"),
        default=True,
        help_text=_("Call across the queues by arrival; otherwise empty the first queue first."),
    )
    # The team the visits finished here count under (DESIGN.md, Definitions: team), chosen when
    # the counter opens; empty for an employee in no team.
    team = models.ForeignKey(
        "organisation.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
    )
    opened_at = models.DateTimeField(_("opened"))
    paused_at = models.DateTimeField(_("paused"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("counter session")
        verbose_name_plural = _("counter sessions")
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["counter"],
                condition=Q(closed_at__isnull=True),
                name="one_open_session_per_counter",
            ),
            models.UniqueConstraint(
                fields=["staff"],
                condition=Q(closed_at__isnull=True),
                name="one_open_session_per_staff",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.counter} – {self.staff}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def is_paused(self) -> bool:
        return self.closed_at is None and self.paused_at is not None

    @property
    def state(self) -> SessionState:
        """Return whether the counter is open, paused or closed (pages, API and live status)."""
        if self.closed_at is not None:
            return SessionState.CLOSED
        return SessionState.PAUSED if self.paused_at is not None else SessionState.OPEN


class TicketQuerySet(models.QuerySet["Ticket"]):
    """Tickets, and the call order: the one place that says who is called first (DESIGN.md,
    Definitions). Calling the next citizen, the place in line, the estimate, the counter page's
    next numbers and the SMS notices all read it from here."""

    def waiting(self) -> TicketQuerySet:
        return self.filter(status=TicketStatus.WAITING)

    def in_queues(self, queue_ids: list[int]) -> TicketQuerySet:
        return self.filter(queue_id__in=queue_ids)

    def in_call_order(self, now: dt.datetime) -> TicketQuerySet:
        """Return these tickets as they are called at ``now``: urgent cases, then checked-in
        appointments whose time has come, then everyone by arrival (a transfer keeps the original
        arrival), then by id."""
        return self.annotate(call_rank=_call_rank(now)).order_by("call_rank", "waiting_since", "id")

    def next_in_line(self, now: dt.datetime) -> tuple[TicketQuerySet, TicketQuerySet]:
        """Return these tickets in call order as two parts, each read in an order an index serves.

        The first holds the tickets that arrived by ``now`` and every urgent case, ordered by
        their rank without the clock (which ticket_call_order_idx holds), arrival and id:
        for them that is the call order. The second holds the rest, appointments booked for later
        (and anything else dated after ``now``), which the call order puts last, by arrival. The
        next ticket is the first of the first part, else of the second.
        """
        arrived = Q(priority=Priority.URGENT) | Q(waiting_since__lte=now)
        return (
            self.filter(arrived).order_by(_call_rank(None), "waiting_since", "id"),
            self.exclude(arrived).order_by("waiting_since", "id"),
        )

    def ahead_of(self, ticket: Ticket, now: dt.datetime) -> TicketQuerySet:
        """Return those of these tickets called before ``ticket`` at ``now`` (in_call_order).

        The ticket's own rank is read in the same statement, so counting them is one query.
        """
        own_rank = self.model.objects.filter(pk=ticket.pk).annotate(rank=_call_rank(now))
        return self.annotate(
            call_rank=_call_rank(now), own_rank=models.Subquery(own_rank.values("rank"))
        ).filter(
            Q(call_rank__lt=models.F("own_rank"))
            | Q(call_rank=models.F("own_rank"), waiting_since__lt=ticket.waiting_since)
            | Q(
                call_rank=models.F("own_rank"), waiting_since=ticket.waiting_since, id__lt=ticket.pk
            )
        )


class Ticket(models.Model):
    """One visit: a number drawn (or issued, or checked in) and everything until it ends."""

    location = models.ForeignKey(
        "organisation.Location", on_delete=models.PROTECT, related_name="tickets"
    )
    queue = models.ForeignKey(
        "catalogue.Queue", on_delete=models.PROTECT, related_name="tickets", verbose_name=_("queue")
    )
    first_queue = models.ForeignKey(
        "catalogue.Queue", on_delete=models.PROTECT, related_name="+", verbose_name=_("first queue")
    )
    service = models.ForeignKey(
        "catalogue.Service",
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name=_("service"),
    )
    issue_date = models.DateField(_("date"))
    number = models.PositiveIntegerField(_("running number"))
    display_number = models.CharField(_("number"), max_length=10)
    token = models.CharField(max_length=32, unique=True, editable=False)
    status = models.CharField(
        _("status"), max_length=12, choices=TicketStatus.choices, default=TicketStatus.WAITING
    )
    priority = models.CharField(
        _("priority"), max_length=12, choices=Priority.choices, default=Priority.NORMAL
    )
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    note = models.CharField(
        _("staff note"), max_length=200, blank=True, validators=[validate_no_cpr]
    )
    issued_at = models.DateTimeField(_("issued"))
    # Arrival for ordering and waiting: kept across transfers; for a checked-in appointment,
    # max(check-in, booked time) (DESIGN.md, Definitions: wait).
    waiting_since = models.DateTimeField(_("waiting since"))
    first_called_at = models.DateTimeField(_("first called"), null=True, blank=True)
    leg_started_at = models.DateTimeField(null=True, blank=True)
    service_seconds = models.PositiveIntegerField(default=0)
    # The part of service_seconds spent in back-office queues, the time spent waiting in them
    # after a transfer, and since when the citizen waits in one now.
    back_office_service_seconds = models.PositiveIntegerField(default=0)
    back_office_wait_seconds = models.PositiveIntegerField(default=0)
    back_office_since = models.DateTimeField(null=True, blank=True)
    transfers = models.PositiveSmallIntegerField(_("transfers"), default=0)
    # The counter session that called the ticket last: its team is the visit's.
    session = models.ForeignKey(
        CounterSession, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    counter = models.ForeignKey(
        "organisation.Counter",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("counter"),
    )
    last_counter = models.ForeignKey(
        "organisation.Counter", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    served_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("served by"),
    )
    recall_count = models.PositiveSmallIntegerField(_("recalls"), default=0)
    subject_area = models.ForeignKey(
        "catalogue.SubjectArea",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("subject area"),
    )
    outcome = models.CharField(_("outcome"), max_length=30, choices=Outcome.choices, blank=True)
    referred_to = models.CharField(
        _("referred to"), max_length=30, choices=ReferredTo.choices, blank=True
    )
    cancel_reason = models.CharField(
        _("cancel reason"), max_length=12, choices=CancelReason.choices, blank=True
    )
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    # The SMS "your turn is coming" (skranke.queue.services.notices): the number is personal
    # data, kept only until the visit ends; the language is the one the citizen read the page in.
    notify_phone = models.CharField(max_length=16, blank=True)
    notify_language = models.CharField(max_length=10, choices=settings.LANGUAGES, blank=True)
    # Set by the one conditional UPDATE that wins the right to send the notice, so it goes once.
    notice_sent_at = models.DateTimeField(null=True, blank=True)
    notice_message = models.ForeignKey(
        "messaging.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["issued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["first_queue", "issue_date", "number"], name="ticket_number_unique"
            ),
            models.UniqueConstraint(
                fields=["counter"],
                condition=Q(status__in=["called", "serving"]),
                name="one_ticket_at_each_counter",
            ),
        ]
        indexes = [
            models.Index(fields=["queue", "status", "waiting_since"], name="ticket_waiting_idx"),
            # A counter's call reads the first waiting ticket in this order (next_in_line).
            models.Index(
                models.F("queue"),
                _call_rank(None),
                models.F("waiting_since"),
                models.F("id"),
                condition=Q(status="waiting"),
                name="ticket_call_order_idx",
            ),
            models.Index(fields=["location", "issue_date"], name="ticket_day_idx"),
            # Read after every call and cancellation: is anyone in this queue owed an SMS?
            models.Index(
                fields=["queue"],
                condition=Q(notice_sent_at__isnull=True) & ~Q(notify_phone=""),
                name="ticket_notice_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.display_number

    @property
    def is_ended(self) -> bool:
        return self.status in ENDED


# The PostgreSQL channel on which each new TicketEvent's id is announced when its transaction
# commits (skranke.queue.services.events writes, skranke.queue.live.hub_postgres listens).
NOTIFY_CHANNEL = "skranke_events"


class TicketEvent(models.Model):
    """One change on the floor; its id orders the live streams and resumes them."""

    location = models.ForeignKey(
        "organisation.Location", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    at = models.DateTimeField()
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    queue = models.ForeignKey(
        "catalogue.Queue", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    counter = models.ForeignKey(
        "organisation.Counter", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["id"]
        indexes = [models.Index(fields=["location", "id"], name="event_location_idx")]

    def __str__(self) -> str:
        return f"{self.pk} {self.kind}"
