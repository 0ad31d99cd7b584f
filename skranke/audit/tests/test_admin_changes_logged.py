"""Changes made in the admin land in the audit log: who, what, when, before and after."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.test import Client

from skranke.access.models import DeviceAccount
from skranke.audit.registry import CONFIGURATION_MODELS, register_models
from skranke.catalogue.models import Queue, QueueKind, Service, SubjectArea
from skranke.organisation.models import Location, Role, StaffProfile, Team, TeamKind

_numbers = itertools.count()


def make_location(**fields: Any) -> Location:
    number = next(_numbers)
    fields.setdefault("name", f"Borgerservice {number}")
    fields.setdefault("slug", f"borgerservice-{number}")
    return Location.objects.create(**fields)


def make_service(name: str) -> Service:
    area, _created = SubjectArea.objects.get_or_create(
        slug="pas-og-koerekort", defaults={"name": "Pas og kørekort"}
    )
    return Service.objects.create(subject_area=area, name=name, slug=f"service-{next(_numbers)}")


def queue_data(queue: Queue, services: list[Service], **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "location": str(queue.location.pk),
        "prefix": queue.prefix,
        "name": queue.name,
        "name_en": queue.name_en,
        "kind": queue.kind,
        "active": "on",
        "sort_order": "0",
        "services": [str(service.pk) for service in services],
        "daily_quota": "",
        "cutoff_minutes": "0",
    }
    data.update(fields)
    return data


def entries_for(obj: models.Model) -> list[Any]:
    return list(LogEntry.objects.get_for_object(obj).order_by("timestamp", "pk"))


def admin_user() -> AbstractUser:
    return get_user_model().objects.get(username="admin")


def test_a_change_in_the_admin_logs_the_actor_and_the_values_before_and_after(
    admin_client: Client,
) -> None:
    location = make_location(name="Borgerservice Nord")
    queue = Queue.objects.create(location=location, prefix="A", name="Pas", kind=QueueKind.FRONT)

    response = admin_client.post(
        f"/admin/catalogue/queue/{queue.pk}/change/",
        queue_data(queue, [], name="Pas og kørekort", daily_quota="120"),
    )

    assert response.status_code == 302
    update = LogEntry.objects.get_for_object(queue).get(action=LogEntry.Action.UPDATE)
    assert update.actor == admin_user()
    assert update.changes["name"] == ["Pas", "Pas og kørekort"]
    assert update.changes["daily_quota"] == ["None", "120"]
    assert "prefix" not in update.changes
    assert update.object_repr == str(Queue.objects.get(pk=queue.pk))
    assert update.remote_addr == "127.0.0.1"
    assert update.timestamp is not None


def test_creating_in_the_admin_logs_a_create_with_the_new_values(admin_client: Client) -> None:
    location = make_location(name="Borgerservice Syd")

    response = admin_client.post(
        "/admin/organisation/counter/add/",
        {"location": str(location.pk), "number": "4", "name": "Skranke 4", "active": "on"},
    )

    assert response.status_code == 302
    entry = LogEntry.objects.get(
        content_type=ContentType.objects.get(app_label="organisation", model="counter"),
        action=LogEntry.Action.CREATE,
    )
    assert entry.actor == admin_user()
    assert entry.changes["number"] == ["None", "4"]
    # Foreign keys are logged by name, which still reads right once the centre is gone.
    assert entry.changes["location"] == ["None", "Borgerservice Syd"]


def test_a_delete_in_the_admin_is_logged_with_the_last_values(admin_client: Client) -> None:
    location = make_location(name="Borgerservice Vest", city="Vestby")
    location_pk = location.pk

    response = admin_client.post(
        f"/admin/organisation/location/{location_pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Location.objects.filter(pk=location_pk).exists()
    entry = LogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(Location),
        object_pk=str(location_pk),
        action=LogEntry.Action.DELETE,
    )
    assert entry.actor == admin_user()
    assert entry.object_repr == "Borgerservice Vest"
    assert entry.changes["city"] == ["Vestby", "None"]


def test_changing_a_queues_services_in_the_admin_logs_what_was_added_and_removed(
    admin_client: Client,
) -> None:
    location = make_location()
    passport, licence = make_service("Pas"), make_service("Kørekort")
    queue = Queue.objects.create(location=location, prefix="B", name="Kø B")
    queue.services.add(passport)

    response = admin_client.post(
        f"/admin/catalogue/queue/{queue.pk}/change/", queue_data(queue, [licence])
    )

    assert response.status_code == 302
    changes = [entry.changes["services"] for entry in entries_for(queue) if entry.actor]
    assert {"type": "m2m", "operation": "add", "objects": ["Kørekort"]} in changes
    assert {"type": "m2m", "operation": "delete", "objects": ["Pas"]} in changes


def test_many_to_many_changes_of_teams_and_staff_profiles_are_logged(db: None) -> None:
    area = SubjectArea.objects.create(name="Sygesikring", slug="sygesikring")
    team = Team.objects.create(name="Front", kind=TeamKind.FRONT)
    user = get_user_model().objects.create_user("medarbejder", password="x")
    profile = StaffProfile.objects.create(user=user, role=Role.COUNTER_STAFF)

    team.subject_areas.add(area)
    profile.teams.add(team)
    profile.teams.remove(team)

    team_changes = [entry.changes for entry in entries_for(team)]
    assert {"subject_areas": {"type": "m2m", "operation": "add", "objects": ["Sygesikring"]}} in (
        team_changes
    )
    profile_changes = [entry.changes for entry in entries_for(profile)]
    assert {"teams": {"type": "m2m", "operation": "add", "objects": ["Front"]}} in profile_changes
    assert {"teams": {"type": "m2m", "operation": "delete", "objects": ["Front"]}} in (
        profile_changes
    )


@pytest.mark.parametrize("label", CONFIGURATION_MODELS)
def test_every_configuration_model_is_logged_with_its_many_to_many_fields(label: str) -> None:
    from django.apps import apps

    model = apps.get_model(label)
    assert auditlog.contains(model)
    registered = auditlog._registry[model]["m2m_fields"]
    assert registered == {field.name for field in model._meta.many_to_many}


def test_group_permissions_and_user_groups_are_logged(db: None) -> None:
    group = Group.objects.create(name="Ledere")
    user = get_user_model().objects.create_user("leder", password="x")

    user.groups.add(group)

    changes = [entry.changes for entry in entries_for(user)]
    assert {"groups": {"type": "m2m", "operation": "add", "objects": ["Ledere"]}} in changes


def test_a_password_change_is_recorded_without_the_password_or_its_hash(
    admin_client: Client,
) -> None:
    user = get_user_model().objects.create_user("medarbejder", password="first-Secret-42")
    old_hash = user.password

    response = admin_client.post(
        f"/admin/auth/user/{user.pk}/password/",
        {
            "password1": "second-Secret-42",
            "password2": "second-Secret-42",
            "usable_password": "true",
        },
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("second-Secret-42")
    entries = entries_for(user)
    assert [entry.additional_data["action"] for entry in entries if entry.additional_data] == [
        "password_changed"
    ]
    changed = next(entry for entry in entries if entry.additional_data)
    assert changed.actor == admin_user()
    stored = repr([(entry.changes, entry.additional_data, entry.object_repr) for entry in entries])
    for secret in (old_hash, user.password, "first-Secret-42", "second-Secret-42"):
        assert secret not in stored
    assert all("password" not in (entry.changes or {}) for entry in entries)


def test_signing_in_is_not_logged_as_a_change_of_the_user(db: None, client: Client) -> None:
    user = get_user_model().objects.create_user("medarbejder", password="x", is_staff=True)
    created = len(entries_for(user))

    client.force_login(user)
    user.refresh_from_db()

    assert user.last_login is not None
    assert len(entries_for(user)) == created


def test_registering_a_model_leaves_out_fields_that_look_secret(db: None) -> None:
    try:
        register_models([DeviceAccount], exclude_fields=["last_seen_at"])
        excluded = set(auditlog.get_model_fields(DeviceAccount)["exclude_fields"])
    finally:
        auditlog.unregister(DeviceAccount)

    assert {"pairing_token_hash", "credential_hash", "last_seen_at"} <= excluded
    assert "name" not in excluded
