"""Secret links are masked in every log line: Django's and uvicorn's, as `skranke serve` runs.

The secret path prefixes come from the URL patterns (skranke.core.secret_paths); the filter
(skranke.lib.logmask) sits on every handler of settings.LOGGING and of uvicorn's configuration.
Without the filter the real server's access log holds every token in full, which fails the last
test here.
"""

from __future__ import annotations

import logging
import re
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from skranke.core.management.commands.serve import uvicorn_log_config
from skranke.core.secret_paths import SECRET_URL_PARAMETERS, secret_path_prefixes
from skranke.lib.logmask import FILTER_NAME, MaskSecretsFilter, PathSecretMasker
from skranke.testing.fixtures import asgi_server, asgi_server_factory  # noqa: F401
from skranke.testing.server import RunningServer

TOKEN = "Zq3kP0aLm9XbT2vY7cWr1A"
_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def _routes() -> Iterator[tuple[str, bool]]:
    """Yield (a path of each route, whether it holds a secret), parameters filled in."""

    def fill(match: re.Match[str]) -> str:
        if match["name"] in SECRET_URL_PARAMETERS:
            return TOKEN
        return "42" if match["converter"] == "int" or match["name"].endswith("_id") else "raadhuset"

    def walk(
        patterns: Iterable[URLPattern | URLResolver], prefix: str
    ) -> Iterator[tuple[str, bool]]:
        for entry in patterns:
            if not isinstance(entry.pattern, RoutePattern):
                continue  # the admin's re_path() routes hold no secret
            path = prefix + _PARAMETER.sub(fill, str(entry.pattern))
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, path)
            else:
                yield path, TOKEN in path

    return walk(get_resolver().url_patterns, "/")


def test_the_prefixes_come_from_the_url_patterns() -> None:
    assert set(secret_path_prefixes() or []) == {
        "/api/v1/tickets/",
        "/booking/(?:[-a-zA-Z0-9_]+)/(?:[-a-zA-Z0-9_]+)/hold/",
        "/booking/manage/(?:[^/]+)/",
        "/devices/pair/",
        "/floor/(?:[-a-zA-Z0-9_]+)/number/",
        "/kiosk/(?:[-a-zA-Z0-9_]+)/number/",
        "/staff/appointments/book/(?:[-a-zA-Z0-9_]+)/(?:[-a-zA-Z0-9_]+)/hold/",
        "/t/",
    }


def test_every_route_with_a_secret_is_masked_and_no_other_route_is_touched() -> None:
    masker = PathSecretMasker(secret_path_prefixes() or [])
    routes = list(_routes())
    secret_routes = [path for path, secret in routes if secret]
    assert len(secret_routes) >= 10
    for path, secret in routes:
        masked = masker.mask(path)
        if secret:
            assert TOKEN not in masked and f"/{TOKEN[:4]}…" in masked, path
        else:
            assert masked == path


def test_every_handler_in_the_settings_and_of_uvicorn_masks() -> None:
    for config in (settings.LOGGING, uvicorn_log_config()):
        assert config["handlers"]
        for name, handler in config["handlers"].items():
            assert handler["filters"][0] == FILTER_NAME, name
        assert config["filters"][FILTER_NAME]["path_prefixes"] == settings.LOG_MASK_PATH_PREFIXES


def test_no_handler_of_this_process_writes_unmasked() -> None:
    # Django's own handlers (console, mail to the admins) are taken off its loggers.
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    handlers = {
        handler
        for logger in loggers
        for handler in logger.handlers
        # pytest's capturing handlers, and libraries' handlers that write nothing.
        if not type(handler).__module__.startswith("_pytest")
        and not isinstance(handler, logging.NullHandler)
    }
    assert handlers
    for handler in handlers:
        assert any(isinstance(f, MaskSecretsFilter) for f in handler.filters), handler


def _fetch(url: str) -> int:
    try:
        with urllib.request.urlopen(url) as response:  # noqa: S310 (our own test server)
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_the_real_servers_log_holds_no_token(
    asgi_server: RunningServer,  # noqa: F811
) -> None:
    statuses = {
        path: _fetch(asgi_server.url + path)
        for path in (
            f"/t/{TOKEN}/",
            f"/t/{TOKEN}",  # mistyped: redirected, then not found
            f"/devices/pair/{TOKEN}/",
            f"/api/v1/tickets/{TOKEN}",
            f"/api/v1/tickets/{TOKEN}/nonsense",
            f"/kiosk/raadhuset/number/{TOKEN}/",
            # An appointment's link and its calendar file (skranke.booking).
            f"/booking/manage/K7QXM2PA/{TOKEN}/",
            f"/booking/manage/K7QXM2PA/{TOKEN}/calendar.ics",
        )
    }
    assert set(statuses.values()) <= {200, 302, 404}, statuses
    asgi_server.stop()  # every line written
    log = asgi_server.output
    assert f'"GET /t/{TOKEN[:4]}…/ HTTP/1.1" 404' in log, log  # uvicorn's access log
    assert f"Not Found: /t/{TOKEN[:4]}…/" in log, log  # Django's request log
    assert f"/devices/pair/{TOKEN[:4]}…/" in log
    assert f"/booking/manage/K7QXM2PA/{TOKEN[:4]}…/calendar.ics" in log
    assert TOKEN not in log, log
    assert TOKEN[:5] not in log
