"""An appointment checked in, or missed (no-show), as its citizen and staff see it in a real
browser: the citizen's page says what happened (their number, or where to book again) and
offers no move or cancel; the staff page shows its history and why it cannot change. axe-core
checks each page, in Danish and English; screenshots at phone, tablet and desktop sizes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, ViewportSize, expect

from skranke.booking.services import Booked, book, clean_contact, record_no_shows
from skranke.booking.services.checkin import check_in
from skranke.booking.tests.factories import make_booking_centre
from skranke.organisation.models import Location, Role
from skranke.queue.tests.factories import make_staff
from skranke.testing.browser import BrowserProblems, assert_accessible
from skranke.testing.server import RunningServer

pytestmark = pytest.mark.browser

Screenshot = Callable[[Page, str], Path]

PASSWORD = "a-long-test-password"  # what make_staff gives everyone
PHONE: ViewportSize = {"width": 390, "height": 844}
TABLET: ViewportSize = {"width": 820, "height": 1180}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}


def log_in(page: Page, server: RunningServer, user: User, path: str) -> None:
    page.goto(f"{server.url}{path}")
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    page.get_by_label("Brugernavn").fill(user.get_username())
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    expect(page).to_have_url(f"{server.url}{path}")


def quarter(instant: dt.datetime) -> dt.datetime:
    """``instant`` rounded down to a quarter of an hour (a slot start)."""
    return instant.replace(minute=instant.minute - instant.minute % 15, second=0, microsecond=0)


def test_checked_in_and_missed_appointments_as_citizens_and_staff_see_them(
    asgi_server: RunningServer,
    page: Page,
    browser_problems: BrowserProblems,
    screenshot: Screenshot,
) -> None:
    booking = make_booking_centre(capacity=2)
    Location.objects.filter(pk=booking.location.pk).update(
        name="Borgerservice Rådhuset", address="Rådhuspladsen 1", postal_code="8900", city="Randers"
    )
    now = timezone.now()
    soon, past = quarter(now + dt.timedelta(hours=2)), quarter(now - dt.timedelta(hours=2))
    made_at = now - dt.timedelta(days=2)

    def book_for(start: dt.datetime, phone: str) -> Booked:
        contact = clean_contact("Anna Jensen", phone=phone, email="anna@example.dk")
        return book(booking.location, booking.passport, start, contact, now=made_at)

    arrived, missed = book_for(soon, "20304050"), book_for(past, "20304051")
    check_in(booking.location, arrived.appointment.code, now=soon - dt.timedelta(minutes=5))
    arrived.appointment.refresh_from_db()
    record_no_shows(now=past + dt.timedelta(minutes=6))
    url = asgi_server.url

    def manage(made: Booked) -> str:
        return f"{url}/booking/manage/{made.appointment.code}/{made.secret}/"

    # The citizen, on a phone: checked in, with the number to watch for.
    page.set_viewport_size(PHONE)
    page.goto(manage(arrived))
    # (Checked by the page's structure: the new sentences are translated by the lead later.)
    expect(page.locator(".booking-checked_in[role=status]")).to_contain_text(
        arrived.appointment.ticket.display_number if arrived.appointment.ticket else "?"
    )
    expect(page.locator("#move-link")).to_have_count(0)
    expect(page.locator("#cancel-link")).to_have_count(0)
    assert_accessible(page, "checked in, the citizen's page")
    screenshot(page, "booking-state-checked-in-phone-da")

    page.goto(manage(arrived) + "cancel/")
    expect(page.locator("#not-changeable")).to_be_visible()
    expect(page.locator("#confirm-cancel")).to_have_count(0)
    assert_accessible(page, "checked in, the cancel page")
    screenshot(page, "booking-state-checked-in-cancel-phone-da")

    # Missed: where to book a new time, which the link opens.
    page.set_viewport_size(TABLET)
    page.goto(manage(missed))
    expect(page.locator(".booking-no_show[role=status]")).to_be_visible()
    assert_accessible(page, "no-show, the citizen's page")
    screenshot(page, "booking-state-no-show-tablet-da")
    page.locator("#new-time-link").click()
    expect(page).to_have_url(re.compile(rf"/booking/{booking.location.slug}/"))

    # The same in English.
    page.context.add_cookies([{"name": "skranke_language", "value": "en", "url": url}])
    page.goto(manage(missed))
    expect(page.get_by_role("status")).to_contain_text("Nobody checked in")
    assert_accessible(page, "no-show, the citizen's page in English")
    screenshot(page, "booking-state-no-show-tablet-en")
    page.context.clear_cookies()

    # Staff: the history and why it cannot change.
    page.set_viewport_size(DESKTOP)
    clerk = make_staff(Role.COUNTER_STAFF, [booking.location], is_staff=True)
    staff_path = reverse("booking:staff-appointment", args=[arrived.appointment.code])
    log_in(page, asgi_server, clerk, staff_path)
    expect(page.locator("#appointment-history")).to_contain_text(
        arrived.appointment.ticket.display_number if arrived.appointment.ticket else "?"
    )
    expect(page.locator("#not-changeable")).to_be_visible()
    expect(page.locator("#move-link")).to_have_count(0)
    assert_accessible(page, "checked in, the staff page")
    screenshot(page, "booking-state-checked-in-staff-da")

    page.goto(url + reverse("booking:staff-appointment", args=[missed.appointment.code]))
    expect(page.locator(".booking-no_show[role=status]")).to_be_visible()
    assert_accessible(page, "no-show, the staff page")
    screenshot(page, "booking-state-no-show-staff-da")
    browser_problems.assert_none()
