"""pytest fixtures for tests against the real server: import the ones you use into a conftest.py.

    from skranke.testing.fixtures import asgi_server, asgi_server_factory  # noqa: F401

Server fixtures:
    asgi_server_factory  start(*, workers=1, port=None, env=None) -> RunningServer; starts
                         `skranke serve` on the test database, as often as needed (several at
                         once, e.g. two processes on PostgreSQL); all stopped at teardown.
    asgi_server          one server started by the factory.
Both use pytest-django's `transactional_db`, so rows a test writes are committed and the server
process sees them.

Browser fixtures (Playwright's sync API, Debian's Chromium; mark the tests `browser`):
    browser              Chromium, one per test module; skipped when /usr/bin/chromium is
                         missing, a failure instead when SKRANKE_REQUIRE_BROWSER=1.
    browser_context      a fresh context per test (Danish locale, Copenhagen time).
    browser_problems     BrowserProblems of that context: console errors, page errors, CSP
                         violations; call `browser_problems.assert_none()`.
    page                 a page in that context, watched from its first request.
    screenshot           screenshot(page, name) -> Path of test-artifacts/screenshots/name.png.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Protocol

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from skranke.lib.env import env_bool
from skranke.testing.browser import (
    CHROMIUM_ARGS,
    CHROMIUM_PATH,
    BrowserProblems,
    save_screenshot,
)
from skranke.testing.server import RunningServer, database_url, start_server

# Long enough for a page of a loaded CI machine, short enough that a wrong selector fails the
# test in seconds rather than after Playwright's default 30 s.
BROWSER_TIMEOUT_MILLISECONDS = 10_000


class ServerFactory(Protocol):
    def __call__(
        self,
        *,
        workers: int = 1,
        port: int | None = None,
        env: Mapping[str, str] | None = None,
    ) -> RunningServer: ...


@pytest.fixture
def asgi_server_factory(
    transactional_db: None, request: pytest.FixtureRequest
) -> Iterator[ServerFactory]:
    """Start `skranke serve` subprocesses on the test database; stop them all at teardown.

    The servers are stopped before `transactional_db` empties the tables, since it was set up
    first and is torn down last.
    """
    from django.db import connection

    url = database_url(connection.settings_dict)
    servers: list[RunningServer] = []

    def start(
        *,
        workers: int = 1,
        port: int | None = None,
        env: Mapping[str, str] | None = None,
    ) -> RunningServer:
        server = start_server(
            url,
            port=port,
            workers=workers,
            # The first server of a test collects static files as in production; a second
            # one would rewrite the files the first is serving, so it skips that step.
            collectstatic=not servers,
            extra_env=env,
            cwd=request.config.rootpath,
        )
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
        # pytest shows what a test printed only when it fails, which is when this helps.
        print(f"--- output of skranke serve on {server.url} ---\n{server.output}")


@pytest.fixture
def asgi_server(asgi_server_factory: ServerFactory) -> RunningServer:
    """One `skranke serve` process on the test database."""
    return asgi_server_factory()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright, shared by the tests of one module."""
    if not CHROMIUM_PATH.exists():
        reason = f"{CHROMIUM_PATH} is missing; install Debian's chromium to run browser tests"
        if env_bool("SKRANKE_REQUIRE_BROWSER", False):
            pytest.fail(f"{reason} (SKRANKE_REQUIRE_BROWSER=1 requires them)", pytrace=False)
        pytest.skip(reason)
    # Playwright's sync API keeps an asyncio event loop marked as running in this thread for as
    # long as it is started, and Django then refuses every database query of the test itself
    # (SynchronousOnlyOperation) although nothing runs concurrently: the loop only serves
    # Playwright's calls, one at a time. Allowing it is safe here and only here, so it is set
    # for the lifetime of this fixture, i.e. the browser test modules, and never passed on to
    # the server process (skranke.testing.server removes it).
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()


@pytest.fixture
def browser_context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser context (no cookies) as a Danish municipality's browser has it."""
    context = browser.new_context(
        # Staff and citizens' browsers here ask for Danish first (Accept-Language), which is
        # also Skranke's default language.
        locale="da-DK",
        timezone_id="Europe/Copenhagen",
        viewport={"width": 1280, "height": 800},
    )
    context.set_default_timeout(BROWSER_TIMEOUT_MILLISECONDS)
    yield context
    context.close()


@pytest.fixture
def browser_problems(browser_context: BrowserContext) -> BrowserProblems:
    """Console errors, page errors and CSP violations of the test's browser context."""
    return BrowserProblems.watch(browser_context)


@pytest.fixture
def page(browser_context: BrowserContext, browser_problems: BrowserProblems) -> Page:
    """A page of the test's context; `browser_problems` watches it from its first request."""
    return browser_context.new_page()


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[[Page, str], Path]:
    """Return screenshot(page, name), saving test-artifacts/screenshots/<name>.png."""
    directory = request.config.rootpath / "test-artifacts" / "screenshots"

    def take(page: Page, name: str) -> Path:
        return save_screenshot(page, name, directory)

    return take
