"""Which models the audit log follows, and the one helper that adds more.

django-auditlog records each create, change and delete of a registered model, with the fields
before and after, and each change to its many-to-many fields. Staff configuration is registered
here at start-up (see CONFIGURATION_MODELS); a later app registers its own staff-edited models
from its AppConfig.ready():

    from skranke.audit.registry import register_models
    register_models([ServiceGoal, SurveyQuestion], exclude_fields=["updated_at"])

High-volume domain records (tickets, events, contacts) are not registered: their meaningful
steps are written with skranke.audit.services.record_action instead.
"""

from __future__ import annotations

from collections.abc import Iterable

from auditlog.registry import auditlog
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models

# Fields whose name contains one of these are never logged: passwords and the digests of
# tokens, pairing links and device credentials. The audit log is read by managers, and a digest
# is still worth guessing against.
SECRET_FIELD_MARKERS = ("password", "secret", "token", "credential", "hash")

# Staff configuration in the admin, by "app_label.ModelName".
CONFIGURATION_MODELS = [
    "organisation.Municipality",
    "organisation.Location",
    "organisation.OpeningHours",
    "organisation.OpeningException",
    "organisation.Counter",
    "organisation.Team",
    "organisation.StaffProfile",
    "catalogue.SubjectArea",
    "catalogue.Service",
    "catalogue.Queue",
    "auth.Group",
]


def is_secret_field(name: str) -> bool:
    """Return True for a field name that looks like it holds a secret or its digest."""
    lowered = name.lower()
    return any(marker in lowered for marker in SECRET_FIELD_MARKERS)


def register_models(
    models_to_log: Iterable[type[models.Model]], *, exclude_fields: Iterable[str] = ()
) -> None:
    """Log every create, change and delete of these models, many-to-many fields included.

    ``exclude_fields`` names further fields to leave out, e.g. a timestamp touched on every
    heartbeat. Fields that look secret (SECRET_FIELD_MARKERS) are always left out. Registering a
    model again replaces its earlier registration.
    """
    extra_exclusions = list(exclude_fields)
    for model in models_to_log:
        fields = model._meta.get_fields()
        excluded = [
            field.name
            for field in fields
            if field.concrete and (is_secret_field(field.name) or field.name in extra_exclusions)
        ]
        many_to_many = {
            field.name
            for field in model._meta.many_to_many
            if field.name not in excluded and not is_secret_field(field.name)
        }
        auditlog.register(model, exclude_fields=excluded, m2m_fields=many_to_many)


def register_configuration_models() -> None:
    """Register the staff configuration models and the user accounts; called at start-up."""
    register_models(apps.get_model(label) for label in CONFIGURATION_MODELS)
    # Signing in touches last_login, which is not a staff action; the password is a secret. A
    # changed password is still recorded, as the action "password_changed" (audit.receivers).
    register_models([get_user_model()], exclude_fields=["last_login"])
    # Devices and tokens: who created them is logged here; pairing and revoking are written with
    # record_action by the admin, since those are conditional updates the signals never see.
    register_models(
        [apps.get_model("access.DeviceAccount")],
        exclude_fields=["last_seen_at", "offline_alert_sent_at"],
    )
    register_models([apps.get_model("access.ApiToken")], exclude_fields=["last_used_at"])
