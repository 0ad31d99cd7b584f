"""POST /api/v1/queues/{id}/close: no more numbers in a queue today, with a reason for citizens."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from skranke.access.models import DevicePurpose
from skranke.lib.localtime import local_date
from skranke.organisation.models import Role
from skranke.queue import services
from skranke.queue.models import EventKind, QueueClosure, Source, Ticket, TicketEvent, TicketStatus
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

REASON = "Pasmaskinen er i stykker"
# A date of birth and a serial number, as staff might paste one.
CPR_REASON = "Borger 010190-1234 skal ringe"


@pytest.fixture(autouse=True)
def _api_test_settings(settings: Any) -> None:
    use_api_test_settings(settings)


def close_url(centre: Centre) -> str:
    return f"/api/v1/queues/{centre.passports.pk}/close"


def team_lead_client(centre: Centre) -> Client:
    return make_staff_client(make_staff(Role.TEAM_LEAD, locations=[centre.location]))


def test_a_team_lead_closes_a_queue_and_new_numbers_are_refused_with_the_reason(
    client: Client,
) -> None:
    centre = make_centre()
    waiting = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    lead = make_staff(Role.TEAM_LEAD)
    response = post_json(make_staff_client(lead), close_url(centre), {"reason": REASON})
    assert response.status_code == 200
    assert response.json()["detail"]
    closure = QueueClosure.objects.get(queue=centre.passports)
    assert (closure.reason, closure.closed_by, closure.date) == (
        REASON,
        lead,
        local_date(timezone.now()),
    )
    event = TicketEvent.objects.get(kind=EventKind.QUEUE_CLOSED)
    assert (event.queue, event.staff, event.data) == (centre.passports, lead, {"reason": REASON})

    refused = post_json(
        client,
        "/api/v1/tickets",
        {"location": centre.location.slug, "service": centre.passport.slug},
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "queue_closed"
    assert REASON in refused.json()["detail"]
    # Citizens already in line stay there; other queues go on issuing numbers.
    waiting.refresh_from_db()
    assert waiting.status == TicketStatus.WAITING
    other = post_json(
        client, "/api/v1/tickets", {"location": centre.location.slug, "service": centre.moving.slug}
    )
    assert other.status_code == 201
    assert Ticket.objects.count() == 2


def test_closing_again_replaces_the_reason() -> None:
    centre = make_centre()
    client = team_lead_client(centre)
    post_json(client, close_url(centre), {"reason": "Første grund"})
    response = post_json(client, close_url(centre), {"reason": REASON})
    assert response.status_code == 200
    assert list(QueueClosure.objects.values_list("reason", flat=True)) == [REASON]
    assert TicketEvent.objects.filter(kind=EventKind.QUEUE_CLOSED).count() == 2


def test_a_reason_holding_a_cpr_number_is_refused_with_422() -> None:
    centre = make_centre()
    response = post_json(team_lead_client(centre), close_url(centre), {"reason": CPR_REASON})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert "CPR" in error["msg"]
    assert error["type"] == "cpr"
    assert "010190" not in response.content.decode()
    assert not QueueClosure.objects.exists()


def test_a_missing_or_malformed_reason_is_refused_with_422() -> None:
    centre = make_centre()
    client = team_lead_client(centre)
    assert post_json(client, close_url(centre), {}).status_code == 422
    assert post_json(client, close_url(centre), {"reason": ["a", "b"]}).status_code == 422
    assert post_json(client, close_url(centre), {"reason": ""}).status_code == 422
    assert post_json(client, close_url(centre), {"reason": "Lukket\x00"}).status_code == 422
    # Longer than the column: refused before the database would (PostgreSQL) or keep it (SQLite).
    too_long = post_json(client, close_url(centre), {"reason": "x" * 201})
    assert too_long.status_code == 422
    assert too_long.json()["detail"][0]["loc"][-1] == "reason"
    assert post_json(client, "/api/v1/queues/P/close", {"reason": REASON}).status_code == 422
    assert not QueueClosure.objects.exists()


def test_counter_staff_may_not_close_a_queue() -> None:
    centre = make_centre()
    client = make_staff_client(make_staff(Role.COUNTER_STAFF))
    response = post_json(client, close_url(centre), {"reason": REASON})
    assert response.status_code == 403
    assert isinstance(response.json()["detail"], str)
    assert not QueueClosure.objects.exists()


def test_a_team_lead_of_another_centre_may_not_close_it() -> None:
    centre, elsewhere = make_centre(), make_centre()
    response = post_json(team_lead_client(elsewhere), close_url(centre), {"reason": REASON})
    assert response.status_code == 403
    assert not QueueClosure.objects.exists()


def test_anonymous_callers_get_401_and_devices_403(client: Client) -> None:
    centre = make_centre()
    anonymous = post_json(client, close_url(centre), {"reason": REASON})
    assert anonymous.status_code == 401
    assert isinstance(anonymous.json()["detail"], str)
    kiosk, _device = make_device_client(centre.location, DevicePurpose.KIOSK)
    device = post_json(kiosk, close_url(centre), {"reason": REASON})
    assert device.status_code == 403
    assert isinstance(device.json()["detail"], str)
    assert not QueueClosure.objects.exists()


def test_unknown_queue_answers_404_and_wrong_method_405() -> None:
    centre = make_centre()
    client = team_lead_client(centre)
    missing = post_json(client, "/api/v1/queues/999999/close", {"reason": REASON})
    assert missing.status_code == 404
    assert isinstance(missing.json()["detail"], str)
    assert client.get(close_url(centre)).status_code == 405
    assert client.delete(close_url(centre)).status_code == 405
    assert not QueueClosure.objects.exists()
