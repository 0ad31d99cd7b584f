"""Checking in for an appointment at the kiosk, in a real browser against the real server.

A citizen books a passport appointment; a walk-in draws a number at the kiosk first; the citizen
checks in at the kiosk with the reference code (typed with a dash and in lower case, then Enter,
as a QR scanner types it) and gets the appointment's number; at the counter "call next" calls
the appointment ahead of the earlier walk-in. Too early says when to come back; too late offers
an ordinary number where the centre does so (drawn the walk-in way), or asks the citizen to
speak to staff. axe-core checks every check-in page, in Danish and English, on a tablet and a TV.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, ViewportSize, expect

from skranke.access.models import DeviceAccount, DevicePurpose
from skranke.booking.models import Appointment, AppointmentStatus, LateArrival
from skranke.booking.services import book
from skranke.booking.tests.factories import BookingCentre, book_passports_at, citizen
from skranke.lib.localtime import local_zone
from skranke.organisation.models import Team, TeamKind
from skranke.queue.models import Priority, Source, Ticket, TicketStatus
from skranke.queue.tests.factories import make_centre, make_staff
from skranke.testing.browser import assert_accessible
from skranke.testing.server import RunningServer
from tests.browser.number_flow import (
    TABLET,
    Screen,
    log_in_to_counter,
    open_screens,
    pair,
    switch_language,
)

pytestmark = pytest.mark.browser

Screenshot = Callable[[Page, str], Path]
TV = ViewportSize(width=1920, height=1080)


def quarter(instant: dt.datetime) -> dt.datetime:
    """``instant`` rounded down to a quarter of an hour (a slot start)."""
    return instant.replace(minute=instant.minute - instant.minute % 15, second=0, microsecond=0)


def booked(booking: BookingCentre, start: dt.datetime, number: int) -> Appointment:
    return book(
        booking.location,
        booking.passport,
        start,
        citizen(number, name="Anna Jensen"),
        send_confirmation=False,
        now=start - dt.timedelta(hours=2),
    ).appointment


def clock(instant: dt.datetime) -> str:
    return f"{instant.astimezone(local_zone()):%H:%M}"


def type_code(kiosk: Screen, code: str) -> None:
    """Type the code into the focused field and press Enter, as a scanner does."""
    field = kiosk.page.locator("#code")
    expect(field).to_be_focused()
    kiosk.page.keyboard.type(code)
    kiosk.page.keyboard.press("Enter")


def forget_the_refusals_status(screen: Screen) -> None:
    """A refusal answers 404 or 409, which Chromium logs as a failed load: expected here, and
    nothing else may have been logged."""
    logged = screen.problems.console_errors
    assert logged and all(re.search(r"status of 40[49] .*/check-in/", text) for text in logged), (
        logged
    )
    screen.problems.clear()


def open_check_in(kiosk: Screen, server: RunningServer, booking: BookingCentre) -> None:
    kiosk.page.goto(f"{server.url}/kiosk/{booking.location.slug}/")
    kiosk.page.locator(".kiosk-appointment a").click()
    expect(kiosk.page).to_have_url(re.compile(r"/check-in/$"))


def test_a_checked_in_appointment_is_called_ahead_of_an_earlier_walk_in(
    asgi_server: RunningServer, browser: Browser, screenshot: Screenshot
) -> None:
    centre = make_centre()
    booking = book_passports_at(centre, capacity=3)
    # A window wide enough that the quarter-hour slot holding "now" can be checked in at once.
    booking.calendar.checkin_late_minutes = 20
    booking.calendar.save()
    now = timezone.now()
    appointment = booked(booking, quarter(now), 0)
    staff = make_staff(username="tove", first_name="Tove", is_staff=True)
    team = Team.objects.create(name="Team Pas", kind=TeamKind.FRONT)
    team.subject_areas.set([centre.passport.subject_area])
    staff.staff_profile.teams.set([team])

    with open_screens(browser) as screens:
        kiosk = screens.open("kiosk", TABLET, touch=True)
        device = DeviceAccount.objects.create(
            location=centre.location, purpose=DevicePurpose.KIOSK, name="Kiosk"
        )
        pair(kiosk, asgi_server, device, "da")
        page = kiosk.page

        # A walk-in draws a number first.
        page.goto(f"{asgi_server.url}/kiosk/{centre.location.slug}/")
        page.get_by_role("link", name=centre.passport.subject_area.name).tap()
        page.get_by_role("button", name=centre.passport.name).tap()
        expect(page.locator(".kiosk-number")).to_have_text("P001")
        walk_in = Ticket.objects.get()
        assert walk_in.source == Source.KIOSK

        # The citizen with the appointment chooses "I have an appointment" and scans the code.
        page.goto(f"{asgi_server.url}/kiosk/{centre.location.slug}/")
        assert_accessible(page, "kiosk start with the appointment choice, Danish")
        screenshot(page, "kiosk-check-in-start-da")
        open_check_in(kiosk, asgi_server, booking)
        assert_accessible(page, "kiosk check-in form, Danish")
        screenshot(page, "kiosk-check-in-form-da")
        type_code(kiosk, f"{appointment.code[:4].lower()}-{appointment.code[4:].lower()}")
        expect(page).to_have_url(re.compile(r"/number/[\w-]+/$"))
        expect(page.locator(".kiosk-number")).to_have_text("P002")
        expect(page.locator(".kiosk-checked-in")).to_contain_text(clock(appointment.starts_at))
        expect(page.locator("main")).not_to_contain_text("Anna")
        assert_accessible(page, "kiosk: checked in, the appointment's number, Danish")
        screenshot(page, "kiosk-check-in-number-da")
        switch_language(kiosk)
        expect(page.locator(".kiosk-checked-in")).to_contain_text(
            f"You are checked in for your appointment at {clock(appointment.starts_at)}."
        )
        assert_accessible(page, "kiosk: checked in, the appointment's number, English")
        screenshot(page, "kiosk-check-in-number-en")

        ticket = Ticket.objects.get(display_number="P002")
        assert (ticket.source, ticket.priority) == (Source.APPOINTMENT, Priority.APPOINTMENT)
        appointment.refresh_from_db()
        assert appointment.status == AppointmentStatus.CHECKED_IN
        assert appointment.ticket == ticket

        # At the counter, "call next" calls the appointment ahead of the earlier walk-in.
        counter = screens.open("counter", {"width": 1280, "height": 900})
        log_in_to_counter(counter, asgi_server, staff, centre)
        counter.page.locator("#call-next").click()
        expect(counter.page.locator("#current-number")).to_have_text("P002")
        screenshot(counter.page, "kiosk-check-in-counter-calls-appointment")
        ticket.refresh_from_db()
        walk_in.refresh_from_db()
        assert ticket.status == TicketStatus.CALLED
        assert walk_in.status == TicketStatus.WAITING
        screens.assert_no_problems()


def test_too_early_and_too_late_are_answered_as_the_centre_chose(
    asgi_server: RunningServer, browser: Browser, screenshot: Screenshot
) -> None:
    centre = make_centre()
    booking = book_passports_at(centre, capacity=3)
    # No early check-in and none late: a slot a quarter ahead is too early, one a quarter ago
    # too late, at any time of day but the quarters around midnight.
    booking.calendar.checkin_early_minutes = 0
    booking.calendar.checkin_late_minutes = 0
    booking.calendar.save()
    now = timezone.now()
    later = booked(booking, quarter(now) + dt.timedelta(minutes=15), 0)
    earlier = booked(booking, quarter(now) - dt.timedelta(minutes=15), 1)
    if (
        later.starts_at.astimezone(local_zone()).date()
        != earlier.starts_at.astimezone(local_zone()).date()
    ):
        pytest.skip(
            "run within a quarter of an hour of local midnight: the too-early and too-late "
            "bookings would fall on two days"
        )

    with open_screens(browser) as screens:
        kiosk = screens.open("kiosk", TABLET, touch=True)
        device = DeviceAccount.objects.create(
            location=centre.location, purpose=DevicePurpose.KIOSK, name="Kiosk"
        )
        pair(kiosk, asgi_server, device, "da")
        page = kiosk.page

        # An unknown code: said plainly, the field marked, to try again.
        open_check_in(kiosk, asgi_server, booking)
        type_code(kiosk, "ZZZZ ZZZZ")
        expect(page.get_by_role("alert")).to_be_visible()
        expect(page.locator("#code")).to_have_attribute("aria-invalid", "true")
        assert_accessible(page, "kiosk check-in, unknown code, Danish")
        screenshot(page, "kiosk-check-in-not-found-da")
        forget_the_refusals_status(kiosk)

        # Too early: when to come back.
        open_check_in(kiosk, asgi_server, booking)
        switch_language(kiosk)
        assert_accessible(page, "kiosk check-in form, English")
        screenshot(page, "kiosk-check-in-form-en")
        type_code(kiosk, later.code)
        expect(page.get_by_role("alert")).to_contain_text(
            f"Please come back and check in from {clock(later.starts_at)}."
        )
        assert_accessible(page, "kiosk check-in, too early, English")
        screenshot(page, "kiosk-check-in-too-early-en")
        forget_the_refusals_status(kiosk)

        # Too late where the centre offers a walk-in number: one tap draws it the walk-in way.
        open_check_in(kiosk, asgi_server, booking)
        type_code(kiosk, earlier.code)
        expect(page.get_by_role("alert")).to_contain_text("You can take an ordinary number")
        offer = page.get_by_role("button", name=re.compile("Take an ordinary number"))
        assert_accessible(page, "kiosk check-in, too late with a walk-in number, English")
        screenshot(page, "kiosk-check-in-too-late-walk-in-en")
        forget_the_refusals_status(kiosk)
        offer.tap()
        expect(page.locator(".kiosk-number")).to_have_text("P001")
        drawn = Ticket.objects.get()
        assert (drawn.source, drawn.priority) == (Source.KIOSK, Priority.NORMAL)
        expect(page.locator(".kiosk-checked-in")).to_have_count(0)

        # Too late where the centre refuses late arrivals: speak to staff, no number offered.
        booking.calendar.late_arrival = LateArrival.REFUSE
        booking.calendar.save()
        tv = screens.open("kiosk on a TV", TV)
        tv_device = DeviceAccount.objects.create(
            location=centre.location, purpose=DevicePurpose.KIOSK, name="Kiosk TV"
        )
        pair(tv, asgi_server, tv_device, "da")
        open_check_in(tv, asgi_server, booking)
        type_code(tv, earlier.code)
        expect(tv.page.get_by_role("alert")).to_be_visible()
        expect(tv.page.locator("form[action$='/draw/']")).to_have_count(0)
        assert_accessible(tv.page, "kiosk check-in on a TV, too late, refused, Danish")
        screenshot(tv.page, "kiosk-check-in-too-late-refused-tv-da")
        forget_the_refusals_status(tv)
        open_check_in(tv, asgi_server, booking)
        switch_language(tv)
        type_code(tv, earlier.code)
        expect(tv.page.get_by_role("alert")).to_contain_text("Please speak to a member of staff.")
        expect(tv.page.locator("form[action$='/draw/']")).to_have_count(0)
        assert_accessible(tv.page, "kiosk check-in on a TV, too late, refused, English")
        screenshot(tv.page, "kiosk-check-in-too-late-refused-tv-en")
        forget_the_refusals_status(tv)
        assert Ticket.objects.count() == 1
        screens.assert_no_problems()
