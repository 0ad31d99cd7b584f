"""Builders for the staff day view's tests: appointments of a day booked through the engine,
checked in as the kiosk will (a priority ticket issued through the queue engine), and their
tickets driven through the queue's transitions to each state."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.utils import timezone

from skranke.booking.models import Appointment, AppointmentStatus
from skranke.booking.services import book
from skranke.booking.tests.factories import BookingCentre, citizen
from skranke.queue import services as queue
from skranke.queue.models import CounterSession, Outcome, Priority, Source, Ticket

__all__ = ["book_at", "call", "check_in", "mark_no_show_at_booking", "serve", "ticket_no_show"]

_numbers = iter(range(1, 10_000))


def book_at(booking: BookingCentre, start: dt.datetime, **contact: str) -> Appointment:
    """Book the centre's passports at ``start`` (a day before it, so any time of that day is
    still free), without a confirmation message."""
    number = next(_numbers)
    booked = book(
        booking.location,
        booking.passport,
        start,
        citizen(number, **contact),
        send_confirmation=False,
        now=start - dt.timedelta(days=1),
    )
    return booked.appointment


def check_in(appointment: Appointment, now: dt.datetime | None = None) -> Ticket:
    """Check ``appointment`` in as the kiosk does: a priority ticket waiting from the later of
    now and the booked time, linked to the booking."""
    now = now or timezone.now()
    ticket = queue.issue_ticket(
        appointment.location,
        appointment.service,
        source=Source.APPOINTMENT,
        priority=Priority.APPOINTMENT,
        waiting_since=max(now, appointment.starts_at),
        now=now,
    )
    Appointment.objects.filter(pk=appointment.pk).update(
        status=AppointmentStatus.CHECKED_IN, checked_in_at=now, ticket=ticket
    )
    appointment.refresh_from_db()
    return ticket


def call(session: CounterSession, ticket: Ticket, staff: User) -> Ticket:
    return queue.call_ticket(session, ticket, staff)


def serve(session: CounterSession, ticket: Ticket, staff: User) -> Ticket:
    call(session, ticket, staff)
    return queue.finish(ticket, staff, outcome=Outcome.RESOLVED_FIRST_CONTACT)


def ticket_no_show(session: CounterSession, ticket: Ticket, staff: User) -> Ticket:
    """Call ``ticket``, recall it and mark it a no-show at the counter."""
    call(session, ticket, staff)
    queue.recall(ticket, staff)
    return queue.mark_no_show(ticket, staff)


def mark_no_show_at_booking(appointment: Appointment, now: dt.datetime | None = None) -> None:
    """Record the booking as a no-show, as the sweep does when its check-in window closes."""
    Appointment.objects.filter(pk=appointment.pk).update(
        status=AppointmentStatus.NO_SHOW, no_show_at=now or timezone.now()
    )
    appointment.refresh_from_db()
