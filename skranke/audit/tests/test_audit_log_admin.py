"""The audit log in the admin: managers and administrators read it, nobody may change it."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.test import Client

from skranke.audit.services import record_action
from skranke.organisation.models import Location, Role, StaffProfile

CHANGELIST = "/admin/auditlog/logentry/"


def make_staff(role: Role, username: str | None = None) -> AbstractUser:
    user = get_user_model().objects.create_user(
        username or f"staff-{role.value}", password="x", is_staff=True
    )
    StaffProfile.objects.create(user=user, role=role)
    return user


@pytest.fixture
def entry(db: None) -> LogEntry:
    """A change entry (creating the centre) and an action entry on the same centre."""
    location = Location.objects.create(name="Borgerservice Nord", slug="nord")
    record_action(None, "queue_closed", location, {"reason": "staff training"})
    return LogEntry.objects.get_for_object(location).get(action=LogEntry.Action.CREATE)


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMINISTRATOR])
def test_managers_and_administrators_read_the_log(
    client: Client, entry: LogEntry, role: Role
) -> None:
    client.force_login(make_staff(role))

    listing = client.get(CHANGELIST)
    detail = client.get(f"{CHANGELIST}{entry.pk}/change/")

    assert listing.status_code == 200
    assert "Borgerservice Nord" in listing.content.decode()
    assert "queue_closed" in listing.content.decode()
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()


def test_the_log_is_listed_on_the_admin_index_for_a_manager(
    client: Client, entry: LogEntry
) -> None:
    client.force_login(make_staff(Role.MANAGER))

    response = client.get("/admin/")

    assert response.status_code == 200
    assert CHANGELIST in response.content.decode()


@pytest.mark.parametrize("role", [Role.COUNTER_STAFF, Role.TEAM_LEAD])
def test_other_staff_may_not_read_the_log(client: Client, entry: LogEntry, role: Role) -> None:
    client.force_login(make_staff(role))

    assert client.get(CHANGELIST).status_code == 403
    assert client.get(f"{CHANGELIST}{entry.pk}/change/").status_code == 403
    assert CHANGELIST not in client.get("/admin/").content.decode()


def test_staff_without_a_profile_may_not_read_the_log(client: Client, entry: LogEntry) -> None:
    client.force_login(get_user_model().objects.create_user("x", password="x", is_staff=True))

    assert client.get(CHANGELIST).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, entry: LogEntry) -> None:
    response = client.get(CHANGELIST)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_not_even_a_superuser_may_add_change_or_delete_entries(
    admin_client: Client, entry: LogEntry
) -> None:
    before = LogEntry.objects.get(pk=entry.pk)
    count = LogEntry.objects.count()

    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    assert admin_client.post(f"{CHANGELIST}add/", {"object_repr": "forged"}).status_code == 403
    assert (
        admin_client.post(
            f"{CHANGELIST}{entry.pk}/change/", {"object_repr": "forged", "action": "2"}
        ).status_code
        == 403
    )
    assert admin_client.get(f"{CHANGELIST}{entry.pk}/delete/").status_code == 403
    assert admin_client.post(f"{CHANGELIST}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk_delete = admin_client.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [str(entry.pk)], "post": "yes"},
    )

    assert bulk_delete.status_code in {200, 302}
    assert LogEntry.objects.count() == count
    after = LogEntry.objects.get(pk=entry.pk)
    assert (after.object_repr, after.action, after.changes) == (
        before.object_repr,
        before.action,
        before.changes,
    )


def test_a_superuser_reads_the_log(admin_client: Client, entry: LogEntry) -> None:
    assert admin_client.get(CHANGELIST).status_code == 200
    assert admin_client.get(f"{CHANGELIST}{entry.pk}/change/").status_code == 200


def test_the_filters_and_search_narrow_the_list(admin_client: Client, entry: LogEntry) -> None:
    Location.objects.create(name="Borgerservice Syd", slug="syd")

    actions = admin_client.get(CHANGELIST, {"kind": "action"}).context["cl"].result_list
    changes = admin_client.get(CHANGELIST, {"kind": "change"}).context["cl"].result_list
    named = admin_client.get(CHANGELIST, {"action_name": "queue_closed"}).context["cl"]
    found = admin_client.get(CHANGELIST, {"q": "Syd"}).context["cl"].result_list
    typed = admin_client.get(CHANGELIST, {"object_type": str(entry.content_type_id)})

    assert [item.additional_data["action"] for item in actions] == ["queue_closed"]
    assert all(not item.additional_data for item in changes)
    # The superuser's own account was created (and logged) by the admin_client fixture.
    assert {item.object_repr for item in changes} == {
        "Borgerservice Nord",
        "Borgerservice Syd",
        "admin",
    }
    assert named.result_count == 1
    assert [item.object_repr for item in found] == ["Borgerservice Syd"]
    assert typed.context["cl"].result_count == 3


def test_the_list_says_who_did_what(client: Client, db: None) -> None:
    manager = make_staff(Role.MANAGER, "leder")
    manager.first_name, manager.last_name = "Lene", "Leder"
    manager.save()
    location = Location.objects.create(name="Borgerservice Øst", slug="oest")
    record_action(manager, "queue_closed", location, {"reason": "kursus"})
    client.force_login(manager)

    page = client.get(CHANGELIST, {"kind": "action"}).content.decode()

    assert "Lene Leder (leder)" in page
    assert "reason: kursus" in page
