"""The citizen's number: POST /api/v1/tickets, GET /api/v1/tickets/{token} and its cancel."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from skranke.access import ratelimit
from skranke.access.models import DevicePurpose
from skranke.catalogue.models import Service
from skranke.lib.localtime import local_date, wall_clock_instant
from skranke.organisation.models import OpeningException
from skranke.queue import services
from skranke.queue.models import (
    CancelReason,
    DailySequence,
    Ending,
    EventKind,
    Outcome,
    Source,
    Ticket,
    TicketEvent,
    TicketStatus,
    VisitFact,
)
from skranke.queue.tests.factories import (
    Centre,
    make_centre,
    make_device_client,
    make_staff,
    open_today_until,
    post_json,
    use_api_test_settings,
)

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets"


@pytest.fixture(autouse=True)
def _api_test_settings(settings: Any) -> None:
    use_api_test_settings(settings)


def draw(client: Client, centre: Centre, service: Service | None = None) -> HttpResponse:
    service = service or centre.passport
    return post_json(client, TICKETS, {"location": centre.location.slug, "service": service.slug})


def assert_refused(response: HttpResponse, code: str) -> dict[str, object]:
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    return body


# Drawing a number --------------------------------------------------------------------------------


def test_draw_answers_201_with_place_wait_and_link_and_stores_a_mobile_ticket(
    client: Client,
) -> None:
    centre = make_centre()
    response = draw(client, centre)
    assert response.status_code == 201
    body = response.json()
    ticket = Ticket.objects.get(pk=body["id"])
    assert body == {
        "id": ticket.pk,
        "number": "P001",
        "queue": "Pas",
        "status": "waiting",
        "position": 1,
        "expected_wait_minutes": None,
        "counter": None,
        "ticket_url": f"http://testserver/api/v1/tickets/{ticket.token}",
        "token": ticket.token,
    }
    assert ticket.status == TicketStatus.WAITING
    assert ticket.source == Source.MOBILE
    assert ticket.queue_id == ticket.first_queue_id == centre.passports.pk
    assert ticket.location_id == centre.location.pk
    event = TicketEvent.objects.get(ticket=ticket)
    assert event.kind == EventKind.ISSUED and event.data == {"number": "P001"}

    second = draw(client, centre).json()
    assert (second["number"], second["position"]) == ("P002", 2)
    assert len({body["token"], second["token"]}) == 2


def test_a_service_may_be_named_by_its_id(client: Client) -> None:
    centre = make_centre()
    response = post_json(
        client, TICKETS, {"location": centre.location.slug, "service": str(centre.moving.pk)}
    )
    assert response.status_code == 201
    assert response.json()["number"] == "B001"
    assert Ticket.objects.get().queue_id == centre.general.pk


def test_a_paired_kiosk_draws_with_source_kiosk() -> None:
    centre = make_centre()
    kiosk, _device = make_device_client(centre.location, DevicePurpose.KIOSK)
    response = draw(kiosk, centre)
    assert response.status_code == 201
    assert Ticket.objects.get(pk=response.json()["id"]).source == Source.KIOSK


def test_a_display_screen_is_no_kiosk_so_its_draw_counts_as_mobile() -> None:
    centre = make_centre()
    display, _device = make_device_client(centre.location, DevicePurpose.DISPLAY)
    response = draw(display, centre)
    assert response.status_code == 201
    assert Ticket.objects.get(pk=response.json()["id"]).source == Source.MOBILE


def test_unknown_or_inactive_centre_and_unknown_service_answer_404(client: Client) -> None:
    centre = make_centre()
    closed_branch = make_centre(active=False)
    for payload in (
        {"location": "nowhere", "service": centre.passport.slug},
        {"location": closed_branch.location.slug, "service": closed_branch.passport.slug},
        {"location": centre.location.slug, "service": "no-such-service"},
        {"location": centre.location.slug, "service": "999999"},
        {"location": centre.location.slug, "service": "²"},
        {"location": centre.location.slug, "service": "9" * 30},
    ):
        response = post_json(client, TICKETS, payload)
        assert response.status_code == 404, payload
        assert isinstance(response.json()["detail"], str)
    assert not Ticket.objects.exists()


def test_missing_fields_or_a_body_that_is_no_object_answer_422(client: Client) -> None:
    centre = make_centre()
    missing = post_json(client, TICKETS, {"location": centre.location.slug})
    assert missing.status_code == 422
    [error] = missing.json()["detail"]
    assert error["loc"][-1] == "service" and error["type"] == "missing"
    assert post_json(client, TICKETS, ["P"]).status_code == 422
    assert post_json(client, TICKETS, {"location": 3, "service": None}).status_code == 422
    assert not Ticket.objects.exists()


def test_text_holding_a_nul_character_is_refused_not_a_server_error(client: Client) -> None:
    # PostgreSQL cannot even compare such text; it must be a 4xx on every database.
    centre = make_centre()
    token = draw(client, centre).json()["token"]
    body = post_json(client, TICKETS, {"location": "centre\x00", "service": centre.passport.slug})
    assert body.status_code == 422
    assert body.json()["detail"][0]["loc"][-1] == "location"
    # In the address it is refused before the API sees it (skranke.core.hardening).
    assert client.get(f"{TICKETS}/{token}%00").status_code == 400
    assert client.post(f"{TICKETS}/{token}%00/cancel").status_code == 400
    assert client.get(f"/api/v1/locations/{centre.location.slug}%00/status").status_code == 400
    assert Ticket.objects.get().status == TicketStatus.WAITING


def test_malformed_json_is_refused_with_a_json_answer(client: Client) -> None:
    centre = make_centre()
    response = client.post(TICKETS, '{"location": "', content_type="application/json")
    # django-ninja answers a body it cannot parse with 400 (not 422: nothing to validate).
    assert response.status_code == 400
    assert "parse" in response.json()["detail"]
    assert draw(client, centre).status_code == 201


def test_wrong_methods_answer_405(client: Client) -> None:
    centre = make_centre()
    token = draw(client, centre).json()["token"]
    assert client.get(TICKETS).status_code == 405
    assert client.post(f"{TICKETS}/{token}").status_code == 405
    assert client.delete(f"{TICKETS}/{token}").status_code == 405
    assert client.get(f"{TICKETS}/{token}/cancel").status_code == 405
    assert Ticket.objects.get().status == TicketStatus.WAITING


# Refusals ---------------------------------------------------------------------------------------


def test_a_closed_centre_refuses_with_code_closed_and_no_next_opening_without_hours(
    client: Client,
) -> None:
    centre = make_centre(always_open=False)
    body = assert_refused(draw(client, centre), "closed")
    assert "next_opening" not in body
    assert not Ticket.objects.exists()
    assert not DailySequence.objects.exists()


def test_a_closed_centre_tells_when_it_opens_next(client: Client) -> None:
    centre = make_centre(always_open=False)
    # A dated exception, so a public holiday in between cannot move the answer.
    day = local_date(timezone.now()) + dt.timedelta(days=2)
    OpeningException.objects.create(
        location=centre.location, date=day, opens=dt.time(9), closes=dt.time(15)
    )
    body = assert_refused(draw(client, centre), "closed")
    assert isinstance(body["next_opening"], str)
    opening = dt.datetime.fromisoformat(body["next_opening"])
    assert opening == wall_clock_instant(day, dt.time(9))


def test_after_the_queues_cut_off_numbers_stop_in_that_queue_only(client: Client) -> None:
    centre = make_centre()
    open_today_until(centre.location, dt.timedelta(minutes=10))
    centre.passports.cutoff_minutes = 30
    centre.passports.save()
    assert_refused(draw(client, centre), "cut_off")
    # The other queue has no cut-off and the centre is still open.
    assert draw(client, centre, centre.moving).status_code == 201
    assert list(Ticket.objects.values_list("display_number", flat=True)) == ["B001"]


def test_when_the_daily_quota_is_used_up_the_next_draw_is_refused(client: Client) -> None:
    centre = make_centre()
    centre.passports.daily_quota = 1
    centre.passports.save()
    assert draw(client, centre).status_code == 201
    assert_refused(draw(client, centre), "quota")
    assert Ticket.objects.count() == 1
    assert DailySequence.objects.get(queue=centre.passports).last_number == 1


def test_a_service_that_needs_an_appointment_is_refused(client: Client) -> None:
    centre = make_centre()
    Service.objects.filter(pk=centre.passport.pk).update(walk_in=False)
    assert_refused(draw(client, centre), "not_walk_in")
    assert not Ticket.objects.exists()


# The citizen's ticket ---------------------------------------------------------------------------


def test_the_citizen_follows_their_number_until_it_is_called(client: Client) -> None:
    centre = make_centre()
    first = draw(client, centre).json()
    second = draw(client, centre).json()
    response = client.get(second["ticket_url"])
    assert response.status_code == 200
    assert response.json() == {
        "number": "P002",
        "queue": "Pas",
        "location": centre.location.slug,
        "status": "waiting",
        "position": 2,
        "expected_wait_minutes": None,
        "counter": None,
        "sms_notice": False,
    }
    staff = make_staff()
    session = services.open_counter(centre.counters[1], staff, [centre.passports])
    services.call_next(session, staff)
    assert client.get(second["ticket_url"]).json()["position"] == 1
    called = client.get(f"{TICKETS}/{first['token']}").json()
    assert (called["status"], called["counter"], called["position"]) == ("called", 2, None)


def test_the_citizen_cancels_while_waiting(client: Client) -> None:
    centre = make_centre()
    token = draw(client, centre).json()["token"]
    response = client.post(f"{TICKETS}/{token}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["position"] is None
    ticket = Ticket.objects.get(token=token)
    assert ticket.status == TicketStatus.CANCELLED
    assert ticket.cancel_reason == CancelReason.CITIZEN
    assert ticket.ended_at is not None
    fact = VisitFact.objects.get(ticket=ticket)
    assert (fact.ending, fact.cancel_reason, fact.wait_seconds) == (
        Ending.CANCELLED,
        CancelReason.CITIZEN,
        None,
    )
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.CANCELLED).count() == 1
    # Twice is refused, and writes nothing more.
    assert_refused(client.post(f"{TICKETS}/{token}/cancel"), "cannot_cancel")
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.CANCELLED).count() == 1


def test_a_called_citizen_can_no_longer_cancel(client: Client) -> None:
    centre = make_centre()
    token = draw(client, centre).json()["token"]
    staff = make_staff()
    session = services.open_counter(centre.counters[0], staff, [centre.passports])
    services.call_next(session, staff)
    assert_refused(client.post(f"{TICKETS}/{token}/cancel"), "cannot_cancel")
    assert Ticket.objects.get(token=token).status == TicketStatus.CALLED
    assert not VisitFact.objects.exists()


def test_unknown_tokens_answer_404(client: Client) -> None:
    for response in (
        client.get(f"{TICKETS}/not-a-token"),
        client.post(f"{TICKETS}/not-a-token/cancel"),
    ):
        assert response.status_code == 404
        assert isinstance(response.json()["detail"], str)


# Expected wait (skranke/queue/estimates.py) -----------------------------------------------------

# Five served visits of 3, 4, 5, 6 and 7.5 minutes: μ = 25.5 / 5 = 5.1 minutes = 306 seconds.
MEASURED_MINUTES = [3, 4, 5, 6, 7.5]


def serve_history(centre: Centre, staff: object) -> None:
    """Serve five passport visits earlier today at counter 1, which stays open and free."""
    session = services.open_counter(centre.counters[0], staff, [centre.passports])
    start = timezone.now() - dt.timedelta(hours=3)
    for index, minutes in enumerate(MEASURED_MINUTES):
        issued = start + dt.timedelta(minutes=20 * index)
        services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK, now=issued)
        ticket = services.call_next(session, staff, now=issued + dt.timedelta(minutes=1))
        assert ticket is not None
        services.finish(
            ticket,
            staff,
            outcome=Outcome.RESOLVED_FIRST_CONTACT,
            now=issued + dt.timedelta(minutes=1 + minutes),
        )
    measured = VisitFact.objects.filter(first_queue=centre.passports)
    assert sorted(measured.values_list("service_seconds", flat=True)) == [180, 240, 300, 360, 450]


def test_expected_wait_follows_the_documented_formula(client: Client) -> None:
    centre = make_centre()
    staff = make_staff()
    serve_history(centre, staff)
    # One counter open (c = 1) and free (b = 0, f = 1). With k ahead the wait is 0 when k < f,
    # else (k − f + 1) × μ ÷ c, rounded up to whole minutes.
    drawn = [draw(client, centre).json() for _ in range(3)]
    assert [(ticket["position"], ticket["expected_wait_minutes"]) for ticket in drawn] == [
        (1, 0),  # k = 0 < f
        (2, 6),  # 1 × 306 s = 5.1 min → 6
        (3, 11),  # 2 × 306 s = 10.2 min → 11
    ]
    # A second counter opens (c = 2) and counter 1 calls the first citizen (b = 1, f = 1).
    services.open_counter(centre.counters[1], make_staff(), [centre.passports])
    session = services.open_session(centre.counters[0])
    assert session is not None
    services.call_next(session, staff)
    second, third = (client.get(ticket["ticket_url"]).json() for ticket in drawn[1:])
    assert (second["position"], second["expected_wait_minutes"]) == (1, 0)  # k = 0 < f
    assert (third["position"], third["expected_wait_minutes"]) == (2, 3)  # 1 × 306 ÷ 2 = 2.55
    status = client.get(f"/api/v1/locations/{centre.location.slug}/status").json()
    passports = next(queue for queue in status["queues"] if queue["prefix"] == "P")
    # The next citizen to arrive has k = 2 ahead: 2 × 306 ÷ 2 s = 5.1 min → 6.
    assert (passports["waiting"], passports["expected_wait_minutes"]) == (2, 6)


def test_without_history_the_typical_duration_stands_in(client: Client) -> None:
    centre = make_centre()
    services.open_counter(centre.counters[0], make_staff(), [centre.passports])
    drawn = [draw(client, centre).json() for _ in range(2)]
    # The passport service is typically 15 minutes; one free counter.
    assert [ticket["expected_wait_minutes"] for ticket in drawn] == [0, 15]


def test_expected_wait_is_unknown_while_no_counter_serves_the_queue(client: Client) -> None:
    centre = make_centre()
    staff = make_staff()
    serve_history(centre, staff)
    session = services.open_session(centre.counters[0])
    assert session is not None
    services.close_counter(session, staff)
    # A counter serving only the other queue does not count for this one.
    services.open_counter(centre.counters[1], make_staff(), [centre.general])
    body = draw(client, centre).json()
    assert (body["position"], body["expected_wait_minutes"]) == (1, None)
    assert client.get(body["ticket_url"]).json()["expected_wait_minutes"] is None


# Abuse limit ------------------------------------------------------------------------------------


def test_anonymous_draws_get_429_after_the_limit(
    client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.SKRANKE_RATE_LIMITS_ENABLED = True
    settings.SKRANKE_RATE_LIMIT_ANONYMOUS = "2/min"
    # A fixed clock keeps all three requests in one window, 60 s before the next begins.
    monkeypatch.setattr(ratelimit, "clock", lambda: 1_800_000_000.0)
    centre = make_centre()
    assert [draw(client, centre).status_code for _ in range(2)] == [201, 201]
    refused = draw(client, centre)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    # "Too many requests. Please wait 60 seconds …", in the request's language.
    assert "60" in refused.json()["detail"]
    assert Ticket.objects.count() == 2
