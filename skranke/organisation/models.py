"""The installation's municipality, its citizen service centres, their hours, counters and staff."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from skranke.lib.validators import validate_no_cpr

MIDNIGHT = dt.time(0, 0)

municipality_code_validator = RegexValidator(
    r"^\d{3}$", _("A municipality code has exactly three digits, e.g. 101 for Copenhagen.")
)
postal_code_validator = RegexValidator(r"^\d{4}$", _("A Danish postal code has four digits."))


class Municipality(models.Model):
    """The one municipality this installation serves (used in KOMHEN exports and reports)."""

    name = models.CharField(_("name"), max_length=100, validators=[validate_no_cpr])
    code = models.CharField(
        _("municipality code"),
        max_length=3,
        validators=[municipality_code_validator],
        help_text=_("The three-digit municipality number, e.g. 101 for Copenhagen."),
    )
    # A constant unique column lets the database itself refuse a second municipality.
    singleton = models.BooleanField(default=True, editable=False, unique=True)

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipality")
        constraints = [
            models.CheckConstraint(condition=Q(singleton=True), name="municipality_singleton"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class AccessibilityStatement(models.Model):
    """The installation's accessibility statement (tilgængelighedserklæring), which every
    citizen page links to. One per installation; while a text is empty the page shows Skranke's
    own statement in the reader's language."""

    text = models.TextField(
        _("statement in Danish"),
        blank=True,
        validators=[validate_no_cpr],
        help_text=_(
            "The municipality's statement, e.g. made with the Agency for Digital Government's "
            "tool at was.digst.dk. Empty: Skranke's own statement is shown."
        ),
    )
    text_en = models.TextField(
        _("statement in English"),
        blank=True,
        validators=[validate_no_cpr],
        help_text=_("Shown to visitors reading English; the Danish text when empty."),
    )
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)
    # A constant unique column lets the database itself refuse a second statement.
    singleton = models.BooleanField(default=True, editable=False, unique=True)

    class Meta:
        verbose_name = _("accessibility statement")
        verbose_name_plural = _("accessibility statement")
        constraints = [
            models.CheckConstraint(
                condition=Q(singleton=True), name="accessibility_statement_singleton"
            ),
        ]

    def __str__(self) -> str:
        return str(_("accessibility statement"))

    def display_text(self, language: str | None = None) -> str:
        """Return the statement in ``language`` (the Danish text when no English is given);
        "" when the administrator has written none."""
        if (language or "").startswith("en") and self.text_en.strip():
            return self.text_en
        return self.text


class Location(models.Model):
    """A citizen service centre (borgerservicecenter)."""

    name = models.CharField(_("name"), max_length=100, unique=True, validators=[validate_no_cpr])
    slug = models.SlugField(
        _("short name"),
        max_length=50,
        unique=True,
        validators=[validate_no_cpr],
        help_text=_("Used in addresses such as /kiosk/<short name>/; letters, digits and hyphens."),
    )
    address = models.CharField(
        _("street address"), max_length=200, blank=True, validators=[validate_no_cpr]
    )
    postal_code = models.CharField(
        _("postal code"), max_length=4, blank=True, validators=[postal_code_validator]
    )
    city = models.CharField(_("city"), max_length=100, blank=True, validators=[validate_no_cpr])
    phone = models.CharField(_("phone"), max_length=30, blank=True, validators=[validate_no_cpr])
    email = models.EmailField(_("e-mail"), blank=True, validators=[validate_no_cpr])
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    # The optional days in the holiday calendar are working days by law; each centre decides.
    open_on_may_day = models.BooleanField(
        _("open on 1 May"), default=False, help_text=_("Workers' day (Arbejdernes kampdag).")
    )
    open_on_constitution_day = models.BooleanField(
        _("open on 5 June"), default=False, help_text=_("Constitution Day (Grundlovsdag).")
    )
    open_on_christmas_eve = models.BooleanField(_("open on 24 December"), default=False)
    open_on_new_years_eve = models.BooleanField(_("open on 31 December"), default=False)
    always_open = models.BooleanField(
        _("always open (demo setting)"),
        default=False,
        help_text=_(
            "For demonstrations and tests only: the centre takes numbers around the clock, "
            "ignoring opening hours and holidays."
        ),
    )

    class Meta:
        verbose_name = _("citizen service centre")
        verbose_name_plural = _("citizen service centres")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name

    def is_open_on_optional_day(self, month: int, day: int) -> bool | None:
        """Return this centre's choice for an optional holiday, or None for other dates."""
        choices = {
            (5, 1): self.open_on_may_day,
            (6, 5): self.open_on_constitution_day,
            (12, 24): self.open_on_christmas_eve,
            (12, 31): self.open_on_new_years_eve,
        }
        return choices.get((month, day))

    @property
    def full_address(self) -> str:
        town = " ".join(part for part in (self.postal_code, self.city) if part)
        return ", ".join(part for part in (self.address, town) if part)


class HoursKind(models.TextChoices):
    ATTENDANCE = "attendance", _("personal attendance")
    TELEPHONE = "telephone", _("telephone")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


_CLOSES_AFTER_OPENS = Q(closes__gt=F("opens")) | Q(closes=MIDNIGHT)


def validate_opening_times(opens: dt.time | None, closes: dt.time | None) -> None:
    """Raise ValidationError unless ``closes`` is after ``opens`` (00:00 closes at midnight)."""
    if opens is None or closes is None:
        return
    if closes != MIDNIGHT and closes <= opens:
        raise ValidationError(
            {"closes": _("Closing time must be after opening time (use 00:00 for midnight).")}
        )


class OpeningHours(models.Model):
    """One opening interval in a centre's weekly schedule, for attendance or telephone.

    A day may have several intervals (e.g. closed for lunch); they must not overlap. A closing
    time of 00:00 means midnight at the end of the day.
    """

    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, related_name="opening_hours", verbose_name=_("centre")
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=HoursKind.choices, default=HoursKind.ATTENDANCE
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"), help_text=_("00:00 means midnight."))

    class Meta:
        verbose_name = _("weekly opening hours")
        verbose_name_plural = _("weekly opening hours")
        ordering = ["location", "kind", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(condition=_CLOSES_AFTER_OPENS, name="opening_hours_order"),
            models.UniqueConstraint(
                fields=["location", "kind", "weekday", "opens"], name="opening_hours_unique_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"

    def clean(self) -> None:
        validate_opening_times(self.opens, self.closes)


class OpeningException(models.Model):
    """A dated change to a centre's hours: closed all day, or other hours that day.

    All exceptions of one date and kind together replace that day's weekly hours, public
    holidays included: a row without times closes the centre, rows with times give the hours.
    """

    location = models.ForeignKey(
        Location,
        on_delete=models.CASCADE,
        related_name="opening_exceptions",
        verbose_name=_("centre"),
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=HoursKind.choices, default=HoursKind.ATTENDANCE
    )
    date = models.DateField(_("date"))
    opens = models.TimeField(_("opens"), null=True, blank=True, help_text=_("Empty: closed."))
    closes = models.TimeField(
        _("closes"), null=True, blank=True, help_text=_("Empty: closed. 00:00 means midnight.")
    )
    reason = models.CharField(
        _("reason"),
        max_length=200,
        blank=True,
        validators=[validate_no_cpr],
        help_text=_("Shown to citizens, e.g. 'Closed for staff training'."),
    )

    class Meta:
        verbose_name = _("dated exception")
        verbose_name_plural = _("dated exceptions")
        ordering = ["location", "date", "kind", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(opens__isnull=True) & Q(closes__isnull=True))
                | (Q(opens__isnull=False) & Q(closes__isnull=False) & _CLOSES_AFTER_OPENS),
                name="opening_exception_times",
            ),
        ]

    def __str__(self) -> str:
        if self.is_closed:
            return "{} {}".format(f"{self.date:%Y-%m-%d}", _("closed"))
        assert self.opens is not None and self.closes is not None
        return f"{self.date:%Y-%m-%d} {self.opens:%H:%M}–{self.closes:%H:%M}"

    @property
    def is_closed(self) -> bool:
        return self.opens is None

    def clean(self) -> None:
        if (self.opens is None) != (self.closes is None):
            # Tied to the missing field, so the database constraint on the same fields is not
            # also reported under its internal name.
            missing = "closes" if self.closes is None else "opens"
            raise ValidationError(
                {missing: _("Give both opening and closing time, or neither for a closed day.")}
            )
        validate_opening_times(self.opens, self.closes)


class Counter(models.Model):
    """A counter (skranke / ekspeditionsbord) where citizens are served."""

    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, related_name="counters", verbose_name=_("centre")
    )
    number = models.PositiveSmallIntegerField(
        _("number"), help_text=_("Shown on the display: 'go to counter 4'.")
    )
    name = models.CharField(_("name"), max_length=60, blank=True, validators=[validate_no_cpr])
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("counter")
        verbose_name_plural = _("counters")
        ordering = ["location", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "number"],
                name="counter_number_unique",
                violation_error_message=_("This centre already has a counter with this number."),
            ),
        ]

    def __str__(self) -> str:
        label = self.name or _("Counter %(number)s") % {"number": self.number}
        return f"{label} ({self.location})"


class TeamKind(models.TextChoices):
    FRONT = "front", _("front office")
    BACK = "back", _("back office")


class Team(models.Model):
    """A group of employees; front teams serve citizens, back teams do case work."""

    name = models.CharField(_("name"), max_length=100, unique=True, validators=[validate_no_cpr])
    kind = models.CharField(_("kind"), max_length=10, choices=TeamKind.choices)
    subject_areas = models.ManyToManyField(
        "catalogue.SubjectArea",
        blank=True,
        related_name="teams",
        verbose_name=_("subject areas"),
        help_text=_("The subject areas this team covers."),
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    COUNTER_STAFF = "counter_staff", _("counter staff")
    TEAM_LEAD = "team_lead", _("team lead")
    MANAGER = "manager", _("manager")
    ADMINISTRATOR = "administrator", _("administrator")


class StaffProfile(models.Model):
    """A staff member's role, teams and the centres they work at (none listed: all)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_profile",
        verbose_name=_("user"),
    )
    role = models.CharField(
        _("role"), max_length=20, choices=Role.choices, default=Role.COUNTER_STAFF
    )
    teams = models.ManyToManyField(
        Team, blank=True, related_name="members", verbose_name=_("teams")
    )
    locations = models.ManyToManyField(
        Location,
        blank=True,
        related_name="staff",
        verbose_name=_("centres"),
        help_text=_("Leave empty for staff who may work at every centre."),
    )

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"
