"""Appointment figures: the bookings for a time in a period by what became of them, and the
appointment no-show rate, overall and per centre, service and month.

They are read from the bookings themselves (skranke.booking's Appointment rows), not from visit
records: a booking nobody came for, or one cancelled, never became a visit. A booking counts on
the local date of its booked time (``starts_at``), in the centre and for the service it was
booked for, whenever it was made, moved or cancelled. Only what is not personal is read (centre,
service, time, status, cancel reason), so erasing the contact details after the retention
changes no figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncMonth

from skranke.booking.models import Appointment, AppointmentStatus, CancelReason
from skranke.lib.localtime import end_of_local_day, local_zone, start_of_local_day
from skranke.reports.kpi.counts import Share, month_label
from skranke.reports.kpi.filters import VisitFilter

# A VisitFilter's limits that have no meaning for a booking: it has no queue until it is checked
# in (the visit counts there), no team (the visit's is the session that finished it), and its
# source is how it was booked, not a visit's source.
NOT_FOR_APPOINTMENTS = ("queue_id", "team_id", "source")


@dataclass(frozen=True)
class AppointmentCounts:
    """Bookings for a time in a period: ``booked`` is every one of them, whatever became of it,
    so it also holds those still booked (a time to come, or one whose check-in window is still
    open); ``cancelled`` is split by reason in ``cancelled_by`` (every CancelReason present)."""

    booked: int = 0
    checked_in: int = 0
    no_show: int = 0
    cancelled: int = 0
    cancelled_by: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(CancelReason.values, 0)
    )

    def __add__(self, other: AppointmentCounts) -> AppointmentCounts:
        return AppointmentCounts(
            booked=self.booked + other.booked,
            checked_in=self.checked_in + other.checked_in,
            no_show=self.no_show + other.no_show,
            cancelled=self.cancelled + other.cancelled,
            cancelled_by={
                reason: count + other.cancelled_by.get(reason, 0)
                for reason, count in self.cancelled_by.items()
            },
        )

    @property
    def no_show_rate(self) -> Share:
        """No-shows ÷ (checked in + no-shows): of the bookings whose check-in window has closed
        and that were not cancelled, the share nobody came for (no fraction when there are
        none)."""
        return Share(self.no_show, self.checked_in + self.no_show)

    def values(self) -> dict[str, int | Fraction | None]:
        """Return the single figures by name, as the year-on-year change compares them."""
        return {
            "booked": self.booked,
            "checked_in": self.checked_in,
            "no_show": self.no_show,
            "cancelled": self.cancelled,
            "no_show_rate": self.no_show_rate.fraction,
        }


def _counts_of(status: str, cancel_reason: str, count: int) -> AppointmentCounts:
    cancelled_by = dict.fromkeys(CancelReason.values, 0)
    if status == AppointmentStatus.CANCELLED and cancel_reason in cancelled_by:
        cancelled_by[cancel_reason] = count
    return AppointmentCounts(
        booked=count,
        checked_in=count if status == AppointmentStatus.CHECKED_IN else 0,
        no_show=count if status == AppointmentStatus.NO_SHOW else 0,
        cancelled=count if status == AppointmentStatus.CANCELLED else 0,
        cancelled_by=cancelled_by,
    )


@dataclass(frozen=True)
class AppointmentFigures:
    """A period's bookings in total, per centre id, per service id (both only those that
    occur) and per month ("YYYY-MM", every month the period touches)."""

    total: AppointmentCounts
    by_centre: dict[int, AppointmentCounts]
    by_service: dict[int, AppointmentCounts]
    by_month: dict[str, AppointmentCounts]


def bookings(visit_filter: VisitFilter) -> QuerySet[Appointment]:
    """Return the bookings ``visit_filter`` counts: booked for a time on a local date of its
    period, at its centres, for a service of its subject area (the booked service's; a visit's
    may be recorded otherwise when it is finished). Raises ValueError for a filter by queue,
    team or source (NOT_FOR_APPOINTMENTS), which a booking cannot be counted by."""
    limited = [name for name in NOT_FOR_APPOINTMENTS if getattr(visit_filter, name) is not None]
    if limited:
        raise ValueError(f"appointments cannot be counted by {limited[0]!r}")
    if visit_filter.is_empty:
        return Appointment.objects.none()
    found = Appointment.objects.filter(
        starts_at__gte=start_of_local_day(visit_filter.date_from),
        starts_at__lt=end_of_local_day(visit_filter.date_to),
    )
    if visit_filter.location_ids is not None:
        found = found.filter(location_id__in=visit_filter.location_ids)
    if visit_filter.subject_area_id is not None:
        found = found.filter(service__subject_area_id=visit_filter.subject_area_id)
    return found


def appointment_figures(visit_filter: VisitFilter) -> AppointmentFigures:
    """Return the bookings of ``visit_filter`` (see ``bookings``) by what became of them, in
    total and per centre, service and month.

    One statement, grouped by centre, service, local month, status and cancel reason (a few
    rows per centre, service and month), added up here; none for an empty period. Raises
    ValueError for a filter by queue, team or source.
    """
    rows: list[dict[str, Any]] = list(
        bookings(visit_filter)
        .annotate(month=TruncMonth("starts_at", tzinfo=local_zone()))
        .values("location_id", "service_id", "month", "status", "cancel_reason")
        .annotate(count=Count("pk"))
        .order_by()
    )
    total = AppointmentCounts()
    by_centre: dict[int, AppointmentCounts] = {}
    by_service: dict[int, AppointmentCounts] = {}
    by_month = {month_label(day): AppointmentCounts() for day in visit_filter.days()}
    for row in rows:
        counts = _counts_of(row["status"], row["cancel_reason"], row["count"])
        total += counts
        centre, service = row["location_id"], row["service_id"]
        by_centre[centre] = by_centre.get(centre, AppointmentCounts()) + counts
        by_service[service] = by_service.get(service, AppointmentCounts()) + counts
        month = month_label(row["month"].astimezone(local_zone()).date())
        by_month[month] = by_month.get(month, AppointmentCounts()) + counts
    return AppointmentFigures(
        total=total, by_centre=by_centre, by_service=by_service, by_month=by_month
    )
