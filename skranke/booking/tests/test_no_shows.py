"""No-shows: a booking nobody checked in for becomes a no-show once its check-in window closed
(the start plus the centre's ``checkin_late_minutes``), by a conditional update, so a check-in
racing the sweep is never lost, whichever of the two commits first.

The two orders are stepped through on two connections (the other one commits between the first
one's read and its UPDATE), on both databases. With the sweep's ``status=BOOKED`` condition
removed (tried once), the check-in committing first was overwritten: the booking ended as a
no-show with a ticket, and the test failed on both databases.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.db import connection, transaction
from django.db.models import QuerySet

from skranke.booking.jobs import record_no_shows_job
from skranke.booking.models import Appointment, AppointmentStatus, BookingCalendar
from skranke.booking.services import (
    Booked,
    book,
    cancel_appointment,
    checkin,
    no_shows,
    record_no_shows,
)
from skranke.booking.services.checkin import CheckInRefused, check_in
from skranke.booking.tests.factories import BookingCentre, at, citizen, make_booking_centre
from skranke.jobs.registry import registry
from skranke.queue.models import Ticket
from skranke.testing.waiting import wait_for

DAY = dt.date(2026, 11, 10)
START = at(DAY, 12)
BOOKED = at(DAY - dt.timedelta(days=3), 9)
# The default window closes 5 minutes after the start.
CLOSES = START + dt.timedelta(minutes=5)
SECOND = dt.timedelta(seconds=1)


def book_one(booking: BookingCentre, number: int = 0, start: dt.datetime = START) -> Booked:
    return book(
        booking.location,
        booking.passport,
        start,
        citizen(number),
        send_confirmation=False,
        now=BOOKED,
    )


def status_of(booked: Booked) -> str:
    return Appointment.objects.get(pk=booked.appointment.pk).status


@pytest.mark.django_db
def test_a_booking_becomes_a_no_show_once_its_window_has_closed() -> None:
    booking = make_booking_centre(capacity=3)
    made = book_one(booking)

    assert record_no_shows(now=CLOSES) == 0  # check-in is open until this instant
    assert record_no_shows(now=CLOSES + SECOND) == 1
    assert record_no_shows(now=CLOSES + dt.timedelta(minutes=1)) == 0

    appointment = Appointment.objects.get(pk=made.appointment.pk)
    assert (appointment.status, appointment.no_show_at) == (
        AppointmentStatus.NO_SHOW,
        CLOSES + SECOND,
    )


@pytest.mark.django_db
def test_checked_in_cancelled_and_later_bookings_are_left_alone() -> None:
    booking = make_booking_centre(capacity=3)
    arrived, cancelled, missed = book_one(booking, 1), book_one(booking, 2), book_one(booking, 3)
    later = book_one(booking, 4, start=START + dt.timedelta(hours=1))
    check_in(booking.location, arrived.appointment.code, now=START - dt.timedelta(minutes=2))
    cancel_appointment(cancelled.appointment, now=BOOKED)

    assert record_no_shows(now=CLOSES + SECOND) == 1

    assert [status_of(made) for made in (arrived, cancelled, missed, later)] == [
        AppointmentStatus.CHECKED_IN,
        AppointmentStatus.CANCELLED,
        AppointmentStatus.NO_SHOW,
        AppointmentStatus.BOOKED,
    ]


@pytest.mark.django_db
def test_each_centre_closes_check_in_by_its_own_window(monkeypatch: pytest.MonkeyPatch) -> None:
    strict, lenient = make_booking_centre(), make_booking_centre()
    BookingCalendar.objects.filter(pk=strict.calendar.pk).update(checkin_late_minutes=0)
    BookingCalendar.objects.filter(pk=lenient.calendar.pk).update(checkin_late_minutes=20)
    at_strict, at_lenient = book_one(strict, 1), book_one(lenient, 2)
    monkeypatch.setattr(no_shows, "NO_SHOW_BATCH", 1)

    assert record_no_shows(now=START + SECOND) == 1
    assert status_of(at_strict) == AppointmentStatus.NO_SHOW
    assert record_no_shows(now=START + dt.timedelta(minutes=20)) == 0
    assert record_no_shows(now=START + dt.timedelta(minutes=20) + SECOND) == 1
    assert status_of(at_lenient) == AppointmentStatus.NO_SHOW


@pytest.mark.django_db
def test_a_centre_without_a_calendar_uses_the_default_window() -> None:
    booking = make_booking_centre()
    made = book_one(booking)
    BookingCalendar.objects.filter(pk=booking.calendar.pk).delete()

    assert record_no_shows(now=CLOSES) == 0
    assert record_no_shows(now=CLOSES + SECOND) == 1
    assert status_of(made) == AppointmentStatus.NO_SHOW


@pytest.mark.django_db
def test_many_missed_bookings_are_recorded_in_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    booking = make_booking_centre(capacity=5)
    for number in range(5):
        book_one(booking, number)
    monkeypatch.setattr(no_shows, "NO_SHOW_BATCH", 2)

    assert record_no_shows(now=CLOSES + SECOND) == 5


@pytest.mark.django_db
def test_the_worker_records_no_shows_every_minute() -> None:
    assert registry.periodic_jobs["booking.record_no_shows"].interval == dt.timedelta(minutes=1)
    booking = make_booking_centre()
    made = book_one(booking)

    record_no_shows_job({})  # the real clock is long past the appointment

    assert status_of(made) == AppointmentStatus.NO_SHOW


def in_another_connection(action: Callable[[], object]) -> None:
    """Run ``action`` to its commit on a connection of its own (another worker or kiosk)."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            action()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), "the other connection hung"
    if errors:
        raise errors[0]


@pytest.mark.django_db(transaction=True)
def test_a_sweep_committing_first_wins_over_a_check_in_already_under_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    booking = make_booking_centre()
    made = book_one(booking)
    issue = checkin._issue

    def sweep_first(appointment: Appointment, now: dt.datetime) -> Ticket:
        # The kiosk has read the booking (booked, within its window); the sweep commits now.
        in_another_connection(lambda: record_no_shows(now=CLOSES + SECOND))
        return issue(appointment, now)

    monkeypatch.setattr(checkin, "_issue", sweep_first)

    with pytest.raises(CheckInRefused) as refused:
        check_in(booking.location, made.appointment.code, now=CLOSES - SECOND)

    assert refused.value.code == "too_late"
    assert status_of(made) == AppointmentStatus.NO_SHOW
    # The ticket the check-in issued was rolled back with it.
    assert not Ticket.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_check_in_committing_first_wins_over_a_sweep_already_under_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    booking = make_booking_centre()
    made = book_one(booking)
    read_batch = no_shows._read_batch
    arrived: list[object] = []

    def check_in_first(missed: QuerySet[Appointment]) -> list[int]:
        ids = read_batch(missed)
        if not arrived:
            # The sweep has read the booking as missed; the citizen's check-in commits now.
            in_another_connection(
                lambda: arrived.append(
                    check_in(booking.location, made.appointment.code, now=CLOSES - SECOND)
                )
            )
        return ids

    monkeypatch.setattr(no_shows, "_read_batch", check_in_first)

    assert record_no_shows(now=CLOSES + SECOND) == 0

    appointment = Appointment.objects.get(pk=made.appointment.pk)
    assert appointment.status == AppointmentStatus.CHECKED_IN
    assert appointment.no_show_at is None and appointment.ticket is not None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_sweep_waiting_for_a_check_ins_row_lock_sees_the_check_in() -> None:
    """On PostgreSQL: the check-in has updated the row but not committed when the sweep's UPDATE
    reaches it; the sweep waits for the lock, then rechecks ``status = booked`` on the committed
    row and leaves it. (Without the condition the sweep overwrote the check-in: tried once.)"""
    booking = make_booking_centre()
    made = book_one(booking)
    updated, sweep_done = threading.Event(), threading.Event()

    def checking_in() -> None:
        with transaction.atomic():
            # The check-in's own conditional UPDATE (skranke.booking.services.checkin._issue).
            won = Appointment.objects.filter(
                pk=made.appointment.pk, status=AppointmentStatus.BOOKED
            ).update(status=AppointmentStatus.CHECKED_IN, checked_in_at=CLOSES - SECOND)
            assert won == 1
            updated.set()
            # Hold the lock until the sweep waits for it (bounded: a minute at most).
            wait_for(
                lambda: sweep_done.is_set() or sweep_waits_for_a_lock(),
                60,
                "the sweep neither ended nor waited for the check-in's lock",
            )

    errors: list[BaseException] = []

    def run() -> None:
        try:
            checking_in()
        except BaseException as error:
            errors.append(error)
            updated.set()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    assert updated.wait(60)
    recorded = record_no_shows(now=CLOSES + SECOND) if not errors else None
    sweep_done.set()
    thread.join(60)
    assert not thread.is_alive() and not errors, errors

    assert recorded == 0
    assert status_of(made) == AppointmentStatus.CHECKED_IN


def sweep_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        (waiting,) = cursor.fetchone()
    return bool(waiting)
