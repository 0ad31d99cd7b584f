"""Helpers for Skranke's own tests: the real ASGI server as a subprocess, and browser checks.

`skranke.testing.server` starts `skranke serve` against the test database,
`skranke.testing.browser` holds the Playwright launch settings, the axe-core check, screenshots
and the console / CSP watcher, and `skranke.testing.fixtures` turns them into pytest fixtures
(import them into a conftest.py). These modules import pytest and Playwright, which only the
`test` extra installs; nothing outside the tests imports them.
"""
