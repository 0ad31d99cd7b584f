"""Text typed in the admin is checked for CPR numbers like every other door: a dated exception's
reason (shown to citizens) holding one, in any spelling, is refused with the message, nothing is
saved, and the audit log, which nobody may clean, never sees it."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from django.utils import translation

from skranke.lib.validators import CPR_MESSAGE
from skranke.organisation.models import HoursKind, Location, OpeningException

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 24)
ARABIC_INDIC_CPR = "\u0660\u0661\u0660\u0661\u0669\u0660-\u0661\u0662\u0663\u0664"
REASONS = {
    "Arabic-Indic digits": f"Lukket, borger {ARABIC_INDIC_CPR} ringer",
    "full-width": "Lukket \uff10\uff11\uff10\uff11\uff19\uff10\uff0d\uff11\uff12\uff13\uff14",
    "zero-width space": "Lukket 0101\u200b90-1234",
    "underscore": "Lukket 010190_1234",
    "two spaces": "Lukket 010190  1234",
    "ASCII": "Lukket 010190-1234",
}


def danish_message() -> str:
    with translation.override("da"):
        return str(CPR_MESSAGE)


def log_text() -> str:
    """Return everything the audit log holds, as one text to search."""
    rows = LogEntry.objects.values_list(
        "object_repr", "changes", "changes_text", "serialized_data", "additional_data"
    )
    return json.dumps(list(rows), ensure_ascii=False)


def make_location(name: str = "Borgerservice Nord", slug: str = "nord") -> Location:
    return Location.objects.create(name=name, slug=slug)


def exception_form(location: Location, reason: str) -> dict[str, str]:
    return {
        "location": str(location.pk),
        "date": DAY.isoformat(),
        "kind": HoursKind.ATTENDANCE.value,
        "opens": "",
        "closes": "",
        "reason": reason,
    }


def inline_management(prefix: str, rows: int) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(rows),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


@pytest.mark.parametrize("reason", list(REASONS.values()), ids=list(REASONS))
def test_an_opening_exception_whose_reason_holds_a_cpr_number_is_refused(
    admin_client: Client, reason: str
) -> None:
    location = make_location()
    entries_before = LogEntry.objects.count()

    response = admin_client.post(
        "/admin/organisation/openingexception/add/", exception_form(location, reason)
    )

    assert response.status_code == 200
    assert danish_message() in response.content.decode()
    assert response.context["adminform"].form.has_error("reason", code="cpr")
    assert not OpeningException.objects.exists()
    assert LogEntry.objects.count() == entries_before
    assert "1234" not in log_text()
    assert "\u0661\u0662\u0663\u0664" not in log_text()


def test_changing_a_reason_to_a_cpr_number_keeps_the_old_one_and_logs_nothing(
    admin_client: Client,
) -> None:
    location = make_location()
    exception = OpeningException.objects.create(location=location, date=DAY, reason="Personalemøde")
    entries_before = LogEntry.objects.count()

    response = admin_client.post(
        f"/admin/organisation/openingexception/{exception.pk}/change/",
        exception_form(location, REASONS["Arabic-Indic digits"]),
    )

    assert response.status_code == 200
    assert danish_message() in response.content.decode()
    exception.refresh_from_db()
    assert exception.reason == "Personalemøde"
    assert LogEntry.objects.count() == entries_before
    assert "\u0661\u0662\u0663\u0664" not in log_text()


def test_the_centre_pages_inline_exception_and_phone_refuse_a_cpr_number(
    admin_client: Client,
) -> None:
    data = {
        "name": "Borgerservice Syd",
        "slug": "syd",
        "phone": "\uff10\uff11\uff10\uff11\uff19\uff10 \uff11\uff12\uff13\uff14",
        "active": "on",
        "sort_order": "0",
        **inline_management("opening_hours", 0),
        **inline_management("counters", 0),
        **inline_management("opening_exceptions", 1),
        "opening_exceptions-0-date": DAY.isoformat(),
        "opening_exceptions-0-kind": HoursKind.ATTENDANCE.value,
        "opening_exceptions-0-reason": REASONS["Arabic-Indic digits"],
    }

    response = admin_client.post("/admin/organisation/location/add/", data)

    assert response.status_code == 200
    assert response.context["adminform"].form.has_error("phone", code="cpr")
    [exceptions] = [
        formset
        for formset in response.context["inline_admin_formsets"]
        if formset.formset.prefix == "opening_exceptions"
    ]
    assert exceptions.formset.forms[0].has_error("reason", code="cpr")
    assert not Location.objects.exists()
    assert not OpeningException.objects.exists()
    assert "\u0661\u0662\u0663\u0664" not in log_text()


def test_the_same_reason_without_the_number_is_saved(admin_client: Client) -> None:
    location = make_location()

    response = admin_client.post(
        "/admin/organisation/openingexception/add/",
        exception_form(location, "Lukket pga. kursus, ring 20 01 01 90"),
    )

    assert response.status_code == 302
    assert OpeningException.objects.get().reason == "Lukket pga. kursus, ring 20 01 01 90"


def test_a_save_past_validation_is_refused_by_the_audit_log_and_rolled_back() -> None:
    # Code that saves without full_clean() skips the field's validator; auditlog's change record
    # of the save then refuses to be written, and the save goes with it.
    location = make_location()

    with pytest.raises(ValidationError) as refused, transaction.atomic():
        OpeningException.objects.create(
            location=location, date=DAY, reason=REASONS["Arabic-Indic digits"]
        )

    assert refused.value.code == "cpr"
    assert not OpeningException.objects.exists()
    assert "\u0661\u0662\u0663\u0664" not in log_text()


# Django's own models: staff accounts and groups -----------------------------------------------


def test_a_staff_account_named_with_a_cpr_number_is_refused(admin_client: Client) -> None:
    from django.contrib.auth.models import User

    user = User.objects.create_user("medarbejder", password="a-long-test-password-1")

    response = admin_client.post(
        f"/admin/auth/user/{user.pk}/change/",
        {
            "username": "medarbejder",
            "first_name": f"Anna {ARABIC_INDIC_CPR}",
            "last_name": "",
            "email": "",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "08:00:00",
            "staff_profile-TOTAL_FORMS": "0",
            "staff_profile-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert danish_message() in response.content.decode()
    user.refresh_from_db()
    assert user.first_name == ""
    assert ARABIC_INDIC_CPR not in log_text()


def test_a_user_name_holding_a_cpr_number_is_refused_on_the_add_page(
    admin_client: Client,
) -> None:
    from django.contrib.auth.models import User

    response = admin_client.post(
        "/admin/auth/user/add/",
        {
            "username": "0101901234",
            "password1": "a-long-test-password-1",
            "password2": "a-long-test-password-1",
            "usable_password": "true",
        },
    )

    assert response.status_code == 200
    assert danish_message() in response.content.decode()
    assert not User.objects.filter(username="0101901234").exists()


def test_a_group_named_with_a_cpr_number_is_refused(admin_client: Client) -> None:
    from django.contrib.auth.models import Group

    response = admin_client.post("/admin/auth/group/add/", {"name": REASONS["full-width"]})

    assert response.status_code == 200
    assert danish_message() in response.content.decode()
    assert not Group.objects.exists()
