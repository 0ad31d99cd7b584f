"""The citizen's number on a phone against the real server: it follows the place in line live,
says "your turn — go to counter N" and vibrates when called, without a reload, and gives the
number up on request. axe-core checks the waiting, called and cancelled states in Danish and
English."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from skranke.queue import services
from skranke.queue.models import (
    CancelReason,
    CounterSession,
    Outcome,
    Source,
    Ticket,
    TicketStatus,
)
from skranke.queue.tests.factories import Centre, make_centre, make_staff
from skranke.testing.browser import BrowserProblems, assert_accessible
from skranke.testing.fixtures import BROWSER_TIMEOUT_MILLISECONDS
from skranke.testing.server import RunningServer

pytestmark = pytest.mark.browser

Screenshot = Callable[[Page, str], Path]
Phone = tuple[Page, BrowserProblems]

# Records vibrations instead of making them (headless Chromium has no vibration motor).
VIBRATE_STUB = """
window.__vibrations = [];
Object.defineProperty(Navigator.prototype, "vibrate", {
  configurable: true,
  value: (pattern) => { window.__vibrations.push(pattern); return true; },
});
"""


@pytest.fixture
def phone(browser: Browser) -> Iterator[Phone]:
    """A phone in portrait, with a touch screen."""
    context = browser.new_context(
        locale="da-DK",
        timezone_id="Europe/Copenhagen",
        viewport={"width": 390, "height": 844},
        has_touch=True,
        is_mobile=True,
    )
    context.set_default_timeout(BROWSER_TIMEOUT_MILLISECONDS)
    problems = BrowserProblems.watch(context)
    context.add_init_script(script=VIBRATE_STUB)
    yield context.new_page(), problems
    context.close()


def one_counter_centre() -> tuple[Centre, CounterSession]:
    centre = make_centre(counters=1)
    session = services.open_counter(centre.counters[0], make_staff(), [centre.passports])
    return centre, session


def draw(centre: Centre) -> Ticket:
    return services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)


def test_the_phone_follows_the_line_and_says_when_it_is_the_citizens_turn(
    asgi_server: RunningServer, phone: Phone, screenshot: Screenshot
) -> None:
    page, problems = phone
    centre, session = one_counter_centre()
    first = draw(centre)
    mine = draw(centre)

    page.goto(f"{asgi_server.url}/t/{mine.token}/")
    expect(page.locator(".ticket-number")).to_have_text(mine.display_number)
    expect(page.locator(".ticket-where")).to_have_text(f"Pas · {centre.location.name}")
    expect(page.locator('[data-field="position"]')).to_have_text("2")
    expect(page.locator('[data-field="wait"]')).to_have_text("15")
    expect(page.get_by_text("Siden opdaterer sig selv. Hold den åben.")).to_be_visible()
    page.evaluate("() => { window.__sameDocument = true; }")
    assert_accessible(page, "mobile ticket waiting, Danish")
    screenshot(page, "mobile-waiting-da")

    # The citizen ahead is called: the place in line moves up without a reload.
    services.call_next(session, session.staff)
    expect(page.locator('[data-field="position"]')).to_have_text("1")
    services.finish(first, session.staff, outcome=Outcome.RESOLVED_FIRST_CONTACT)

    services.call_next(session, session.staff)
    turn = page.locator(".ticket-turn")
    expect(turn).to_be_visible()
    expect(turn).to_have_text(f"Det er din tur – gå til skranke {centre.counters[0].number}")
    expect(page.locator(".ticket-position")).to_be_hidden()
    expect(page).to_have_title(re.compile(rf"^Det er din tur! Dit nummer {mine.display_number}\b"))
    assert page.evaluate("() => window.__vibrations") == [[300, 150, 300, 150, 600]]
    assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded"
    assert_accessible(page, "mobile ticket called, Danish")
    screenshot(page, "mobile-called-da")

    page.get_by_role("button", name="English").tap()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".ticket-turn")).to_have_text("It's your turn — go to counter 1")
    assert_accessible(page, "mobile ticket called, English")
    screenshot(page, "mobile-called-en")
    problems.assert_none()


def test_the_citizen_gives_the_number_up(
    asgi_server: RunningServer, phone: Phone, screenshot: Screenshot
) -> None:
    page, problems = phone
    centre, _session = one_counter_centre()
    ticket = draw(centre)

    page.goto(f"{asgi_server.url}/t/{ticket.token}/")
    page.get_by_role("button", name="English").tap()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".ticket-position")).to_have_text("Your place in line: 1")
    expect(page.locator("[data-live-note]")).to_be_visible()
    assert_accessible(page, "mobile ticket waiting, English")
    screenshot(page, "mobile-waiting-en")
    page.get_by_role("button", name="Dansk").tap()
    expect(page.locator("html")).to_have_attribute("lang", "da")

    page.get_by_role("button", name="Jeg har ikke længere brug for mit nummer").tap()

    expect(page.get_by_text("Nummeret er annulleret.")).to_be_visible()
    # Nothing more will happen to this number: the page no longer asks to be kept open.
    expect(page.locator("[data-live-note]")).to_be_hidden()
    expect(
        page.get_by_role("button", name="Jeg har ikke længere brug for mit nummer")
    ).to_be_hidden()
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CANCELLED
    assert ticket.cancel_reason == CancelReason.CITIZEN
    assert page.evaluate("() => window.__vibrations") == []
    assert_accessible(page, "mobile ticket cancelled, Danish")
    screenshot(page, "mobile-cancelled-da")

    page.get_by_role("button", name="English").tap()
    expect(page.get_by_text("This number is cancelled.")).to_be_visible()
    assert_accessible(page, "mobile ticket cancelled, English")
    problems.assert_none()
