"""What citizens come for: subject areas, services, and the queues that take them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from skranke.lib.validators import validate_no_cpr

kle_code_validator = RegexValidator(
    r"^\d{2}(\.\d{2}){0,2}$", _("A KLE code looks like 05, 05.04 or 05.04.02.")
)
queue_prefix_validator = RegexValidator(
    r"^[A-ZÆØÅ]{1,3}$", _("A prefix is one to three capital letters, e.g. A or PAS.")
)

# The kiosk's own addresses under /kiosk/<centre>/ (skranke/queue/urls.py): a subject area's page
# is /kiosk/<centre>/<area>/, so an area may not take one of these words as its short name.
KIOSK_ROUTE_WORDS = frozenset({"check-in", "start", "draw", "number"})


def validate_not_kiosk_route(slug: str) -> None:
    """Raise ValidationError when ``slug`` is one of the kiosk's own addresses."""
    if slug.lower() in KIOSK_ROUTE_WORDS:
        raise ValidationError(
            _(
                "“%(slug)s” is used by the kiosk's own pages; choose another short name "
                "(not one of: %(reserved)s)."
            )
            % {"slug": slug, "reserved": ", ".join(sorted(KIOSK_ROUTE_WORDS))},
            code="kiosk_route",
        )


class BilingualName(models.Model):
    """Abstract base for catalogue entries that citizens see in Danish or English."""

    name = models.CharField(_("name (Danish)"), max_length=100, validators=[validate_no_cpr])
    name_en = models.CharField(
        _("name (English)"),
        max_length=100,
        blank=True,
        validators=[validate_no_cpr],
        help_text=_("Empty: the Danish name."),
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    def display_name(self, language: str | None = None) -> str:
        """Return the name in ``language`` (default: the active one), falling back to Danish."""
        language = language or get_language() or "da"
        if language.startswith("en") and self.name_en:
            return self.name_en
        return self.name


class SubjectArea(BilingualName):
    """A subject area (fagområde) such as passports or driving licences."""

    slug = models.SlugField(
        _("short name"),
        max_length=50,
        unique=True,
        validators=[validate_no_cpr, validate_not_kiosk_route],
    )
    kle_code = models.CharField(
        _("KLE code"),
        max_length=8,
        blank=True,
        validators=[kle_code_validator],
        help_text=_("Optional code in KL's classification (KLE), e.g. 23.05."),
    )
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("subject area")
        verbose_name_plural = _("subject areas")
        ordering = ["sort_order", "name"]
        constraints = [models.UniqueConstraint(fields=["name"], name="subject_area_name_unique")]


class Service(BilingualName):
    """One thing a citizen comes for (ydelse), in a subject area."""

    subject_area = models.ForeignKey(
        SubjectArea,
        on_delete=models.PROTECT,
        related_name="services",
        verbose_name=_("subject area"),
    )
    slug = models.SlugField(
        _("short name"), max_length=60, unique=True, validators=[validate_no_cpr]
    )
    typical_duration = models.PositiveSmallIntegerField(
        _("typical duration (minutes)"), default=10, validators=[MinValueValidator(1)]
    )
    bookable = models.BooleanField(
        _("bookable"), default=False, help_text=_("Citizens can book an appointment online.")
    )
    walk_in = models.BooleanField(
        _("walk-in"), default=True, help_text=_("Citizens can draw a number for it.")
    )
    what_to_bring = models.TextField(
        _("what to bring (Danish)"), blank=True, validators=[validate_no_cpr]
    )
    what_to_bring_en = models.TextField(
        _("what to bring (English)"), blank=True, validators=[validate_no_cpr]
    )
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["subject_area__sort_order", "sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["subject_area", "name"], name="service_name_unique"),
            models.CheckConstraint(
                condition=models.Q(typical_duration__gte=1), name="service_duration_positive"
            ),
        ]

    def display_what_to_bring(self, language: str | None = None) -> str:
        """Return what to bring in ``language``, falling back to Danish."""
        language = language or get_language() or "da"
        if language.startswith("en") and self.what_to_bring_en:
            return self.what_to_bring_en
        return self.what_to_bring


class QueueKind(models.TextChoices):
    FRONT = "front", _("front office")
    BACK = "back", _("back office")


class Queue(BilingualName):
    """A line at one centre, with a number prefix, that takes some services."""

    location = models.ForeignKey(
        "organisation.Location",
        on_delete=models.CASCADE,
        related_name="queues",
        verbose_name=_("centre"),
    )
    prefix = models.CharField(
        _("number prefix"),
        max_length=3,
        validators=[queue_prefix_validator],
        help_text=_("Numbers in this queue read e.g. A001."),
    )
    kind = models.CharField(
        _("kind"),
        max_length=10,
        choices=QueueKind.choices,
        default=QueueKind.FRONT,
        help_text=_("Back-office queues take transfers from the counters, not new numbers."),
    )
    services = models.ManyToManyField(
        Service, blank=True, related_name="queues", verbose_name=_("services")
    )
    daily_quota = models.PositiveIntegerField(
        _("daily ticket quota"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Most numbers issued per day; empty for no limit."),
    )
    cutoff_minutes = models.PositiveSmallIntegerField(
        _("last number before closing (minutes)"),
        default=0,
        help_text=_("No new numbers this many minutes before the centre closes."),
    )
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        ordering = ["location", "sort_order", "prefix"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "prefix"],
                name="queue_prefix_unique",
                violation_error_message=_("This centre already has a queue with this prefix."),
            ),
            models.UniqueConstraint(
                fields=["location", "name"],
                name="queue_name_unique",
                violation_error_message=_("This centre already has a queue with this name."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix} – {self.name} ({self.location})"
