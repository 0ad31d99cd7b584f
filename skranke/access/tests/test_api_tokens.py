"""API tokens: issued once by command or admin, stored hashed, refused at once when revoked."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from skranke.access.models import ApiToken
from skranke.access.services import create_api_token, digest
from skranke.access.tests.factories import make_staff
from skranke.organisation.models import Role
from skranke.testing.server import database_url

pytestmark = pytest.mark.django_db


def _create_by_command(username: str) -> str:
    output = io.StringIO()
    call_command("token", "create", username, "--name", "Statistik", stdout=output)
    return output.getvalue().strip()


def test_command_prints_a_token_once_and_stores_only_its_digest() -> None:
    user = make_staff(Role.MANAGER, username="leder")
    secret = _create_by_command("leder")
    token = ApiToken.objects.get(user=user)
    assert secret.startswith("skr_") and len(secret) > 40
    assert token.token_hash == digest(secret)
    assert token.name == "Statistik"
    listing = io.StringIO()
    call_command("token", "list", stdout=listing)
    assert token.prefix in listing.getvalue()
    assert secret not in listing.getvalue()


def test_bearer_token_acts_as_its_staff_member() -> None:
    make_staff(Role.MANAGER, username="leder", first_name="Birthe")
    secret = _create_by_command("leder")
    response = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "leder"
    assert body["role"] == "manager"
    assert "view_audit_log" in body["capabilities"]
    assert ApiToken.objects.get().last_used_at is not None


def test_unknown_revoked_and_inactive_tokens_are_refused() -> None:
    user = make_staff(Role.MANAGER, username="leder")
    secret = _create_by_command("leder")
    client = Client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer skr_nope"}).status_code == 401
    assert client.get("/api/v1/me").status_code == 401

    call_command("token", "revoke", ApiToken.objects.get().prefix, stdout=io.StringIO())
    assert client.get("/api/v1/me", headers=headers).status_code == 401

    _token, other = create_api_token(user, "Andet")
    user.is_active = False
    user.save()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {other}"}).status_code == 401


def test_command_refuses_unknown_users_and_prefixes() -> None:
    with pytest.raises(CommandError, match="No user"):
        call_command("token", "create", "nobody")
    with pytest.raises(CommandError, match="No single token"):
        call_command("token", "revoke", "skr_missing")


@pytest.mark.django_db(transaction=True)
def test_command_errors_exit_non_zero_without_a_traceback() -> None:
    test_database = database_url(connection.settings_dict)
    result = subprocess.run(
        [sys.executable, "-m", "skranke", "token", "create", "nobody-at-all"],
        capture_output=True,
        text=True,
        env={**os.environ, "SKRANKE_DATABASE_URL": test_database},
        check=False,
    )
    assert result.returncode != 0
    assert "No user is called 'nobody-at-all'" in result.stderr
    assert "Traceback" not in result.stderr


def test_admin_shows_a_new_token_once(admin_client: Client) -> None:
    user = make_staff(Role.TEAM_LEAD, username="teamleder")
    page = admin_client.post(
        "/admin/access/apitoken/add/", {"user": user.pk, "name": "Skærm-integration"}
    ).content.decode()
    match = re.search(r"skr_[\w-]{40,}", page)
    assert match is not None
    token = ApiToken.objects.get(user=user)
    assert token.token_hash == digest(match.group(0))
    listing = admin_client.get("/admin/access/apitoken/").content.decode()
    assert token.prefix in listing
    assert match.group(0) not in listing
    change = admin_client.get(f"/admin/access/apitoken/{token.pk}/change/").content.decode()
    assert match.group(0) not in change
