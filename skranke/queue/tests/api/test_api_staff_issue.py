"""POST /api/v1/staff/tickets: the floor guide issues a number for a citizen, maybe urgent."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from skranke.access.models import DevicePurpose
from skranke.organisation.models import Role
from skranke.queue import services
from skranke.queue.models import EventKind, Priority, Source, Ticket, TicketEvent
from skranke.queue.tests.factories import (
    Centre,
    make_centre,
    make_device_client,
    make_staff,
    make_staff_client,
    post_json,
    use_api_test_settings,
)

pytestmark = pytest.mark.django_db

ISSUE = "/api/v1/staff/tickets"


@pytest.fixture(autouse=True)
def _api_test_settings(settings: Any) -> None:
    use_api_test_settings(settings)


def payload(centre: Centre, **fields: Any) -> dict[str, Any]:
    return {"location": centre.location.slug, "service": centre.passport.slug, **fields}


def test_the_floor_guide_issues_a_number_with_a_note() -> None:
    centre = make_centre()
    guide = make_staff(Role.COUNTER_STAFF)
    response = post_json(make_staff_client(guide), ISSUE, payload(centre, note="Har kørestol"))
    assert response.status_code == 201
    body = response.json()
    ticket = Ticket.objects.get(pk=body["id"])
    assert (body["number"], body["queue"], body["status"], body["priority"], body["note"]) == (
        "P001",
        centre.passports.pk,
        "waiting",
        "normal",
        "Har kørestol",
    )
    assert ticket.source == Source.FLOOR_GUIDE and ticket.priority == Priority.NORMAL
    assert ticket.note == "Har kørestol"
    event = TicketEvent.objects.get(ticket=ticket)
    assert (event.kind, event.staff) == (EventKind.ISSUED, guide)


def test_an_urgent_number_needs_a_team_lead_and_is_called_first() -> None:
    centre = make_centre()
    walk_in = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    counter_staff = make_staff_client(make_staff(Role.COUNTER_STAFF))
    refused = post_json(counter_staff, ISSUE, payload(centre, urgent=True))
    assert refused.status_code == 403
    assert Ticket.objects.count() == 1

    lead = make_staff_client(make_staff(Role.TEAM_LEAD))
    response = post_json(lead, ISSUE, payload(centre, urgent=True, note="Akut, mistet pas"))
    assert response.status_code == 201
    assert response.json()["priority"] == "urgent"
    urgent = Ticket.objects.get(pk=response.json()["id"])
    assert urgent.priority == Priority.URGENT

    staff = make_staff()
    session = services.open_counter(centre.counters[0], staff, [centre.passports])
    first = services.call_next(session, staff)
    assert first is not None and first.pk == urgent.pk
    assert first.pk != walk_in.pk


def test_a_note_holding_a_cpr_number_is_refused_with_422() -> None:
    centre = make_centre()
    client = make_staff_client(make_staff())
    response = post_json(client, ISSUE, payload(centre, note="Borger 010190-1234 vil have pas"))
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["type"] == "cpr" and "CPR" in error["msg"]
    assert error["loc"][-1] == "note"
    assert "1234" not in response.content.decode()
    assert not Ticket.objects.exists()


def test_missing_or_malformed_fields_are_refused_with_422() -> None:
    centre = make_centre()
    client = make_staff_client(make_staff())
    assert post_json(client, ISSUE, {"location": centre.location.slug}).status_code == 422
    assert post_json(client, ISSUE, payload(centre, urgent="maybe")).status_code == 422
    assert post_json(client, ISSUE, payload(centre, note=["x"])).status_code == 422
    # PostgreSQL cannot store the NUL character: refused before it gets there.
    assert post_json(client, ISSUE, payload(centre, note="a\x00b")).status_code == 422
    assert post_json(client, ISSUE, payload(centre, location="\x00")).status_code == 422
    assert not Ticket.objects.exists()


def test_a_note_longer_than_the_field_is_refused_with_422() -> None:
    centre = make_centre()
    client = make_staff_client(make_staff())
    too_long = post_json(client, ISSUE, payload(centre, note="x" * 201))
    assert too_long.status_code == 422
    assert too_long.json()["detail"][0]["loc"][-1] == "note"
    assert not Ticket.objects.exists()
    assert post_json(client, ISSUE, payload(centre, note="x" * 200)).status_code == 201


def test_refusals_answer_409_like_a_citizens_draw() -> None:
    centre = make_centre()
    centre.passports.daily_quota = 1
    centre.passports.save()
    client = make_staff_client(make_staff())
    assert post_json(client, ISSUE, payload(centre)).status_code == 201
    quota = post_json(client, ISSUE, payload(centre))
    assert quota.status_code == 409 and quota.json()["code"] == "quota"
    closed = make_centre(always_open=False)
    refused = post_json(client, ISSUE, payload(closed))
    assert refused.status_code == 409 and refused.json()["code"] == "closed"
    assert Ticket.objects.count() == 1


def test_unknown_centre_or_service_answers_404() -> None:
    centre = make_centre()
    client = make_staff_client(make_staff())
    assert post_json(client, ISSUE, payload(centre, location="nowhere")).status_code == 404
    assert post_json(client, ISSUE, payload(centre, service="nothing")).status_code == 404
    assert not Ticket.objects.exists()


def test_anonymous_401_device_403_and_other_centre_403(client: Client) -> None:
    centre, elsewhere = make_centre(), make_centre()
    anonymous = post_json(client, ISSUE, payload(centre))
    assert anonymous.status_code == 401
    assert isinstance(anonymous.json()["detail"], str)
    kiosk, _device = make_device_client(centre.location, DevicePurpose.KIOSK)
    device = post_json(kiosk, ISSUE, payload(centre))
    assert device.status_code == 403
    outsider = make_staff_client(make_staff(Role.TEAM_LEAD, locations=[elsewhere.location]))
    assert post_json(outsider, ISSUE, payload(centre)).status_code == 403
    assert not Ticket.objects.exists()


def test_wrong_method_answers_405() -> None:
    client = make_staff_client(make_staff())
    assert client.get(ISSUE).status_code == 405
    assert client.put(ISSUE).status_code == 405
