"""The walk-in number, end to end, as the citizen, the counter employee and the screens see it.

`run_number_flow` plays one visit through every page of the number system, each in a browser
context of its own at its real size: the kiosk (a touch tablet) issues the number, the citizen
follows it on a phone from the kiosk's QR code, two display screens (one set to Danish, one to
English) show the calls, and a counter employee calls, recalls, transfers and finishes it. The
tests in test_number_flow.py run it against one server process, and against two sharing a
PostgreSQL database. After each main state every page is checked with axe-core in Danish and in
English, switched with the page's own language buttons, and photographed.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import segno
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect

from skranke.access.models import DeviceAccount, DevicePurpose
from skranke.access.services import new_pairing_token
from skranke.catalogue.models import SubjectArea
from skranke.queue import services
from skranke.queue.models import Ending, Outcome, Source, Ticket, TicketStatus, VisitFact
from skranke.queue.tests.factories import Centre, make_staff
from skranke.testing.browser import BrowserProblems, assert_accessible
from skranke.testing.fixtures import BROWSER_TIMEOUT_MILLISECONDS
from skranke.testing.server import RunningServer

Screenshot = Callable[[Page, str], Path]

PASSWORD = "a-long-test-password"  # what make_staff gives everyone

# The sizes the pages are used at: a kiosk tablet, a phone, a counter PC and a TV.
TABLET = ViewportSize(width=1280, height=800)
PHONE = ViewportSize(width=390, height=844)
COUNTER_PC = ViewportSize(width=1440, height=900)
TV = ViewportSize(width=1920, height=1080)

# Texts the citizen reads, in the page's language.
AHEAD = {"da": "Der er 1 person foran dig.", "en": "1 person ahead of you."}
EXPECTED_WAIT = {
    "da": "Forventet ventetid: ca. 30 minutter.",
    "en": "Expected wait: about 30 minutes.",
}
YOUR_TURN = {"da": "Det er din tur – gå til skranke 1", "en": "It's your turn — go to counter 1"}
THANKS = {"da": "Tak for dit besøg.", "en": "Thank you for your visit."}
LANGUAGE_NAMES = {"da": "Danish", "en": "English"}


@dataclass
class Screen:
    """One page in a browser context of its own (its own cookies), watched for problems."""

    name: str
    page: Page
    problems: BrowserProblems
    language: str = "da"
    # Whether the page has the language buttons; a display screen gets its language from the
    # browser it runs in (the cookie set when it was set up), it shows no buttons.
    switchable: bool = True
    touch: bool = False


@dataclass
class Screens:
    """The browser contexts of one test; all closed at the end."""

    browser: Browser
    opened: list[Screen] = field(default_factory=list)

    def open(self, name: str, viewport: ViewportSize, *, touch: bool = False) -> Screen:
        context = self.browser.new_context(
            locale="da-DK",
            timezone_id="Europe/Copenhagen",
            viewport=viewport,
            has_touch=touch,
            is_mobile=viewport == PHONE,
        )
        context.set_default_timeout(BROWSER_TIMEOUT_MILLISECONDS)
        problems = BrowserProblems.watch(context)
        screen = Screen(name, context.new_page(), problems, touch=touch)
        self.opened.append(screen)
        return screen

    def close(self) -> None:
        for screen in self.opened:
            screen.page.context.close()

    def assert_no_problems(self) -> None:
        """Fail if any page logged a console error, threw, or broke the CSP."""
        failures = []
        for screen in self.opened:
            try:
                screen.problems.assert_none()
            except AssertionError as problem:
                failures.append(f"{screen.name}: {problem}")
        assert not failures, "\n".join(failures)


@contextlib.contextmanager
def open_screens(browser: Browser) -> Iterator[Screens]:
    """Screens whose browser contexts are all closed when the block ends."""
    screens = Screens(browser)
    try:
        yield screens
    finally:
        screens.close()


@dataclass
class Servers:
    """Which server process each page talks to (the same one, or two sharing PostgreSQL)."""

    kiosk: RunningServer
    counter: RunningServer
    display_da: RunningServer
    display_en: RunningServer


# Proving that live changes arrive without a reload -------------------------------------------


def mark_loaded_documents(screens: list[Screen]) -> None:
    """Put a marker into each page's document; a reload or navigation would lose it."""
    for screen in screens:
        screen.page.evaluate("() => { window.__noReload = 1; }")


def assert_not_reloaded(screens: list[Screen]) -> None:
    for screen in screens:
        assert screen.page.evaluate("() => window.__noReload === 1"), (
            f"the {screen.name} page was reloaded"
        )


# Languages, axe-core and screenshots ----------------------------------------------------------


def switch_language(screen: Screen) -> None:
    """Press the page's own button for the other language, as a citizen or employee would."""
    other = "en" if screen.language == "da" else "da"
    button = screen.page.locator(f'.language-switch button[value="{other}"]')
    if screen.touch:
        button.tap()
    else:
        button.click()
    expect(screen.page.locator("html")).to_have_attribute("lang", other)
    screen.language = other


def check_page(screen: Screen, state: str, screenshot: Screenshot, prefix: str) -> None:
    """axe-core and a screenshot of ``screen`` in ``state``, in its language and the other.

    The page is left in the other language, so the next state is checked in the other order.
    """
    for attempt in range(2 if screen.switchable else 1):
        if attempt:
            switch_language(screen)
        expect(screen.page.locator("html")).to_have_attribute("lang", screen.language)
        assert_accessible(screen.page, f"{screen.name} {state}, {LANGUAGE_NAMES[screen.language]}")
        screenshot(screen.page, f"{prefix}{screen.name}-{state}-{screen.language}")


# Setting up the devices and the counter --------------------------------------------------------


def pair(screen: Screen, server: RunningServer, device: DeviceAccount, language: str) -> None:
    """Pair ``device`` in the screen's browser by its one-time link, in ``language``."""
    screen.page.goto(f"{server.url}/devices/pair/{new_pairing_token(device)}/")
    if language != screen.language:
        switch_language(screen)
    screen.page.locator("main form button[type=submit]").click()
    expect(screen.page.locator("html")).to_have_attribute("lang", language)


def log_in_to_counter(screen: Screen, server: RunningServer, user: User, centre: Centre) -> None:
    """Sign in, open counter 1 with the proposed queues, and land on its working page."""
    page = screen.page
    page.goto(f"{server.url}/counter/")
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    page.get_by_label("Brugernavn").fill(user.get_username())
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    expect(page).to_have_url(f"{server.url}/counter/")
    counter = centre.counters[0]
    page.locator(f'input[name="counter"][value="{counter.pk}"]').check()
    page.locator(f"#open-counter-{centre.location.pk}").click()
    expect(page).to_have_url(re.compile(rf"/counter/{counter.pk}/$"))
    page.wait_for_load_state("domcontentloaded")
    expect(page.locator("#call-next")).to_be_visible()


def latest_call(display: Screen) -> Locator:
    return display.page.locator("[data-calls] tr.call-latest td")


def waiting_in(display: Screen, prefix: str) -> Locator:
    """The display's 'waiting' cell of the queue with ``prefix``."""
    rows = display.page.locator("[data-queues] tr")
    prefix_cell = display.page.locator(".queue-prefix", has_text=re.compile(rf"^{prefix}$"))
    return rows.filter(has=prefix_cell).locator("td").nth(1)


# The flow ----------------------------------------------------------------------------------


@dataclass
class Visit:
    """The pages of one test and the centre they show, with the steps of the visit."""

    centre: Centre
    servers: Servers
    screens: Screens
    screenshot: Screenshot
    prefix: str

    def __post_init__(self) -> None:
        self.kiosk = self.screens.open("kiosk", TABLET, touch=True)
        self.phone = self.screens.open("mobile", PHONE, touch=True)
        self.display_da = self.screens.open("display", TV)
        self.display_en = self.screens.open("display", TV)
        self.displays = [self.display_da, self.display_en]
        for display in self.displays:
            display.switchable = False
        self.counter = self.screens.open("counter", COUNTER_PC)
        # The pages that follow the visit live once the number is drawn.
        self.live = [self.phone, *self.displays, self.counter]

    def check(self, screens: list[Screen], state: str) -> None:
        for screen in screens:
            check_page(screen, state, self.screenshot, self.prefix)

    def device(self, purpose: DevicePurpose, name: str) -> DeviceAccount:
        return DeviceAccount.objects.create(
            location=self.centre.location, purpose=purpose, name=name
        )

    def draw_number_at_kiosk(self) -> tuple[Ticket, str]:
        """Draw a passport number by touch; return it and the address its QR code holds."""
        kiosk, server, location = self.kiosk, self.servers.kiosk, self.centre.location
        pair(kiosk, server, self.device(DevicePurpose.KIOSK, "Kiosk ved indgangen"), "da")
        expect(kiosk.page).to_have_url(f"{server.url}/kiosk/{location.slug}/")
        self.check([kiosk], "start")
        switch_language(kiosk)  # back to Danish to draw the number
        drawn_before = list(Ticket.objects.values_list("pk", flat=True))
        kiosk.page.get_by_role("link", name=self.centre.passport.subject_area.name).tap()
        kiosk.page.get_by_role("button", name=self.centre.passport.name).tap()
        expect(kiosk.page).to_have_url(re.compile(r"/number/"))
        ticket = Ticket.objects.exclude(pk__in=drawn_before).get()
        assert ticket.service == self.centre.passport and ticket.status == TicketStatus.WAITING
        expect(kiosk.page.locator(".kiosk-number")).to_have_text(ticket.display_number)
        expect(kiosk.page.locator(".kiosk-lead")).to_contain_text(AHEAD["da"])
        expect(kiosk.page.locator(".kiosk-lead")).to_contain_text(EXPECTED_WAIT["da"])
        # The QR code holds the address of this number's page on the server the kiosk uses.
        mobile_url = f"{server.url}/t/{ticket.token}/"
        qr_code = kiosk.page.locator("img.kiosk-qr")
        expect(qr_code).to_be_visible()
        expect(qr_code).to_have_attribute(
            "src", segno.make(mobile_url, error="m").svg_data_uri(scale=5, border=2)
        )
        self.check([kiosk], "number")
        expect(kiosk.page.locator(".kiosk-lead")).to_contain_text(AHEAD["en"])
        expect(kiosk.page.locator(".kiosk-lead")).to_contain_text(EXPECTED_WAIT["en"])
        # "Done" leaves the number for the next citizen, back in Danish.
        kiosk.page.locator(".kiosk-actions a").tap()
        expect(kiosk.page).to_have_url(f"{server.url}/kiosk/{location.slug}/")
        expect(kiosk.page.locator("html")).to_have_attribute("lang", "da")
        return ticket, mobile_url

    def open_displays(self, latest: Ticket) -> None:
        """Pair the two display screens, one set to Danish and one to English."""
        for display, server, language in (
            (self.display_da, self.servers.display_da, "da"),
            (self.display_en, self.servers.display_en, "en"),
        ):
            device = self.device(DevicePurpose.DISPLAY, f"Skærm i venteområdet ({language})")
            pair(display, server, device, language)
            expect(display.page).to_have_url(f"{server.url}/display/{self.centre.location.slug}/")
            expect(latest_call(display)).to_have_text([latest.display_number, "2"])
            expect(waiting_in(display, "P")).to_have_text("2")
        self.check(self.displays, "waiting")

    def expect_displays(self, number: str, counter: int, calls: int) -> None:
        for display in self.displays:
            expect(display.page.locator("[data-calls] tr")).to_have_count(calls)
            expect(latest_call(display)).to_have_text([number, str(counter)])

    def expect_turn_on_phone(self) -> None:
        turn = self.phone.page.locator(".ticket-turn")
        expect(turn).to_be_visible()
        expect(turn).to_have_text(YOUR_TURN[self.phone.language])
        expect(self.phone.page.locator(".ticket-position")).to_be_hidden()


def run_number_flow(
    browser: Browser,
    centre: Centre,
    servers: Servers,
    screenshot: Screenshot,
    prefix: str,
) -> None:
    """Play one visit through kiosk, phone, displays and counter; see the module docstring."""
    register_area = SubjectArea.objects.get(services=centre.moving)
    # A colleague at counter 2 serves both front queues and is busy with a B number, and one
    # citizen already waits for a passport: the kiosk's citizen then has one person ahead and,
    # with one busy counter and 15-minute passports, 2 × 15 ÷ 1 = 30 minutes' expected wait.
    colleague = make_staff(username="carla", first_name="Carla", last_name="Berg", is_staff=True)
    colleague_session = services.open_counter(
        centre.counters[1], colleague, [centre.passports, centre.general]
    )
    earlier = services.issue_ticket(centre.location, centre.moving, source=Source.KIOSK)
    assert services.call_next(colleague_session, colleague) == earlier
    ahead = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    employee = make_staff(username="tove", first_name="Tove", last_name="Holm", is_staff=True)

    with open_screens(browser) as screens:
        visit = Visit(centre, servers, screens, screenshot, prefix)
        phone, counter = visit.phone.page, visit.counter.page
        ticket, mobile_url = visit.draw_number_at_kiosk()

        # The citizen's phone opens the QR code's address.
        phone.goto(mobile_url)
        expect(phone.locator(".ticket-number")).to_have_text(ticket.display_number)
        expect(phone.locator('[data-field="position"]')).to_have_text("2")
        expect(phone.locator('[data-field="wait"]')).to_have_text("30")
        expect(phone.locator("[data-live-note]")).to_be_visible()
        visit.check([visit.phone], "waiting")

        visit.open_displays(latest=earlier)
        log_in_to_counter(visit.counter, servers.counter, employee, centre)
        expect(counter.locator("#queue-panel tbody")).to_contain_text(ticket.display_number)
        visit.check([visit.counter], "open")

        # The colleague calls the citizen ahead: the phone moves up, the displays show it.
        mark_loaded_documents(visit.live)
        services.finish(earlier, colleague, outcome=Outcome.RESOLVED_FIRST_CONTACT)
        assert services.call_next(colleague_session, colleague) == ahead
        expect(phone.locator('[data-field="position"]')).to_have_text("1")
        visit.expect_displays(ahead.display_number, counter=2, calls=2)
        for display in visit.displays:
            expect(waiting_in(display, "P")).to_have_text("1")
        expect(counter.locator("#queue-panel tbody")).not_to_contain_text(ahead.display_number)
        assert_not_reloaded(visit.live)

        # Call next by its keyboard shortcut: the displays and the phone say where to go.
        mark_loaded_documents(visit.live)
        counter.keyboard.press("n")
        expect(counter.locator("#current-number")).to_have_text(ticket.display_number)
        visit.expect_displays(ticket.display_number, counter=1, calls=3)
        for display in visit.displays:
            expect(waiting_in(display, "P")).to_have_text("0")
        visit.expect_turn_on_phone()
        expect(phone).to_have_title(re.compile(r"^(Det er din tur|It's your turn)"))
        assert_not_reloaded(visit.live)
        ticket.refresh_from_db()
        assert ticket.status == TicketStatus.CALLED and ticket.counter == centre.counters[0]
        visit.check(visit.live, "called")

        # Recall: the call is shown again on the displays; the phone still says where to go.
        mark_loaded_documents(visit.live)
        counter.keyboard.press("r")
        expect(counter.locator("#current-recalls")).to_have_text("1")
        visit.expect_displays(ticket.display_number, counter=1, calls=4)
        visit.expect_turn_on_phone()
        assert_not_reloaded(visit.live)
        ticket.refresh_from_db()
        assert ticket.recall_count == 1

        # Transfer to the B queue: the citizen waits again, first in line there.
        mark_loaded_documents(visit.live)
        counter.keyboard.press("t")
        expect(counter.locator("#transfer-queue")).to_be_focused()
        counter.locator("#transfer-queue").select_option(str(centre.general.pk))
        counter.locator("#transfer").click()
        expect(counter.locator(".ticket-none")).to_be_visible()
        expect(counter.locator("#counter-status")).to_contain_text(ticket.display_number)
        expect(counter.locator("#queue-panel tbody")).to_contain_text(ticket.display_number)
        expect(phone.locator(".ticket-turn")).to_be_hidden()
        expect(phone.locator('[data-field="position"]')).to_have_text("1")
        for display in visit.displays:
            expect(waiting_in(display, "B")).to_have_text("1")
        assert_not_reloaded(visit.live)
        ticket.refresh_from_db()
        assert ticket.status == TicketStatus.WAITING and ticket.queue == centre.general

        # Called again from the B queue, with the same number.
        mark_loaded_documents(visit.live)
        counter.keyboard.press("n")
        expect(counter.locator("#current-number")).to_have_text(ticket.display_number)
        visit.expect_displays(ticket.display_number, counter=1, calls=5)
        for display in visit.displays:
            expect(waiting_in(display, "B")).to_have_text("0")
        visit.expect_turn_on_phone()
        assert_not_reloaded(visit.live)

        # Finish with the subject area it turned out to be about, solved on the spot.
        mark_loaded_documents(visit.live)
        counter.locator("#subject-area").select_option(str(register_area.pk))
        counter.keyboard.press("Escape")  # out of the list, so that 1 is a shortcut again
        counter.keyboard.press("1")
        expect(counter.locator("#outcome-1")).to_be_checked()
        counter.keyboard.press("Enter")
        expect(counter.locator(".ticket-none")).to_be_visible()
        expect(counter.locator(".counter-served")).to_contain_text("1")
        expect(counter.locator("#current-heading")).to_be_focused()
        expect(phone.locator(".ticket-state")).to_contain_text(THANKS[visit.phone.language])
        expect(phone.locator(".ticket-turn")).to_be_hidden()
        expect(phone.locator(".ticket-cancel")).to_be_hidden()
        visit.expect_displays(ticket.display_number, counter=1, calls=5)
        assert_not_reloaded(visit.live)
        visit.check(visit.live, "finished")

        screens.assert_no_problems()

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.FINISHED
    assert ticket.outcome == Outcome.RESOLVED_FIRST_CONTACT
    assert ticket.served_by == employee and ticket.first_queue == centre.passports
    fact = VisitFact.objects.get(ticket=ticket)
    assert fact.ending == Ending.SERVED and fact.transferred
    assert fact.subject_area == register_area
