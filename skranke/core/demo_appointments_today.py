"""Today's appointments at the demo's around-the-clock centre, one in every state a booking can
be in during its day: served, called to a counter, checked in and waiting, a no-show, cancelled,
and still booked for later. Each is made through the engines (booking, check-in, the queue's
calls and finish, the no-show sweep) with the clock set to when it would have happened, so the
staff day view and the live floor show what a real morning leaves behind.

Made once a day: when the centre already has a booking of today that is no longer just booked,
nothing is added. In the first hours after midnight, when the morning has not happened yet,
nothing is made.
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
# Each state's booked time: the first free slot between these minutes from now. A no-show's
# window has closed (5 minutes late at most); the served one was over before the called one
# was called; the waiting one is within its check-in window now (15 minutes early, 5 late).
SERVED, CALLED, WAITING, NO_SHOW, CANCELLED = "served", "called", "waiting", "no_show", "cancelled"
WINDOWS = {
    NO_SHOW: (-90, -61),
    SERVED: (-60, -30),
    CALLED: (-14, 5),
    WAITING: (-4, 15),
    CANCELLED: (60, 180),
}
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
    first_action = now + dt.timedelta(minutes=WINDOWS[NO_SHOW][0] - 60)
    if local_date(first_action) != today:
        return 0  # just after midnight: the morning has not happened yet
    booked: dict[str, Appointment] = {}
    for state, (earliest, latest) in WINDOWS.items():
        appointment = _book_between(
            location,
            service,
            now + dt.timedelta(minutes=earliest),
            now + dt.timedelta(minutes=latest),
            PEOPLE[state],
        )
        if appointment is not None:
            booked[state] = appointment
    session = _open_counter(location, first_action)
    steps: list[tuple[str, Callable[[Appointment], None]]] = []
    if session is not None:
        steps += [
            (SERVED, lambda a: _serve(session, a)),
            (CALLED, lambda a: _call(session, a, now)),
        ]
    steps += [
        (WAITING, lambda a: _check_in(a, now)),
        (CANCELLED, lambda a: _cancel(a, now)),
    ]
    for state, step in steps:
        if state in booked:
            step(booked[state])
    # The window of the one nobody came for has closed: the sweep records it.
    record_no_shows(now)
    return len(booked)


def _book_between(
    location: Location,
    service: Service,
    earliest: dt.datetime,
    latest: dt.datetime,
    person: tuple[str, str],
) -> Appointment | None:
    """Book the first free slot starting from ``earliest`` to ``latest``, as if two hours before
    ``earliest``; None when there is none."""
    booked_at = earliest - dt.timedelta(hours=2)
    try:
        slots = [
            slot
            for slot in free_slots(location, service, local_date(earliest), now=booked_at)
            if earliest <= slot.start <= latest
        ]
        if not slots:
            return None
        name, phone = person
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


def _call(session: CounterSession, appointment: Appointment, now: dt.datetime) -> None:
    arrived = appointment.starts_at - dt.timedelta(minutes=6)
    ticket = check_in(appointment.location, appointment.code, now=arrived).ticket
    try:
        called = min(appointment.starts_at, now)
        queue.call_ticket(session, ticket, session.staff, now=called)
    except IllegalTransition:
        return


def _check_in(appointment: Appointment, now: dt.datetime) -> None:
    try:
        check_in(appointment.location, appointment.code, now=now)
    except BookingError:
        return


def _cancel(appointment: Appointment, now: dt.datetime) -> None:
    cancel_appointment(appointment, send_confirmation=False, now=now - dt.timedelta(minutes=30))
