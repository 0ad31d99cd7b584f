"""A centre's appointment calendar as the administrator sets it up: which services are booked
there and how, and how many appointments run in parallel (by hour of the week, with dated
one-off changes).

Capacity is the centre's, shared by all its booked services: it says how many citizens with an
appointment can be served at the same moment (e.g. two counters for appointments on Monday
mornings). It is read per tick, a 5-minute step of the clock (TICK_MINUTES), so services with
different slot lengths share it exactly; skranke.booking.capacity explains the accounting.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Mod
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from skranke.catalogue.models import Queue, QueueKind
from skranke.lib.validators import validate_no_cpr
from skranke.organisation.models import MIDNIGHT, Weekday

# The calendar's clock step: slot lengths and extra time are whole multiples of it, and capacity
# is counted per tick (skranke.booking.capacity).
TICK_MINUTES = 5
MAX_SLOT_MINUTES = 240
MAX_PEOPLE = 10
MAX_PARALLEL = 100


def validate_whole_ticks(minutes: int) -> None:
    """Raise ValidationError unless ``minutes`` is a whole number of ticks (5 minutes)."""
    if minutes % TICK_MINUTES:
        raise ValidationError(
            _("Use a multiple of %(tick)d minutes.") % {"tick": TICK_MINUTES}, code="ticks"
        )


def _whole_ticks(field: str) -> Q:
    return Q(Exact(Mod(F(field), TICK_MINUTES), 0))


class LateArrival(models.TextChoices):
    WALK_IN = "walk_in", _("offer a walk-in number where the service takes walk-ins")
    REFUSE = "refuse", _("ask them to speak to staff")


class BookingCalendar(models.Model):
    """A centre's appointment calendar; its primary key is the centre's.

    Everything configured for appointments at the centre hangs off it, so the admin shows one
    page per centre: the services booked there, the capacity by hour of the week and the dated
    changes to it.
    """

    location = models.OneToOneField(
        "organisation.Location",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="booking_calendar",
        verbose_name=_("centre"),
    )
    active = models.BooleanField(
        _("taking appointments"),
        default=True,
        help_text=_("Untick to stop new bookings at this centre; booked appointments stay."),
    )
    checkin_early_minutes = models.PositiveSmallIntegerField(
        _("check-in opens (minutes before)"),
        default=15,
        validators=[MaxValueValidator(240)],
        help_text=_("How early before the booked time a citizen can check in at the kiosk."),
    )
    checkin_late_minutes = models.PositiveSmallIntegerField(
        _("check-in closes (minutes after)"),
        default=5,
        validators=[MaxValueValidator(120)],
        help_text=_(
            "How late after the booked time a citizen can still check in. When it has passed, "
            "a booking nobody checked in for is recorded as a no-show."
        ),
    )
    late_arrival = models.CharField(
        _("citizens arriving too late"),
        max_length=10,
        choices=LateArrival.choices,
        default=LateArrival.WALK_IN,
    )
    reminder_hours = models.PositiveSmallIntegerField(
        _("reminder (hours before)"),
        default=24,
        validators=[MaxValueValidator(14 * 24)],
        help_text=_("0: no reminders. Bookings made later than this before their time get none."),
    )
    reminder_by_sms = models.BooleanField(_("remind by SMS"), default=True)
    reminder_by_email = models.BooleanField(_("remind by e-mail"), default=True)

    class Meta:
        verbose_name = _("appointment calendar")
        verbose_name_plural = _("appointment calendars")
        ordering = ["location__sort_order", "location__name"]

    def __str__(self) -> str:
        return str(self.location)

    def clean(self) -> None:
        """Refuse reminders by neither channel: say 0 hours to send none."""
        if self.reminder_hours and not (self.reminder_by_sms or self.reminder_by_email):
            raise ValidationError(
                {
                    "reminder_hours": _(
                        "Tick SMS, e-mail or both, or set the reminder to 0 hours to send none."
                    )
                }
            )


class BookingSetup(models.Model):
    """How one service is booked at one centre (the calendar's)."""

    calendar = models.ForeignKey(
        BookingCalendar,
        on_delete=models.CASCADE,
        related_name="setups",
        verbose_name=_("centre"),
    )
    service = models.ForeignKey(
        "catalogue.Service",
        on_delete=models.PROTECT,
        related_name="booking_setups",
        verbose_name=_("service"),
    )
    slot_minutes = models.PositiveSmallIntegerField(
        _("slot length (minutes)"),
        default=15,
        validators=[
            MinValueValidator(TICK_MINUTES),
            MaxValueValidator(MAX_SLOT_MINUTES),
            validate_whole_ticks,
        ],
    )
    extra_minutes_per_person = models.PositiveSmallIntegerField(
        _("extra minutes per additional person"),
        default=0,
        validators=[MaxValueValidator(MAX_SLOT_MINUTES), validate_whole_ticks],
        help_text=_(
            "A booking for several people takes as many consecutive slots as this extra time needs."
        ),
    )
    max_people = models.PositiveSmallIntegerField(
        _("most people per booking"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_PEOPLE)],
    )
    horizon_days = models.PositiveSmallIntegerField(
        _("booking horizon (days)"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(730)],
        help_text=_("How many days ahead citizens may book."),
    )
    minimum_notice_minutes = models.PositiveIntegerField(
        _("minimum notice (minutes)"),
        default=60,
        validators=[MaxValueValidator(14 * 24 * 60)],
        help_text=_("No booking starts sooner than this after the moment it is made."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("booked service")
        verbose_name_plural = _("booked services")
        ordering = ["calendar", "service__sort_order", "service__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["calendar", "service"],
                name="booking_setup_unique",
                violation_error_message=_("This service is already booked at this centre."),
            ),
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=TICK_MINUTES)
                & Q(slot_minutes__lte=MAX_SLOT_MINUTES)
                & _whole_ticks("slot_minutes"),
                name="booking_setup_slot_length",
            ),
            models.CheckConstraint(
                condition=Q(extra_minutes_per_person__lte=MAX_SLOT_MINUTES)
                & _whole_ticks("extra_minutes_per_person"),
                name="booking_setup_extra_minutes",
            ),
            models.CheckConstraint(
                condition=Q(max_people__gte=1) & Q(max_people__lte=MAX_PEOPLE),
                name="booking_setup_people",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service} ({self.calendar})"

    def clean(self) -> None:
        """Refuse a service that is not bookable, or that no front queue takes at the centre.

        A citizen arriving for an appointment is called from a front-office queue (part 2 of
        appointments turns the booking into a ticket there), so one must take the service.
        """
        if self.service_id is None or self.calendar_id is None:
            return
        service = self.service
        if not service.bookable:
            raise ValidationError(
                {
                    "service": _(
                        "%(service)s is not bookable; tick “bookable” on the service first."
                    )
                    % {"service": service.name}
                }
            )
        if not in_front_queue(self.calendar_id, service.pk):
            raise ValidationError(
                {
                    "service": _(
                        "No front-office queue at this centre takes %(service)s; add it to one "
                        "first, so citizens with an appointment can be called."
                    )
                    % {"service": service.name}
                }
            )

    def minutes_for(self, people: int) -> int:
        """Return how long a booking for ``people`` lasts: whole slots covering its time."""
        needed = self.slot_minutes + self.extra_minutes_per_person * (people - 1)
        slots = -(-needed // self.slot_minutes)
        return slots * self.slot_minutes

    def duration_for(self, people: int) -> dt.timedelta:
        return dt.timedelta(minutes=self.minutes_for(people))


def in_front_queue(location_id: int, service_id: int) -> bool:
    """Return True when an active front-office queue at the centre takes the service."""
    return Queue.objects.filter(
        location_id=location_id, kind=QueueKind.FRONT, active=True, services=service_id
    ).exists()


_ENDS_AFTER_STARTS = Q(ends__gt=F("starts")) | Q(ends=MIDNIGHT)


def validate_time_range(starts: dt.time | None, ends: dt.time | None) -> None:
    """Raise ValidationError unless ``ends`` is after ``starts`` (00:00 ends at midnight)."""
    if starts is None or ends is None:
        return
    if ends != MIDNIGHT and ends <= starts:
        raise ValidationError(
            {"ends": _("The end must be after the start (use 00:00 for midnight).")}
        )


class WeeklyCapacity(models.Model):
    """How many appointments run in parallel at the centre on a weekday between two times.

    Times not covered by any row take no appointments. Rows of one weekday must not overlap
    (the admin refuses it; should they still, the larger capacity counts).
    """

    calendar = models.ForeignKey(
        BookingCalendar,
        on_delete=models.CASCADE,
        related_name="weekly_capacity",
        verbose_name=_("centre"),
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("to"), help_text=_("00:00 means midnight."))
    capacity = models.PositiveSmallIntegerField(
        _("appointments in parallel"),
        validators=[MaxValueValidator(MAX_PARALLEL)],
        help_text=_("E.g. 2 when two counters take appointments."),
    )

    class Meta:
        verbose_name = _("weekly capacity")
        verbose_name_plural = _("weekly capacity")
        ordering = ["calendar", "weekday", "starts"]
        constraints = [
            models.CheckConstraint(condition=_ENDS_AFTER_STARTS, name="weekly_capacity_order"),
            models.CheckConstraint(
                condition=Q(capacity__lte=MAX_PARALLEL), name="weekly_capacity_at_most"
            ),
            models.UniqueConstraint(
                fields=["calendar", "weekday", "starts"], name="weekly_capacity_unique_start"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_weekday_display()} {self.starts:%H:%M}–{self.ends:%H:%M}: {self.capacity}"
        )

    def clean(self) -> None:
        validate_time_range(self.starts, self.ends)


class CapacityChange(models.Model):
    """A one-off change to the capacity on a date (two colleagues ill on Tuesday).

    Either sets the capacity (``capacity``) or adds to it (``adjustment``, e.g. -2), for the
    whole day or between two times. skranke.booking.capacity.CapacityRules applies them.
    """

    calendar = models.ForeignKey(
        BookingCalendar,
        on_delete=models.CASCADE,
        related_name="capacity_changes",
        verbose_name=_("centre"),
    )
    date = models.DateField(_("date"))
    starts = models.TimeField(_("from"), null=True, blank=True, help_text=_("Empty: all day."))
    ends = models.TimeField(
        _("to"), null=True, blank=True, help_text=_("Empty: all day. 00:00 means midnight.")
    )
    capacity = models.PositiveSmallIntegerField(
        _("set capacity to"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_PARALLEL)],
        help_text=_("E.g. 0 to take no appointments then."),
    )
    adjustment = models.SmallIntegerField(
        _("or change it by"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-MAX_PARALLEL), MaxValueValidator(MAX_PARALLEL)],
        help_text=_("E.g. -2 when two colleagues are ill."),
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True, validators=[validate_no_cpr])

    class Meta:
        verbose_name = _("capacity change")
        verbose_name_plural = _("capacity changes")
        ordering = ["calendar", "date", "starts"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(capacity__isnull=True) & Q(adjustment__isnull=False))
                | (Q(capacity__isnull=False) & Q(adjustment__isnull=True)),
                name="capacity_change_one_kind",
            ),
            models.CheckConstraint(
                condition=(Q(starts__isnull=True) & Q(ends__isnull=True))
                | (Q(starts__isnull=False) & Q(ends__isnull=False) & _ENDS_AFTER_STARTS),
                name="capacity_change_times",
            ),
        ]

    def __str__(self) -> str:
        times = f" {self.starts:%H:%M}–{self.ends:%H:%M}" if self.starts and self.ends else ""
        amount = (
            f"= {self.capacity}"
            if self.capacity is not None
            else f"{self.adjustment:+d}"
            if self.adjustment is not None
            else ""
        )
        return f"{self.date:%Y-%m-%d}{times} {amount}"

    def clean(self) -> None:
        if (self.capacity is None) == (self.adjustment is None):
            raise ValidationError(
                {"capacity": _("Give one of the two: a capacity to set, or a change by a number.")}
            )
        if (self.starts is None) != (self.ends is None):
            missing = "ends" if self.ends is None else "starts"
            raise ValidationError({missing: _("Give both times, or neither for the whole day.")})
        validate_time_range(self.starts, self.ends)

    def covers(self, clock: dt.time) -> bool:
        """Return True when the change applies at the local wall-clock time ``clock``."""
        if self.starts is None or self.ends is None:
            return True
        return self.starts <= clock and (self.ends == MIDNIGHT or clock < self.ends)
