"""Checking in at the kiosk: the booking becomes a priority ticket in the service's queue within
the centre's window, once; every refusal has its code and says what to do."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from skranke.booking.models import Appointment, AppointmentStatus, LateArrival
from skranke.booking.services import (
    CheckInRefused,
    book,
    cancel_appointment,
    check_in,
)
from skranke.booking.tests.factories import (
    BookingCentre,
    at,
    book_passports_at,
    citizen,
    make_booking_centre,
)
from skranke.catalogue.models import Service
from skranke.queue import services as queue_services
from skranke.queue.models import Priority, Source, Ticket
from skranke.queue.tests.factories import issue, make_centre, make_staff, set_weekly_hours

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 10)
BOOKED_AT = at(DAY, 8)
START = at(DAY, 12)


def booked(booking: BookingCentre, start: dt.datetime = START, number: int = 0) -> Appointment:
    return book(
        booking.location,
        booking.passport,
        start,
        citizen(number),
        send_confirmation=False,
        now=BOOKED_AT,
    ).appointment


def refused(booking: BookingCentre, code: str, now: dt.datetime) -> CheckInRefused:
    before = Ticket.objects.count()
    with pytest.raises(CheckInRefused) as refusal:
        check_in(booking.location, code, now=now)
    assert Ticket.objects.count() == before
    return refusal.value


def test_check_in_issues_a_priority_ticket_waiting_from_the_booked_time() -> None:
    booking = make_booking_centre()
    appointment = booked(booking)
    now = at(DAY, 11, 50)

    # As typed: lower case, a space and a dash.
    typed = f"{appointment.code[:4].lower()} -{appointment.code[4:]}"
    result = check_in(booking.location, typed, now=now)

    appointment.refresh_from_db()
    ticket = result.ticket
    assert not result.already
    assert (appointment.status, appointment.checked_in_at) == (AppointmentStatus.CHECKED_IN, now)
    assert appointment.ticket == ticket
    assert (ticket.source, ticket.priority) == (Source.APPOINTMENT, Priority.APPOINTMENT)
    assert ticket.queue == booking.centre.passports
    assert (ticket.issued_at, ticket.waiting_since) == (now, START)


def test_checking_in_late_within_the_window_waits_from_the_check_in() -> None:
    booking = make_booking_centre()
    appointment = booked(booking)
    now = at(DAY, 12, 4)

    ticket = check_in(booking.location, appointment.code, now=now).ticket

    assert ticket.waiting_since == now


def test_a_second_check_in_gives_the_same_ticket() -> None:
    booking = make_booking_centre()
    appointment = booked(booking)

    first = check_in(booking.location, appointment.code, now=at(DAY, 11, 50))
    again = check_in(booking.location, appointment.code, now=at(DAY, 11, 55))

    assert (first.already, again.already) == (False, True)
    assert again.ticket == first.ticket
    assert Ticket.objects.count() == 1


def test_the_window_opens_early_and_closes_late_as_the_centre_set_it() -> None:
    booking = make_booking_centre(capacity=3)
    booking.calendar.checkin_early_minutes = 30
    booking.calendar.checkin_late_minutes = 10
    booking.calendar.save()
    early, on_time, late = (booked(booking, START, n) for n in range(3))
    booking.calendar.refresh_from_db()

    too_early = refused(booking, early.code, at(DAY, 11, 29))
    assert check_in(booking.location, early.code, now=at(DAY, 11, 30)).ticket
    assert check_in(booking.location, on_time.code, now=at(DAY, 12, 9)).ticket
    too_late = refused(booking, late.code, at(DAY, 12, 10))

    assert too_early.code == "too_early"
    assert too_early.come_back_at == at(DAY, 11, 30)
    assert "11:30" in too_early.message
    assert too_late.code == "too_late"
    assert "12:10" in too_late.message


def test_too_late_offers_a_walk_in_number_only_where_the_service_takes_walk_ins_now() -> None:
    booking = make_booking_centre()
    appointment = booked(booking)
    late = at(DAY, 12, 30)

    offered = refused(booking, appointment.code, late)
    Service.objects.filter(pk=booking.passport.pk).update(walk_in=False)
    no_walk_ins = refused(booking, appointment.code, late)
    Service.objects.filter(pk=booking.passport.pk).update(walk_in=True)
    booking.calendar.late_arrival = LateArrival.REFUSE
    booking.calendar.save()
    refuse = refused(booking, appointment.code, late)

    assert offered.walk_in_offered
    assert not no_walk_ins.walk_in_offered
    assert not refuse.walk_in_offered
    assert "medarbejder" in refuse.message
    assert {offered.code, no_walk_ins.code, refuse.code} == {"too_late"}


def test_too_late_offers_no_walk_in_number_when_the_queue_is_closed_for_the_day() -> None:
    booking = make_booking_centre()
    appointment = booked(booking)
    late = at(DAY, 12, 30)
    queue_services.close_queue_now(booking.centre.passports, "Down", make_staff(), now=late)

    assert not refused(booking, appointment.code, late).walk_in_offered


def test_a_no_show_is_answered_as_too_late() -> None:
    booking = make_booking_centre()
    appointment = booked(booking)
    Appointment.objects.filter(pk=appointment.pk).update(
        status=AppointmentStatus.NO_SHOW, no_show_at=at(DAY, 12, 5)
    )

    # Even inside the window (the window was changed after it was recorded).
    assert refused(booking, appointment.code, at(DAY, 12)).code == "too_late"


def test_unknown_malformed_cancelled_other_day_and_other_centre_are_refused() -> None:
    booking = make_booking_centre()
    appointment = booked(booking)
    tomorrow = booked(booking, at(DAY + dt.timedelta(days=1), 12), number=1)
    cancelled = booked(booking, at(DAY, 13), number=2)
    cancel_appointment(cancelled, send_confirmation=False, now=BOOKED_AT)
    elsewhere = make_booking_centre()
    now = at(DAY, 11, 55)

    with translation.override("en"):
        assert refused(booking, "ABCD-EFGH", now).code == "not_found"
        assert refused(booking, "not a code", now).code == "not_found"
        assert refused(booking, "", now).code == "not_found"
        assert refused(booking, cancelled.code, at(DAY, 12, 55)).code == "cancelled"
        not_today = refused(booking, tomorrow.code, now)
        other = refused(elsewhere, appointment.code, now)

    assert not_today.code == "not_today"
    assert "Wednesday 11. November 2026 at 12:00" in not_today.message
    assert (other.code, other.centre) == ("other_centre", booking.location.name)
    assert booking.location.name in other.message


def test_check_in_is_not_stopped_by_walk_in_rules() -> None:
    """Closed for the day and the quota used up stop walk-ins, not the promised time."""
    booking = make_booking_centre()
    appointment = booked(booking)
    now = at(DAY, 11, 50)
    passports = booking.centre.passports
    passports.daily_quota = 1
    passports.save(update_fields=["daily_quota"])
    issue(booking.centre, now=now)
    queue_services.close_queue_now(passports, "Down", make_staff(), now=now)

    ticket = check_in(booking.location, appointment.code, now=now).ticket

    assert ticket.number == 2


def test_before_the_doors_open_check_in_works_when_the_window_is_open() -> None:
    centre = make_centre()
    set_weekly_hours(centre.location, dt.time(12, 0), dt.time(15, 0))
    booking = book_passports_at(centre)
    appointment = booked(booking)

    assert check_in(booking.location, appointment.code, now=at(DAY, 11, 50)).ticket


def test_an_inactive_queue_is_refused_with_its_code() -> None:
    booking = make_booking_centre()
    appointment = booked(booking)
    booking.centre.passports.active = False
    booking.centre.passports.save(update_fields=["active"])

    refusal = refused(booking, appointment.code, at(DAY, 11, 50))

    assert refusal.code == "no_queue"
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


def test_checked_in_appointment_is_called_ahead_of_an_earlier_walk_in() -> None:
    booking = make_booking_centre()
    appointment = booked(booking)
    walk_in = issue(booking.centre, now=at(DAY, 11, 40))
    ticket = check_in(booking.location, appointment.code, now=at(DAY, 11, 55)).ticket
    staff = make_staff()
    session = queue_services.open_counter(
        booking.centre.counters[0], staff, [booking.centre.passports], now=at(DAY, 11, 56)
    )

    called = queue_services.call_next(session, staff, now=at(DAY, 12, 0))

    assert called == ticket
    assert walk_in.pk != called.pk
