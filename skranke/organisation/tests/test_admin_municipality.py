"""The one municipality an installation serves."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from skranke.organisation.models import Municipality

ADD_URL = "/admin/organisation/municipality/add/"


def make_municipality(name: str = "Københavns Kommune", code: str = "101") -> Municipality:
    return Municipality.objects.create(name=name, code=code)


def test_the_municipality_can_be_added_once(admin_client: Client) -> None:
    assert admin_client.get(ADD_URL).status_code == 200
    response = admin_client.post(ADD_URL, {"name": "Aarhus Kommune", "code": "751"})
    assert response.status_code == 302
    assert list(Municipality.objects.values_list("name", "code")) == [("Aarhus Kommune", "751")]


def test_a_second_municipality_cannot_be_added_in_the_admin(admin_client: Client) -> None:
    make_municipality()
    assert admin_client.get(ADD_URL).status_code == 403
    response = admin_client.post(ADD_URL, {"name": "Aarhus Kommune", "code": "751"})
    assert response.status_code == 403
    assert Municipality.objects.count() == 1


def test_the_changelist_offers_no_add_button_once_set_up(admin_client: Client) -> None:
    make_municipality()
    response = admin_client.get("/admin/organisation/municipality/")
    assert response.status_code == 200
    assert ADD_URL not in response.content.decode()


def test_the_database_refuses_a_second_municipality(db: None) -> None:
    make_municipality()
    with pytest.raises(IntegrityError), transaction.atomic():
        make_municipality("Aarhus Kommune", "751")
    assert Municipality.objects.count() == 1


def test_the_municipality_can_still_be_changed(admin_client: Client) -> None:
    municipality = make_municipality()
    response = admin_client.post(
        f"/admin/organisation/municipality/{municipality.pk}/change/",
        {"name": "Københavns Kommune, Borgerservice", "code": "101"},
    )
    assert response.status_code == 302
    municipality.refresh_from_db()
    assert municipality.name == "Københavns Kommune, Borgerservice"


@pytest.mark.parametrize("code", ["1", "1010", "abc", ""])
def test_a_bad_municipality_code_is_refused(admin_client: Client, code: str) -> None:
    response = admin_client.post(ADD_URL, {"name": "Aarhus Kommune", "code": code})
    assert response.status_code == 200
    assert response.context["adminform"].form.has_error("code")
    assert not Municipality.objects.exists()
