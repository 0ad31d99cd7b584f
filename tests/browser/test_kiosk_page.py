"""The kiosk on a touch tablet against the real server: a citizen draws a number with taps, sees
it with the people ahead, the expected wait and a QR code, can print it on 80 mm paper, and the
kiosk goes back to its Danish start screen after inactivity. A closed centre says so with the
next opening. axe-core checks each main state in Danish and English."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, Response, Route, expect

from skranke.access.models import DeviceAccount, DevicePurpose
from skranke.access.services import new_pairing_token
from skranke.lib.localtime import local_date
from skranke.organisation.models import OpeningException
from skranke.queue import services
from skranke.queue.models import EventKind, Source, Ticket, TicketEvent
from skranke.queue.tests.factories import Centre, make_centre, make_staff
from skranke.testing.browser import BrowserProblems, assert_accessible
from skranke.testing.fixtures import BROWSER_TIMEOUT_MILLISECONDS, ServerFactory
from skranke.testing.server import RunningServer

pytestmark = pytest.mark.browser

Screenshot = Callable[[Page, str], Path]
Tablet = tuple[Page, BrowserProblems]


@pytest.fixture
def tablet(browser: Browser) -> Iterator[Tablet]:
    """A landscape touch tablet, as kiosks are."""
    context = browser.new_context(
        locale="da-DK",
        timezone_id="Europe/Copenhagen",
        viewport={"width": 1280, "height": 800},
        has_touch=True,
    )
    context.set_default_timeout(BROWSER_TIMEOUT_MILLISECONDS)
    problems = BrowserProblems.watch(context)
    yield context.new_page(), problems
    context.close()


def pair_kiosk(page: Page, server: RunningServer, centre: Centre) -> str:
    """Pair the tablet as the centre's kiosk by its one-time link; return the start address."""
    device = DeviceAccount.objects.create(
        location=centre.location, purpose=DevicePurpose.KIOSK, name="Kiosk ved indgangen"
    )
    page.goto(f"{server.url}/devices/pair/{new_pairing_token(device)}/")
    page.get_by_role("button", name="Par denne enhed").tap()
    start = f"{server.url}/kiosk/{centre.location.slug}/"
    expect(page).to_have_url(start)
    return start


def tap_through_to_a_passport_number(page: Page, centre: Centre) -> None:
    area = centre.passport.subject_area
    page.get_by_role("link", name=area.name).tap()
    expect(page.get_by_role("heading", level=1)).to_have_text(area.name)
    page.get_by_role("button", name=centre.passport.name).tap()
    expect(page).to_have_url(re.compile(r"/number/[\w-]+/$"))


def test_a_citizen_draws_a_number_with_taps_in_danish_and_english(
    asgi_server: RunningServer, tablet: Tablet, screenshot: Screenshot
) -> None:
    page, problems = tablet
    centre = make_centre()
    services.open_counter(centre.counters[0], make_staff(), [centre.passports])
    ahead = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)

    pair_kiosk(page, asgi_server, centre)
    expect(page.locator("html")).to_have_attribute("lang", "da")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hvad drejer din henvendelse sig om?")
    assert_accessible(page, "kiosk start, Danish")
    screenshot(page, "kiosk-start-da")

    area = centre.passport.subject_area
    page.get_by_role("link", name=area.name).tap()
    expect(page.get_by_role("heading", level=1)).to_have_text(area.name)
    assert_accessible(page, "kiosk subject area, Danish")
    screenshot(page, "kiosk-area-da")

    page.get_by_role("button", name=centre.passport.name).tap()
    expect(page).to_have_url(re.compile(r"/number/[\w-]+/$"))
    ticket = Ticket.objects.exclude(pk=ahead.pk).get()
    assert ticket.source == Source.KIOSK and ticket.display_number == "P002"
    expect(page.locator(".kiosk-number")).to_have_text("P002")
    lead = page.get_by_role("status")
    expect(lead).to_contain_text("Der er 1 person foran dig.")
    expect(lead).to_contain_text(re.compile(r"Forventet ventetid: ca\. \d+ minut"))
    qr = page.get_by_role("img", name="QR-kode: følg dit nummer på din telefon")
    expect(qr).to_be_visible()
    assert qr.evaluate("(image) => image.complete && image.naturalWidth > 0")
    assert_accessible(page, "kiosk showing the number, Danish")
    screenshot(page, "kiosk-number-da")

    # The print button prints (replaced, since headless Chromium has no print dialog), and the
    # print stylesheet leaves only the ticket on 80 mm paper.
    page.evaluate("() => { window.print = () => { window.__printed = true; }; }")
    page.get_by_role("button", name="Udskriv nummerseddel").tap()
    assert page.evaluate("() => window.__printed === true")
    page.emulate_media(media="print")
    expect(page.locator(".kiosk-follow")).to_be_hidden()
    expect(page.locator(".kiosk-actions")).to_be_hidden()
    expect(page.locator(".kiosk-number")).to_be_visible()
    expect(page.locator(".print-only")).to_contain_text(centre.location.name)
    screenshot(page, "kiosk-number-print")
    page.emulate_media(media="screen")

    page.get_by_role("button", name="English").tap()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("status")).to_contain_text("1 person ahead of you.")
    expect(
        page.get_by_role("img", name="QR code: follow your number on your phone")
    ).to_be_visible()
    assert_accessible(page, "kiosk showing the number, English")
    screenshot(page, "kiosk-number-en")

    # "Done" leaves the number and goes back to the start in Danish for the next citizen.
    page.get_by_role("link", name="Done").tap()
    expect(page).to_have_url(f"{asgi_server.url}/kiosk/{centre.location.slug}/")
    expect(page.locator("html")).to_have_attribute("lang", "da")
    page.get_by_role("button", name="English").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("What have you come about?")
    assert_accessible(page, "kiosk start, English")
    assert Ticket.objects.count() == 2
    problems.assert_none()


def test_a_double_tap_draws_one_number(asgi_server: RunningServer, tablet: Tablet) -> None:
    page, problems = tablet
    centre = make_centre()
    pair_kiosk(page, asgi_server, centre)
    area = centre.passport.subject_area
    page.get_by_role("link", name=area.name).tap()
    expect(page.get_by_role("heading", level=1)).to_have_text(area.name)

    # The draw request is held, as on a slow network, while the citizen taps again. Chromium
    # holds back real input and Playwright holds back page calls while a form submission is
    # under way, so both taps are clicks from inside the page, 300 ms apart, and the page reports
    # whether the second submission went through by a request of its own.
    held: list[Route] = []
    reports: list[str] = []

    def hold(route: Route) -> None:
        held.append(route)

    def report(route: Route) -> None:
        reports.append(route.request.url)
        route.fulfill(status=204)

    page.route("**/draw/", hold)
    page.route("**/double-tap-report*", report)
    page.evaluate(
        """(id) => {
            const button = document.querySelector(`button[name=service][value="${id}"]`);
            const prevented = [];
            window.addEventListener("submit", (event) => prevented.push(event.defaultPrevented));
            button.click();
            window.setTimeout(() => {
                button.click();
                fetch("/double-tap-report?prevented=" + prevented.join(","));
            }, 300);
        }""",
        centre.passport.pk,
    )
    deadline = time.monotonic() + BROWSER_TIMEOUT_MILLISECONDS / 1000
    while not (held and reports) and time.monotonic() < deadline:
        page.wait_for_timeout(50)

    assert reports and reports[0].endswith("?prevented=false,true")
    assert len(held) == 1
    held[0].continue_()
    expect(page).to_have_url(re.compile(r"/number/[\w-]+/$"))
    expect(page.locator(".kiosk-number")).to_have_text("P001")
    assert Ticket.objects.count() == 1
    problems.assert_none()


def test_the_kiosk_goes_back_to_the_danish_start_after_inactivity(
    asgi_server_factory: ServerFactory, tablet: Tablet
) -> None:
    page, problems = tablet
    server = asgi_server_factory(env={"SKRANKE_KIOSK_IDLE_SECONDS": "2"})
    centre = make_centre()
    start = pair_kiosk(page, server, centre)
    expect(page.locator("body")).to_have_attribute("data-idle-seconds", "2")
    page.get_by_role("button", name="English").tap()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    tap_through_to_a_passport_number(page, centre)

    # Nobody touches the screen: it returns to the start, in Danish, by itself.
    expect(page).to_have_url(start, timeout=15_000)
    expect(page.locator("html")).to_have_attribute("lang", "da")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hvad drejer din henvendelse sig om?")
    assert Ticket.objects.count() == 1
    problems.assert_none()


def test_a_closed_centre_says_so_with_the_next_opening(
    asgi_server: RunningServer, tablet: Tablet, screenshot: Screenshot
) -> None:
    page, problems = tablet
    centre = make_centre(always_open=False)
    tomorrow = local_date(timezone.now()) + dt.timedelta(days=1)
    OpeningException.objects.create(
        location=centre.location, date=tomorrow, opens=dt.time(9, 30), closes=dt.time(15, 0)
    )

    pair_kiosk(page, asgi_server, centre)

    expect(page.get_by_role("heading", level=1)).to_have_text("Vi har lukket")
    expect(page.locator(".kiosk-lead")).to_have_text(
        re.compile(rf"^Vi åbner igen \w+ {tomorrow.day}\. \w+ kl\. 09:30\.$")
    )
    expect(page.get_by_role("link", name=centre.passport.subject_area.name)).to_have_count(0)
    assert_accessible(page, "kiosk, centre closed, Danish")
    screenshot(page, "kiosk-closed-da")

    page.get_by_role("button", name="English").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("We are closed")
    expect(page.locator(".kiosk-lead")).to_have_text(
        re.compile(rf"^We open again \w+ {tomorrow.day}\. \w+ at 09:30\.$")
    )
    assert_accessible(page, "kiosk, centre closed, English")
    screenshot(page, "kiosk-closed-en")
    assert not Ticket.objects.exists()
    problems.assert_none()


def test_the_kiosk_reports_its_heartbeat_and_comes_back_after_an_outage(
    asgi_server_factory: ServerFactory, tablet: Tablet
) -> None:
    page, problems = tablet
    server = asgi_server_factory(env={"SKRANKE_DEVICE_HEARTBEAT_SECONDS": "5"})
    centre = make_centre()
    pair_kiosk(page, server, centre)
    device = DeviceAccount.objects.get(location=centre.location, purpose=DevicePurpose.KIOSK)

    def is_beat(response: Response) -> bool:
        return response.url.endswith("/api/v1/devices/heartbeat")

    # The start screen sits untouched, and beats on by itself.
    for _beat in range(2):
        with page.expect_response(is_beat, timeout=15_000) as beat:
            pass
        assert (beat.value.request.method, beat.value.status) == ("POST", 200)

    # Silent for five minutes as far as the server knows: the next beat brings it back, once.
    DeviceAccount.objects.filter(pk=device.pk).update(
        last_seen_at=timezone.now() - dt.timedelta(minutes=5)
    )
    with page.expect_response(is_beat, timeout=15_000):
        pass
    came_back = TicketEvent.objects.filter(kind=EventKind.DEVICE_BACK, location=centre.location)
    assert [event.data for event in came_back] == [{"device": device.pk}]

    # With the network gone, a beat fails quietly and the next one tries again.
    page.route("**/api/v1/devices/heartbeat", lambda route: route.abort())
    with page.expect_event("requestfailed", timeout=15_000):
        pass
    page.unroute("**/api/v1/devices/heartbeat")
    with page.expect_response(is_beat, timeout=15_000) as beat:
        pass
    assert beat.value.status == 200
    assert problems.page_errors == []
    # The browser logs the aborted request itself; nothing else may go wrong.
    problems.console_errors[:] = [
        error for error in problems.console_errors if "ERR_FAILED" not in error
    ]
    problems.assert_none()
