"""record_action writes a domain action to the audit log, filled in from the request."""

from __future__ import annotations

import asyncio
import datetime as dt
import decimal
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from skranke.access.models import DeviceAccount, DevicePurpose
from skranke.audit.middleware import audit_middleware, current_request
from skranke.audit.services import record_action
from skranke.organisation.models import Location


@pytest.fixture
def location(db: None) -> Location:
    return Location.objects.create(name="Borgerservice Nord", slug="nord")


def test_record_action_writes_an_entry_with_actor_action_object_and_details(
    location: Location,
) -> None:
    lead = get_user_model().objects.create_user("teamleder", password="x", email="tl@example.dk")

    entry = record_action(
        lead,
        "queue_closed",
        location,
        {
            "queue": "A",
            "at": dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC),
            "wait": decimal.Decimal("1.5"),
        },
    )

    stored = LogEntry.objects.get(pk=entry.pk)
    assert stored.actor == lead
    assert stored.actor_email == "tl@example.dk"
    assert stored.content_type == ContentType.objects.get_for_model(Location)
    assert stored.object_pk == str(location.pk)
    assert stored.object_repr == "Borgerservice Nord"
    assert stored.additional_data == {
        "action": "queue_closed",
        "details": {"queue": "A", "at": "2026-03-02T09:30:00Z", "wait": "1.5"},
    }
    assert stored.changes is None
    assert stored.remote_addr is None


def test_an_action_without_actor_is_the_systems(location: Location) -> None:
    entry = record_action(AnonymousUser(), "ticket.expired", location)

    assert entry.actor is None
    assert entry.additional_data == {"action": "ticket.expired", "details": {}}


def test_during_a_request_the_signed_in_user_and_address_are_filled_in(
    location: Location, rf: RequestFactory
) -> None:
    user = get_user_model().objects.create_user("medarbejder", password="x")
    request = rf.post("/", REMOTE_ADDR="192.0.2.7")
    request.user = user
    written: list[LogEntry] = []

    def view(request: HttpRequest) -> HttpResponse:
        written.append(record_action(None, "ticket_called", location, {"counter": 4}))
        return HttpResponse()

    audit_middleware(view)(request)

    entry = LogEntry.objects.get(pk=written[0].pk)
    assert entry.actor == user
    assert entry.remote_addr == "192.0.2.7"
    assert current_request() is None


def test_an_action_by_a_paired_kiosk_names_the_kiosk(
    location: Location, rf: RequestFactory
) -> None:
    kiosk = DeviceAccount.objects.create(
        location=location, purpose=DevicePurpose.KIOSK, name="Kiosk ved indgangen"
    )
    request = rf.post("/", REMOTE_ADDR="192.0.2.8")
    request.user = AnonymousUser()
    request.device = kiosk  # type: ignore[attr-defined]
    written: list[LogEntry] = []

    def view(request: HttpRequest) -> HttpResponse:
        written.append(record_action(None, "ticket_issued", location, {"number": "A001"}))
        return HttpResponse()

    audit_middleware(view)(request)

    entry = LogEntry.objects.get(pk=written[0].pk)
    assert entry.actor is None
    assert entry.additional_data["device"] == {"id": kiosk.pk, "name": str(kiosk)}
    assert entry.additional_data["action"] == "ticket_issued"


def test_the_middleware_keeps_the_request_for_async_views_too(rf: RequestFactory) -> None:
    request = rf.get("/")
    seen: list[Any] = []

    async def view(request: HttpRequest) -> HttpResponse:
        seen.append(current_request())
        return HttpResponse()

    asyncio.run(audit_middleware(view)(request))

    assert seen == [request]
    assert current_request() is None


@pytest.mark.parametrize("action", ["", "Ticket called", "ticket-called", "_x", "x" * 101])
def test_a_badly_named_action_is_refused(location: Location, action: str) -> None:
    with pytest.raises(ValueError, match="lower-case words"):
        record_action(None, action, location)
    assert not LogEntry.objects.filter(additional_data__has_key="action").exists()


def test_an_unsaved_object_is_refused(db: None) -> None:
    with pytest.raises(ValueError, match="unsaved"):
        record_action(None, "ticket_called", Location(name="Ny"))


@pytest.mark.parametrize(
    "details", [{"password": "x"}, {"device": {"credential": "abc"}}, {"items": [{"token": "t"}]}]
)
def test_details_that_look_secret_are_refused(location: Location, details: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="secrets"):
        record_action(None, "device_paired", location, details)


def test_details_that_are_not_json_are_refused(location: Location) -> None:
    with pytest.raises(TypeError):
        record_action(None, "ticket_called", location, {"what": object()})
