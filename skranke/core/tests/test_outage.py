"""Answers and log lines while the database cannot be used (skranke.core.outage), in-process.

The views of this module raise what Django raises when the database is away; they are served
through the project's own handler400 and handler500 (taken from skranke/urls.py) and the whole
middleware chain, synchronously and as under the ASGI server. test_outage_postgres.py stops a
real PostgreSQL under two server processes.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import psycopg.errors
import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.sessions.exceptions import SessionInterrupted
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient, Client
from django.urls import path
from psycopg_pool import PoolTimeout

from skranke import urls as project_urls
from skranke.core import outage

pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]


def raised(error: BaseException, *, as_django: type[Exception] | None = None) -> BaseException:
    """Return ``error`` as raised: with a traceback, and wrapped as Django wraps driver errors."""
    try:
        try:
            raise error
        except Exception as driver_error:
            if as_django is None:
                raise
            raise as_django(str(driver_error)) from driver_error
    except Exception as final:
        return final


def sqlite_busy_error(folder: Path) -> sqlite3.OperationalError:
    """Return the error SQLite gives a writer that waited for the lock in vain."""
    database = folder / "locked.sqlite3"
    holder = sqlite3.connect(database, isolation_level=None)
    waiter = sqlite3.connect(database, timeout=0, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlite3.OperationalError) as caught:
            waiter.execute("BEGIN IMMEDIATE")
        return caught.value
    finally:
        holder.close()
        waiter.close()


def sqlite_error(query: str) -> sqlite3.Error:
    """Return the error SQLite itself gives for ``query`` on an empty database."""
    connection = sqlite3.connect(":memory:")
    try:
        with pytest.raises(sqlite3.Error) as caught:
            connection.execute(query)
        return caught.value
    finally:
        connection.close()


def pool_timeout() -> BaseException:
    return raised(
        PoolTimeout("couldn't get a connection after 10.00 sec"), as_django=OperationalError
    )


def server_shut_down() -> BaseException:
    return raised(
        psycopg.errors.AdminShutdown("terminating connection due to administrator command"),
        as_django=OperationalError,
    )


def a_bug() -> BaseException:
    return raised(ZeroDivisionError("division by zero"))


UNAVAILABLE: dict[str, Callable[[], BaseException]] = {
    "no connection from the pool": pool_timeout,
    "server shut down": server_shut_down,
    "connection refused": lambda: raised(
        psycopg.OperationalError(
            'connection failed: connection to server at "127.0.0.1", port 5432 failed: '
            "Connection refused"
        ),
        as_django=OperationalError,
    ),
    "connection lost": lambda: raised(
        psycopg.errors.ConnectionFailure("server closed the connection unexpectedly"),
        as_django=OperationalError,
    ),
    "server starting up": lambda: raised(
        psycopg.errors.CannotConnectNow("the database system is starting up"),
        as_django=OperationalError,
    ),
}
NOT_UNAVAILABLE: dict[str, Callable[[], BaseException]] = {
    "a bug": a_bug,
    "a unique constraint": lambda: raised(
        psycopg.errors.UniqueViolation("duplicate key value"), as_django=IntegrityError
    ),
    "a cancelled query": lambda: raised(
        psycopg.errors.QueryCanceled("canceling statement due to statement timeout"),
        as_django=OperationalError,
    ),
    "a row lock not available": lambda: raised(
        psycopg.errors.LockNotAvailable("could not obtain lock on row"),
        as_django=OperationalError,
    ),
    "a misused cursor": lambda: raised(
        psycopg.InterfaceError("the cursor is closed"), as_django=InterfaceError
    ),
    "a missing SQLite table": lambda: raised(
        sqlite_error("SELECT * FROM queue_ticket"), as_django=OperationalError
    ),
}

# The error the views below raise; each test sets it.
_to_raise: list[BaseException] = []


def failing_view(request: HttpRequest) -> HttpResponse:
    raise _to_raise[0]


def interrupted_session_view(request: HttpRequest) -> HttpResponse:
    # What SessionMiddleware raises when saving the session meets the database gone away.
    try:
        raise _to_raise[0]
    except DatabaseError:
        # Raised as Django's SessionMiddleware raises it: during the handling, not "from" it.
        raise SessionInterrupted(  # noqa: B904
            "The request's session was deleted before the request completed."
        )


urlpatterns = [
    path("api/v1/failing", failing_view),
    path("failing/", failing_view),
    path("session/", interrupted_session_view),
    *project_urls.urlpatterns,
]
handler400 = project_urls.handler400
handler500 = project_urls.handler500


@pytest.fixture(autouse=True)
def fresh_outage_record(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(outage, "outages", outage.OutageRecord())
    yield
    _to_raise.clear()


def get(path: str, error: BaseException, *, language: str | None = None) -> Any:
    """Return the test client's response to GET ``path`` whose view raises ``error``."""
    _to_raise[:] = [error]
    client = Client(raise_request_exception=False)
    if language is not None:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client.get(path)


def outage_lines(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [
        (entry.levelno, entry.getMessage())
        for entry in caplog.records
        if entry.name == "skranke.core.outage"
    ]


@pytest.mark.parametrize("case", UNAVAILABLE)
def test_a_failure_to_reach_the_database_is_told_apart(case: str) -> None:
    error = UNAVAILABLE[case]()
    assert isinstance(error, OperationalError)
    assert outage.database_unavailable(error) is error.__cause__


def test_sqlite_busy_past_its_timeout_is_told_apart(tmp_path: Path) -> None:
    error = raised(sqlite_busy_error(tmp_path), as_django=OperationalError)
    assert outage.database_unavailable(error) is error.__cause__


@pytest.mark.parametrize("case", NOT_UNAVAILABLE)
def test_other_errors_are_not_taken_for_an_outage(case: str) -> None:
    assert outage.database_unavailable(NOT_UNAVAILABLE[case]()) is None


def test_the_api_answers_503_json_with_retry_after() -> None:
    response = get("/api/v1/failing", pool_timeout(), language="en")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "The service is temporarily unavailable. Please try again in a moment."
    }
    assert response["Retry-After"] == str(outage.RETRY_AFTER_SECONDS)
    assert "no-store" in response["Cache-Control"]


def test_a_page_answers_503_with_a_page_that_reloads_itself() -> None:
    response = get("/failing/", server_shut_down(), language="en")
    assert response.status_code == 503
    assert response["Retry-After"] == str(outage.RETRY_AFTER_SECONDS)
    page = response.content.decode()
    assert f'<meta http-equiv="refresh" content="{outage.RETRY_AFTER_SECONDS}">' in page
    assert '<html lang="en">' in page
    assert "Temporarily unavailable" in page
    # The Content-Security-Policy forbids inline scripts, and the page needs none.
    assert "<script" not in page
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_page_is_in_the_chosen_language() -> None:
    response = get("/failing/", server_shut_down(), language="da")
    assert '<html lang="da">' in response.content.decode()
    assert response["Content-Language"] == "da"


def test_after_a_form_the_page_reloads_the_page_the_form_was_on() -> None:
    _to_raise[:] = [pool_timeout()]
    client = Client(raise_request_exception=False)
    response = client.post("/failing/", HTTP_REFERER="http://testserver/kiosk/demo/")
    assert 'content="10; url=http://testserver/kiosk/demo/"' in response.content.decode()
    # A form on another site is not where the page goes back to.
    response = client.post("/failing/", HTTP_REFERER="https://elsewhere.example/")
    assert 'content="10; url=/"' in response.content.decode()


def test_under_asgi_the_answer_is_the_same() -> None:
    _to_raise[:] = [pool_timeout()]
    client = AsyncClient(raise_request_exception=False)
    response = async_to_sync(client.get)("/api/v1/failing")
    assert response.status_code == 503
    assert response["Retry-After"] == str(outage.RETRY_AFTER_SECONDS)


def test_a_session_lost_with_the_database_is_503_not_400() -> None:
    response = get("/session/", pool_timeout())
    assert response.status_code == 503


def test_a_bad_request_for_another_reason_stays_400() -> None:
    response = get("/session/", raised(OperationalError("could not serialize access")))
    assert response.status_code == 400


def test_a_bug_is_still_a_500_logged_with_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    response = get("/api/v1/failing", a_bug())
    assert response.status_code == 500
    [logged] = [entry for entry in caplog.records if entry.name == "django.request"]
    assert logged.levelno == logging.ERROR
    assert logged.exc_info is not None and isinstance(logged.exc_info[1], ZeroDivisionError)
    assert outage_lines(caplog) == []


def test_an_outage_is_logged_once_when_it_starts_and_once_when_it_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    for _request in range(3):
        assert get("/api/v1/failing", pool_timeout()).status_code == 503
    assert get("/failing/", server_shut_down()).status_code == 503
    # No traceback per request: django.request's records of these requests are dropped.
    assert [entry for entry in caplog.records if entry.name == "django.request"] == []
    assert outage_lines(caplog) == [
        (
            logging.ERROR,
            "the database is unavailable (couldn't get a connection after 10.00 sec); "
            "answering 503 until it is back",
        )
    ]

    # The next connection made to the database ends the outage.
    connection = connections.create_connection("default")
    try:
        connection.ensure_connection()
    finally:
        connection.close()
    [_start, end] = outage_lines(caplog)
    assert end[0] == logging.WARNING
    assert end[1].startswith("the database is available again after ")
    assert end[1].endswith("; 4 requests were answered 503")


def test_a_request_that_waited_through_the_recovery_starts_no_new_outage(
    caplog: pytest.LogCaptureFixture,
) -> None:
    record = outage.outages
    record.failed(PoolTimeout("couldn't get a connection after 10.00 sec"))
    record.connected()
    # It began waiting for a pooled connection before the database answered again.
    record.failed(PoolTimeout("couldn't get a connection after 10.00 sec"))
    assert len(outage_lines(caplog)) == 2
    # A connection lost after the recovery is a new outage.
    record.failed(psycopg.errors.AdminShutdown("terminating connection"))
    assert len(outage_lines(caplog)) == 3


def test_sqlite_busy_is_503_with_one_line_and_no_outage(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    busy = raised(sqlite_busy_error(tmp_path), as_django=OperationalError)
    response = get("/failing/", busy)
    assert response.status_code == 503
    assert outage_lines(caplog) == [
        (logging.WARNING, "a request waited longer than SKRANKE_SQLITE_TIMEOUT for SQLite; 503")
    ]
    assert outage.outages.started_at is None
