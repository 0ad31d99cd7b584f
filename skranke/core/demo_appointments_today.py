"""Today's appointments at the demo's around-the-clock centre, one in every state a booking can
be in during its day: served, called to a counter, checked in and waiting, a no-show, cancelled,
and still booked for later. Each is made through the engines (booking, check-in, the queue's
calls and finish, the no-show sweep) with the clock set to when it would have happened, so the
staff day view and the live floor show what a real morning leaves behind.

Made once a day: when the centre already has a booking of today that is no longer just booked,
nothing is added. Near midnight, only what fits into today is made.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.utils import timezone

from skranke.booking.errors import BookingError
from skranke.booking.models import Appointment, AppointmentStatus
from skranke.booking.services import (
    book,
    cancel_appointment,
    check_in,
    clean_contact,
    free_slots,
    record_no_shows,
)
from skranke.catalogue.models import QueueKind, Service
from skranke.lib.localtime import end_of_local_day, local_date, start_of_local_day
from skranke.organisation.models import Location
from skranke.queue import services as queue
from skranke.queue.errors import IllegalTransition
from skranke.queue.models import CounterSession, Outcome

SERVICE = "pas-voksen"
# Minutes from now to each booked time, and who booked it.
SERVED, CALLED, WAITING, NO_SHOW, CANCELLED = -50, -10, 10, -70, 90
PEOPLE = {
    SERVED: ("Karen Holm", "22334455"),
    CALLED: ("Jonas Berg", "22334466"),
    WAITING: ("Sofie Lund", "22334477"),
    NO_SHOW: ("Peter Dahl", "22334488"),
    CANCELLED: ("Maja Friis", "22334499"),
}


def load_appointments_today(location: Location, now: dt.datetime | None = None) -> int:
    """Make today's appointments in every state at ``location``; return how many were booked."""
    now = now or timezone.now()
    today = local_date(now)
    of_today = Appointment.objects.filter(
        location=location,
        starts_at__gte=start_of_local_day(today),
        starts_at__lt=end_of_local_day(today),
    )
    if of_today.exclude(status=AppointmentStatus.BOOKED).exists():
        return 0
    service = Service.objects.filter(slug=SERVICE).first()
    if service is None:
        return 0
    first_action = now + dt.timedelta(minutes=min(PEOPLE) - 60)
    if local_date(first_action) != today:
        return 0  # just after midnight: the morning has not happened yet
    booked: dict[int, Appointment] = {}
    for minutes in sorted(PEOPLE):
        appointment = _book_near(location, service, now + dt.timedelta(minutes=minutes), minutes)
        if appointment is not None:
            booked[minutes] = appointment
    session = _open_counter(location, first_action)
    steps: list[tuple[int, Callable[[Appointment], None]]] = []
    if session is not None:
        steps += [(SERVED, lambda a: _serve(session, a)), (CALLED, lambda a: _call(session, a))]
    steps += [
        (WAITING, lambda a: _check_in(a, now)),
        (CANCELLED, lambda a: _cancel(a, now)),
    ]
    for minutes, step in steps:
        if minutes in booked:
            step(booked[minutes])
    # The window of the one nobody came for has closed: the sweep records it.
    record_no_shows(now)
    return len(booked)


def _book_near(
    location: Location, service: Service, target: dt.datetime, minutes: int
) -> Appointment | None:
    """Book the free slot nearest after ``target`` as if two hours before it."""
    booked_at = target - dt.timedelta(hours=2)
    try:
        slots = [
            slot
            for slot in free_slots(location, service, local_date(target), now=booked_at)
            if slot.start >= target
        ]
        if not slots:
            return None
        name, phone = PEOPLE[minutes]
        contact = clean_contact(name, phone=phone, language="da")
        done = book(
            location, service, slots[0].start, contact, send_confirmation=False, now=booked_at
        )
    except BookingError:
        return None
    return done.appointment


def _open_counter(location: Location, at: dt.datetime) -> CounterSession | None:
    """The first counter, opened by the demo's counter employee before the first check-in."""
    user = get_user_model().objects.filter(username="medarbejder").first()
    counter = location.counters.order_by("number").first()
    if user is None or counter is None:
        return None
    open_session = CounterSession.objects.filter(staff=user, closed_at__isnull=True).first()
    if open_session is not None:
        return open_session if open_session.counter_id == counter.pk else None
    queues = list(location.queues.filter(kind=QueueKind.FRONT, active=True))
    return queue.open_counter(counter, user, queues, now=at)


def _serve(session: CounterSession, appointment: Appointment) -> None:
    arrived = appointment.starts_at - dt.timedelta(minutes=8)
    ticket = check_in(appointment.location, appointment.code, now=arrived).ticket
    called = appointment.starts_at + dt.timedelta(minutes=1)
    try:
        queue.call_ticket(session, ticket, session.staff, now=called)
        queue.start_serving(ticket, session.staff, now=called + dt.timedelta(minutes=1))
        queue.finish(
            ticket,
            session.staff,
            outcome=Outcome.RESOLVED_FIRST_CONTACT,
            now=called + dt.timedelta(minutes=13),
        )
    except IllegalTransition:
        return


def _call(session: CounterSession, appointment: Appointment) -> None:
    arrived = appointment.starts_at - dt.timedelta(minutes=6)
    ticket = check_in(appointment.location, appointment.code, now=arrived).ticket
    try:
        queue.call_ticket(session, ticket, session.staff, now=appointment.starts_at)
    except IllegalTransition:
        return


def _check_in(appointment: Appointment, now: dt.datetime) -> None:
    try:
        check_in(appointment.location, appointment.code, now=now)
    except BookingError:
        return


def _cancel(appointment: Appointment, now: dt.datetime) -> None:
    cancel_appointment(appointment, send_confirmation=False, now=now - dt.timedelta(minutes=30))
