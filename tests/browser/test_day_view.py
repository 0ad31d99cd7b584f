"""The staff day view in a real browser against the real server.

A team lead opens today's appointments at a centre: each row says its state in words and the
summary counts them. A checked-in citizen is called at a counter through the queue engine
while the page is open: the row and the summary change without a reload (the staff stream).
A counter employee, who may not watch the live floor, sees the same citizen's visit finished
arrive through the centre's public stream. axe-core checks each state; screenshots at desktop,
tablet and TV sizes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from skranke.booking.models import Appointment, AppointmentStatus, CancelReason
from skranke.booking.tests.day_setup import (
    book_at,
    check_in,
    mark_no_show_at_booking,
    serve,
)
from skranke.booking.tests.factories import at, make_booking_centre
from skranke.lib.localtime import local_date
from skranke.organisation.models import Role
from skranke.queue import services as queue
from skranke.queue.models import Outcome
from skranke.queue.tests.factories import make_staff
from skranke.testing.browser import BrowserProblems, assert_accessible
from skranke.testing.server import RunningServer

pytestmark = pytest.mark.browser

Screenshot = Callable[[Page, str], Path]

PASSWORD = "a-long-test-password"  # what make_staff gives everyone
TABLET = {"width": 820, "height": 1180}
TABLET_LANDSCAPE = {"width": 1180, "height": 820}
TV = {"width": 1920, "height": 1080}


def log_in(page: Page, server: RunningServer, user: User, path: str) -> None:
    """Open ``path``, sign in on the login page it leads to, and land on ``path``."""
    page.goto(f"{server.url}{path}")
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    page.get_by_label("Brugernavn").fill(user.get_username())
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    expect(page).to_have_url(f"{server.url}{path}")


def test_a_call_at_the_counter_reaches_the_open_day_view(
    asgi_server: RunningServer,
    browser: Browser,
    page: Page,
    browser_problems: BrowserProblems,
    screenshot: Screenshot,
) -> None:
    booking = make_booking_centre(capacity=10)
    location = booking.location
    today = local_date(timezone.now())
    # Times early in the day, booked the day before: the same whenever the test runs.
    served = book_at(booking, at(today, 0, 0), name="Karen Holm")
    absent = book_at(booking, at(today, 0, 15), name="Ole Berg")
    waiting = book_at(booking, at(today, 0, 30), name="Bo Jensen")
    booked = book_at(booking, at(today, 0, 45), name="Anna Møller")
    erased = book_at(booking, at(today, 1, 0), name="Lis Dam")
    cancelled = book_at(booking, at(today, 1, 15), name="Per Lund")
    clerk = make_staff(
        Role.COUNTER_STAFF, [location], first_name="Tove", last_name="Holm", is_staff=True
    )
    session = queue.open_counter(booking.centre.counters[0], clerk, [booking.centre.passports])
    serve(session, check_in(served), clerk)
    mark_no_show_at_booking(absent)
    ticket = check_in(waiting)
    Appointment.objects.filter(pk=erased.pk).update(name="", phone="", erased_at=timezone.now())
    Appointment.objects.filter(pk=cancelled.pk).update(
        status=AppointmentStatus.CANCELLED,
        cancelled_at=timezone.now(),
        cancel_reason=CancelReason.CLOSURE,
    )
    lead = make_staff(Role.TEAM_LEAD, [location, make_booking_centre().location], is_staff=True)
    path = f"/staff/appointments/day/{location.slug}/"

    log_in(page, asgi_server, lead, path)
    expect(page.locator("html")).to_have_attribute("lang", "da")
    state = page.locator("#live-state")
    expect(state).to_have_text(state.get_attribute("data-text-open") or "")
    row = page.locator(f'tr[data-code="{waiting.code}"]')
    expect(row).to_have_attribute("data-state", "checked_in")
    expect(row.locator('[data-figure="ticket"]')).to_have_text(ticket.display_number)
    expect(page.locator(f'tr[data-code="{served.code}"]')).to_have_attribute("data-state", "served")
    expect(page.locator(f'tr[data-code="{absent.code}"]')).to_have_attribute(
        "data-state", "no_show"
    )
    expect(page.locator(f'tr[data-code="{booked.code}"]')).to_have_attribute("data-state", "booked")
    expect(page.locator(f'tr[data-code="{erased.code}"] .day-erased')).to_have_count(1)
    called_count = page.locator('#day-summary [data-state="called"] dd')
    expect(called_count).to_have_text("0")
    assert_accessible(page, "day view, Danish")
    screenshot(page, "day-view-da")

    # Called at counter 1 through the engine while the page is open: no reload.
    # A keyboard user on the row's link keeps their place when the table is replaced.
    code_link = row.get_by_role("link", name=waiting.display_code)
    code_link.focus()
    page.evaluate("document.documentElement.dataset.loadedOnce = 'yes'")
    queue.call_ticket(session, ticket, clerk)
    expect(row).to_have_attribute("data-state", "called")
    expect(code_link).to_be_focused()
    expect(row.locator('[data-figure="state"]')).to_contain_text("1")
    expect(called_count).to_have_text("1")
    expect(page.locator('#day-summary [data-state="checked_in"] dd')).to_have_text("0")
    assert page.evaluate("document.documentElement.dataset.loadedOnce") == "yes"
    assert_accessible(page, "day view after a call, Danish")
    screenshot(page, "day-view-called-da")

    page.set_viewport_size(TABLET)
    screenshot(page, "day-view-tablet-da")
    page.set_viewport_size(TABLET_LANDSCAPE)
    screenshot(page, "day-view-tablet-landscape-da")
    page.set_viewport_size(TV)
    screenshot(page, "day-view-tv-da")
    page.set_viewport_size({"width": 1280, "height": 800})

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("caption")).to_contain_text("Appointments at")
    expect(row.locator('[data-figure="state"]')).to_contain_text("Called at counter 1")
    assert_accessible(page, "day view, English")
    screenshot(page, "day-view-en")

    # The next day is a plain page: no stream.
    page.get_by_role("link", name="Next day").click()
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    expect(page).to_have_url(f"{asgi_server.url}{path}?date={tomorrow}")
    expect(page.locator("#live-state")).to_have_count(0)
    expect(page.get_by_text("No appointments on this day.")).to_be_visible()
    assert_accessible(page, "day view, another day, English")
    screenshot(page, "day-view-next-day-en")
    browser_problems.assert_none()
    page.goto(f"{asgi_server.url}{path}?date=tomorrow")
    expect(page.get_by_role("alert")).to_contain_text("Give a date such as")
    assert_accessible(page, "day view, bad date, English")
    screenshot(page, "day-view-bad-date-en")
    # The browser reports the 400 itself, and nothing else.
    assert [error for error in browser_problems.console_errors if "400" not in error] == []
    assert not browser_problems.page_errors and not browser_problems.csp_violations

    # A counter employee (no live floor) watches the same day; the visit is finished.
    context = browser.new_context(
        locale="da-DK", timezone_id="Europe/Copenhagen", viewport={"width": 1280, "height": 800}
    )
    try:
        clerk_problems = BrowserProblems.watch(context)
        clerk_page = context.new_page()
        log_in(clerk_page, asgi_server, clerk, path)
        clerk_state = clerk_page.locator("#live-state")
        expect(clerk_state).to_have_text(clerk_state.get_attribute("data-text-open") or "")
        clerk_row = clerk_page.locator(f'tr[data-code="{waiting.code}"]')
        expect(clerk_row).to_have_attribute("data-state", "called")
        queue.finish(ticket, clerk, outcome=Outcome.RESOLVED_FIRST_CONTACT)
        expect(clerk_row).to_have_attribute("data-state", "served")
        expect(clerk_page.locator('#day-summary [data-state="served"] dd')).to_have_text("2")
        assert_accessible(clerk_page, "day view for counter staff, Danish")
        screenshot(clerk_page, "day-view-counter-staff-da")
        clerk_problems.assert_none()
    finally:
        context.close()
