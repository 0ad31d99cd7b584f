"""What a report is asked for: which centres, which dates, and an optional goal override.

The CLI (`skranke report`) and the API (`GET /api/v1/reports`) both turn their arguments into
a ReportQuery here, so both refuse the same bad input with the same message.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from skranke.organisation.models import Location


@dataclass(frozen=True)
class ReportQuery:
    """One report's question.

    ``location_ids`` are the centres asked for (all the caller may see with ``all_locations``,
    which also keys queues by "centre-slug/name"); ``date_from`` and ``date_to`` are local
    dates, both included; ``goal_minutes`` overrides the service goals in force for
    ``wait_minutes.within_goal_share``.
    """

    location_ids: tuple[int, ...]
    all_locations: bool
    date_from: dt.date
    date_to: dt.date
    goal_minutes: int | None = None


# The longest period one report reads: ten years of visit records (and as many again for the
# year-earlier comparison) is a bounded query that still covers any trend a manager asks about.
MAX_PERIOD_YEARS = 10
GOAL_MINUTES_RANGE = (1, 600)
# Dates outside these years are typing mistakes, and the year-earlier comparison and the
# conversion to UTC instants must stay inside what `datetime` can represent.
DATE_RANGE = (dt.date(1900, 1, 1), dt.date(2999, 12, 31))
ALL_LOCATIONS = "all"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_WHOLE_NUMBER = re.compile(r"\d{1,9}", re.ASCII)
# Location.slug is a SlugField: ASCII letters, digits, hyphens and underscores.
_SLUG = re.compile(r"[-a-zA-Z0-9_]+", re.ASCII)


class ReportQueryRefused(Exception):
    """A report question that cannot be answered; ``code`` is stable, ``message`` is for people
    (one line, translated)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(message)


class LocationNotAllowed(ReportQueryRefused):
    """The centre exists but is not one the caller may read statistics for (the API: 403)."""


def parse_report_query(
    location: str,
    date_from: str,
    date_to: str,
    goal_minutes: str | int | None = None,
    *,
    allowed_location_ids: frozenset[int] | None = None,
) -> ReportQuery:
    """Return the ReportQuery that the CLI's or the API's arguments ask for.

    ``location`` is an active centre's slug or "all" (every active centre among
    ``allowed_location_ids``; None allows every centre). Dates are written YYYY-MM-DD, both
    included, the period at most MAX_PERIOD_YEARS long; ``goal_minutes`` is empty or a whole
    number within GOAL_MINUTES_RANGE. Raises LocationNotAllowed for a centre outside
    ``allowed_location_ids`` and ReportQueryRefused for anything else wrong, checked in that
    order: centre, start date, end date, period, goal.
    """
    location_ids, all_locations = _locations(location, allowed_location_ids)
    first = _date(date_from, _("start date (from)"))
    last = _date(date_to, _("end date (to)"))
    if last < first:
        raise ReportQueryRefused(
            "dates_reversed",
            _("The end date (to) %(to)s is before the start date (from) %(from)s.")
            % {"to": last.isoformat(), "from": first.isoformat()},
        )
    if last >= _years_later(first, MAX_PERIOD_YEARS):
        raise ReportQueryRefused(
            "period_too_long",
            _("The period is longer than %(years)d years; ask for a shorter one.")
            % {"years": MAX_PERIOD_YEARS},
        )
    return ReportQuery(
        location_ids=location_ids,
        all_locations=all_locations,
        date_from=first,
        date_to=last,
        goal_minutes=_goal_minutes(goal_minutes),
    )


def _locations(
    location: str, allowed_location_ids: frozenset[int] | None
) -> tuple[tuple[int, ...], bool]:
    active = Location.objects.filter(active=True)
    if location == ALL_LOCATIONS:
        if allowed_location_ids is not None:
            active = active.filter(pk__in=allowed_location_ids)
        return tuple(active.order_by("pk").values_list("pk", flat=True)), True
    # Anything but a slug names no centre, and is not sent to the database (PostgreSQL cannot
    # even compare text holding NUL).
    found = active.filter(slug=location).first() if _is_slug(location) else None
    if found is None:
        raise ReportQueryRefused(
            "unknown_location",
            _('No active centre is called "%(location)s"; give a centre\'s slug or "all".')
            % {"location": _shown(location)},
        )
    if allowed_location_ids is not None and found.pk not in allowed_location_ids:
        raise LocationNotAllowed(
            "location_not_allowed",
            _('You may not read the statistics of the centre "%(location)s".')
            % {"location": found.slug},
        )
    return (found.pk,), False


def _date(text: str, label: str) -> dt.date:
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(text)
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ReportQueryRefused(
            "bad_date",
            _('The %(label)s "%(value)s" is not a date written YYYY-MM-DD, e.g. 2025-01-31.')
            % {"label": label, "value": _shown(text)},
        ) from None
    if not DATE_RANGE[0] <= day <= DATE_RANGE[1]:
        raise ReportQueryRefused(
            "date_out_of_range",
            _("The %(label)s %(value)s is not between %(first)s and %(last)s.")
            % {
                "label": label,
                "value": day.isoformat(),
                "first": DATE_RANGE[0].isoformat(),
                "last": DATE_RANGE[1].isoformat(),
            },
        )
    return day


def _goal_minutes(value: str | int | None) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        minutes = None
    elif isinstance(value, int):
        minutes = value
    else:
        minutes = int(value) if _WHOLE_NUMBER.fullmatch(value) else None
    low, high = GOAL_MINUTES_RANGE
    if minutes is None or not low <= minutes <= high:
        raise ReportQueryRefused(
            "bad_goal_minutes",
            _("The goal (goal minutes) must be a whole number of minutes from %(low)d to %(high)d.")
            % {"low": low, "high": high},
        )
    return minutes


def _years_later(day: dt.date, years: int) -> dt.date:
    """Return the same date ``years`` later (29 February becomes 1 March)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


def _is_slug(text: str) -> bool:
    return _SLUG.fullmatch(text) is not None


def _shown(text: str) -> str:
    """Return ``text`` fit to quote in a one-line message: printable and at most 40 characters."""
    printable = "".join(character if character.isprintable() else "?" for character in text)
    return printable if len(printable) <= 40 else printable[:39] + "…"
