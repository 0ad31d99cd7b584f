"""The number system's staff decisions reach the audit log with who, when and from which
address: staff cancel, no-show, reinstate, transfer, urgent numbers issued on a citizen's behalf,
queue closing, a team lead closing a colleague's session, and a device completing its pairing."""

from __future__ import annotations

from typing import Any

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import User
from django.test import Client

from skranke.access.models import DeviceAccount, DevicePurpose
from skranke.access.services import new_pairing_token
from skranke.organisation.models import Role
from skranke.queue import services
from skranke.queue.models import Source, Ticket
from skranke.queue.tests.factories import (
    Centre,
    make_centre,
    make_staff,
    make_staff_client,
    post_json,
    use_api_test_settings,
)

pytestmark = pytest.mark.django_db

ADDRESS = "192.0.2.44"


@pytest.fixture(autouse=True)
def _api_test_settings(settings: Any) -> None:
    use_api_test_settings(settings)


@pytest.fixture
def centre() -> Centre:
    return make_centre()


def entries(action: str) -> list[LogEntry]:
    return list(LogEntry.objects.filter(additional_data__action=action))


def only_entry(action: str, actor: User | None) -> LogEntry:
    [entry] = entries(action)
    assert entry.actor == actor
    assert entry.remote_addr == ADDRESS
    assert entry.timestamp is not None
    return entry


def client_of(user: User) -> Client:
    client = make_staff_client(user)
    client.defaults["REMOTE_ADDR"] = ADDRESS
    return client


def called(centre: Centre) -> tuple[User, Ticket]:
    services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    staff = make_staff()
    session = services.open_counter(centre.counters[0], staff, [centre.passports])
    ticket = services.call_next(session, staff)
    assert ticket is not None
    return staff, ticket


def test_staff_cancel_is_logged(centre: Centre) -> None:
    staff, ticket = called(centre)

    post_json(client_of(staff), f"/api/v1/tickets/{ticket.pk}/staff-cancel")

    entry = only_entry("ticket_cancelled", staff)
    assert entry.object_pk == str(ticket.pk)
    assert entry.additional_data["details"] == {"number": ticket.display_number}


def test_a_citizens_own_cancel_is_not_a_staff_decision(centre: Centre) -> None:
    ticket = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)

    Client().post(f"/api/v1/tickets/{ticket.token}/cancel")

    assert Ticket.objects.get(pk=ticket.pk).status == "cancelled"
    assert entries("ticket_cancelled") == []


def test_no_show_and_reinstate_are_logged(centre: Centre, settings: Any) -> None:
    staff, ticket = called(centre)
    client = client_of(staff)
    for _ in range(settings.SKRANKE_NO_SHOW_AFTER_RECALLS):
        post_json(client, f"/api/v1/tickets/{ticket.pk}/recall")
    assert entries("ticket_no_show") == []

    assert post_json(client, f"/api/v1/tickets/{ticket.pk}/no-show").status_code == 200
    assert post_json(client, f"/api/v1/tickets/{ticket.pk}/reinstate").status_code == 200

    only_entry("ticket_no_show", staff)
    only_entry("ticket_reinstated", staff)


def test_transfer_is_logged_with_both_queues(centre: Centre) -> None:
    staff, ticket = called(centre)

    response = post_json(
        client_of(staff),
        f"/api/v1/tickets/{ticket.pk}/transfer",
        {"queue": centre.back_office.pk},
    )

    assert response.status_code == 200, response.content
    details = only_entry("ticket_transferred", staff).additional_data["details"]
    assert details == {
        "number": ticket.display_number,
        "from_queue": centre.passports.pk,
        "to_queue": centre.back_office.pk,
    }


def test_an_urgent_number_issued_for_a_citizen_is_logged_and_a_normal_one_is_not(
    centre: Centre,
) -> None:
    lead = make_staff(role=Role.TEAM_LEAD)
    client = client_of(lead)
    body = {"location": centre.location.slug, "service": centre.passport.slug}

    assert post_json(client, "/api/v1/staff/tickets", body).status_code == 201
    assert entries("ticket_issued_urgent") == []
    urgent = post_json(client, "/api/v1/staff/tickets", {**body, "urgent": True})

    assert urgent.status_code == 201, urgent.content
    entry = only_entry("ticket_issued_urgent", lead)
    assert entry.object_pk == str(urgent.json()["id"])


def test_closing_a_queue_is_logged_with_its_reason(centre: Centre) -> None:
    lead = make_staff(role=Role.TEAM_LEAD)

    response = post_json(
        client_of(lead),
        f"/api/v1/queues/{centre.passports.pk}/close",
        {"reason": "Pasmaskinen er i stykker"},
    )

    assert response.status_code == 200, response.content
    entry = only_entry("queue_closed", lead)
    assert entry.object_pk == str(centre.passports.pk)
    assert entry.additional_data["details"]["reason"] == "Pasmaskinen er i stykker"


def test_a_team_lead_closing_a_colleagues_session_is_logged(centre: Centre) -> None:
    colleague, _ticket = called(centre)
    lead = make_staff(role=Role.TEAM_LEAD)

    post_json(client_of(lead), f"/api/v1/counters/{centre.counters[0].pk}/close-abandoned")

    entry = only_entry("counter_session_closed_for_colleague", lead)
    assert entry.additional_data["details"]["staff"] == colleague.pk


def test_a_device_completing_its_pairing_is_logged(centre: Centre) -> None:
    device = DeviceAccount.objects.create(
        location=centre.location, purpose=DevicePurpose.DISPLAY, name="Skærm ved indgangen"
    )
    token = new_pairing_token(device)

    response = Client(REMOTE_ADDR=ADDRESS).post(f"/devices/pair/{token}/")

    assert response.status_code == 302
    entry = only_entry("device_paired", None)
    assert entry.object_pk == str(device.pk)
    assert entry.additional_data["details"] == {
        "name": "Skærm ved indgangen",
        "purpose": DevicePurpose.DISPLAY,
    }
    assert token not in str(entry.additional_data)


def test_a_used_pairing_link_logs_nothing_more(centre: Centre) -> None:
    device = DeviceAccount.objects.create(
        location=centre.location, purpose=DevicePurpose.KIOSK, name="Kiosk"
    )
    token = new_pairing_token(device)
    Client().post(f"/devices/pair/{token}/")

    Client().post(f"/devices/pair/{token}/")

    assert len(entries("device_paired")) == 1
