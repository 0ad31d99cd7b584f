"""Staff sign-in pauses after five failures for one user name from one address (django-axes)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.test import Client

LOGIN = "/admin/login/"
PASSWORD = "Rigtig-kode-2026"


@pytest.fixture
def lockout(settings: Any) -> Any:
    """Turn the lockout on explicitly, as configured by default, whatever the test run says."""
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
    settings.LANGUAGE_CODE = "en"
    return settings


@pytest.fixture
def staff(db: None, settings: Any) -> None:
    # A fast hasher: these tests sign in often, and the real one is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    get_user_model().objects.create_user("medarbejder", password=PASSWORD, is_staff=True)
    get_user_model().objects.create_user("kollega", password=PASSWORD, is_staff=True)


def sign_in(
    client: Client, password: str, username: str = "medarbejder", address: str = "192.0.2.1"
) -> HttpResponse:
    return client.post(  # type: ignore[return-value]
        LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
        HTTP_ACCEPT_LANGUAGE="en",
    )


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_five_failures_pause_sign_in_even_with_the_right_password(
    client: Client, staff: None, lockout: Any
) -> None:
    answers = [sign_in(client, "forkert") for _attempt in range(5)]
    correct = sign_in(client, PASSWORD)

    assert [answer.status_code for answer in answers[:4]] == [200, 200, 200, 200]
    assert answers[4].status_code == 429
    assert correct.status_code == 429
    assert not signed_in(client)
    page = correct.content.decode()
    assert "Sign-in paused" in page
    assert "After 5 failed attempts" in page
    assert "Try again in 15 minutes" in page
    assert correct["Retry-After"] == str(15 * 60)


def test_the_pause_holds_one_user_name_from_one_address_only(
    client: Client, staff: None, lockout: Any
) -> None:
    for _attempt in range(5):
        sign_in(client, "forkert")

    colleague = sign_in(Client(), PASSWORD, username="kollega")
    elsewhere = Client()
    from_another_address = sign_in(elsewhere, PASSWORD, address="198.51.100.9")

    assert colleague.status_code == 302
    assert from_another_address.status_code == 302
    assert signed_in(elsewhere)


def test_fewer_failures_then_the_right_password_signs_in_and_resets_the_count(
    client: Client, staff: None, lockout: Any
) -> None:
    for _attempt in range(4):
        sign_in(client, "forkert")

    assert sign_in(client, PASSWORD).status_code == 302
    assert signed_in(client)
    assert not AccessAttempt.objects.filter(username="medarbejder").exists()


def test_sign_in_works_again_after_the_pause(client: Client, staff: None, lockout: Any) -> None:
    for _attempt in range(5):
        sign_in(client, "forkert")
    sixteen_minutes_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16)
    AccessAttempt.objects.update(attempt_time=sixteen_minutes_ago)

    assert sign_in(client, PASSWORD).status_code == 302
    assert signed_in(client)


def test_without_the_lockout_failures_do_not_pause_sign_in(
    client: Client, settings: Any, staff: None
) -> None:
    settings.AXES_ENABLED = False
    for _attempt in range(6):
        assert sign_in(client, "forkert").status_code == 200

    assert sign_in(client, PASSWORD).status_code == 302
