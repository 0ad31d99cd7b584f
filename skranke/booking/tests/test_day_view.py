"""The staff day view: each appointment of the day in its state (the booking's and its ticket's,
driven through the engines), in time order and within the local day, read in one query; the
page and its panel for employees with manage_bookings at the centre only; bad dates are 400."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext

from skranke.booking.day import DayState, appointments_of_day
from skranke.booking.models import Appointment, CancelReason
from skranke.booking.services import cancel_appointment
from skranke.booking.tests.day_setup import (
    book_at,
    call,
    check_in,
    mark_no_show_at_booking,
    serve,
    ticket_no_show,
)
from skranke.booking.tests.factories import BookingCentre, at, make_booking_centre
from skranke.organisation.models import Role
from skranke.queue import services as queue
from skranke.queue.models import CancelReason as TicketCancelReason
from skranke.queue.models import CounterSession
from skranke.queue.tests.factories import make_staff, make_staff_client, use_api_test_settings

pytestmark = pytest.mark.django_db

# A Tuesday morning in Copenhagen; the clock stands still there.
NOW = dt.datetime(2026, 11, 10, 11, 0, tzinfo=ZoneInfo("Europe/Copenhagen"))
DAY = dt.date(2026, 11, 10)


@pytest.fixture(autouse=True)
def _clock_and_settings(settings: Any) -> Iterator[None]:
    use_api_test_settings(settings)
    settings.SKRANKE_NO_SHOW_AFTER_RECALLS = 1
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def booking() -> BookingCentre:
    return make_booking_centre(capacity=20)


@pytest.fixture
def clerk(booking: BookingCentre) -> User:
    return make_staff(Role.COUNTER_STAFF, [booking.location])


@pytest.fixture
def session(booking: BookingCentre, clerk: User) -> CounterSession:
    return queue.open_counter(booking.centre.counters[0], clerk, [booking.centre.passports])


def english(user: User) -> Client:
    client = make_staff_client(user)
    client.cookies["skranke_language"] = "en"
    return client


def day_url(booking: BookingCentre, date: str | None = None) -> str:
    url = f"/staff/appointments/day/{booking.location.slug}/"
    return f"{url}?date={date}" if date else url


def text(response: HttpResponse) -> str:
    return response.content.decode()


def row_state(page: str, code: str) -> str:
    """Return the state cell's text of the row of ``code``, tags and spacing stripped."""
    found = re.search(rf'<tr data-code="{code}" data-state="([a-z_]+)"', page)
    assert found, f"no row for {code}"
    return found.group(1)


# The states -------------------------------------------------------------------------------------


def test_each_state_comes_from_the_booking_and_its_ticket(
    booking: BookingCentre, clerk: User, session: CounterSession
) -> None:
    booked = book_at(booking, at(DAY, 14))
    waiting = book_at(booking, at(DAY, 10, 45))
    check_in(waiting)
    served = book_at(booking, at(DAY, 9))
    serve(session, check_in(served), clerk)
    absent_at_counter = book_at(booking, at(DAY, 9, 15))
    ticket_no_show(session, check_in(absent_at_counter), clerk)
    called = book_at(booking, at(DAY, 10, 30))
    call(session, check_in(called), clerk)
    never_came = book_at(booking, at(DAY, 8))
    mark_no_show_at_booking(never_came)
    by_citizen = book_at(booking, at(DAY, 15))
    cancel_appointment(by_citizen, send_confirmation=False)
    by_staff = book_at(booking, at(DAY, 15, 15))
    cancel_appointment(by_staff, staff=clerk, send_confirmation=False)

    found = {
        entry.appointment.pk: (entry.state, str(entry.cancel_reason))
        for entry in appointments_of_day(booking.location, DAY).appointments
    }

    assert found == {
        booked.pk: (DayState.BOOKED, ""),
        waiting.pk: (DayState.CHECKED_IN, ""),
        called.pk: (DayState.CALLED, ""),
        served.pk: (DayState.SERVED, ""),
        absent_at_counter.pk: (DayState.NO_SHOW, ""),
        never_came.pk: (DayState.NO_SHOW, ""),
        by_citizen.pk: (DayState.CANCELLED, str(CancelReason.CITIZEN.label)),
        by_staff.pk: (DayState.CANCELLED, str(CancelReason.STAFF.label)),
    }


def test_a_ticket_being_served_or_parked_counts_as_called_and_a_reinstated_one_as_waiting(
    booking: BookingCentre, clerk: User, session: CounterSession
) -> None:
    serving = book_at(booking, at(DAY, 10))
    serving_ticket = check_in(serving)
    call(session, serving_ticket, clerk)
    queue.start_serving(serving_ticket, clerk)
    colleague = make_staff()
    second = queue.open_counter(booking.centre.counters[1], colleague, [booking.centre.passports])
    parked = book_at(booking, at(DAY, 10, 15))
    parked_ticket = check_in(parked)
    call(second, parked_ticket, colleague)
    queue.park(parked_ticket, colleague)
    reinstated = book_at(booking, at(DAY, 10, 30))
    reinstated_ticket = check_in(reinstated)
    ticket_no_show(second, reinstated_ticket, colleague)
    queue.reinstate(reinstated_ticket, colleague)

    states = {
        entry.appointment.pk: entry.state
        for entry in appointments_of_day(booking.location, DAY).appointments
    }

    assert states == {
        serving.pk: DayState.CALLED,
        parked.pk: DayState.CALLED,
        reinstated.pk: DayState.CHECKED_IN,
    }


def test_a_cancelled_visit_after_check_in_is_cancelled_with_the_tickets_reason(
    booking: BookingCentre, clerk: User
) -> None:
    left = book_at(booking, at(DAY, 10))
    queue.cancel(check_in(left), TicketCancelReason.CITIZEN)
    closed = book_at(booking, at(DAY, 10, 15))
    queue.cancel(check_in(closed), TicketCancelReason.CLOSED)
    closure = book_at(booking, at(DAY, 16))
    Appointment.objects.filter(pk=closure.pk).update(
        status="cancelled", cancelled_at=NOW, cancel_reason=CancelReason.CLOSURE
    )

    reasons = {
        entry.appointment.pk: (entry.state, str(entry.cancel_reason))
        for entry in appointments_of_day(booking.location, DAY).appointments
    }

    assert reasons == {
        left.pk: (DayState.CANCELLED, str(CancelReason.CITIZEN.label)),
        closed.pk: (DayState.CANCELLED, str(TicketCancelReason.CLOSED.label)),
        closure.pk: (DayState.CANCELLED, str(CancelReason.CLOSURE.label)),
    }


def test_the_day_is_the_local_day_in_time_order_with_counts(booking: BookingCentre) -> None:
    before = book_at(booking, at(DAY - dt.timedelta(days=1), 23, 45))
    late = book_at(booking, at(DAY, 23, 45))
    midnight = book_at(booking, at(DAY, 0, 0))
    noon = book_at(booking, at(DAY, 12))
    after = book_at(booking, at(DAY + dt.timedelta(days=1), 0, 0))
    check_in(noon)
    other_centre = make_booking_centre(capacity=5)
    book_at(other_centre, at(DAY, 12))

    agenda = appointments_of_day(booking.location, DAY)

    assert [entry.appointment.pk for entry in agenda.appointments] == [
        midnight.pk,
        noon.pk,
        late.pk,
    ]
    assert before.pk and after.pk
    assert agenda.total == 3
    assert dict(agenda.counts) == {
        DayState.BOOKED: 2,
        DayState.CHECKED_IN: 1,
        DayState.CALLED: 0,
        DayState.SERVED: 0,
        DayState.NO_SHOW: 0,
        DayState.CANCELLED: 0,
    }


def test_the_day_of_the_autumn_clock_change_has_its_25_hours(booking: BookingCentre) -> None:
    change = dt.date(2026, 10, 25)
    book_at(booking, at(change - dt.timedelta(days=1), 23, 45))
    first = book_at(booking, at(change, 0, 0))
    last = book_at(booking, at(change, 23, 45))
    book_at(booking, at(change + dt.timedelta(days=1), 0, 0))

    agenda = appointments_of_day(booking.location, change)

    assert [entry.appointment.pk for entry in agenda.appointments] == [first.pk, last.pk]


def test_the_day_is_read_in_one_query_whatever_the_number_of_appointments(
    booking: BookingCentre, clerk: User, session: CounterSession
) -> None:
    for index in range(12):
        appointment = book_at(booking, at(DAY, 9 + index // 4, index % 4 * 15))
        if index % 2 == 0:
            ticket = check_in(appointment)
            if index == 0:
                call(session, ticket, clerk)

    with CaptureQueriesContext(connection) as queries:
        agenda = appointments_of_day(booking.location, DAY)
        shown = [
            (
                entry.state,
                entry.appointment.service.display_name(),
                entry.ticket and entry.ticket.display_number,
                entry.ticket and entry.ticket.counter and entry.ticket.counter.number,
            )
            for entry in agenda.appointments
        ]

    assert len(shown) == 12
    assert shown[0][3] == 1  # at counter 1, read along
    assert len(queries) == 1, [query["sql"] for query in queries]


def test_the_page_takes_as_many_queries_for_many_appointments_as_for_one(
    booking: BookingCentre, clerk: User, session: CounterSession
) -> None:
    client = english(clerk)
    call(session, check_in(book_at(booking, at(DAY, 8))), clerk)
    with CaptureQueriesContext(connection) as one:
        assert client.get(day_url(booking)).status_code == 200
    for index in range(12):
        appointment = book_at(booking, at(DAY, 9 + index // 4, index % 4 * 15))
        if index % 2 == 0:
            check_in(appointment)
    with CaptureQueriesContext(connection) as many:
        response = client.get(day_url(booking))

    assert response.context["agenda"].total == 13
    assert len(many) == len(one)


# The page ---------------------------------------------------------------------------------------


def test_the_page_shows_each_appointment_with_its_state_in_words(
    booking: BookingCentre, clerk: User, session: CounterSession
) -> None:
    called = book_at(booking, at(DAY, 10, 30), name="Bo Holm")
    ticket = check_in(called)
    call(session, ticket, clerk)
    cancelled = book_at(booking, at(DAY, 15))
    cancel_appointment(cancelled, staff=clerk, send_confirmation=False)
    erased = book_at(booking, at(DAY, 8))
    Appointment.objects.filter(pk=erased.pk).update(name="", phone="", erased_at=NOW)

    response = english(clerk).get(day_url(booking))
    page = text(response)

    assert response.status_code == 200
    assert "<caption>Appointments at " in page
    assert row_state(page, called.code) == "called"
    assert f'href="/staff/appointments/{called.code}/"' in page
    assert called.display_code in page
    assert "Bo Holm" in page
    assert f"<strong>{ticket.display_number}</strong>" in page
    assert "Called</span>" in page and "at counter 1" in page
    assert row_state(page, cancelled.code) == "cancelled"
    assert 'Cancelled</span> <span class="day-detail">(by staff)</span>' in page
    assert row_state(page, erased.code) == "booked"
    assert '<span class="day-erased">erased</span>' in page
    summary = re.search(
        r'<div id="day-summary"[^>]*aria-live="polite"[^>]*>(.*?)</div>\s*</section>', page, re.S
    )
    assert summary, "the summary is the polite live region"
    assert re.search(r'data-state="called"><dt>Called</dt><dd>1</dd>', summary.group(1))
    assert re.search(r'data-state="total"><dt>All appointments</dt><dd>3</dd>', summary.group(1))


def test_today_is_live_and_other_days_are_not(booking: BookingCentre, clerk: User) -> None:
    lead = make_staff(Role.TEAM_LEAD, [booking.location])
    slug = booking.location.slug

    as_lead = text(english(lead).get(day_url(booking)))
    as_clerk = text(english(clerk).get(day_url(booking)))
    tomorrow = text(english(lead).get(day_url(booking, "2026-11-11")))

    assert f'data-live-events="/api/v1/locations/{slug}/staff-events"' in as_lead
    # Counter staff may not watch the live floor: the public stream only signals a change.
    assert f'data-live-events="/api/v1/locations/{slug}/events"' in as_clerk
    kinds = re.search(r'data-live-kinds="([^"]*)"', as_clerk)
    assert kinds and "changed" in kinds.group(1).split()
    assert f'data-panel-url="/staff/appointments/day/{slug}/panel/?date=2026-11-10"' in as_lead
    assert 'aria-current="date"' in as_lead
    assert "data-live-events" not in tomorrow
    assert 'aria-current="date"' not in tomorrow
    assert f'href="/staff/appointments/day/{slug}/?date=2026-11-10" rel="prev"' in tomorrow
    assert f'href="/staff/appointments/day/{slug}/?date=2026-11-12" rel="next"' in tomorrow


def test_the_panel_holds_the_summary_and_the_table(booking: BookingCentre, clerk: User) -> None:
    appointment = book_at(booking, at(DAY, 12))
    check_in(appointment)

    response = english(clerk).get(day_url(booking) + "panel/?date=2026-11-10")
    fragment = text(response)

    assert response.status_code == 200
    assert '<div data-part="day-summary">' in fragment
    assert '<div data-part="day-table">' in fragment
    assert row_state(fragment, appointment.code) == "checked_in"
    assert "<html" not in fragment


def test_an_employee_with_several_centres_can_choose_among_them(
    booking: BookingCentre,
) -> None:
    other = make_booking_centre()
    both = make_staff(Role.COUNTER_STAFF, [booking.location, other.location])
    one = make_staff(Role.COUNTER_STAFF, [booking.location])

    chooser = text(english(both).get(day_url(booking, "2026-11-12")))
    alone = text(english(one).get(day_url(booking)))

    assert f'href="/staff/appointments/day/{other.location.slug}/?date=2026-11-12"' in chooser
    assert 'aria-current="page"' in chooser
    assert other.location.slug not in alone


def test_the_staff_pages_link_to_the_day_view(booking: BookingCentre) -> None:
    lead = make_staff(Role.TEAM_LEAD, [booking.location])
    url = day_url(booking)

    assert f'href="{url}"' in text(english(lead).get("/staff/"))
    assert f'href="{url}"' in text(english(lead).get("/staff/appointments/"))


# Access and bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize("panel", [False, True])
def test_only_staff_who_manage_bookings_at_the_centre_see_it(
    booking: BookingCentre, panel: bool
) -> None:
    url = day_url(booking) + ("panel/" if panel else "")
    elsewhere = make_booking_centre()
    stranger = User.objects.create_user("stranger", password="a-long-test-password")

    assert Client().get(url).status_code == 302  # to the login page
    assert make_staff_client(stranger).get(url).status_code == 403
    assert make_staff_client(make_staff(locations=[elsewhere.location])).get(url).status_code == 403
    assert make_staff_client(make_staff(locations=[booking.location])).get(url).status_code == 200
    unknown = url.replace(booking.location.slug, "no-such-centre")
    assert make_staff_client(make_staff()).get(unknown).status_code == 404


def test_the_page_only_reads(booking: BookingCentre, clerk: User) -> None:
    assert make_staff_client(clerk).post(day_url(booking)).status_code == 405


@pytest.mark.parametrize(
    "date",
    [
        "yesterday",
        "2026-13-01",
        "2026-02-30",
        "2026-1-1",
        "10-11-2026",
        "0001-01-01",
        "9999-12-31",
        "2026-11-10" + "0" * 50,
        "٢٠٢٦-١١-١٠",
    ],
)
def test_a_bad_date_is_400_with_a_clear_message(
    booking: BookingCentre, clerk: User, date: str
) -> None:
    client = english(clerk)

    page = client.get(day_url(booking), {"date": date})
    panel = client.get(day_url(booking) + "panel/", {"date": date})

    assert page.status_code == 400
    assert "Give a date such as 2026-12-08." in text(page) or (
        "Choose a date within ten years of today." in text(page)
    )
    assert 'role="alert"' in text(page)
    assert panel.status_code == 400
