"""The access walk's table of the Django admin: the site's own pages, each app's index and each
registered model's pages, with who may use them (rules in walk_rules.py).

Models the admin guards with Django's model permissions follow the permissions the walk grants
(walk_world.has_django_permission); rows of a model that belong to centres (centres_of) are
shown to a caller only for their own centres, in lists, detail pages, history and delete pages.
Every admin page is called with GET: it checks the same permission as its POST, which would need
a valid form to get further.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auditlog.models import LogEntry
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model

from skranke.access.models import ApiToken
from skranke.access.permissions import Capability
from skranke.access.tests.walk_rules import (
    NOBODY,
    PUBLIC,
    STAFF,
    AnyOf,
    AtCentreA,
    DjangoPermission,
    Needs,
    Route,
    Rule,
    Surface,
)
from skranke.organisation.models import Location, StaffProfile
from skranke.queue.models import CounterSession, QueueClosure, Ticket


def _staff_centres(user: Any) -> set[int]:
    profile = getattr(user, "staff_profile", None)
    return set(profile.locations.values_list("id", flat=True)) if profile else set()


def centres_of(row: Any) -> set[int]:
    """Return the ids of the centres an admin row belongs to; none for rows of no one centre
    (or of every centre)."""
    if isinstance(row, Location):
        return {row.pk}
    if isinstance(row, User):
        return _staff_centres(row)
    if isinstance(row, ApiToken):
        return _staff_centres(row.user)
    if isinstance(row, StaffProfile):
        return _staff_centres(row.user)
    if isinstance(row, CounterSession):
        return {row.counter.location_id}
    if isinstance(row, QueueClosure):
        return {row.queue.location_id}
    if isinstance(row, LogEntry):
        # An entry belongs where the object it is about belongs.
        model = row.content_type.model_class()
        about = model._default_manager.filter(pk=row.object_pk).first() if model else None
        return centres_of(about) if about is not None else set()
    location_id = getattr(row, "location_id", None)
    if location_id is None:
        # An appointment calendar's rows: the calendar's key is its centre's.
        location_id = getattr(row, "calendar_id", None)
    return {location_id} if location_id is not None else set()


@dataclass(frozen=True)
class AdminModel:
    """Who may list, add, change and delete a model's rows in the admin; `row` names the walked
    row (a dotted path into the World, one of centre A's when `owned`). Rows of an `owned` model
    belong to centres (centres_of): a list shows a caller only their centres' rows, and one of
    A's rows is for A's staff only."""

    row: str
    view: Rule
    add: Rule
    change: Rule
    delete: Rule
    owned: bool = False


def _by_permission(app_label: str, *, add: bool = True, change: bool = True) -> dict[str, Rule]:
    return {
        "view": DjangoPermission(app_label, "view"),
        "add": DjangoPermission(app_label, "add") if add else NOBODY,
        "change": DjangoPermission(app_label, "change") if change else NOBODY,
        "delete": DjangoPermission(app_label, "delete") if change else NOBODY,
    }


def _by_capability(view: Capability, write: Capability | None = None) -> dict[str, Rule]:
    writing: Rule = Needs(write, anywhere=True) if write else NOBODY
    return {
        "view": Needs(view, anywhere=True),
        "add": writing,
        "change": writing,
        "delete": writing,
    }


# Rows that belong to no one centre but may concern any (messages to citizens, background jobs)
# are for staff of every centre only; every caller of the walk is limited to one centre.
FOR_STAFF_OF_EVERY_CENTRE = {"view": NOBODY, "add": NOBODY, "change": NOBODY, "delete": NOBODY}

ADMIN_MODELS: dict[str, AdminModel] = {
    "auth.group": AdminModel("group", **_by_permission("auth")),
    "auth.user": AdminModel("a.staff.counter_staff", **_by_permission("auth"), owned=True),
    "axes.accessattempt": AdminModel("access_attempt", **_by_permission("axes") | {"add": NOBODY}),
    "axes.accesslog": AdminModel("access_log", **_by_permission("axes") | {"add": NOBODY}),
    "axes.accessfailurelog": AdminModel(
        "access_failure", **_by_permission("axes") | {"add": NOBODY}
    ),
    # One municipality per installation: once it exists, nobody adds another.
    "organisation.municipality": AdminModel(
        "municipality", **_by_permission("organisation") | {"add": NOBODY}
    ),
    # One accessibility statement per installation: once it exists, nobody adds another.
    "organisation.accessibilitystatement": AdminModel(
        "accessibility_statement", **_by_permission("organisation") | {"add": NOBODY}
    ),
    # A new centre would be outside every centre-limited caller's centres.
    "organisation.location": AdminModel(
        "a.location", **_by_permission("organisation") | {"add": NOBODY}, owned=True
    ),
    "organisation.openingexception": AdminModel(
        "a.exception", **_by_permission("organisation"), owned=True
    ),
    "organisation.counter": AdminModel("a.held", **_by_permission("organisation"), owned=True),
    "organisation.team": AdminModel("team", **_by_permission("organisation")),
    "catalogue.subjectarea": AdminModel("a.area", **_by_permission("catalogue")),
    "catalogue.service": AdminModel("a.passport", **_by_permission("catalogue")),
    "catalogue.queue": AdminModel("a.passports", **_by_permission("catalogue"), owned=True),
    "access.deviceaccount": AdminModel(
        "a.devices.kiosk",
        **_by_capability(Capability.MANAGE_DEVICES, Capability.MANAGE_DEVICES),
        owned=True,
    ),
    "access.apitoken": AdminModel(
        "api_token",
        **_by_capability(Capability.MANAGE_DEVICES, Capability.MANAGE_DEVICES),
        owned=True,
    ),
    "jobs.job": AdminModel("job", **FOR_STAFF_OF_EVERY_CENTRE),
    "jobs.periodicschedule": AdminModel("schedule", **FOR_STAFF_OF_EVERY_CENTRE),
    "messaging.message": AdminModel("message", **FOR_STAFF_OF_EVERY_CENTRE),
    "auditlog.logentry": AdminModel(
        "log_entry", **_by_capability(Capability.VIEW_AUDIT_LOG), owned=True
    ),
    "queue.ticket": AdminModel(
        "a.called", **_by_capability(Capability.VIEW_LIVE_FLOOR), owned=True
    ),
    "queue.countersession": AdminModel(
        "a.session", **_by_capability(Capability.VIEW_LIVE_FLOOR), owned=True
    ),
    "reports.servicegoal": AdminModel("a.goal", **_by_permission("reports"), owned=True),
    "queue.queueclosure": AdminModel(
        "a.closure", **_by_capability(Capability.VIEW_LIVE_FLOOR), owned=True
    ),
    "booking.bookingcalendar": AdminModel("a.calendar", **_by_permission("booking"), owned=True),
    "booking.capacitychange": AdminModel(
        "a.capacity_change", **_by_permission("booking"), owned=True
    ),
}

ADMIN_SITE: list[Route] = [
    Route("admin:index", Surface.ADMIN, "GET", STAFF),
    Route("admin:login", Surface.ADMIN, "GET", PUBLIC),
    Route("admin:logout", Surface.ADMIN, "POST", PUBLIC),
    Route("admin:password_change", Surface.ADMIN, "GET", STAFF),
    Route("admin:password_change_done", Surface.ADMIN, "GET", STAFF),
    Route("admin:jsi18n", Surface.ADMIN, "GET", STAFF),
    # No admin offers autocompletion, so every employee is refused.
    Route("admin:autocomplete", Surface.ADMIN, "GET", NOBODY),
    # "View on site" of a row without a page of its own: no one gets anything but a refusal.
    Route(
        "admin:view_on_site",
        Surface.ADMIN,
        "GET",
        NOBODY,
        params={
            "content_type_id": lambda w: ContentType.objects.get_for_model(Ticket).pk,
            "object_id": "a.called",
        },
    ),
    # Any other address under /admin/: the sign-in page for visitors, 404 for staff.
    Route("admin/(?P<url>.*)$", Surface.ADMIN, "GET", NOBODY, params={"url": lambda w: "nowhere/"}),
    Route(
        "admin:access_deviceaccount_pairing",
        Surface.ADMIN,
        "GET",
        AtCentreA(Needs(Capability.MANAGE_DEVICES, anywhere=True)),
        params={"device_id": "a.devices.kiosk"},
    ),
    Route(
        "admin:auth_user_password_change",
        Surface.ADMIN,
        "GET",
        AtCentreA(DjangoPermission("auth", "change")),
        params={"id": "a.staff.counter_staff"},
    ),
]


def registered_models() -> dict[str, type[Model]]:
    """Return the models registered in the admin, by "app_label.modelname"."""
    return {
        model._meta.label_lower: model
        for model in apps.get_models()
        if admin.site.is_registered(model)
    }


def _model_routes(label: str, rules: AdminModel) -> list[Route]:
    app_label, model_name = label.split(".")
    prefix = f"admin:{app_label}_{model_name}"
    seeing = AnyOf((rules.view, rules.change))
    deleting = rules.delete
    if rules.owned:
        seeing_row: Rule = AtCentreA(seeing)
        deleting = AtCentreA(deleting)
    else:
        seeing_row = seeing
    row = {"object_id": rules.row}
    return [
        Route(f"{prefix}_changelist", Surface.ADMIN, "GET", seeing, lists_rows=rules.owned),
        Route(f"{prefix}_add", Surface.ADMIN, "GET", rules.add),
        Route(f"{prefix}_change", Surface.ADMIN, "GET", seeing_row, params=row),
        Route(f"{prefix}_history", Surface.ADMIN, "GET", seeing_row, params=row),
        Route(f"{prefix}_delete", Surface.ADMIN, "GET", deleting, params=row),
        # Redirects every employee to the change page, which decides.
        Route(
            f"admin/{app_label}/{model_name}/<path:object_id>/",
            Surface.ADMIN,
            "GET",
            STAFF,
            params=row,
        ),
    ]


def admin_routes() -> list[Route]:
    """Return the admin's routes: the site's own, each app's index, and each registered model's
    pages (list, add, change, history, delete, and the bare object address that redirects).

    A registered model missing from ADMIN_MODELS gets no routes here; the test names it.
    """
    routes = list(ADMIN_SITE)
    models = [label for label in registered_models() if label in ADMIN_MODELS]
    for app_label in sorted({label.split(".")[0] for label in models}):
        # An app's index lists the models the caller may see, whichever centre they are at.
        seeing = tuple(
            AnyOf((ADMIN_MODELS[label].view, ADMIN_MODELS[label].change))
            for label in models
            if label.split(".")[0] == app_label
        )
        routes.append(
            Route(
                "admin:app_list",
                Surface.ADMIN,
                "GET",
                AnyOf(seeing),
                variant=app_label,
                variant_parameter="app_label",
            )
        )
    for label in models:
        routes += _model_routes(label, ADMIN_MODELS[label])
    return routes
