"""Every admin page answers, in Danish, for an administrator and only for staff."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory
from django.urls import reverse

from skranke.catalogue.models import Queue, Service, SubjectArea
from skranke.organisation.models import (
    Counter,
    HoursKind,
    Location,
    Municipality,
    OpeningException,
    OpeningHours,
    Role,
    StaffProfile,
    Team,
    TeamKind,
)

REGISTERED = sorted(
    (model._meta.app_label, model._meta.model_name) for model in admin.site._registry
)


@pytest.fixture
def populated(db: None) -> None:
    """One of everything, so each list shows rows and their computed columns."""
    Municipality.objects.create(name="Københavns Kommune", code="101")
    location = Location.objects.create(name="Borgerservice Centrum", slug="centrum")
    OpeningHours.objects.create(location=location, weekday=0, opens=dt.time(9), closes=dt.time(15))
    OpeningException.objects.create(
        location=location, kind=HoursKind.TELEPHONE, date=dt.date(2026, 12, 23), reason="Kursus"
    )
    Counter.objects.create(location=location, number=1)
    area = SubjectArea.objects.create(name="Pas og kørekort", slug="pas")
    service = Service.objects.create(subject_area=area, name="Nyt pas", slug="nyt-pas")
    Queue.objects.create(location=location, prefix="A", name="Pas").services.add(service)
    team = Team.objects.create(name="Front", kind=TeamKind.FRONT)
    team.subject_areas.add(area)
    user = get_user_model().objects.create_user("medarbejder", password="x")
    profile = StaffProfile.objects.create(user=user, role=Role.TEAM_LEAD)
    profile.teams.add(team)


def test_all_models_of_both_apps_are_registered() -> None:
    assert {
        ("organisation", "location"),
        ("organisation", "openingexception"),
        ("organisation", "municipality"),
        ("catalogue", "queue"),
        ("catalogue", "service"),
        ("catalogue", "subjectarea"),
    } <= set(REGISTERED)


@pytest.mark.parametrize(("app_label", "model_name"), REGISTERED)
def test_every_changelist_answers_in_danish(
    admin_client: Client, populated: None, app_label: str, model_name: str
) -> None:
    response = admin_client.get(reverse(f"admin:{app_label}_{model_name}_changelist"))
    assert response.status_code == 200
    assert response["Content-Language"] == "da"
    html = response.content.decode()
    assert '<html lang="da"' in html
    assert "Log ud" in html


@pytest.mark.parametrize(("app_label", "model_name"), REGISTERED)
def test_every_changelist_answers_when_empty(
    admin_client: Client, app_label: str, model_name: str
) -> None:
    response = admin_client.get(reverse(f"admin:{app_label}_{model_name}_changelist"))
    assert response.status_code == 200


def _allows_adding(app_label: str, model_name: str) -> bool:
    """Whether the admin offers an add page for a superuser (read-only logs and tickets don't)."""
    model_admin = next(
        model_admin
        for model, model_admin in admin.site._registry.items()
        if (model._meta.app_label, model._meta.model_name) == (app_label, model_name)
    )
    superuser = get_user_model()(is_superuser=True, is_staff=True, is_active=True)
    request = RequestFactory().get("/")
    request.user = superuser
    return bool(model_admin.has_add_permission(request))


@pytest.mark.parametrize(("app_label", "model_name"), REGISTERED)
def test_every_add_page_answers(admin_client: Client, app_label: str, model_name: str) -> None:
    expected = 200 if _allows_adding(app_label, model_name) else 403
    response = admin_client.get(reverse(f"admin:{app_label}_{model_name}_add"))
    assert response.status_code == expected


def test_the_changelists_show_computed_columns(admin_client: Client, populated: None) -> None:
    users = admin_client.get("/admin/auth/user/").content.decode()
    assert "teamleder" in users
    teams = admin_client.get("/admin/organisation/team/").content.decode()
    assert "Pas og kørekort" in teams


def test_the_admin_index_answers_in_danish(admin_client: Client) -> None:
    response = admin_client.get("/admin/")
    assert response.status_code == 200
    assert response["Content-Language"] == "da"


@pytest.mark.parametrize(("app_label", "model_name"), REGISTERED)
def test_anonymous_users_are_sent_to_log_in(
    client: Client, db: None, app_label: str, model_name: str
) -> None:
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={url}"


def test_users_who_are_not_staff_are_sent_to_log_in(client: Client, db: None) -> None:
    user = get_user_model().objects.create_user("borger", password="x")
    client.force_login(user)
    response = client.get("/admin/organisation/location/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
