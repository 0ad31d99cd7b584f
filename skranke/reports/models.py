"""Service goals (servicemål): what a centre promises its citizens, valid from a date.

A goal applies to one centre, or to one queue there; a queue's own goal of a kind takes the
place of the centre's for that queue. The goal in force on a day is the one of its kind and
scope with the latest ``valid_from`` on or before that day (DESIGN.md, Definitions: within goal).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class GoalKind(models.TextChoices):
    CALLED_WITHIN = "called_within", _("share called within a number of minutes")
    MEAN_WAIT = "mean_wait", _("mean wait at most a number of minutes")


class ServiceGoal(models.Model):
    """E.g. "80 % called within 10 minutes" or "mean wait at most 8 minutes"."""

    location = models.ForeignKey(
        "organisation.Location",
        on_delete=models.CASCADE,
        related_name="service_goals",
        verbose_name=_("centre"),
    )
    queue = models.ForeignKey(
        "catalogue.Queue",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="service_goals",
        verbose_name=_("queue"),
        help_text=_("Leave empty for a goal for the whole centre."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=GoalKind.choices)
    minutes = models.PositiveSmallIntegerField(
        _("minutes"), validators=[MinValueValidator(1), MaxValueValidator(600)]
    )
    target_percent = models.PositiveSmallIntegerField(
        _("target (%)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("For a share called within the minutes, e.g. 80; empty for a mean wait."),
    )
    valid_from = models.DateField(_("valid from"))

    class Meta:
        verbose_name = _("service goal")
        verbose_name_plural = _("service goals")
        ordering = ["location", "queue", "kind", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "kind", "valid_from"],
                condition=Q(queue__isnull=True),
                name="service_goal_centre_unique",
            ),
            models.UniqueConstraint(
                fields=["queue", "kind", "valid_from"],
                condition=Q(queue__isnull=False),
                name="service_goal_queue_unique",
            ),
            models.CheckConstraint(
                condition=Q(kind="mean_wait", target_percent__isnull=True)
                | Q(kind="called_within", target_percent__isnull=False),
                name="service_goal_target_fits_kind",
            ),
        ]

    def __str__(self) -> str:
        return str(self.name)

    @property
    def name(self) -> str:
        """The goal as a manager says it, e.g. "80 % called within 10 minutes"."""
        if self.kind == GoalKind.CALLED_WITHIN:
            text = _("%(percent)s %% called within %(minutes)s minutes") % {
                "percent": self.target_percent,
                "minutes": self.minutes,
            }
        else:
            text = _("mean wait at most %(minutes)s minutes") % {"minutes": self.minutes}
        if self.queue is not None:
            return f"{text} ({self.queue.name})"
        return str(text)

    def clean(self) -> None:
        if self.queue is not None and self.queue.location_id != self.location_id:
            raise ValidationError({"queue": _("Choose a queue at this centre.")})
        if self.kind == GoalKind.CALLED_WITHIN and self.target_percent is None:
            raise ValidationError({"target_percent": _("Give the share to reach, e.g. 80.")})
        if self.kind == GoalKind.MEAN_WAIT and self.target_percent is not None:
            raise ValidationError(
                {"target_percent": _("A goal for the mean wait has no share; leave it empty.")}
            )
