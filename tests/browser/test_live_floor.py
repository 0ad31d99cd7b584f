"""The manager's home and the live floor in a real browser against the real server.

A manager signs in and lands on the home page with today's figures; on the live floor a number
drawn at the kiosk and called at a counter appears in the right rows at once (the staff stream,
no reload); a display whose heartbeat stops is flagged by the page's clock and cleared when it
beats again. axe-core checks each state, in Danish and in English.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from skranke.access.models import DeviceAccount, DevicePurpose
from skranke.lib.localtime import local_date
from skranke.organisation.models import Role
from skranke.queue import services
from skranke.queue.models import Source
from skranke.queue.tests.factories import make_centre, make_device_client, make_staff
from skranke.reports.models import GoalKind, ServiceGoal
from skranke.testing.browser import BrowserProblems, assert_accessible
from skranke.testing.server import RunningServer

pytestmark = pytest.mark.browser

Screenshot = Callable[[Page, str], Path]

PASSWORD = "a-long-test-password"  # what make_staff gives everyone
# The page flags a device silent for 60 s by its own clock, looking every 5 s.
FLAGGED_WITHIN_MS = 20_000


def test_the_manager_lands_at_home_and_watches_the_floor_live(
    asgi_server: RunningServer,
    page: Page,
    browser_problems: BrowserProblems,
    screenshot: Screenshot,
) -> None:
    centre = make_centre()
    location = centre.location
    ServiceGoal.objects.create(
        location=location,
        kind=GoalKind.CALLED_WITHIN,
        minutes=10,
        target_percent=80,
        valid_from=local_date(timezone.now()),
    )
    clerk = make_staff(first_name="Tove", last_name="Holm")
    session = services.open_counter(centre.counters[0], clerk, [centre.passports])
    display_client, display = make_device_client(location, DevicePurpose.DISPLAY)
    # Heard from 50 s ago: online when the page opens, silent ten seconds later.
    DeviceAccount.objects.filter(pk=display.pk).update(
        last_seen_at=timezone.now() - dt.timedelta(seconds=50)
    )
    manager = make_staff(Role.MANAGER, username="leder", is_staff=True)

    page.goto(f"{asgi_server.url}/admin/login/")
    page.get_by_label("Brugernavn").fill(manager.get_username())
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()

    expect(page).to_have_url(f"{asgi_server.url}/staff/")
    expect(page.locator("html")).to_have_attribute("lang", "da")
    card = page.locator(f'[data-centre="{location.slug}"]')
    expect(card.locator('[data-figure="waiting"]')).to_have_text("0")
    expect(card.locator('[data-figure="served"]')).to_have_text("0")
    assert_accessible(page, "manager's home, Danish")
    screenshot(page, "manager-home-da")

    # The card links to the live floor and, for those who manage bookings, the day's appointments.
    card.locator(f'a[href="/staff/floor/{location.slug}/"]').click()
    expect(page).to_have_url(f"{asgi_server.url}/staff/floor/{location.slug}/")
    state = page.locator("#live-state")
    expect(state).to_have_text(state.get_attribute("data-text-open") or "")
    passports = page.locator('tr[data-queue="P"]')
    expect(passports.locator('[data-figure="waiting"]')).to_have_text("0")
    counter = page.locator('tr[data-counter="1"]')
    expect(counter.locator('[data-figure="staff"]')).to_have_text("Tove Holm")

    # Drawn at the kiosk: it waits in the passport queue, at once.
    ticket = services.issue_ticket(location, centre.passport, source=Source.KIOSK)
    expect(passports.locator('[data-figure="waiting"]')).to_have_text("1")
    # Called at counter 1: gone from the queue, at the counter.
    called = services.call_next(session, clerk)
    assert called is not None and called.pk == ticket.pk
    expect(counter.locator('[data-figure="ticket"]')).to_contain_text(ticket.display_number)
    expect(passports.locator('[data-figure="waiting"]')).to_have_text("0")
    assert_accessible(page, "live floor, Danish")
    screenshot(page, "live-floor-da")

    # The display stops beating: the page flags it by its own clock, with no event.
    row = page.locator(f'tr[data-device="{display.pk}"]')
    expect(row.locator(".device-online")).to_be_visible()
    expect(row).to_have_class(re.compile(r"\bdevice-silent\b"), timeout=FLAGGED_WITHIN_MS)
    expect(row.locator(".device-offline")).to_be_visible()
    assert_accessible(page, "live floor with a silent display")
    screenshot(page, "live-floor-display-silent-da")

    # It beats again: its return comes over the stream and clears the flag.
    assert display_client.post("/api/v1/devices/heartbeat").status_code == 200
    expect(row).not_to_have_class(re.compile(r"\bdevice-silent\b"))
    expect(row.locator(".device-online")).to_be_visible()

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=2, name="Queues")).to_be_visible()
    expect(page.locator('tr[data-counter="1"] [data-figure="ticket"]')).to_contain_text(
        ticket.display_number
    )
    assert_accessible(page, "live floor, English")
    screenshot(page, "live-floor-en")

    page.goto(f"{asgi_server.url}/staff/")
    assert_accessible(page, "manager's home, English")
    screenshot(page, "manager-home-en")
    page.goto(f"{asgi_server.url}/staff/statistics/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Statistics")
    assert_accessible(page, "statistics, English")
    screenshot(page, "statistics-en")
    browser_problems.assert_none()
