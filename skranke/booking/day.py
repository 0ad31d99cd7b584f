"""A centre's appointments of one local day with where each stands, for the staff day view.

A booking's own status says whether it is booked, checked in, a no-show (nobody checked in in
time) or cancelled; once checked in, what happens next is its ticket's (skranke.queue): waiting,
at a counter, served, a no-show at the counter or cancelled. ``DayState`` joins the two into
the one state the staff see:

- booked: not checked in (yet);
- checked in: its ticket waits (also after a no-show at the counter was reinstated);
- called: its ticket is at a counter (called or being served) or parked there;
- served: its ticket was finished;
- no-show: the booking's status is no_show, or its ticket ended as a no-show;
- cancelled: the booking was cancelled, or its ticket was (by staff, by the citizen, or never
  called before closing), with the reason.

A checked-in booking whose ticket was purged (the link is set to null) counts as checked in.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from skranke.booking.models import Appointment, AppointmentStatus, CancelReason
from skranke.lib.localtime import end_of_local_day, start_of_local_day
from skranke.organisation.models import Location
from skranke.queue.models import AT_COUNTER, Ticket, TicketStatus
from skranke.queue.models import CancelReason as TicketCancelReason


class DayState(models.TextChoices):
    BOOKED = "booked", _("booked")
    CHECKED_IN = "checked_in", _("checked in")
    CALLED = "called", _("called")
    SERVED = "served", _("served")
    NO_SHOW = "no_show", _("no-show")
    CANCELLED = "cancelled", _("cancelled")


# Why a checked-in visit was cancelled, in the words used for a cancelled booking.
_TICKET_CANCEL_REASONS: dict[str, Promise] = {
    TicketCancelReason.CITIZEN: CancelReason.CITIZEN.label,
    TicketCancelReason.STAFF: CancelReason.STAFF.label,
    TicketCancelReason.CLOSED: TicketCancelReason.CLOSED.label,
}


@dataclass(frozen=True)
class DayAppointment:
    """One appointment of the day: the booking (with its service and ticket read along), its
    state and, for a cancelled one, why (empty when not known)."""

    appointment: Appointment
    state: DayState
    cancel_reason: str | Promise = ""

    @property
    def ticket(self) -> Ticket | None:
        return self.appointment.ticket


@dataclass
class AppointmentDay:
    """A centre's appointments of ``day`` in time order, and how many are in each state."""

    location: Location
    day: dt.date
    appointments: list[DayAppointment] = field(default_factory=list)

    @property
    def counts(self) -> list[tuple[DayState, int]]:
        """Every state with its number of appointments, in DayState's order (zeros included)."""
        counted = Counter(entry.state for entry in self.appointments)
        return [(state, counted[state]) for state in DayState]

    @property
    def total(self) -> int:
        return len(self.appointments)


def day_state(appointment: Appointment) -> tuple[DayState, str | Promise]:
    """Return the state of ``appointment`` as the day view shows it, with the cancel reason.

    Reads ``appointment.ticket``: select it along (``select_related("ticket")``).
    """
    status = appointment.status
    if status == AppointmentStatus.CANCELLED:
        reason = appointment.get_cancel_reason_display() if appointment.cancel_reason else ""
        return DayState.CANCELLED, reason
    if status == AppointmentStatus.NO_SHOW:
        return DayState.NO_SHOW, ""
    if status == AppointmentStatus.BOOKED:
        return DayState.BOOKED, ""
    ticket = appointment.ticket
    if ticket is None or ticket.status == TicketStatus.WAITING:
        return DayState.CHECKED_IN, ""
    if ticket.status in AT_COUNTER or ticket.status == TicketStatus.PARKED:
        return DayState.CALLED, ""
    if ticket.status == TicketStatus.FINISHED:
        return DayState.SERVED, ""
    if ticket.status == TicketStatus.NO_SHOW:
        return DayState.NO_SHOW, ""
    return DayState.CANCELLED, _TICKET_CANCEL_REASONS.get(ticket.cancel_reason, "")


def appointments_of_day(location: Location, day: dt.date) -> AppointmentDay:
    """Return ``location``'s appointments starting on the local date ``day``, by start time,
    each with its state; in one query, whatever their number."""
    appointments = (
        Appointment.objects.filter(
            location=location,
            starts_at__gte=start_of_local_day(day),
            starts_at__lt=end_of_local_day(day),
        )
        .select_related("service", "ticket", "ticket__counter")
        .order_by("starts_at", "id")
    )
    entries = []
    for appointment in appointments:
        state, reason = day_state(appointment)
        entries.append(DayAppointment(appointment, state, reason))
    return AppointmentDay(location, day, entries)
