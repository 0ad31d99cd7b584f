"""The counter page and the floor guide in a real browser against the real server.

A counter employee opens a counter, sees a number drawn elsewhere arrive in the queue panel by
the live stream (no reload), calls, recalls and transfers it to the back office with the
keyboard; a back-office colleague calls it at another counter and finishes it. The floor guide
issues a number on a tablet. axe-core checks each main state, in Danish and once in English.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page, expect

from skranke.organisation.models import Role, Team, TeamKind
from skranke.queue import services
from skranke.queue.models import CounterSession, Outcome, Source, Ticket, TicketStatus, VisitFact
from skranke.queue.tests.factories import Centre, make_centre, make_staff
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


def open_counter(page: Page, centre: Centre, index: int) -> None:
    """On /counter/, choose counter ``index`` with the queues proposed and open it."""
    counter = centre.counters[index]
    page.locator(f'input[name="counter"][value="{counter.pk}"]').check()
    page.locator(f"#open-counter-{centre.location.pk}").click()
    expect(page).to_have_url(re.compile(rf"/counter/{counter.pk}/$"))
    # The shortcuts come with counter.js, a deferred script: it has run by DOMContentLoaded.
    page.wait_for_load_state("domcontentloaded")
    expect(page.locator("#call-next")).to_be_visible()


def test_a_number_arrives_live_and_is_served_across_front_and_back_office(
    asgi_server: RunningServer,
    browser: Browser,
    page: Page,
    browser_problems: BrowserProblems,
    screenshot: Screenshot,
) -> None:
    centre = make_centre()
    front_staff = make_staff(username="tove", first_name="Tove", last_name="Holm", is_staff=True)
    back_staff = make_staff(username="bent", first_name="Bent", last_name="Lund", is_staff=True)
    back_team = Team.objects.create(name="Team Ydelser", kind=TeamKind.BACK)
    back_staff.staff_profile.teams.set([back_team])
    passport_team = Team.objects.create(name="Team Pas", kind=TeamKind.FRONT)
    passport_team.subject_areas.set([centre.passport.subject_area])
    general_team = Team.objects.create(name="Team Borgerservice", kind=TeamKind.FRONT)
    general_team.subject_areas.set([centre.moving.subject_area])
    front_staff.staff_profile.teams.set([passport_team, general_team])

    log_in(page, asgi_server, front_staff, "/counter/")
    expect(page.locator("html")).to_have_attribute("lang", "da")
    # The visits served here count under a team of hers: the first front team unless she picks.
    expect(page.get_by_role("radio", name="Team Borgerservice")).to_be_checked()
    page.get_by_role("radio", name="Team Pas").check()
    assert_accessible(page, "choosing a counter, Danish")
    screenshot(page, "counter-choose-da")
    open_counter(page, centre, 0)
    session = CounterSession.objects.get(counter=centre.counters[0], closed_at__isnull=True)
    assert session.team == passport_team
    expect(page.locator("#queue-panel .queue-total")).to_contain_text("0")
    assert_accessible(page, "counter open, nobody waiting, Danish")

    # A number drawn at the kiosk reaches the panel through the live stream, without a reload.
    page.evaluate("() => { window.__notReloaded = true; }")
    ticket = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    expect(page.locator("#queue-panel tbody")).to_contain_text(ticket.display_number)
    assert page.evaluate("() => window.__notReloaded === true")
    assert_accessible(page, "counter with a citizen waiting, Danish")

    page.keyboard.press("n")
    expect(page.locator("#current-number")).to_have_text(ticket.display_number)
    expect(page.locator("#counter-status")).to_contain_text(ticket.display_number)
    expect(page.locator("#no-show")).to_have_count(0)
    assert_accessible(page, "counter after calling the next citizen, Danish")

    page.keyboard.press("r")
    expect(page.locator("#current-recalls")).to_have_text("1")
    expect(page.locator("#no-show")).to_be_visible()
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CALLED and ticket.recall_count == 1
    screenshot(page, "counter-called-da")

    page.keyboard.press("t")
    expect(page.locator("#transfer-queue")).to_be_focused()
    page.locator("#transfer-queue").select_option(str(centre.back_office.pk))
    page.locator("#transfer").click()
    expect(page.locator(".ticket-none")).to_be_visible()
    expect(page.locator("#counter-status")).to_contain_text(ticket.display_number)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING and ticket.queue == centre.back_office
    assert_accessible(page, "counter after transferring to the back office, Danish")

    # With nobody left in its queues, N says so in the status region and calls nobody.
    page.keyboard.press("n")
    expect(page.locator("#counter-status")).not_to_contain_text(ticket.display_number)
    expect(page.locator("#current-number")).to_have_count(0)

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#call-next")).to_contain_text("Call next")
    assert_accessible(page, "counter, English")
    screenshot(page, "counter-en")
    browser_problems.assert_none()

    # The back office calls the number at another counter and finishes it.
    context = browser.new_context(
        locale="da-DK", timezone_id="Europe/Copenhagen", viewport={"width": 1280, "height": 800}
    )
    try:
        back_problems = BrowserProblems.watch(context)
        back_page = context.new_page()
        log_in(back_page, asgi_server, back_staff, "/counter/")
        open_counter(back_page, centre, 1)
        expect(back_page.locator("#queue-panel tbody")).to_contain_text(ticket.display_number)
        back_page.keyboard.press("n")
        expect(back_page.locator("#current-number")).to_have_text(ticket.display_number)
        screenshot(back_page, "counter-back-office-da")
        back_page.keyboard.press("1")
        expect(back_page.locator("#outcome-1")).to_be_checked()
        back_page.keyboard.press("Enter")
        expect(back_page.locator(".ticket-none")).to_be_visible()
        expect(back_page.locator(".counter-served")).to_contain_text("1")
        expect(back_page.locator("#current-heading")).to_be_focused()
        assert_accessible(back_page, "back-office counter after finishing, Danish")
        back_problems.assert_none()
    finally:
        context.close()

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.FINISHED
    assert ticket.outcome == Outcome.RESOLVED_FIRST_CONTACT
    assert ticket.served_by == back_staff and ticket.first_queue == centre.passports
    fact = VisitFact.objects.get(ticket=ticket)
    assert fact.transferred and fact.subject_area == centre.passport.subject_area
    browser_problems.assert_none()


def test_floor_guide_issues_a_number_on_a_tablet(
    asgi_server: RunningServer,
    page: Page,
    browser_problems: BrowserProblems,
    screenshot: Screenshot,
) -> None:
    centre = make_centre()
    lead = make_staff(Role.TEAM_LEAD, username="lise", first_name="Lise", is_staff=True)
    page.set_viewport_size({"width": 1024, "height": 768})
    path = f"/floor/{centre.location.slug}/"

    log_in(page, asgi_server, lead, path)
    assert_accessible(page, "floor guide, Danish")
    screenshot(page, "floor-guide-da")

    browser_problems.assert_none()

    page.locator(f'input[name="service"][value="{centre.passport.pk}"]').check()
    page.locator("#floor-note").fill("Borgerens CPR 010190-1234")
    page.locator("#issue-number").click()
    expect(page.locator('[role="alert"]')).to_be_visible()
    expect(page.locator("#floor-note")).to_have_attribute("aria-invalid", "true")
    # The refused form comes back with 400, which Chromium logs; that and nothing else.
    assert [re.sub(r" \(http.*", "", error) for error in browser_problems.console_errors] == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]
    assert not browser_problems.page_errors and not browser_problems.csp_violations
    browser_problems.clear()
    assert not Ticket.objects.exists()
    assert_accessible(page, "floor guide refusing a CPR number, Danish")
    screenshot(page, "floor-guide-error-da")

    page.locator("#floor-note").fill("Har brug for tolk")
    page.locator("#floor-urgent").check()
    page.locator("#issue-number").click()
    expect(page).to_have_url(re.compile(r"/number/"))
    ticket = Ticket.objects.get()
    expect(page.locator(".floor-number")).to_have_text(ticket.display_number)
    assert ticket.source == Source.FLOOR_GUIDE and ticket.priority == "urgent"
    assert ticket.note == "Har brug for tolk"
    assert_accessible(page, "floor guide showing the number, Danish")
    screenshot(page, "floor-number-da")

    # The print button prints (window.print is replaced so headless Chromium shows no dialog).
    page.evaluate("() => { window.print = () => { window.__printed = true; }; }")
    page.locator("#print-ticket").click()
    assert page.evaluate("() => window.__printed === true")

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert_accessible(page, "floor guide showing the number, English")
    page.locator("#next-citizen").click()
    expect(page).to_have_url(f"{asgi_server.url}{path}")
    assert_accessible(page, "floor guide, English")
    screenshot(page, "floor-guide-en")
    browser_problems.assert_none()
