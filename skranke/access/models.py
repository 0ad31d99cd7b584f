"""Device accounts for kiosks and screens, and API tokens for staff and integrations.

Secrets (pairing tokens, device credentials, API tokens) are long random strings; only their
SHA-256 digests are stored, so a copy of the database cannot be used to sign in.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from skranke.lib.validators import validate_no_cpr
from skranke.organisation.models import Location


class DevicePurpose(models.TextChoices):
    KIOSK = "kiosk", _("kiosk")
    DISPLAY = "display", _("display screen")
    COUNTER_SCREEN = "counter_screen", _("counter screen")


class DeviceAccount(models.Model):
    """A kiosk, display or counter screen signed in for one purpose at one centre."""

    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, related_name="devices", verbose_name=_("centre")
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=DevicePurpose.choices)
    name = models.CharField(
        _("name"),
        max_length=100,
        validators=[validate_no_cpr],
        help_text=_("Where it stands, e.g. 'Kiosk by the entrance'."),
    )
    counter = models.ForeignKey(
        "organisation.Counter",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="devices",
        verbose_name=_("counter"),
        help_text=_("For a counter screen: the counter it belongs to."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    pairing_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    pairing_expires_at = models.DateTimeField(_("pairing link expires"), null=True, editable=False)
    credential_hash = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    paired_at = models.DateTimeField(_("paired"), null=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, editable=False)
    # Set by the one sweep that e-mails the team leads about this outage, emptied when the device
    # is heard from again (skranke.access.services), so each outage is reported once.
    offline_alert_sent_at = models.DateTimeField(_("offline alert sent"), null=True, editable=False)

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["location", "purpose", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["pairing_token_hash"],
                condition=~Q(pairing_token_hash=""),
                name="device_pairing_token_unique",
            ),
            models.UniqueConstraint(
                fields=["location", "name"],
                name="device_name_unique",
                violation_error_message=_("This centre already has a device with this name."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_purpose_display()}, {self.location})"

    @property
    def is_active(self) -> bool:
        """A device may act once paired and until revoked."""
        return bool(self.credential_hash) and self.revoked_at is None


class ApiToken(models.Model):
    """A bearer token for the JSON API, acting as its staff member."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(
        _("name"),
        max_length=100,
        validators=[validate_no_cpr],
        help_text=_("What it is for, e.g. 'Statistics export'."),
    )
    prefix = models.CharField(_("starts with"), max_length=12, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class RateLimitWindow(models.Model):
    """The requests one requester made in one window of a rate limit (skranke.access.ratelimit).

    Counted by one upsert per request, so parallel requests cannot both read the same count;
    rows of ended windows are deleted by a periodic job (skranke.access.jobs).
    """

    # "<scope>:<count>/<seconds>:<requester>", e.g. "anonymous:60/60:address:192.0.2.1".
    key = models.CharField(max_length=255, editable=False)
    ends_at = models.DateTimeField(editable=False)
    requests = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        constraints = [
            # The conflict target of the counting upsert.
            models.UniqueConstraint(fields=["key", "ends_at"], name="rate_limit_window_unique")
        ]
        indexes = [models.Index(fields=["ends_at"], name="rate_limit_window_ends_at")]

    def __str__(self) -> str:
        return f"{self.key} until {self.ends_at:%Y-%m-%d %H:%M:%S}: {self.requests}"
