"""The report API's parameters, its answer (the object `skranke report` prints) and its
refusals, as the OpenAPI document describes them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict

from skranke.reports.models import GoalKind
from skranke.reports.query import GOAL_MINUTES_RANGE, MAX_PERIOD_YEARS


def _goal_minutes_schema(schema: dict[str, Any]) -> None:
    # Taken as text, so that "abc" is refused by parse_report_query with the message the CLI
    # gives, but documented as what the server accepts: a whole number in the range.
    low, high = GOAL_MINUTES_RANGE
    description = schema.get("description", "")
    schema.clear()
    schema.update({"type": "integer", "minimum": low, "maximum": high, "description": description})


class ReportParameters(Schema):
    """The query string of GET /api/v1/reports; parse_report_query checks it, as for the CLI."""

    location: str = Field(
        description='A centre\'s slug, or "all" for every active centre the caller may see'
    )
    # Text, not dates: a malformed date is refused by parse_report_query, as in the CLI.
    date_from: str = Field(
        alias="from",
        description="The first day of the period, YYYY-MM-DD (local date)",
        json_schema_extra={"format": "date"},
    )
    date_to: str = Field(
        alias="to",
        description=(
            f"The last day of the period, included, YYYY-MM-DD; at most {MAX_PERIOD_YEARS} "
            "years after `from`"
        ),
        json_schema_extra={"format": "date"},
    )
    goal_minutes: str | None = Field(
        None,
        description=(
            "Count waits of at most this many minutes as within goal, instead of the service "
            "goals in force on each day"
        ),
        json_schema_extra=_goal_minutes_schema,
    )


class ErrorOut(Schema):
    detail: str


class ReportRefusalOut(Schema):
    """422: one argument is wrong; `code` is stable (e.g. `dates_reversed`, `bad_date`)."""

    detail: str
    code: str


class ReportInputErrorOut(Schema):
    """422: a parameter is missing, one entry (loc, msg, type) per problem."""

    detail: list[dict[str, Any]]


# The answer: what skranke.reports.report.build_report returns, key for key. The API passes the
# engine's object on as it is; these schemas describe it (forbidding keys they do not name, so
# a test fails when the two part) — see docs/reports.md for the units.

Counts = dict[str, int]


class _Described(Schema):
    model_config = ConfigDict(extra="forbid")


class PeriodOut(_Described):
    date_from: dt.date = Field(alias="from")
    date_to: dt.date = Field(alias="to")
    days: int


class CentreOut(_Described):
    slug: str
    name: str


class VisitsOut(_Described):
    total: int
    served: int
    no_show: int
    cancelled: int
    by_subject_area: Counts = Field(description="Subject area name → visits, most first")
    by_queue: Counts = Field(
        description='Queue name (one centre) or "centre-slug/name" (all) → visits, most first'
    )
    by_team: Counts = Field(description="Team name → visits, most first; no team left out")
    by_hour: Counts = Field(description='"00".."23" (local hour of issue) → visits')
    by_weekday: Counts = Field(description='"monday".."sunday" → visits')
    by_month: Counts = Field(description='"YYYY-MM" → visits, every month of the period')
    by_week: Counts = Field(description='ISO week "YYYY-Www" → visits, every week of the period')
    by_day: Counts = Field(description='"YYYY-MM-DD" → visits, every day of the period')


class MinutesOut(_Described):
    mean: float | None
    median: float | None
    p90: float | None
    max: float | None
    count: int = Field(description="The visits the figures are over")


class WaitMinutesOut(MinutesOut):
    within_goal_share: float | None = Field(
        description="Called visits with a wait within the goal ÷ called visits (0..1)"
    )


class ByAppointmentOut(_Described):
    visits: int
    wait_minutes: MinutesOut
    service_minutes: MinutesOut


class CancelledByOut(_Described):
    citizen: int
    staff: int
    closure: int = Field(description="Cancelled because the centre closed or shortened its hours")


class BookingCountsOut(_Described):
    """Bookings for a time in the period (local date of the booked time) by what became of
    them."""

    booked: int = Field(
        description="Every booking for a time in the period, whatever became of it (those still "
        "booked too)"
    )
    checked_in: int
    no_show: int = Field(description="Nobody checked in before the check-in window closed")
    cancelled: int
    cancelled_by: CancelledByOut
    no_show_rate: float | None = Field(
        description="no_show ÷ (checked_in + no_show) (0..1); null when both are 0"
    )


class AppointmentsOut(ByAppointmentOut, BookingCountsOut):
    """The visits that came by appointment, and the bookings for a time in the period."""

    by_centre: dict[str, BookingCountsOut] = Field(
        description="Centre slug → bookings, every centre of the report"
    )
    by_service: dict[str, BookingCountsOut] = Field(
        description="Service name → bookings, the services booked, most bookings first"
    )
    by_month: dict[str, BookingCountsOut] = Field(
        description='"YYYY-MM" → bookings, every month of the period'
    )


class FirstContactResolutionOut(_Described):
    served: int
    share: float | None = Field(description="Served visits solved at first contact (0..1)")
    outcomes: dict[str, float | None] = Field(description="Outcome → share of served visits")


class LongestWaitingOut(_Described):
    name: str
    wait_minutes: MinutesOut


class GoalOut(_Described):
    name: str
    target: float = Field(description="A share (0..1) or, for a mean wait, minutes")
    value: float | None
    met: bool | None
    kind: GoalKind
    minutes: int
    centre: str
    queue: str | None
    valid_from: dt.date
    date_from: dt.date = Field(alias="from", description="First day of the period it covered")
    date_to: dt.date = Field(alias="to", description="Last day of the period it covered")
    called: int


class PreviousYearVisitsOut(_Described):
    total: int
    served: int
    no_show: int
    cancelled: int
    by_subject_area: Counts
    by_month: Counts


class PreviousYearOut(_Described):
    period: PeriodOut
    visits: PreviousYearVisitsOut
    wait_minutes: WaitMinutesOut
    service_minutes: MinutesOut
    first_contact_resolution: float | None
    appointments: BookingCountsOut


class MinutesChangeOut(_Described):
    mean: float | None
    median: float | None
    p90: float | None
    max: float | None


class WaitChangeOut(MinutesChangeOut):
    within_goal_share: float | None


class BookingChangeOut(_Described):
    booked: float | None
    checked_in: float | None
    no_show: float | None
    cancelled: float | None
    no_show_rate: float | None


class ChangePercentOut(_Described):
    visits: float | None
    served: float | None
    no_show: float | None
    cancelled: float | None
    appointments: float | None
    walk_ins: float | None
    wait_minutes: WaitChangeOut
    service_minutes: MinutesChangeOut
    first_contact_resolution: float | None
    bookings: BookingChangeOut = Field(
        description="The change of appointments.{booked, checked_in, no_show, cancelled, "
        "no_show_rate}"
    )


class ReportOut(_Described):
    """The statistics of a period: minutes with one decimal, shares as fractions of 1, changes
    in % against the same dates a year earlier; null where a figure cannot be computed."""

    period: PeriodOut
    centres: list[CentreOut]
    visits: VisitsOut
    wait_minutes: WaitMinutesOut
    service_minutes: MinutesOut
    appointments: AppointmentsOut
    walk_ins: ByAppointmentOut
    first_contact_resolution: FirstContactResolutionOut
    longest_waiting_subject_areas: list[LongestWaitingOut]
    goals: list[GoalOut]
    previous_year: PreviousYearOut
    change_percent: ChangePercentOut
