"""What the site answers while its database cannot be reached, and how that is logged.

Django turns an exception from a view or middleware into a response through ``handler500``
(``handler400`` for a bad request; both in skranke/urls.py) and logs it, traceback and all, on
``django.request``. While the database is unreachable every request would do both. Instead
:func:`server_error` answers 503 with ``Retry-After`` (``{"detail": …}`` under /api/, elsewhere
a short page that reloads itself), :class:`DatabaseOutageFilter` keeps those requests'
tracebacks out of the log, and each server process logs one line when an outage starts and one
when the database answers again. Any other error is still a 500 with its traceback: a bug must
not pass for an outage.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
import threading
import time
from typing import Any

import psycopg
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.defaults import bad_request as default_bad_request
from django.views.defaults import server_error as default_server_error
from psycopg_pool import PoolTimeout

logger = logging.getLogger(__name__)

# Seconds a client is asked to wait before it tries again (Retry-After, and the page's reload).
RETRY_AFTER_SECONDS = 10

API_PREFIX = "/api/"

# PostgreSQL error codes that end or refuse the connection itself: class 08 (connection
# exception), the server shutting down or crashing (57P01, 57P02), still starting up (57P03),
# and too many clients (53300). Every other server error, 57014 (query cancelled) and 55P03
# (lock not available) among them, comes from the query and stays a 500.
_CONNECTION_ERROR_CLASS = "08"
_CONNECTION_ERROR_CODES = frozenset({"57P01", "57P02", "57P03", "53300"})


def _cannot_connect(error: BaseException) -> bool:
    # psycopg raises OperationalError without an error code only for what happens on the client's
    # side of the connection: refused, lost, closed, timed out, or no connection to be had from
    # the pool (psycopg_pool's PoolTimeout and PoolClosed are OperationalErrors too).
    if not isinstance(error, psycopg.OperationalError):
        return False
    code = error.sqlstate
    return (
        code is None or code.startswith(_CONNECTION_ERROR_CLASS) or code in _CONNECTION_ERROR_CODES
    )


def _sqlite_busy(error: BaseException) -> bool:
    # "database is locked": another writer held the lock for longer than the busy timeout
    # (SKRANKE_SQLITE_TIMEOUT). The extended codes (SQLITE_BUSY_*) share the low byte.
    if not isinstance(error, sqlite3.OperationalError):
        return False
    # Set by SQLite itself; missing on an error raised by Python code.
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY


def database_unavailable(error: BaseException) -> BaseException | None:
    """Return the error in ``error``'s chain saying the database cannot be used now, else None.

    That is PostgreSQL out of reach (see _cannot_connect) or SQLite busy past its timeout.
    Django raises its own OperationalError from the driver's, so the chain is followed through
    ``__cause__`` and ``__context__``.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if _cannot_connect(current) or _sqlite_busy(current):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


class OutageRecord:
    """This process's record of the database being out of reach: since when, and how often."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.started_at: float | None = None
        self.refused = 0
        self.recovered_at: float | None = None

    def failed(self, cause: BaseException) -> None:
        """Count a request answered 503; log the start of an outage if this is its first."""
        now = time.monotonic()
        with self._lock:
            if self.started_at is not None:
                self.refused += 1
                return
            if (
                isinstance(cause, PoolTimeout)
                and self.recovered_at is not None
                and now - self.recovered_at < _pool_timeout()
            ):
                # This request was already waiting for a connection before the database
                # answered again: it belongs to the outage that just ended, not to a new one.
                return
            self.started_at, self.refused = now, 1
        logger.error(
            "the database is unavailable (%s); answering 503 until it is back",
            " ".join(str(cause).split()) or type(cause).__name__,
        )

    def connected(self) -> None:
        """Log the end of the outage, if there is one: a connection was just made."""
        # Read without the lock first: this runs for every new connection, nearly always
        # outside an outage.
        if self.started_at is None:
            return
        now = time.monotonic()
        with self._lock:
            if self.started_at is None:
                return
            lasted, refused = now - self.started_at, self.refused
            self.started_at, self.recovered_at = None, now
        logger.warning(
            "the database is available again after %.1f s; %d requests were answered 503",
            lasted,
            refused,
        )


# This process's record; replaced by tests that need a fresh one.
outages = OutageRecord()


def _pool_timeout() -> float:
    pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
    # psycopg_pool's default timeout, for a pool configured as just True.
    return float(pool.get("timeout", 30.0)) if isinstance(pool, dict) else 30.0


def _database_answered(sender: Any, connection: Any, **kwargs: Any) -> None:
    # With the pool (and CONN_HEALTH_CHECKS) a connection is handed out only after it answered a
    # check, so a new connection means the database is back.
    outages.connected()


# Connected here rather than in an AppConfig: settings.LOGGING imports this module for its
# filter, so it is connected in every process before the first request.
connection_created.connect(_database_answered, dispatch_uid="skranke.core.outage")


class DatabaseOutageFilter(logging.Filter):
    """Drop the log record, with its traceback, of a request answered 503 for the database.

    Set on the ``django.request`` logger (settings.LOGGING): the outage has its own two lines.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return error is None or database_unavailable(error) is None


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a 503 while the database cannot be used, Django's own 500 page otherwise.

    Django calls it while it handles the exception, so ``sys.exc_info()`` holds it.
    """
    error = sys.exc_info()[1]
    cause = database_unavailable(error) if error is not None else None
    if cause is None:
        return default_server_error(request)
    return _unavailable(request, cause)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400: a 503 for a 400 that the database going away caused, else Django's 400.

    Django's session store reports any database error on saving a session as the session
    having been deleted meanwhile (SessionInterrupted, a 400): a signed-in request under way
    when the database goes away would otherwise be told its request was bad.
    """
    cause = database_unavailable(exception)
    if cause is None:
        return default_bad_request(request, exception)
    return _unavailable(request, cause)


def _unavailable(request: HttpRequest, cause: BaseException) -> HttpResponse:
    if _sqlite_busy(cause):
        # Not an outage (the next request may well get the lock), so no start or end: one line
        # per request, without the traceback, and never the path (it may hold a ticket token).
        logger.warning("a request waited longer than SKRANKE_SQLITE_TIMEOUT for SQLite; 503")
    else:
        outages.failed(cause)
    return unavailable_response(request)


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """Return the 503 answer: JSON ``{"detail": …}`` under /api/, else a page that reloads."""
    detail = gettext("The service is temporarily unavailable. Please try again in a moment.")
    response: HttpResponse
    if request.path_info.startswith(API_PREFIX):
        response = JsonResponse({"detail": detail}, status=503)
    else:
        # Rendered without the request: the context processors would ask the database.
        page = render_to_string(
            "core/unavailable.html",
            {
                "detail": detail,
                "retry_after": RETRY_AFTER_SECONDS,
                "reload_url": _reload_url(request),
            },
        )
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


def _reload_url(request: HttpRequest) -> str:
    """Return where the page goes when it reloads: "" for the same address.

    A form's POST cannot be repeated by reloading (it would become a GET, often refused), so
    after one the page goes back to the page the form was on, or to the start page.
    """
    if request.method in ("GET", "HEAD"):
        return ""
    referer = request.headers.get("Referer", "")
    try:
        host = request.get_host()
    except DisallowedHost:
        return reverse("home")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={host}, require_https=request.is_secure()
    ):
        return referer
    return reverse("home")
