"""Appointments, the holds a citizen keeps while filling in the form, and the rows that count a
calendar's places: one per centre and tick (CalendarTick), and the guard rows that serialise the
limits per client and per contact (BookingGuard).

Only skranke.booking.services writes these. Personal data (name, phone number, e-mail address)
lives only on Appointment and in the messages sent about it; holds, ticks and guards carry keyed
digests at most.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from skranke.lib.validators import validate_no_cpr

# Reference codes: no 0/O or 1/I, which people mix up when they read a code out on the phone.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


class AppointmentStatus(models.TextChoices):
    """Where a booking stands. What happens after check-in (called, served, no-show at the
    counter) is the ticket's state; the staff day view shows both."""

    BOOKED = "booked", _("booked")
    CHECKED_IN = "checked_in", _("checked in")
    # Nobody checked in before the check-in window closed.
    NO_SHOW = "no_show", _("no-show")
    CANCELLED = "cancelled", _("cancelled")


class CancelReason(models.TextChoices):
    CITIZEN = "citizen", _("by the citizen")
    STAFF = "staff", _("by staff")
    # The centre closed or shortened its hours over the appointment.
    CLOSURE = "closure", _("closure")


class BookingSource(models.TextChoices):
    ONLINE = "online", _("online")
    PHONE = "phone", _("by phone (staff)")


def secret_digest(secret: str) -> str:
    """Return the stored form of a link secret: its SHA-256 in hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


class Appointment(models.Model):
    """A booked time (tidsbestilling) for a service at a centre.

    ``code`` is the short reference a citizen reads out; the manage link's secret is stored as
    its digest only (``secret_digest``). Name, phone and e-mail are erased
    SKRANKE_BOOKING_RETENTION_DAYS after the start (``erased_at``).
    """

    code = models.CharField(_("reference code"), max_length=CODE_LENGTH, unique=True)
    secret_hash = models.CharField(max_length=64, editable=False)
    location = models.ForeignKey(
        "organisation.Location",
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("centre"),
    )
    service = models.ForeignKey(
        "catalogue.Service",
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("service"),
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    people = models.PositiveSmallIntegerField(_("people"), default=1)
    name = models.CharField(_("name"), max_length=100, blank=True, validators=[validate_no_cpr])
    phone = models.CharField(_("phone"), max_length=12, blank=True)
    email = models.EmailField(_("e-mail"), blank=True, validators=[validate_no_cpr])
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=AppointmentStatus.choices,
        default=AppointmentStatus.BOOKED,
    )
    source = models.CharField(_("booked"), max_length=10, choices=BookingSource.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("booked by"),
    )
    created_at = models.DateTimeField(_("booked at"), default=timezone.now)
    # Each move counts up: calendar files carry it as SEQUENCE, so calendars replace the event.
    sequence = models.PositiveIntegerField(default=0, editable=False)
    moved_at = models.DateTimeField(_("moved at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cancelled by"),
    )
    cancel_reason = models.CharField(
        _("cancelled"), max_length=10, choices=CancelReason.choices, blank=True
    )
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    # The priority ticket check-in issued; the visit's own record lives on.
    ticket = models.OneToOneField(
        "queue.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointment",
        verbose_name=_("ticket"),
    )
    no_show_at = models.DateTimeField(_("recorded as no-show at"), null=True, blank=True)
    # Set by the one conditional UPDATE that claims the reminder; cleared when the time moves.
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)
    erased_at = models.DateTimeField(_("personal data erased"), null=True, blank=True)
    messages = models.ManyToManyField(
        "messaging.Message", blank=True, related_name="+", verbose_name=_("messages")
    )

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["location", "starts_at"], name="appointment_centre_start"),
            # The limit of future bookings per contact (skranke.booking.services.limits).
            models.Index(fields=["service", "phone"], name="appointment_service_phone"),
            models.Index(fields=["service", "email"], name="appointment_service_email"),
            models.Index(
                fields=["starts_at"],
                condition=Q(erased_at__isnull=True),
                name="appointment_erasure_due",
            ),
            # The sweeps for reminders and no-shows look only at bookings still waiting.
            models.Index(
                fields=["starts_at"],
                condition=Q(status="booked"),
                name="appointment_booked_start",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=AppointmentStatus.values), name="appointment_status_known"
            ),
            models.CheckConstraint(
                condition=Q(source__in=BookingSource.values), name="appointment_source_known"
            ),
            models.CheckConstraint(condition=Q(people__gte=1), name="appointment_people"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="appointment_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(status=AppointmentStatus.CANCELLED) | Q(cancelled_at__isnull=False),
                name="appointment_cancelled_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=AppointmentStatus.CHECKED_IN) | Q(checked_in_at__isnull=False),
                name="appointment_checked_in_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=AppointmentStatus.NO_SHOW) | Q(no_show_at__isnull=False),
                name="appointment_no_show_has_time",
            ),
            models.CheckConstraint(
                condition=Q(cancel_reason__in=["", *CancelReason.values]),
                name="appointment_cancel_reason_known",
            ),
            # Someone must be reachable, until the personal data is erased.
            models.CheckConstraint(
                condition=Q(erased_at__isnull=False) | ~Q(phone="") | ~Q(email=""),
                name="appointment_has_contact",
            ),
        ]

    def __str__(self) -> str:
        # The audit log shows this; it must say nothing about the citizen.
        return self.code

    def secret_matches(self, secret: str) -> bool:
        """Return True when ``secret`` is this appointment's link secret, or the link secret
        derived for the messages sent later (``derived_secret``)."""
        return hmac.compare_digest(self.secret_hash, secret_digest(secret)) | hmac.compare_digest(
            self.derived_secret(), secret
        )

    def derived_secret(self) -> str:
        """Return a link secret for messages sent after booking (reminder, closure notice).

        Only the digest of the secret handed out at booking is stored, so a later message cannot
        repeat it; this one is derived from the stored digest with the site's SECRET_KEY, so
        reading the database alone does not give it. A new secret (a move by staff) changes it.
        """
        mac = salted_hmac("skranke.booking.link", f"{self.code}:{self.secret_hash}")
        return base64.urlsafe_b64encode(mac.digest()[:16]).decode().rstrip("=")

    @property
    def display_code(self) -> str:
        """The code in two groups of four, as printed for people: "K7QX M2PA"."""
        return f"{self.code[:4]} {self.code[4:]}"


class Hold(models.Model):
    """A slot kept for a citizen while they fill in the form; it lapses at ``expires_at``.

    A hold takes its places in the calendar as a booking does; once expired it counts as free
    at once (the reads subtract it), and the first write near it, or the periodic job, gives
    its places back and deletes it. Booking with it deletes it and keeps its places.
    """

    token_hash = models.CharField(max_length=64, unique=True)
    location = models.ForeignKey(
        "organisation.Location", on_delete=models.CASCADE, related_name="+"
    )
    service = models.ForeignKey("catalogue.Service", on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    people = models.PositiveSmallIntegerField(default=1)
    # A keyed digest of the client's address (or device), for the limit of holds per client;
    # empty for staff, who are not limited.
    client_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["location", "expires_at"], name="hold_centre_expiry"),
            models.Index(fields=["client_key", "expires_at"], name="hold_client_expiry"),
            models.Index(fields=["expires_at"], name="hold_expiry"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="hold_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"hold {self.pk}"


class CalendarTick(models.Model):
    """How many of a centre's places are taken in one tick (5 minutes from ``starts_at``).

    Every booking and hold adds one to each tick it covers and every cancellation and released
    hold takes it away, each by a conditional statement (skranke.booking.capacity), so the
    database decides who gets the last place. ``capacity`` is the capacity in force when a place
    was last taken, and the check constraint keeps ``used`` within it.
    """

    location = models.ForeignKey(
        "organisation.Location", on_delete=models.CASCADE, related_name="+"
    )
    starts_at = models.DateTimeField()
    used = models.PositiveSmallIntegerField(default=0)
    capacity = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["location", "starts_at"], name="calendar_tick_unique"),
            models.CheckConstraint(
                condition=Q(used__lte=F("capacity")), name="calendar_tick_within_capacity"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} {self.used}/{self.capacity}"


class BookingGuard(models.Model):
    """A row a transaction locks to have a limit counted by one transaction at a time.

    ``key`` is a keyed digest of what is limited (one client's holds, one phone number's or
    e-mail address's bookings of a service), so the row holds no personal data. Old rows are
    deleted by the periodic job; a deleted key is simply made again.
    """

    key = models.CharField(max_length=64, primary_key=True)
    touched_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.key[:8]
