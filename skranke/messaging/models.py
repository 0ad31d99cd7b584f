"""E-mails and text messages to citizens, kept for statistics after their personal data goes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    SMS = "sms", _("SMS")


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("waiting to be sent")
    SENDING = "sending", _("being sent")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


def default_language() -> str:
    # A callable rather than the value, so a site with SKRANKE_LANGUAGE=en needs no migration.
    return str(settings.LANGUAGE_CODE)


class Message(models.Model):
    """One e-mail or SMS to one recipient, sent once by a background job.

    ``recipient``, ``subject`` and ``body`` are personal data: they are blanked at
    ``purge_after`` (SKRANKE_MESSAGE_RETENTION_DAYS after creation), and the row stays for
    statistics. See skranke.messaging.services for how a message is sent exactly once.
    """

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    recipient = models.CharField(
        _("recipient"),
        max_length=254,
        blank=True,
        help_text=_("E-mail address or phone number (+45…); blanked after the retention period."),
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=default_language
    )
    status = models.CharField(
        _("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    purge_after = models.DateTimeField(_("personal data deleted after"))
    purged_at = models.DateTimeField(_("personal data deleted"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["purge_after"],
                condition=Q(purged_at__isnull=True),
                name="message_purge_due",
            ),
            models.Index(fields=["created_at"], name="message_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=MessageStatus.values), name="message_status_known"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="message_channel_known"
            ),
            models.CheckConstraint(
                condition=~Q(status=MessageStatus.SENT) | Q(sent_at__isnull=False),
                name="message_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} #{self.pk} ({self.get_status_display()})"

    @property
    def masked_recipient(self) -> str:
        """Return enough of the recipient to tell messages apart, e.g. "+45 •••• ••78"."""
        if self.purged_at is not None or not self.recipient:
            return "—"
        if self.channel == Channel.SMS:
            return f"+45 •••• ••{self.recipient[-2:]}"
        local, _at, domain = self.recipient.partition("@")
        return f"{local[:1]}•••@{domain}"
