"""Signal receivers connected in AuditConfig.ready()."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.core.management import call_command
from django.db import models

from skranke.access.ratelimit import client_address
from skranke.audit.middleware import current_request
from skranke.audit.services import record_action


def fill_from_request(sender: type[models.Model], instance: Any, **kwargs: Any) -> None:
    """Before a log entry is saved, add who made the request and from where.

    The signed-in user becomes the actor unless the entry names one; without one, a paired
    device making the request is named in additional_data, so kiosk actions say which kiosk.
    """
    request = current_request()
    if request is None:
        return
    if instance.actor_id is None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            instance.actor_id = user.pk
            instance.actor_email = getattr(user, "email", None) or None
    if instance.actor_id is None:
        device = getattr(request, "device", None)
        if device is not None:
            data = dict(instance.additional_data or {})
            data.setdefault("device", {"id": device.pk, "name": str(device)})
            instance.additional_data = data
    if instance.remote_addr is None:
        instance.remote_addr = client_address(request)


def record_password_change(
    sender: type[models.Model], instance: Any, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    """Record that a user's password was changed, without the password or its hash.

    The password field is kept out of the change log (it holds the hash), so the fact of the
    change is written as its own action. set_password() leaves the new password in
    ``_password`` until save() has finished; Django clears it for mere hash upgrades at sign-in,
    so those are not recorded.
    """
    if created or raw or getattr(instance, "_password", None) is None:
        return
    record_action(None, "password_changed", instance)


def create_cache_table(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """Create the database cache's table after `migrate`, when the database cache is in use.

    The rate limits count in Django's cache, by default a table in the database (see settings);
    createcachetable does nothing when the table exists or another cache is configured, so this
    is safe on every migrate, and a later switch back to the database cache needs no extra step.
    """
    call_command("createcachetable", database=using, verbosity=0)
