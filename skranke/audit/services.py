"""Writing domain actions ("ticket called", "queue closed") to the audit log.

Changes to configuration are logged by django-auditlog on its own (see skranke.audit.registry).
Domain actions are steps of a workflow rather than edits of a form, so the service that performs
one records it here, in the same transaction, so the entry stands or falls with the action.

They go into auditlog's LogEntry as well, so the managers' one log shows both kinds: the entry
is an "update" of the object acted on, ``changes`` is empty, and ``additional_data`` holds
``{"action": "ticket_called", "details": {...}}``. auditlog's ``action`` column only knows
create/update/delete/access, so the domain action's name lives in additional_data; the log
admin shows and filters by it.

Nobody may delete an entry, so nothing CPR-shaped may get in (DESIGN.md): record_action refuses
details holding one, and refuse_cpr_in_entry checks every entry, auditlog's change records
included, before it is saved. The fields those records copy are guarded by their own validators
(a form refuses the text before anything is saved); this is the last line, for a path that
forgot.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from auditlog.models import LogEntry
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from skranke.audit.registry import is_secret_field
from skranke.lib.validators import validate_no_cpr_in_data

# Lower-case words joined by "_" or ".", e.g. "ticket_called" or "queue.closed".
ACTION_NAME = re.compile(r"[a-z][a-z0-9]*(?:[_.][a-z0-9]+)*")
ACTION_NAME_MAX_LENGTH = 100


def _secret_keys(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [key for key in value if is_secret_field(str(key))]
        for item in value.values():
            found.extend(_secret_keys(item))
        return found
    if isinstance(value, list):
        return [key for item in value for key in _secret_keys(item)]
    return []


def record_action(
    actor: AbstractBaseUser | AnonymousUser | None,
    action: str,
    obj: models.Model,
    details: Mapping[str, Any] | None = None,
) -> LogEntry:
    """Write that ``actor`` performed ``action`` on ``obj`` to the audit log; return the entry.

    ``actor`` is the staff member, or None (or an anonymous user) for the system, a citizen or a
    device; during a request the signed-in user, the paired device and the client address are
    filled in from the request (skranke.audit.receivers). ``details`` may hold anything
    DjangoJSONEncoder can write (dates, decimals, UUIDs …).

    Raises ValueError when ``action`` is not lower-case words joined by "_" or ".", when ``obj``
    has not been saved, or when ``details`` has a key that looks like a secret ("password",
    "token" …); TypeError when ``details`` cannot be written as JSON;
    django.core.exceptions.ValidationError (code "cpr") when a text in ``details`` holds a CPR
    number.
    """
    if len(action) > ACTION_NAME_MAX_LENGTH or not ACTION_NAME.fullmatch(action):
        raise ValueError(
            f"audit action {action!r} must be lower-case words joined by '_' or '.', "
            "e.g. 'ticket_called'"
        )
    if obj.pk is None:
        raise ValueError(f"cannot record {action!r} on an unsaved {type(obj).__name__}")
    # Round-trip through the encoder so what is stored is exactly what will be read back.
    stored_details = json.loads(json.dumps(dict(details or {}), cls=DjangoJSONEncoder))
    secrets = _secret_keys(stored_details)
    if secrets:
        raise ValueError(f"audit details must not hold secrets: {', '.join(sorted(secrets))}")
    validate_no_cpr_in_data(stored_details)
    user = actor if actor is not None and actor.is_authenticated else None
    entry: LogEntry = LogEntry.objects.log_create(
        obj,
        force_log=True,
        action=LogEntry.Action.UPDATE,
        changes=None,
        actor=user,
        actor_email=getattr(user, "email", None) or None,
        additional_data={"action": action, "details": stored_details},
    )
    return entry


def refuse_cpr_in_entry(sender: type[LogEntry], instance: LogEntry, **kwargs: Any) -> None:
    """Before a log entry is saved, refuse it when a text in it holds a CPR number.

    Connected to LogEntry's pre_save (AuditConfig.ready()). Raises
    django.core.exceptions.ValidationError (code "cpr"), so the transaction that made the change
    is rolled back with it rather than leaving the number in a log nobody may clean.
    """
    validate_no_cpr_in_data(
        [
            instance.object_repr,
            instance.changes_text,
            instance.changes,
            instance.serialized_data,
            instance.additional_data,
        ]
    )


def domain_action(entry: LogEntry) -> str | None:
    """Return the domain action an entry records ("ticket_called"), or None for a change."""
    data = entry.additional_data
    if isinstance(data, dict) and isinstance(data.get("action"), str):
        return str(data["action"])
    return None
