"""Staff sessions end after SKRANKE_SESSION_IDLE_MINUTES idle; each request extends them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone


@pytest.fixture
def staff_client(db: None, client: Client) -> Client:
    user = get_user_model().objects.create_user("medarbejder", password="x", is_staff=True)
    client.force_login(user)
    return client


def session_row(client: Client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def test_the_default_idle_time_is_an_hour_saved_on_every_request() -> None:
    assert settings.SESSION_COOKIE_AGE == 60 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def test_each_request_sends_a_cookie_for_the_whole_idle_time(staff_client: Client) -> None:
    response = staff_client.get("/admin/")

    assert response.status_code == 200
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == 60 * 60
    remaining = session_row(staff_client).expire_date - timezone.now()
    assert dt.timedelta(minutes=59) < remaining <= dt.timedelta(minutes=60)


def test_activity_moves_the_expiry_on(staff_client: Client) -> None:
    almost_idle = timezone.now() + dt.timedelta(minutes=1)
    Session.objects.filter(session_key=staff_client.session.session_key).update(
        expire_date=almost_idle
    )

    assert staff_client.get("/admin/").status_code == 200

    assert session_row(staff_client).expire_date > timezone.now() + dt.timedelta(minutes=59)


def test_an_idle_session_has_expired_and_asks_to_sign_in_again(staff_client: Client) -> None:
    Session.objects.filter(session_key=staff_client.session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )

    response = staff_client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
