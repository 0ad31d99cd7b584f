"""A walk-in number from the kiosk to the finished visit, in real browsers (see number_flow.py).

Every page follows the visit live, without a reload: the phone and the display screens learn of
each call, recall, transfer and finish from their event streams, on one server process and
across two server processes sharing PostgreSQL. Afterwards the servers' logs (uvicorn's access
log and Django's, as `skranke serve` writes them) hold no ticket or pairing token, no phone
number and nothing CPR-shaped.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from playwright.sync_api import Browser, expect

from skranke.access.models import DeviceAccount
from skranke.queue import services
from skranke.queue.models import Source, Ticket
from skranke.queue.tests.factories import Centre, make_centre
from skranke.testing.fixtures import ServerFactory
from skranke.testing.server import RunningServer, log_leaks

from . import number_flow
from .number_flow import Screenshot, Servers, run_number_flow

pytestmark = pytest.mark.browser

# A phone number as a citizen types it, and the spellings a log could hold it in.
PHONE_NUMBER = "20 30 40 50"
PHONE_SPELLINGS = [PHONE_NUMBER, "20304050", "+4520304050"]


@pytest.fixture
def pairing_tokens(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The pairing links' tokens the flow makes; the database keeps only their digests."""
    tokens: list[str] = []
    make_token = number_flow.new_pairing_token

    def recorded(device: DeviceAccount) -> str:
        tokens.append(make_token(device))
        return tokens[-1]

    monkeypatch.setattr(number_flow, "new_pairing_token", recorded)
    return tokens


def leave_traces_for_the_log(browser: Browser, server: RunningServer, centre: Centre) -> None:
    """What else citizens do that reaches a server's log: a phone number left for the SMS, a
    link mistyped, a control character and a CPR number in an address."""
    ticket = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    context = browser.new_context(locale="da-DK", timezone_id="Europe/Copenhagen")
    try:
        page = context.new_page()
        page.goto(f"{server.url}/t/{ticket.token}/")
        page.locator("#sms-phone").fill(PHONE_NUMBER)
        page.locator(".sms-form button[type=submit]").click()
        expect(page.locator(".sms-number")).to_contain_text("50")
        ticket.refresh_from_db()
        assert ticket.notify_phone == "+4520304050"
        assert page.request.get(f"{server.url}/t/{ticket.token}").ok  # redirected
        assert page.request.get(f"{server.url}/t/{ticket.token}/nonsense/").status == 404
        assert page.request.get(f"{server.url}/t/{ticket.token}%00/").status == 400
        assert page.request.get(f"{server.url}/t/{ticket.token}/?q=010190-1234").ok
    finally:
        context.close()


def assert_logs_hold_no_secrets(servers: Iterable[RunningServer], secrets: list[str]) -> None:
    """Stop the servers (so every line is written) and check what they logged."""
    tokens = list(Ticket.objects.values_list("token", flat=True))
    assert tokens and all(secrets)
    for server in servers:
        server.stop()
        leaks = log_leaks(server.output, [*tokens, *secrets])
        assert not leaks, f"{server.url} logged secrets:\n" + "\n".join(leaks)
    # And the logs did record the visit: the phone's requests are there, masked.
    logs = "\n".join(server.output for server in servers)
    assert any(f'"GET /t/{token[:4]}…/ HTTP/1.1" 200' in logs for token in tokens), logs


def test_a_number_from_kiosk_to_finish_reaches_phone_and_displays_live(
    asgi_server: RunningServer,
    browser: Browser,
    screenshot: Screenshot,
    pairing_tokens: list[str],
) -> None:
    centre = make_centre()
    run_number_flow(
        browser,
        centre,
        Servers(
            kiosk=asgi_server,
            counter=asgi_server,
            display_da=asgi_server,
            display_en=asgi_server,
        ),
        screenshot,
        prefix="flow-",
    )
    leave_traces_for_the_log(browser, asgi_server, centre)
    assert len(pairing_tokens) == 3  # the kiosk and two display screens
    assert_logs_hold_no_secrets([asgi_server], [*pairing_tokens, *PHONE_SPELLINGS])


@pytest.mark.postgres
def test_the_same_visit_served_from_another_server_process_reaches_phone_and_displays(
    asgi_server_factory: ServerFactory,
    browser: Browser,
    screenshot: Screenshot,
    pairing_tokens: list[str],
) -> None:
    # The kiosk, the phone and the Danish display talk to A; the counter and the English
    # display to B. Every call made on B reaches the phone on A only through PostgreSQL.
    first = asgi_server_factory()
    second = asgi_server_factory()
    run_number_flow(
        browser,
        make_centre(),
        Servers(kiosk=first, counter=second, display_da=first, display_en=second),
        screenshot,
        prefix="flow-two-processes-",
    )
    assert_logs_hold_no_secrets([first, second], pairing_tokens)
