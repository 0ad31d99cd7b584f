"""Fixtures for the browser tests: the real server, Chromium, axe-core and screenshots."""

from __future__ import annotations

from skranke.testing.fixtures import (  # noqa: F401 (pytest finds fixtures by name)
    asgi_server,
    asgi_server_factory,
    browser,
    browser_context,
    browser_problems,
    page,
    screenshot,
)
