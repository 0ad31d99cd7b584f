"""A booking made at the moment an administrator saves a closure is refused by the new hours: no
booking ends up in closed hours without its citizen being told
(skranke.booking.services.centre_lock; the world is described in closure_scene.py).

The races run on PostgreSQL, where READ COMMITTED let them cross: the booking checks its time
against the hours before its transaction, so it read the old hours while the closure's
transaction, already holding the new ones, was not yet committed, and then committed after the
closure had read the bookings it hits. On SQLite the IMMEDIATE transactions serialise the writers
(the booking's second check, inside its transaction, then reads the new hours).

Each race: the administrator's request runs in a thread of its own through the admin's real
pages and is paused (an Event) right after the admin has saved the new hours and settled the
bookings they hit, before its transaction commits. Then a booking (or a held booking, or a move)
for a time the new hours close starts in another thread. Once it has finished or waits for a
lock (polled, bounded), the closure goes on and commits.

Tried without the fix (on PostgreSQL, the code restored afterwards):

- Both locks and the second check removed (the code as before): all seven tests failed; in every
  race the booking went through into the hours being closed while the closure was paused, and
  the closure committed without seeing it, so it stayed booked and its citizen was never told.
- The booking side checking again inside its transaction, but without taking the lock: the six
  races failed the same way (the check read the old hours, the closure being uncommitted).
- Only the closure side's lock removed (``lock_centres`` in ClosurePreviewAdmin._begin): the
  races through the exceptions' pages failed the same way; the one through the centre's page
  still passed, as saving the centre updates its row, which locks it too.
- The held booking failed without the fix even when not racing
  (``test_a_time_held_before_a_closure_is_not_booked_after_it``, which runs on both databases):
  a live hold was booked without looking at the hours again.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import User
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from skranke.booking.closure_admin import ClosurePreviewAdmin
from skranke.booking.errors import BookingError, BookingRefused
from skranke.booking.models import Appointment, AppointmentStatus
from skranke.booking.services import book, book_held, bookings_hit, hold_slot, move_appointment
from skranke.booking.tests.closure_scene import (
    DAY,
    NEXT_SATURDAY,
    NOW,
    SATURDAY,
    TUESDAY,
    book_at,
    centre_form,
    make_hours_centre,
    open_on,
    weekly_row,
)
from skranke.booking.tests.factories import BookingCentre, at, citizen
from skranke.organisation.models import HoursKind, OpeningException
from skranke.testing.waiting import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

# Bounds only: a hang ends the test instead of the run.
WAIT_SECONDS = 60.0

EXCEPTIONS_URL = reverse("admin:organisation_openingexception_changelist")


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def booking() -> BookingCentre:
    return make_hours_centre()


@pytest.fixture
def admin(admin_user: User) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


@dataclass(frozen=True)
class Closure:
    """A change of hours through the admin, and the time it closes."""

    post: Callable[[], HttpResponse]
    closes: dt.datetime
    # The first free time after it, once it is closed.
    next_free: dt.datetime


def shorter_tuesdays(admin: Client, booking: BookingCentre) -> Closure:
    """The centre's page: Tuesdays close at 14:00 instead of 15:00."""
    data = centre_form(booking.location)
    data[weekly_row(data, TUESDAY) + "closes"] = "14:00"
    url = reverse("admin:organisation_location_change", args=[booking.location.pk])
    return Closure(lambda: admin.post(url, data), at(DAY, 14), at(DAY + dt.timedelta(days=1), 9))


def shorter_day(admin: Client, booking: BookingCentre) -> Closure:
    """An exception added on its own page: open only 9-14 on the day."""
    data = {
        "location": str(booking.location.pk),
        "date": DAY.isoformat(),
        "kind": HoursKind.ATTENDANCE,
        "opens": "09:00",
        "closes": "14:00",
        "reason": "Personalemøde",
    }
    url = reverse("admin:organisation_openingexception_add")
    return Closure(lambda: admin.post(url, data), at(DAY, 14), at(DAY + dt.timedelta(days=1), 9))


def saturday_opening_deleted(admin: Client, booking: BookingCentre) -> Closure:
    """An extra Saturday opening deleted on its own page."""
    extra = open_on(booking.location, SATURDAY, "09:00", "15:00")
    url = reverse("admin:organisation_openingexception_delete", args=[extra.pk])
    return Closure(lambda: admin.post(url, {"post": "yes"}), at(SATURDAY, 10), monday_nine())


def saturday_openings_bulk_deleted(admin: Client, booking: BookingCentre) -> Closure:
    """Two extra Saturday openings deleted together from the list."""
    days = [
        open_on(booking.location, saturday, "09:00", "15:00")
        for saturday in (SATURDAY, NEXT_SATURDAY)
    ]
    data = {
        "action": "delete_selected",
        ACTION_CHECKBOX_NAME: [str(day.pk) for day in days],
        "post": "yes",
    }
    return Closure(lambda: admin.post(EXCEPTIONS_URL, data), at(SATURDAY, 10), monday_nine())


def monday_nine() -> dt.datetime:
    return at(SATURDAY + dt.timedelta(days=2), 9)


def someone_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        (waiting,) = cursor.fetchone()
    return bool(waiting)


def in_thread(action: Callable[[], Any], results: list[Any], done: threading.Event) -> Any:
    """Start ``action`` in a thread on its own connection; its result or exception goes to
    ``results`` and ``done`` is set when it ends."""

    def run() -> None:
        try:
            results.append(action())
        except BaseException as error:
            results.append(error)
        finally:
            connection.close()
            done.set()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def race_with_closure(
    monkeypatch: pytest.MonkeyPatch, closure: Closure, booking_write: Callable[[], Any]
) -> tuple[HttpResponse, Any]:
    """Run the closure up to just before its commit, then ``booking_write``; let the closure
    commit once the write has ended or waits for a lock. Return both results."""
    saved, release = threading.Event(), threading.Event()
    settle = ClosurePreviewAdmin._settle

    def settle_then_pause(self: ClosurePreviewAdmin, request: Any, action: str) -> None:
        settle(self, request, action)
        saved.set()
        assert release.wait(WAIT_SECONDS), "the closure was never let go"

    monkeypatch.setattr(ClosurePreviewAdmin, "_settle", settle_then_pause)
    closed: list[Any] = []
    closure_done = threading.Event()
    closure_thread = in_thread(closure.post, closed, closure_done)
    written: list[Any] = []
    write_done = threading.Event()
    write_thread = None
    try:
        assert saved.wait(WAIT_SECONDS) or closure_done.is_set()
        assert not closure_done.is_set(), closed
        write_thread = in_thread(booking_write, written, write_done)
        wait_for(
            lambda: write_done.is_set() or someone_waits_for_a_lock(),
            WAIT_SECONDS,
            "the booking neither ended nor waited for a lock",
        )
    finally:
        release.set()
        closure_thread.join(WAIT_SECONDS)
        if write_thread is not None:
            write_thread.join(WAIT_SECONDS)
    assert not closure_thread.is_alive() and not (write_thread and write_thread.is_alive())
    (response,), (result,) = closed, written
    if isinstance(response, BaseException):
        raise response
    if isinstance(result, BaseException) and not isinstance(result, BookingError):
        raise result
    return response, result


def assert_refused_as_closed(result: Any, closure: Closure) -> None:
    assert isinstance(result, BookingRefused), result
    assert result.code == "closed"
    assert result.next_free and result.next_free[0].start == closure.next_free


def assert_none_booked_in_closed_hours(booking: BookingCentre) -> None:
    assert bookings_hit(booking.location) == []


CLOSURES = [shorter_tuesdays, shorter_day, saturday_opening_deleted, saturday_openings_bulk_deleted]


@pytest.mark.postgres
@pytest.mark.parametrize("make_closure", CLOSURES, ids=lambda closure: closure.__name__)
def test_a_booking_made_while_a_closure_is_saved_is_refused(
    monkeypatch: pytest.MonkeyPatch,
    admin: Client,
    booking: BookingCentre,
    make_closure: Callable[[Client, BookingCentre], Closure],
) -> None:
    closure = make_closure(admin, booking)

    response, result = race_with_closure(
        monkeypatch,
        closure,
        lambda: book(
            booking.location,
            booking.passport,
            closure.closes,
            citizen(1),
            send_confirmation=False,
            now=NOW,
        ),
    )

    assert response.status_code == 302
    assert_refused_as_closed(result, closure)
    assert not Appointment.objects.exists()
    assert_none_booked_in_closed_hours(booking)


@pytest.mark.postgres
def test_a_held_time_booked_while_a_closure_is_saved_is_refused(
    monkeypatch: pytest.MonkeyPatch, admin: Client, booking: BookingCentre
) -> None:
    closure = shorter_day(admin, booking)
    held = hold_slot(booking.location, booking.passport, closure.closes, client=None, now=NOW)

    response, result = race_with_closure(
        monkeypatch,
        closure,
        lambda: book_held(held.token, citizen(1), send_confirmation=False, now=NOW),
    )

    assert response.status_code == 302
    assert_refused_as_closed(result, closure)
    assert not Appointment.objects.exists()


@pytest.mark.postgres
def test_a_move_made_while_a_closure_is_saved_is_refused(
    monkeypatch: pytest.MonkeyPatch, admin: Client, booking: BookingCentre
) -> None:
    closure = shorter_day(admin, booking)
    appointment = book_at(booking, DAY, 11)

    response, result = race_with_closure(
        monkeypatch,
        closure,
        lambda: move_appointment(appointment, closure.closes, send_confirmation=False, now=NOW),
    )

    assert response.status_code == 302
    assert_refused_as_closed(result, closure)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED
    assert appointment.starts_at == at(DAY, 11)
    assert_none_booked_in_closed_hours(booking)


def test_a_time_held_before_a_closure_is_not_booked_after_it(booking: BookingCentre) -> None:
    held = hold_slot(booking.location, booking.passport, at(DAY, 14), client=None, now=NOW)
    OpeningException.objects.create(
        location=booking.location, date=DAY, kind=HoursKind.ATTENDANCE, reason="Personalemøde"
    )

    with pytest.raises(BookingRefused) as refused:
        book_held(held.token, citizen(1), send_confirmation=False, now=NOW)

    assert refused.value.code == "closed"
    assert refused.value.next_free[0].start == at(DAY + dt.timedelta(days=1), 9)
    assert not Appointment.objects.exists()
