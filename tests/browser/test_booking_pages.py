"""The booking pages in a real browser against the real server.

A citizen books the earliest free time (centre → service → first free time → name and phone),
gets the confirmation with the reference code and a calendar file, opens the link to the
appointment, moves it (the code stays) and cancels it, after which the time is offered again.
An employee books on a citizen's behalf on the phone. axe-core checks every booking page in
Danish, and the pages once more in English.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from skranke.booking.models import Appointment, AppointmentStatus, BookingSource
from skranke.booking.tests.factories import make_booking_centre
from skranke.catalogue.models import Service
from skranke.organisation.models import Location
from skranke.queue.tests.factories import make_staff
from skranke.testing.browser import BrowserProblems, assert_accessible
from skranke.testing.server import RunningServer

pytestmark = pytest.mark.browser

Screenshot = Callable[[Page, str], Path]

PASSWORD = "a-long-test-password"  # what make_staff gives everyone


def log_in(page: Page, server: RunningServer, user: User, path: str) -> None:
    """Open ``path``, sign in on the login page it leads to, and land on ``path``."""
    page.goto(f"{server.url}{path}")
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    page.get_by_label("Brugernavn").fill(user.get_username())
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    expect(page).to_have_url(f"{server.url}{path}")


def check(page: Page, screenshot: Screenshot, name: str) -> None:
    assert_accessible(page, name)
    screenshot(page, f"booking-{name}")


def test_a_citizen_books_moves_and_cancels_and_staff_book_on_the_phone(
    asgi_server: RunningServer,
    page: Page,
    browser_problems: BrowserProblems,
    screenshot: Screenshot,
) -> None:
    booking = make_booking_centre(capacity=1, max_people=3, extra_minutes_per_person=10)
    Location.objects.filter(pk=booking.location.pk).update(
        name="Borgerservice Rådhuset", address="Rådhuspladsen 1", postal_code="8900", city="Randers"
    )
    Service.objects.filter(pk=booking.passport.pk).update(
        name="Pas til voksne",
        what_to_bring="Dit gamle pas og et nyt pasfoto.",
        what_to_bring_en="Your old passport and a new passport photo.",
    )
    url = asgi_server.url

    # Centre → service → the earliest free time.
    page.goto(f"{url}/")
    expect(page.locator("html")).to_have_attribute("lang", "da")
    page.locator('a[href="/booking/"]').click()
    check(page, screenshot, "centres-da")
    page.get_by_role("link", name=re.compile("Borgerservice Rådhuset")).click()
    check(page, screenshot, "services-da")
    page.get_by_role("link", name=re.compile("Pas til voksne")).click()
    expect(page.locator("#book-first-free")).to_be_visible()
    check(page, screenshot, "times-da")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "booking-times-phone-da")
    page.set_viewport_size({"width": 1280, "height": 800})
    first_free = page.locator("#book-first-free").get_attribute("value")
    page.locator("#book-first-free").click()

    # The time is held while the form is filled in.
    expect(page.locator("#name")).to_be_visible()
    expect(page.locator(".held-until")).to_contain_text(":")
    check(page, screenshot, "details-da")
    page.locator("#book").click()  # nothing filled in: the name is asked for
    expect(page.locator("#name-error")).to_be_visible()
    check(page, screenshot, "details-error-da")
    # The refused form came with a 400, which the browser logs; nothing else may have been.
    assert len(browser_problems.console_errors) == 1 and "400" in browser_problems.console_errors[0]
    browser_problems.clear()
    page.locator("#name").fill("Anna Jensen")
    page.locator("#phone").fill("20 30 40 50")
    page.locator("#book").click()

    # The confirmation: code, time and place, what to bring, the calendar file, the link.
    expect(page).to_have_url(re.compile(r"/booking/manage/\w{8}/[\w-]+/confirmation/$"))
    appointment = Appointment.objects.get()
    assert timezone.localtime(appointment.starts_at).isoformat() == first_free
    expect(page.locator(".booking-code")).to_have_text(appointment.display_code)
    expect(page.get_by_text("Dit gamle pas og et nyt pasfoto.")).to_be_visible()
    check(page, screenshot, "confirmation-da")
    calendar = page.request.get(url + (page.locator("#calendar-link").get_attribute("href") or ""))
    assert calendar.status == 200
    assert calendar.headers["content-type"].startswith("text/calendar")
    assert f"UID:{appointment.code}@" in calendar.text()

    # The link: move to another day, the code stays.
    page.locator("#manage-link").click()
    expect(page).to_have_url(re.compile(r"/booking/manage/\w{8}/[\w-]+/$"))
    manage_url = page.url
    check(page, screenshot, "manage-da")
    page.locator("#move-link").click()
    page.locator(".day-strip a").nth(2).click()
    expect(page.locator(".day-chosen")).to_be_visible()
    check(page, screenshot, "move-da")
    new_time = page.locator(".day-times .time-button").nth(4)
    new_start = new_time.get_attribute("value")
    new_time.click()
    expect(page).to_have_url(manage_url)
    appointment.refresh_from_db()
    assert timezone.localtime(appointment.starts_at).isoformat() == new_start
    assert appointment.sequence == 1 and Appointment.objects.count() == 1
    expect(page.locator(".booking-code")).to_have_text(appointment.display_code)
    check(page, screenshot, "moved-da")

    # Cancel: the time is offered again.
    page.locator("#cancel-link").click()
    check(page, screenshot, "cancel-da")
    page.locator("#confirm-cancel").click()
    expect(page).to_have_url(manage_url)
    expect(page.locator(".booking-cancelled")).to_be_visible()
    check(page, screenshot, "cancelled-da")
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    day = timezone.localtime(appointment.starts_at).date().isoformat()
    page.goto(f"{url}/booking/{booking.location.slug}/{booking.passport.slug}/?date={day}")
    expect(page.locator(f'.day-times button[value="{new_start}"]')).to_be_visible()

    # Once in English: the times, the form and the appointment's pages.
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    check(page, screenshot, "times-en")
    page.locator("#book-first-free").click()
    check(page, screenshot, "details-en")
    page.goto(manage_url)
    check(page, screenshot, "cancelled-en")
    page.goto(f"{url}/accessibility/")
    check(page, screenshot, "accessibility-en")
    page.get_by_role("button", name="Dansk").click()
    expect(page.locator("html")).to_have_attribute("lang", "da")
    check(page, screenshot, "accessibility-da")

    # An employee books on the phone for a citizen.
    clerk = make_staff(username="tove", first_name="Tove", last_name="Holm", is_staff=True)
    log_in(page, asgi_server, clerk, "/staff/appointments/")
    check(page, screenshot, "staff-start-da")
    page.get_by_role("link", name=re.compile("Pas til voksne")).click()
    check(page, screenshot, "staff-times-da")
    page.locator("#book-first-free").click()
    expect(page.locator("#send-confirmation")).to_be_checked()
    page.locator("#name").fill("Bo Hansen")
    page.locator("#email").fill("bo@example.dk")
    check(page, screenshot, "staff-details-da")
    page.locator("#book").click()
    expect(page).to_have_url(re.compile(r"/staff/appointments/\w{8}/$"))
    by_phone = Appointment.objects.get(source=BookingSource.PHONE)
    assert by_phone.created_by == clerk and by_phone.email == "bo@example.dk"
    expect(page.get_by_role("heading", level=1)).to_contain_text(by_phone.display_code)
    check(page, screenshot, "staff-appointment-da")
    page.goto(f"{url}/staff/appointments/?code={by_phone.code.lower()}")
    expect(page).to_have_url(f"{url}/staff/appointments/{by_phone.code}/")
    browser_problems.assert_none()
