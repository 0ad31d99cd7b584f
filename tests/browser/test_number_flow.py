"""A walk-in number from the kiosk to the finished visit, in real browsers (see number_flow.py).

Every page follows the visit live, without a reload: the phone and the display screens learn of
each call, recall, transfer and finish from their event streams, on one server process and
across two server processes sharing PostgreSQL.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from skranke.queue.tests.factories import make_centre
from skranke.testing.fixtures import ServerFactory
from skranke.testing.server import RunningServer

from .number_flow import Screenshot, Servers, run_number_flow

pytestmark = pytest.mark.browser


def test_a_number_from_kiosk_to_finish_reaches_phone_and_displays_live(
    asgi_server: RunningServer, browser: Browser, screenshot: Screenshot
) -> None:
    run_number_flow(
        browser,
        make_centre(),
        Servers(
            kiosk=asgi_server,
            counter=asgi_server,
            display_da=asgi_server,
            display_en=asgi_server,
        ),
        screenshot,
        prefix="flow-",
    )


@pytest.mark.postgres
def test_the_same_visit_served_from_another_server_process_reaches_phone_and_displays(
    asgi_server_factory: ServerFactory, browser: Browser, screenshot: Screenshot
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
