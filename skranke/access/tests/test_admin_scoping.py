"""The admin follows a staff member's centre limits, as the pages and the API do.

Two centres: Nordby (A) and Sydby (B). Everything that belongs to Sydby carries "Sydby" in a
name shown on its admin pages, so a page for someone limited to Nordby must not contain it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.contrib import admin
from django.contrib.admin import RelatedFieldListFilter
from django.contrib.auth.models import AnonymousUser, Permission, User
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from skranke.access.admin_scope import (
    CENTRE_PATHS,
    STAFF_PATHS,
    CentreScopedAdmin,
    CentreScopedInline,
    belongs_to_centres,
    rows_at_centres,
)
from skranke.access.models import ApiToken, DeviceAccount, DevicePurpose
from skranke.access.permissions import allowed_location_ids
from skranke.access.services import create_api_token
from skranke.audit.services import record_action
from skranke.booking.models import BookingCalendar, CapacityChange
from skranke.catalogue.models import Queue, QueueKind
from skranke.lib.localtime import local_date
from skranke.organisation.models import Location, OpeningException, Role, StaffProfile
from skranke.queue import services
from skranke.queue.models import CounterSession, QueueClosure, Ticket
from skranke.queue.tests.factories import Centre, issue, make_centre, make_staff
from skranke.reports.models import GoalKind, ServiceGoal

pytestmark = pytest.mark.django_db

A_MARK, B_MARK = "Nordby", "Sydby"


@dataclass
class Side:
    """One centre and one object of each kind that belongs to it."""

    centre: Centre
    ticket: Ticket
    session: CounterSession
    closure: QueueClosure
    exception: OpeningException
    goal: ServiceGoal
    device: DeviceAccount
    staff: User
    token: ApiToken
    entry: LogEntry
    calendar: BookingCalendar
    capacity_change: CapacityChange

    @property
    def location(self) -> Location:
        return self.centre.location


@dataclass
class World:
    nordby: Side
    sydby: Side


def make_side(mark: str) -> Side:
    centre = make_centre()
    location = centre.location
    # Saved rather than updated, so the audit log also holds an entry naming the centre.
    location.name = f"{mark} Borgerservice"
    location.save()
    counter = centre.counters[0]
    counter.name = f"{mark} skranke"
    counter.save()
    staff = make_staff(Role.COUNTER_STAFF, [location], username=f"{mark}-medarbejder")
    ticket = issue(centre, note=f"{mark} intern note")
    session = services.open_counter(counter, staff, [centre.passports])
    services.call_next(session, staff)
    token, _secret = create_api_token(staff, f"{mark} token")
    calendar = BookingCalendar.objects.create(location=location)
    return Side(
        centre=centre,
        ticket=ticket,
        session=session,
        closure=QueueClosure.objects.create(
            queue=centre.general, date=local_date(timezone.now()), reason=f"{mark} lukket"
        ),
        exception=OpeningException.objects.create(
            location=location, date=dt.date(2026, 12, 23), reason=f"{mark} kursus"
        ),
        goal=ServiceGoal.objects.create(
            location=location,
            queue=centre.passports,
            kind=GoalKind.MEAN_WAIT,
            minutes=12,
            valid_from=dt.date(2026, 1, 1),
        ),
        device=DeviceAccount.objects.create(
            location=location, purpose=DevicePurpose.KIOSK, name=f"{mark} kiosk"
        ),
        staff=staff,
        token=token,
        entry=record_action(None, "ticket_looked_at", ticket, {"where": mark}),
        calendar=calendar,
        capacity_change=CapacityChange.objects.create(
            calendar=calendar, date=dt.date(2026, 12, 22), adjustment=-1, reason=f"{mark} syg"
        ),
    )


@pytest.fixture
def world(settings: Any) -> World:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return World(nordby=make_side(A_MARK), sydby=make_side(B_MARK))


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def with_every_django_permission(user: User) -> User:
    """Give ``user`` every model permission, so only the centre limits stand in the way."""
    user.user_permissions.set(Permission.objects.all())
    return User.objects.get(pk=user.pk)


@pytest.fixture
def nordby_administrator(world: World) -> User:
    """A non-superuser administrator limited to Nordby, allowed every admin page."""
    user = make_staff(
        Role.ADMINISTRATOR, [world.nordby.location], username="nordby-admin", is_staff=True
    )
    return with_every_django_permission(user)


@pytest.fixture
def nordby_team_lead(world: World) -> User:
    return make_staff(Role.TEAM_LEAD, [world.nordby.location], is_staff=True)


@pytest.fixture
def unlimited_manager(world: World) -> User:
    return with_every_django_permission(make_staff(Role.MANAGER, is_staff=True))


# The row at each centre for every scoped admin's model; a new scoped admin needs a line here,
# or test_every_scoped_admin_has_rows_to_test_with fails.
ROWS: dict[str, Callable[[Side], models.Model]] = {
    "organisation.Location": lambda side: side.location,
    "organisation.OpeningException": lambda side: side.exception,
    "organisation.Counter": lambda side: side.centre.counters[0],
    "catalogue.Queue": lambda side: side.centre.passports,
    "queue.Ticket": lambda side: side.ticket,
    "queue.CounterSession": lambda side: side.session,
    "queue.QueueClosure": lambda side: side.closure,
    "reports.ServiceGoal": lambda side: side.goal,
    "access.DeviceAccount": lambda side: side.device,
    "access.ApiToken": lambda side: side.token,
    "auth.User": lambda side: side.staff,
    "auditlog.LogEntry": lambda side: side.entry,
    "booking.BookingCalendar": lambda side: side.calendar,
    "booking.CapacityChange": lambda side: side.capacity_change,
}

# Scoped admins with a list filter over centres, queues or counters (so the filter test checks
# something for them).
FILTERED_BY_CENTRE_OBJECTS = {
    "organisation.OpeningException",
    "organisation.Counter",
    "catalogue.Queue",
    "queue.Ticket",
    "queue.CounterSession",
    "queue.QueueClosure",
    "reports.ServiceGoal",
    "access.DeviceAccount",
    "booking.CapacityChange",
}

SCOPED_ADMINS = sorted(
    model._meta.label
    for model, model_admin in admin.site._registry.items()
    if isinstance(model_admin, CentreScopedAdmin)
)


def admin_url(obj: models.Model, view: str) -> str:
    opts = obj._meta
    args = [] if view == "changelist" else [obj.pk]
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def listed_ids(client: Client, row: models.Model) -> set[Any]:
    response = client.get(admin_url(row, "changelist"))
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}


# The rule ------------------------------------------------------------------------------------


def test_allowed_centres_follow_the_profile(world: World) -> None:
    nordby = world.nordby.location
    superuser = User.objects.create_superuser("root", password="x")
    limited_superuser = User.objects.create_superuser("root2", password="x")
    StaffProfile.objects.create(user=limited_superuser).locations.set([nordby])

    assert allowed_location_ids(world.nordby.staff) == {nordby.pk}
    assert allowed_location_ids(make_staff(Role.MANAGER)) is None
    assert allowed_location_ids(superuser) is None
    assert allowed_location_ids(limited_superuser) is None
    assert allowed_location_ids(User.objects.create_user("plain", password="x")) == frozenset()
    assert allowed_location_ids(make_staff(Role.MANAGER, is_active=False)) == frozenset()
    assert allowed_location_ids(AnonymousUser()) == frozenset()


def test_every_model_linked_to_a_centre_knows_its_path_to_it() -> None:
    from django.apps import apps

    for model in apps.get_models():
        label = model._meta.label
        if label in CENTRE_PATHS:
            # The path is a real lookup ending at the centre.
            model._default_manager.filter(**{f"{CENTRE_PATHS[label]}__in": [0]}).exists()
            continue
        if label in STAFF_PATHS:
            continue
        for field in model._meta.get_fields():
            linked = field.is_relation and not field.auto_created and field.related_model
            assert not (linked and linked._meta.label in CENTRE_PATHS), (
                f"{label}.{field.name} links to a centre: add {label} to CENTRE_PATHS"
            )
    for label in STAFF_PATHS:
        assert belongs_to_centres(apps.get_model(label))


def test_every_admin_of_centre_bound_rows_is_scoped_with_its_inlines() -> None:
    for model, model_admin in admin.site._registry.items():
        if belongs_to_centres(model):
            assert isinstance(model_admin, CentreScopedAdmin), model._meta.label
        for inline in model_admin.inlines:
            if belongs_to_centres(inline.model):
                assert issubclass(inline, CentreScopedInline), inline


def test_every_scoped_admin_has_rows_to_test_with() -> None:
    assert set(SCOPED_ADMINS) <= set(ROWS), "add the new scoped admin's rows to ROWS"
    assert {"queue.Ticket", "queue.CounterSession", "auditlog.LogEntry"} <= set(SCOPED_ADMINS)


# Every scoped admin ---------------------------------------------------------------------------


@pytest.mark.parametrize("label", SCOPED_ADMINS)
def test_a_limited_administrator_lists_only_their_centre(
    world: World, nordby_administrator: User, label: str
) -> None:
    ours, theirs = ROWS[label](world.nordby), ROWS[label](world.sydby)
    client = signed_in(nordby_administrator)

    listing = client.get(admin_url(ours, "changelist"))
    listed = {obj.pk for obj in listing.context["cl"].result_list}

    assert ours.pk in listed
    assert theirs.pk not in listed
    page = listing.content.decode()
    assert A_MARK in page
    assert B_MARK not in page


@pytest.mark.parametrize("label", SCOPED_ADMINS)
def test_another_centres_object_is_refused_on_every_page_of_it(
    world: World, nordby_administrator: User, label: str
) -> None:
    ours, theirs = ROWS[label](world.nordby), ROWS[label](world.sydby)
    client = signed_in(nordby_administrator)

    assert client.get(admin_url(ours, "change")).status_code == 200
    for view in ("change", "history", "delete"):
        response = client.get(admin_url(theirs, view))
        assert response.status_code == 403, view
        assert B_MARK not in response.content.decode()
    assert client.post(admin_url(theirs, "delete"), {"post": "yes"}).status_code == 403
    assert type(theirs)._default_manager.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize("label", SCOPED_ADMINS)
def test_the_list_filters_name_only_their_centres_objects(world: World, label: str) -> None:
    # Limited to two centres of three, so a filter over centres has a choice to offer (with
    # one centre Django leaves the filter out).
    ostby = make_side("Østby")
    ours = frozenset({world.nordby.location.pk, ostby.location.pk})
    user = make_staff(Role.ADMINISTRATOR, [world.nordby.location, ostby.location], is_staff=True)

    response = signed_in(with_every_django_permission(user)).get(
        admin_url(ROWS[label](world.nordby), "changelist")
    )

    checked = 0
    for spec in response.context["cl"].filter_specs:
        if isinstance(spec, RelatedFieldListFilter):
            related = spec.field.related_model
            scope = rows_at_centres(related, ours)
            if scope is None:
                continue
            offered = {pk for pk, _name in spec.lookup_choices}
            allowed = set(related._default_manager.filter(scope).values_list("pk", flat=True))
            assert offered <= allowed, spec.title
            if related is Location:
                assert offered == ours
            checked += 1
    assert checked or label not in FILTERED_BY_CENTRE_OBJECTS
    assert B_MARK not in response.content.decode()


@pytest.mark.parametrize("label", SCOPED_ADMINS)
def test_a_superuser_lists_both_centres(world: World, admin_client: Client, label: str) -> None:
    ours, theirs = ROWS[label](world.nordby), ROWS[label](world.sydby)

    assert {ours.pk, theirs.pk} <= listed_ids(admin_client, ours)
    assert admin_client.get(admin_url(theirs, "change")).status_code == 200


# The team lead of the report -------------------------------------------------------------------


def test_a_team_lead_limited_to_one_centre_sees_only_its_tickets(
    world: World, nordby_team_lead: User
) -> None:
    client = signed_in(nordby_team_lead)
    ours, theirs = world.nordby.ticket, world.sydby.ticket

    listing = client.get(reverse("admin:queue_ticket_changelist"))
    detail = client.get(reverse("admin:queue_ticket_change", args=[theirs.pk]))

    assert {ticket.pk for ticket in listing.context["cl"].result_list} == {ours.pk}
    assert detail.status_code == 403
    assert "Sydby intern note" not in detail.content.decode()
    assert (
        "Nordby intern note"
        in client.get(reverse("admin:queue_ticket_change", args=[ours.pk])).content.decode()
    )
    page = listing.content.decode()
    # One centre leaves nothing to choose, so the centre filter is left out altogether.
    assert "location__id__exact" not in page
    assert "Sydby Borgerservice" not in page


def test_a_team_lead_limited_to_one_centre_sees_only_its_counter_sessions(
    world: World, nordby_team_lead: User
) -> None:
    client = signed_in(nordby_team_lead)

    listing = client.get(reverse("admin:queue_countersession_changelist"))
    detail = client.get(reverse("admin:queue_countersession_change", args=[world.sydby.session.pk]))

    assert {session.pk for session in listing.context["cl"].result_list} == {
        world.nordby.session.pk
    }
    assert detail.status_code == 403
    page = listing.content.decode()
    assert "counter__location__id__exact" not in page
    assert "Sydby" not in page


def test_a_filter_for_another_centre_in_the_address_shows_nothing(
    world: World, nordby_team_lead: User
) -> None:
    response = signed_in(nordby_team_lead).get(
        reverse("admin:queue_ticket_changelist"),
        {"location__id__exact": world.sydby.location.pk},
    )

    assert response.status_code == 200
    assert world.sydby.ticket not in response.context["cl"].result_list


def test_an_unlimited_manager_still_sees_both_centres(
    world: World, unlimited_manager: User
) -> None:
    client = signed_in(unlimited_manager)

    tickets = listed_ids(client, world.nordby.ticket)
    sessions = listed_ids(client, world.nordby.session)
    entries = listed_ids(client, world.nordby.entry)

    assert {world.nordby.ticket.pk, world.sydby.ticket.pk} <= tickets
    assert {world.nordby.session.pk, world.sydby.session.pk} <= sessions
    assert {world.nordby.entry.pk, world.sydby.entry.pk} <= entries


# Forms and actions -----------------------------------------------------------------------------


def choice_ids(response: Any, field: str) -> set[int]:
    form_field = response.context["adminform"].form.fields[field]
    return {obj.pk for obj in form_field.queryset}


def test_a_limited_administrator_cannot_pick_another_centre_for_a_queue(
    world: World, nordby_administrator: User
) -> None:
    client = signed_in(nordby_administrator)
    url = reverse("admin:catalogue_queue_add")
    data = {
        "location": str(world.sydby.location.pk),
        "prefix": "X",
        "name": "Sydby ekstra",
        "name_en": "",
        "kind": QueueKind.FRONT.value,
        "active": "on",
        "sort_order": "0",
        "daily_quota": "",
        "cutoff_minutes": "0",
    }

    form = client.get(url)
    refused = client.post(url, data)

    assert choice_ids(form, "location") == {world.nordby.location.pk}
    assert refused.status_code == 200
    assert "location" in refused.context["adminform"].form.errors
    assert not Queue.objects.filter(prefix="X").exists()


def test_a_limited_administrator_cannot_pick_another_centres_counter_for_a_device(
    world: World, nordby_administrator: User
) -> None:
    form = signed_in(nordby_administrator).get(reverse("admin:access_deviceaccount_add"))

    assert choice_ids(form, "location") == {world.nordby.location.pk}
    assert choice_ids(form, "counter") == {c.pk for c in world.nordby.centre.counters}


def test_a_limited_administrator_cannot_add_a_centre(nordby_administrator: User) -> None:
    client = signed_in(nordby_administrator)

    assert client.get(reverse("admin:organisation_location_add")).status_code == 403


def test_actions_reach_only_their_centres_rows(world: World, nordby_administrator: User) -> None:
    signed_in(nordby_administrator).post(
        reverse("admin:access_deviceaccount_changelist"),
        {"action": "revoke", "_selected_action": [world.sydby.device.pk]},
    )

    world.sydby.device.refresh_from_db()
    assert world.sydby.device.revoked_at is None


def test_another_centres_device_cannot_be_paired(world: World, nordby_administrator: User) -> None:
    client = signed_in(nordby_administrator)
    url = reverse("admin:access_deviceaccount_pairing", args=[world.sydby.device.pk])

    assert client.post(url).status_code == 403
    world.sydby.device.refresh_from_db()
    assert world.sydby.device.pairing_token_hash == ""


def test_tokens_are_issued_only_for_staff_of_no_other_centre(
    world: World, nordby_administrator: User, unlimited_manager: User
) -> None:
    client = signed_in(nordby_administrator)
    url = reverse("admin:access_apitoken_add")

    form = client.get(url)
    refused = client.post(url, {"user": unlimited_manager.pk, "name": "Adgang overalt"})

    assert choice_ids(form, "user") == {world.nordby.staff.pk, nordby_administrator.pk}
    assert refused.status_code == 200
    assert not ApiToken.objects.filter(user=unlimited_manager).exists()


def test_queue_names_on_the_services_list_are_only_their_centres(
    world: World, nordby_administrator: User
) -> None:
    # A queue at Sydby taking Nordby's passport service must not show on the shared service.
    Queue.objects.create(
        location=world.sydby.location, prefix="SYD", name="Sydby pas", kind=QueueKind.BACK
    ).services.add(world.nordby.centre.passport)

    limited = signed_in(nordby_administrator).get(reverse("admin:catalogue_service_changelist"))
    unlimited = signed_in(
        with_every_django_permission(make_staff(Role.ADMINISTRATOR, is_staff=True))
    ).get(reverse("admin:catalogue_service_changelist"))

    assert "SYD" not in limited.content.decode()
    assert "SYD" in unlimited.content.decode()


@pytest.mark.parametrize("name", ["messaging_message", "jobs_job", "jobs_periodicschedule"])
def test_rows_of_every_centre_are_hidden_from_limited_staff(
    nordby_administrator: User, admin_client: Client, name: str
) -> None:
    url = reverse(f"admin:{name}_changelist")

    assert signed_in(nordby_administrator).get(url).status_code == 403
    assert url not in signed_in(nordby_administrator).get(reverse("admin:index")).content.decode()
    assert admin_client.get(url).status_code == 200


# Staff accounts --------------------------------------------------------------------------------


def user_form(user: User, locations: list[Location], **fields: Any) -> dict[str, Any]:
    """The change form of ``user`` and their staff profile, as the browser posts it."""
    profile = user.staff_profile
    data: dict[str, Any] = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "is_staff": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-05",
        "date_joined_1": "09:00:00",
        "staff_profile-TOTAL_FORMS": "1",
        "staff_profile-INITIAL_FORMS": "1",
        "staff_profile-MIN_NUM_FORMS": "0",
        "staff_profile-MAX_NUM_FORMS": "1",
        "staff_profile-0-id": str(profile.pk),
        "staff_profile-0-user": str(user.pk),
        "staff_profile-0-role": profile.role,
        "staff_profile-0-locations": [str(location.pk) for location in locations],
    }
    data.update(fields)
    return data


def test_a_limited_administrator_sees_staff_who_share_a_centre(
    world: World, nordby_administrator: User, unlimited_manager: User
) -> None:
    listed = listed_ids(signed_in(nordby_administrator), nordby_administrator)

    assert {world.nordby.staff.pk, nordby_administrator.pk, unlimited_manager.pk} <= listed
    assert world.sydby.staff.pk not in listed


def test_staff_who_also_work_elsewhere_can_be_looked_at_but_not_changed(
    world: World, nordby_administrator: User, unlimited_manager: User
) -> None:
    client = signed_in(nordby_administrator)
    url = reverse("admin:auth_user_change", args=[unlimited_manager.pk])

    page = client.get(url)
    posted = client.post(url, user_form(unlimited_manager, [world.nordby.location]))

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert posted.status_code == 403
    assert not unlimited_manager.staff_profile.locations.exists()
    password = reverse("admin:auth_user_password_change", args=[unlimited_manager.pk])
    assert client.get(password).status_code == 403


def test_a_limited_administrator_edits_their_own_centres_staff_within_it(
    world: World, nordby_administrator: User
) -> None:
    client = signed_in(nordby_administrator)
    staff = world.nordby.staff
    url = reverse("admin:auth_user_change", args=[staff.pk])

    page = client.get(url)
    offered = page.context["inline_admin_formsets"][0].formset.forms[0].fields["locations"]
    to_sydby = client.post(url, user_form(staff, [world.nordby.location, world.sydby.location]))
    to_everywhere = client.post(url, user_form(staff, []))
    to_superuser = client.post(url, user_form(staff, [world.nordby.location], is_superuser="on"))

    assert {location.pk for location in offered.queryset} == {world.nordby.location.pk}
    assert to_sydby.status_code == 200
    assert to_everywhere.status_code == 200
    assert to_superuser.status_code == 302
    staff.refresh_from_db()
    assert not staff.is_superuser
    assert list(staff.staff_profile.locations.all()) == [world.nordby.location]


def test_a_limited_administrator_cannot_delete_staff_of_every_centre_in_bulk(
    world: World, nordby_administrator: User, unlimited_manager: User
) -> None:
    signed_in(nordby_administrator).post(
        reverse("admin:auth_user_changelist"),
        {"action": "delete_selected", "_selected_action": [unlimited_manager.pk], "post": "yes"},
    )

    assert User.objects.filter(pk=unlimited_manager.pk).exists()


# The audit log ---------------------------------------------------------------------------------


def test_a_limited_manager_reads_the_log_of_their_centre_and_shared_objects(
    world: World,
) -> None:
    manager = make_staff(Role.MANAGER, [world.nordby.location], is_staff=True)
    shared = record_action(None, "subject_area_checked", world.nordby.centre.passport.subject_area)
    record_action(None, "sydby_only_action", world.sydby.location)
    client = signed_in(manager)

    listing = client.get(reverse("admin:auditlog_logentry_changelist"))
    listed = {entry.pk for entry in listing.context["cl"].result_list}

    assert {world.nordby.entry.pk, shared.pk} <= listed
    assert world.sydby.entry.pk not in listed
    assert "sydby_only_action" not in listing.content.decode()
    assert "Sydby" not in listing.content.decode()
    change = reverse("admin:auditlog_logentry_change", args=[world.sydby.entry.pk])
    assert client.get(change).status_code == 403


def test_tokens_of_staff_of_other_centres_too_are_not_listed(
    world: World, nordby_administrator: User, unlimited_manager: User
) -> None:
    everywhere, _secret = create_api_token(unlimited_manager, "Adgang overalt")

    listed = listed_ids(signed_in(nordby_administrator), everywhere)

    assert world.nordby.token.pk in listed
    assert everywhere.pk not in listed
