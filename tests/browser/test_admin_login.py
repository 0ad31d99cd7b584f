"""The admin login page and index in a real browser, in Danish and English, checked by axe-core."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from skranke.testing.browser import BrowserProblems, assert_accessible
from skranke.testing.server import RunningServer

pytestmark = pytest.mark.browser

Screenshot = Callable[[Page, str], Path]

PASSWORD = "korrekt-hest-batteri-hæfteklamme"


def open_login_page(page: Page, server: RunningServer) -> None:
    response = page.goto(f"{server.url}/admin/login/")
    assert response is not None and response.status == 200
    # The checks for CSP violations below only mean something under the strict policy.
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_login_page_is_danish_by_default(
    asgi_server: RunningServer,
    page: Page,
    browser_problems: BrowserProblems,
    screenshot: Screenshot,
) -> None:
    # Counter PCs and kiosks often run browsers set up in English; Skranke speaks Danish
    # until someone chooses English with the switch.
    page.set_extra_http_headers({"Accept-Language": "en-US,en;q=0.9"})
    open_login_page(page, asgi_server)

    expect(page.locator("html")).to_have_attribute("lang", "da")
    expect(page).to_have_title(re.compile("Log ind"))
    expect(page.get_by_label("Brugernavn")).to_be_visible()
    expect(page.get_by_label("Adgangskode")).to_be_visible()
    expect(page.get_by_role("button", name="Dansk")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("button", name="English")).to_have_attribute("aria-pressed", "false")
    assert_accessible(page, "admin login, Danish")
    screenshot(page, "admin-login-da")
    browser_problems.assert_none()


def test_language_switch_shows_login_page_in_english(
    asgi_server: RunningServer,
    page: Page,
    browser_problems: BrowserProblems,
    screenshot: Screenshot,
) -> None:
    open_login_page(page, asgi_server)

    page.get_by_role("button", name="English").click()

    expect(page).to_have_url(re.compile(r"/admin/login/"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_label("Username")).to_be_visible()
    expect(page.get_by_role("button", name="English")).to_have_attribute("aria-pressed", "true")
    language_cookies = [
        cookie["value"]
        for cookie in page.context.cookies()
        if cookie.get("name") == "skranke_language"
    ]
    assert language_cookies == ["en"]
    assert_accessible(page, "admin login, English")
    screenshot(page, "admin-login-en")

    # The choice is kept: the next page comes in English although the browser asks for Danish.
    open_login_page(page, asgi_server)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    browser_problems.assert_none()


def test_superuser_logs_in_and_sees_admin_index(
    asgi_server: RunningServer,
    page: Page,
    browser_problems: BrowserProblems,
    screenshot: Screenshot,
) -> None:
    user_model = get_user_model()
    user_model.objects.create_superuser("anne", "anne@example.org", PASSWORD)
    open_login_page(page, asgi_server)

    page.get_by_label("Brugernavn").fill("anne")
    page.get_by_label("Adgangskode").fill("forkert-adgangskode")
    page.get_by_role("button", name="Log ind").click()

    expect(page.locator(".errornote")).to_contain_text("korrekte brugernavn og adgangskode")
    assert_accessible(page, "admin login with a wrong password, Danish")
    screenshot(page, "admin-login-wrong-password-da")

    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()

    # Signing in without a page to return to lands on the staff home; the admin is one link on.
    expect(page).to_have_url(f"{asgi_server.url}/staff/")
    page.locator('a[href="/admin/"]').click()
    expect(page).to_have_url(f"{asgi_server.url}/admin/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Opsætning af borgerservice")
    expect(page.locator("#user-tools")).to_contain_text("anne")
    assert user_model.objects.get(username="anne").last_login is not None
    assert_accessible(page, "admin index, Danish")
    screenshot(page, "admin-index-da")

    page.get_by_role("button", name="English").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Set up the citizen service")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert_accessible(page, "admin index, English")
    screenshot(page, "admin-index-en")
    browser_problems.assert_none()
