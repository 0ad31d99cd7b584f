"""The accessibility statement: linked from every page built on base.html, the administrator's
text in the reader's language, or Skranke's own while none is written; one per installation."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError
from django.test import Client

from skranke.organisation.models import AccessibilityStatement

pytestmark = pytest.mark.django_db


def english() -> Client:
    client = Client()
    client.cookies["skranke_language"] = "en"
    return client


def test_the_start_page_links_the_statement() -> None:
    page = Client().get("/").content.decode()
    assert 'href="/accessibility/"' in page


def test_skrankes_own_statement_while_the_administrator_has_written_none() -> None:
    response = english().get("/accessibility/")
    assert response.status_code == 200
    assert "WCAG" in response.content.decode()
    assert Client().get("/accessibility/").status_code == 200


def test_the_administrators_text_in_the_readers_language() -> None:
    statement = AccessibilityStatement.objects.create(text="Vores <erklæring>.")
    danish = Client().get("/accessibility/").content.decode()
    assert "Vores &lt;erklæring&gt;." in danish  # text, never markup
    # Without an English text, English readers get the Danish one.
    assert "Vores &lt;erklæring&gt;." in english().get("/accessibility/").content.decode()
    statement.text_en = "Our statement."
    statement.save()
    assert "Our statement." in english().get("/accessibility/").content.decode()
    assert "Our statement." not in Client().get("/accessibility/").content.decode()


def test_one_statement_per_installation() -> None:
    AccessibilityStatement.objects.create()
    admin = Client()
    admin.force_login(User.objects.create_superuser("admin", password="a-long-test-password"))
    assert admin.get("/admin/organisation/accessibilitystatement/add/").status_code == 403
    with pytest.raises(IntegrityError):
        AccessibilityStatement.objects.create()


def test_wrong_method_is_refused() -> None:
    assert Client().post("/accessibility/").status_code == 405
