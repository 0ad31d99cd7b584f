"""The display screen in a real browser against the real server.

Speech synthesis and the Web Audio chime are replaced by an init script that records what the
page asks them to do, so the test hears the spoken announcement as text. The display asks for a
touch before it makes a sound, shows each call at once, speaks it in the page's language, reports
its heartbeat, and carries on by itself when the server restarts, without a reload.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect

from skranke.access.middleware import DEVICE_COOKIE
from skranke.access.models import DeviceAccount, DevicePurpose
from skranke.access.services import new_pairing_token
from skranke.queue import services
from skranke.queue.models import CounterSession, Outcome, Source, Ticket
from skranke.queue.tests.factories import Centre, make_centre, make_staff
from skranke.testing.browser import BrowserProblems, assert_accessible
from skranke.testing.fixtures import BROWSER_TIMEOUT_MILLISECONDS, ServerFactory
from skranke.testing.server import RunningServer

pytestmark = pytest.mark.browser

Screenshot = Callable[[Page, str], Path]

# Records speech and chimes instead of making them. Headless Chromium has no voices and no
# audio output, and a test cannot listen anyway; what matters is what the page asks for.
SPEECH_AND_AUDIO_STUB = """
(() => {
  window.__spoken = [];
  window.__tones = 0;
  window.SpeechSynthesisUtterance = function (text) { this.text = text; this.lang = ""; };
  Object.defineProperty(window, "speechSynthesis", {
    configurable: true,
    value: {
      speak: (utterance) => window.__spoken.push({text: utterance.text, lang: utterance.lang}),
      cancel: () => {},
      getVoices: () => [],
    },
  });
  // Counts the snapshots the live stream delivered, so a test can wait until the page follows
  // the stream before it makes a change that should arrive as an event.
  window.__snapshots = 0;
  const NativeEventSource = window.EventSource;
  window.EventSource = function (url, options) {
    const source = new NativeEventSource(url, options);
    source.addEventListener("snapshot", () => { window.__snapshots += 1; });
    return source;
  };
  Object.assign(window.EventSource, {CONNECTING: 0, OPEN: 1, CLOSED: 2});
  const node = () => ({connect: (next) => next, gain: {
    setValueAtTime: () => {}, exponentialRampToValueAtTime: () => {},
  }});
  window.AudioContext = function () {
    this.state = "running";
    this.currentTime = 0;
    this.destination = {};
    this.resume = () => Promise.resolve();
    this.createGain = node;
    this.createOscillator = () => Object.assign(node(), {
      frequency: {value: 0},
      start: () => { window.__tones += 1; },
      stop: () => {},
    });
  };
})();
"""

# A full-HD television, as the display runs on.
TV: ViewportSize = {"width": 1920, "height": 1080}
# After a restart the page's stream retries with a back-off of 2, 4, 8 … seconds, and the new
# server needs a few seconds to start on a loaded machine.
RECOVERY_TIMEOUT_MILLISECONDS = 60_000


def display_context(browser: Browser) -> tuple[BrowserContext, BrowserProblems]:
    context = browser.new_context(locale="da-DK", timezone_id="Europe/Copenhagen", viewport=TV)
    context.set_default_timeout(BROWSER_TIMEOUT_MILLISECONDS)
    problems = BrowserProblems.watch(context)
    context.add_init_script(script=SPEECH_AND_AUDIO_STUB)
    return context, problems


def pair_display(page: Page, server: RunningServer, centre: Centre) -> DeviceAccount:
    """Pair the browser as the centre's display through its one-time link; land on the display."""
    device = DeviceAccount.objects.create(
        location=centre.location, purpose=DevicePurpose.DISPLAY, name="Skærm i venteområdet"
    )
    page.goto(f"{server.url}/devices/pair/{new_pairing_token(device)}/")
    page.get_by_role("button", name="Par denne enhed").click()
    expect(page).to_have_url(f"{server.url}/display/{centre.location.slug}/")
    assert any(cookie["name"] == DEVICE_COOKIE for cookie in page.context.cookies())
    device.refresh_from_db()
    return device


def open_counter(centre: Centre, index: int = 0) -> CounterSession:
    staff = make_staff()
    return services.open_counter(centre.counters[index], staff, [centre.passports])


def wait_for_stream(page: Page) -> None:
    """Wait until the page has its live stream's first snapshot: later changes come as events."""
    page.wait_for_function("() => window.__snapshots > 0")


def spoken(page: Page) -> list[dict[str, str]]:
    result: list[dict[str, str]] = page.evaluate("() => window.__spoken")
    return result


def expect_latest_call(page: Page, number: str, counter: int, timeout: float | None = None) -> None:
    """Wait until the top row of the calls is ``number`` → ``counter``, marked as the latest."""
    cells = page.locator("[data-calls] tr:first-child.call-latest td")
    expect(cells).to_have_text([number, str(counter)], timeout=timeout)


@pytest.fixture
def display(browser: Browser) -> Any:
    context, problems = display_context(browser)
    yield context.new_page(), problems
    context.close()


def test_the_display_asks_for_a_touch_then_shows_chimes_and_speaks_each_call(
    asgi_server: RunningServer, display: tuple[Page, BrowserProblems], screenshot: Screenshot
) -> None:
    page, problems = display
    centre = make_centre()
    session = open_counter(centre)
    pair_display(page, asgi_server, centre)

    wait_for_stream(page)
    sound_button = page.get_by_role("button", name="Lyd slået fra – tryk for at slå til")
    expect(sound_button).to_be_visible()
    expect(page.locator("[data-queues]")).to_contain_text("Pas")
    assert_accessible(page, "display before sound is enabled, Danish")

    # Before anyone touched the screen, a call is shown but not spoken: browsers block sound.
    first = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    services.call_next(session, session.staff)
    expect_latest_call(page, first.display_number, 1)
    assert spoken(page) == [] and page.evaluate("() => window.__tones") == 0

    sound_button.click()
    expect(sound_button).to_be_hidden()
    # The touch itself plays the chime once, which unlocks audio for the rest of the day.
    assert page.evaluate("() => window.__tones") == 2

    services.finish(first, session.staff, outcome=Outcome.RESOLVED_FIRST_CONTACT)
    second = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    services.call_next(session, session.staff)

    expect_latest_call(page, second.display_number, 1)
    expect(page.locator("[data-calls] tr")).to_have_count(2)
    page.wait_for_function("() => window.__spoken.length === 1")
    assert second.display_number == "P002"
    assert spoken(page) == [{"text": "Nummer P 2, skranke 1", "lang": "da-DK"}]
    assert page.evaluate("() => window.__tones") == 4
    assert_accessible(page, "display after a call, Danish")
    screenshot(page, "display-called-da")

    # The same screen in English speaks English.
    page.context.add_cookies([{"name": "skranke_language", "value": "en", "url": asgi_server.url}])
    page.reload()
    wait_for_stream(page)
    page.get_by_role("button", name="Sound off — touch to enable").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect_latest_call(page, second.display_number, 1)
    services.recall(second, session.staff)
    page.wait_for_function("() => window.__spoken.length === 1")
    # The recall is shown again at the top.
    expect_latest_call(page, second.display_number, 1)
    expect(page.locator("[data-calls] td:first-child")).to_have_text(
        [second.display_number, second.display_number, first.display_number]
    )
    assert spoken(page) == [{"text": "Number P 2, counter 1", "lang": "en-GB"}]
    assert_accessible(page, "display after a recall, English")
    screenshot(page, "display-called-en")
    problems.assert_none()


def names_beside_their_prefixes(page: Page) -> list[bool]:
    """For each queue row: does the whole name stand to the right of its prefix?"""
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll("[data-queues] tr")].map((row) => {
                const prefix = row.querySelector(".queue-prefix").getBoundingClientRect();
                const name = row.querySelector(".queue-name").getBoundingClientRect();
                return name.left >= prefix.right && name.height > 0;
            })"""
        )
    )


def test_a_long_queue_name_wraps_beside_its_prefix(
    asgi_server: RunningServer, display: tuple[Page, BrowserProblems], screenshot: Screenshot
) -> None:
    page, problems = display
    centre = make_centre()
    centre.general.name = "Ydelser, skat, opkrævning, boligstøtte og pension for borgere"
    centre.general.save()
    pair_display(page, asgi_server, centre)
    wait_for_stream(page)
    rows = page.locator("[data-queues] tr")
    expect(rows.first).to_contain_text("Ydelser, skat")
    assert names_beside_their_prefixes(page) == [True] * rows.count()

    # The live update draws the rows again: the same layout.
    services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    expect(page.locator("[data-queues]")).to_contain_text("1")
    assert names_beside_their_prefixes(page) == [True] * rows.count()
    screenshot(page, "display-long-queue-name-da")
    problems.assert_none()


def test_the_display_reports_its_heartbeat(
    asgi_server: RunningServer, display: tuple[Page, BrowserProblems]
) -> None:
    page, problems = display
    centre = make_centre()
    device = pair_display(page, asgi_server, centre)
    long_ago = timezone.now() - dt.timedelta(hours=1)
    DeviceAccount.objects.filter(pk=device.pk).update(last_seen_at=long_ago)

    with page.expect_response(lambda r: r.url.endswith("/api/v1/devices/heartbeat")) as beat:
        page.reload()

    assert beat.value.request.method == "POST"
    assert beat.value.status == 200
    seen = DeviceAccount.objects.get(pk=device.pk).last_seen_at
    assert seen is not None and seen > long_ago
    problems.assert_none()


def test_the_display_carries_on_after_a_server_restart_without_reloading(
    asgi_server_factory: ServerFactory,
    display: tuple[Page, BrowserProblems],
    screenshot: Screenshot,
) -> None:
    page, problems = display
    centre = make_centre()
    session = open_counter(centre)
    server = asgi_server_factory()
    pair_display(page, server, centre)
    page.get_by_role("button", name="Lyd slået fra – tryk for at slå til").click()
    offline = page.locator("[data-offline]")
    expect(offline).to_be_hidden()
    page.evaluate("() => { window.__sameDocument = true; }")

    server.stop()
    expect(offline).to_be_visible()
    expect(offline).to_have_text("Genopretter forbindelsen …")
    screenshot(page, "display-offline-da")

    restarted = asgi_server_factory(port=server.port)
    ticket = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    services.call_next(session, session.staff)

    expect_latest_call(page, ticket.display_number, 1, timeout=RECOVERY_TIMEOUT_MILLISECONDS)
    expect(offline).to_be_hidden()
    assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded"
    expect(page.locator("[data-queues]")).to_contain_text("Pas")
    assert restarted.running
    assert Ticket.objects.get(pk=ticket.pk).counter == centre.counters[0]
    assert_accessible(page, "display after the server restarted, Danish")
    # While the server was down, the browser logged the refused connections; nothing else.
    unexpected = [
        error
        for error in problems.console_errors
        if "ERR_CONNECTION_REFUSED" not in error and "ERR_EMPTY_RESPONSE" not in error
    ]
    assert unexpected == [] and problems.page_errors == [] and problems.csp_violations == []
