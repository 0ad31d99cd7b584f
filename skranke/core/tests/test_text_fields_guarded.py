"""Every text field of every Skranke model refuses CPR numbers, or is listed here with the reason
it cannot hold one typed by a person.

The validator sits on the model field, so every ModelForm (the admin's included) and every
full_clean() runs it; the API's schemas and the services check the same detector. A new text
field fails this test until it is guarded or listed.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models

from skranke.lib.validators import validate_no_cpr

# "app_label.Model.field": why it needs no CPR guard. Fields with choices are left out without
# being listed: a value outside the choices is refused by the field itself.
NOT_FREE_TEXT = {
    "access.DeviceAccount.pairing_token_hash": "SHA-256 hex digest written by the pairing code",
    "access.DeviceAccount.credential_hash": "SHA-256 hex digest written by the pairing code",
    "access.ApiToken.prefix": "the first characters of a generated token; not editable",
    "access.ApiToken.token_hash": "SHA-256 hex digest of a generated token",
    "access.RateLimitWindow.key": "built by the rate limiter from its scope and the client",
    "catalogue.SubjectArea.kle_code": "validated as at most three 2-digit groups (6 digits)",
    "catalogue.Queue.prefix": "validated as one to three capital letters",
    "organisation.Municipality.code": "validated as exactly three digits",
    "organisation.Location.postal_code": "validated as exactly four digits",
    "jobs.Job.kind": "the name of a registered job handler, set by code",
    "jobs.Job.payload": "JSON written by the code that enqueues; read-only in the admin",
    "jobs.Job.last_error": "the worker's note of a failure; read-only in the admin",
    "jobs.Job.claimed_by": "the worker's host name and process id",
    "jobs.PeriodicSchedule.name": "the name of a registered periodic job, set by code",
    "jobs.PeriodicSchedule.last_enqueued_by": "the worker's host name and process id",
    "messaging.Message.recipient": "a phone number normalised to +45 and 8 digits, or an e-mail",
    "messaging.Message.subject": "rendered by code from a template; read-only in the admin",
    "messaging.Message.body": "rendered by code from a template; read-only in the admin",
    "messaging.Message.last_error": "the gateway's answer to a failed send; read-only",
    "queue.Ticket.display_number": "the queue's prefix and a number, written when issued",
    "queue.Ticket.token": "a generated random token",
    "queue.Ticket.notify_phone": "normalised to +45 and 8 digits by clean_phone, which checks",
    "queue.TicketEvent.data": "JSON written by the services from checked input; read-only",
    "booking.Appointment.code": "a generated reference code of 8 letters and digits",
    "booking.Appointment.secret_hash": "SHA-256 hex digest of a generated link secret",
    "booking.Appointment.phone": "normalised to +45 and 8 digits by clean_contact, which checks",
    "booking.Hold.token_hash": "SHA-256 hex digest of a generated token",
    "booking.Hold.client_key": "a keyed digest of the client's address, written by code",
    "booking.BookingGuard.key": "a keyed digest of what a limit counts, written by code",
}


def skranke_text_fields() -> dict[str, models.Field[object, object]]:
    """Return every CharField, TextField (subclasses included) and JSONField of every model of
    every Skranke app, by "app_label.Model.field"."""
    fields: dict[str, models.Field[object, object]] = {}
    for app_config in apps.get_app_configs():
        if not app_config.name.startswith("skranke."):
            continue
        for model in app_config.get_models():
            for field in model._meta.concrete_fields:
                if isinstance(field, models.CharField | models.TextField | models.JSONField):
                    label = f"{model._meta.label}.{field.name}"
                    fields[label] = field
    return fields


def test_the_enumeration_sees_the_fields_it_must_see() -> None:
    fields = skranke_text_fields()
    # A staff note, a reason shown to citizens, an admin-typed TextField, JSON, a slug, an
    # e-mail: if these are missing, the enumeration is broken, not the guard complete.
    for label in [
        "queue.Ticket.note",
        "organisation.OpeningException.reason",
        "catalogue.Service.what_to_bring",
        "queue.TicketEvent.data",
        "organisation.Location.slug",
        "organisation.Location.email",
    ]:
        assert label in fields


def test_every_free_text_field_refuses_a_cpr_number() -> None:
    unguarded = [
        label
        for label, field in skranke_text_fields().items()
        if not field.choices
        and label not in NOT_FREE_TEXT
        and validate_no_cpr not in field.validators
    ]
    assert unguarded == [], (
        "These text fields take free text without the CPR guard; add "
        "validators=[validate_no_cpr] (and a migration), or list them in NOT_FREE_TEXT with "
        f"the reason they cannot hold typed text: {unguarded}"
    )


def test_the_list_of_exceptions_names_only_fields_that_exist_unguarded() -> None:
    fields = skranke_text_fields()
    stale = [
        label
        for label in NOT_FREE_TEXT
        if label not in fields
        or fields[label].choices
        or validate_no_cpr in fields[label].validators
    ]
    assert stale == []


@pytest.mark.parametrize(
    "label",
    [
        "catalogue.SubjectArea.kle_code",
        "catalogue.Queue.prefix",
        "organisation.Municipality.code",
        "organisation.Location.postal_code",
    ],
)
@pytest.mark.parametrize("cpr", ["0101901234", "010190-1234", "01.01.90-1234"])
def test_a_listed_code_is_refused_by_its_own_validators_when_cpr_shaped(
    label: str, cpr: str
) -> None:
    # The reasons above claim that these codes' own validators leave no room for a CPR number.
    field = skranke_text_fields()[label]
    with pytest.raises(ValidationError):
        field.run_validators(cpr)
