"""Nothing CPR-shaped reaches the audit log, whose entries nobody may delete: record_action refuses
details holding a CPR number, every entry is checked before it is saved, and the command line's
token names are checked like the admin's."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models.signals import pre_save

from skranke.access.models import ApiToken
from skranke.audit.services import record_action, refuse_cpr_in_entry
from skranke.organisation.models import Location, Team, TeamKind

pytestmark = pytest.mark.django_db

ARABIC_INDIC_CPR = "\u0660\u0661\u0660\u0661\u0669\u0660\u0661\u0662\u0663\u0664"


@pytest.fixture
def location() -> Location:
    return Location.objects.create(name="Borgerservice Nord", slug="nord")


@pytest.fixture
def without_entry_check() -> Iterator[None]:
    """Take away the check of every entry, so that record_action's own check is what is tested."""
    connected = pre_save.disconnect(sender=LogEntry, dispatch_uid="skranke-audit-cpr")
    yield
    if connected:
        pre_save.connect(refuse_cpr_in_entry, sender=LogEntry, dispatch_uid="skranke-audit-cpr")


@pytest.mark.usefixtures("without_entry_check")
@pytest.mark.parametrize(
    "details",
    [
        {"reason": "Borger 010190-1234"},
        {"reason": f"Borger {ARABIC_INDIC_CPR}"},
        {"reason": "Borger 0101\u200b90  1234"},
        {"notes": ["ok", {"inner": "010190_1234"}]},
        {"010190-1234": "the key itself"},
    ],
    ids=["ascii", "arabic-indic", "walk-round", "nested", "key"],
)
def test_record_action_refuses_details_holding_a_cpr_number(
    location: Location, details: dict[str, object]
) -> None:
    with pytest.raises(ValidationError) as refused:
        record_action(None, "queue_closed", location, details)

    assert refused.value.code == "cpr"
    assert "1234" not in str(refused.value)
    assert not LogEntry.objects.filter(additional_data__has_key="action").exists()


def test_record_action_takes_phone_numbers_dates_and_times(location: Location) -> None:
    details = {"reason": "Ring 20 01 01 90 / 1234 5678", "date": "2026-12-24", "at": "14.30"}

    entry = record_action(None, "queue_closed", location, details)

    assert LogEntry.objects.get(pk=entry.pk).additional_data["details"] == details


def test_an_entry_holding_a_cpr_number_is_refused_before_it_is_saved() -> None:
    # Saved without full_clean(), the team's name skips its validator; auditlog's record of the
    # creation is refused, and the transaction takes the team with it.
    with pytest.raises(ValidationError), transaction.atomic():
        Team.objects.create(name=f"Team {ARABIC_INDIC_CPR}", kind=TeamKind.FRONT)

    assert not Team.objects.exists()
    stored = json.dumps(
        list(LogEntry.objects.values_list("object_repr", "changes")), ensure_ascii=False
    )
    assert ARABIC_INDIC_CPR not in stored


def test_the_token_command_refuses_a_name_holding_a_cpr_number() -> None:
    get_user_model().objects.create_user("integration", password="x")

    with pytest.raises(CommandError, match="CPR"):
        call_command(
            "token", "create", "integration", "--name", ARABIC_INDIC_CPR, stdout=io.StringIO()
        )

    assert not ApiToken.objects.exists()
    assert ARABIC_INDIC_CPR not in json.dumps(
        list(LogEntry.objects.values_list("object_repr", "changes")), ensure_ascii=False
    )
