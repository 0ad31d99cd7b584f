"""The browser-test harness itself: the checks must catch what they are there to catch."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from skranke.testing.browser import BrowserProblems, assert_accessible
from skranke.testing.fixtures import ServerFactory
from skranke.testing.server import RunningServer

pytestmark = pytest.mark.browser

CLEAN_PAGE = """<!DOCTYPE html>
<html lang="da"><head><title>Prøveside</title></head>
<body><main><h1>Prøveside</h1><p>Her er intet galt.</p></main></body></html>"""


def test_assert_accessible_checks_the_page_as_it_is_after_an_interaction(page: Page) -> None:
    page.set_content(CLEAN_PAGE)
    assert_accessible(page, "clean page")

    # A button without a name appears, as a script or an htmx swap might add it.
    page.evaluate(
        """() => {
            const button = document.createElement("button");
            button.id = "nameless";
            document.querySelector("main").append(button);
        }"""
    )

    with pytest.raises(AssertionError) as failure:
        assert_accessible(page, "after adding a button")
    message = str(failure.value)
    assert "'after adding a button'" in message
    assert "button-name [critical]" in message
    assert "#nameless" in message


def test_browser_problems_catch_csp_violations_and_console_errors(
    asgi_server: RunningServer, page: Page, browser_problems: BrowserProblems
) -> None:
    page.goto(f"{asgi_server.url}/admin/login/")
    browser_problems.assert_none()

    # An inline script, as a careless template might contain, is refused by the policy.
    # Waiting for the violation event inside the page means it has been reported to Python
    # (the report is sent first, over the same connection) when evaluate returns.
    page.evaluate(
        """() => new Promise((resolve) => {
            document.addEventListener("securitypolicyviolation", resolve, {once: true});
            const script = document.createElement("script");
            script.textContent = "window.inlineScriptRan = true;";
            document.body.append(script);
        })"""
    )

    assert page.evaluate("() => window.inlineScriptRan === undefined")
    with pytest.raises(AssertionError) as failure:
        browser_problems.assert_none()
    assert "CSP violation: script-src-elem blocked inline" in str(failure.value)


@pytest.mark.postgres
def test_two_servers_at_once_share_the_test_database(
    asgi_server_factory: ServerFactory, page: Page, browser_problems: BrowserProblems
) -> None:
    get_user_model().objects.create_superuser("anne", "anne@example.org", "en-lang-adgangskode")
    first = asgi_server_factory(workers=2)
    second = asgi_server_factory()

    page.goto(f"{first.url}/admin/login/")
    page.get_by_label("Brugernavn").fill("anne")
    page.get_by_label("Adgangskode").fill("en-lang-adgangskode")
    page.get_by_role("button", name="Log ind").click()
    expect(page).to_have_url(f"{first.url}/staff/")

    # Cookies belong to the host, not the port, so the session made by the first server is
    # sent to the second, which finds it in the database they share.
    page.goto(f"{second.url}/admin/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Opsætning af borgerservice")
    assert first.running and second.running
    browser_problems.assert_none()
