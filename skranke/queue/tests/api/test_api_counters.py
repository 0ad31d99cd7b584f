"""A counter through the API: open, pause, resume, close, call the next citizen or a number."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from skranke.access.models import DevicePurpose
from skranke.access.services import create_api_token
from skranke.catalogue.models import QueueKind
from skranke.organisation.models import Role, Team, TeamKind
from skranke.queue import services
from skranke.queue.models import (
    CancelReason,
    CounterSession,
    EventKind,
    Outcome,
    Source,
    Ticket,
    TicketEvent,
    TicketStatus,
)
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


@pytest.fixture(autouse=True)
def _api_test_settings(settings: Any) -> None:
    use_api_test_settings(settings)


def counter_url(centre: Centre, action: str, index: int = 0) -> str:
    return f"/api/v1/counters/{centre.counters[index].pk}/{action}"


def issue(centre: Centre, count: int = 1) -> list[Ticket]:
    return [
        services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
        for _ in range(count)
    ]


def open_for(client: Client, centre: Centre, index: int = 0, **payload: Any) -> dict[str, Any]:
    response = post_json(client, counter_url(centre, "open", index), payload)
    assert response.status_code == 200, response.content
    return response.json()


def counter_events(centre: Centre, index: int = 0) -> list[str]:
    return list(
        TicketEvent.objects.filter(counter=centre.counters[index], ticket__isnull=True)
        .order_by("id")
        .values_list("kind", flat=True)
    )


# Opening ----------------------------------------------------------------------------------------


def test_open_serves_the_chosen_queues_and_records_the_session() -> None:
    centre = make_centre()
    staff = make_staff(username="anna")
    client = make_staff_client(staff)
    body = open_for(
        client, centre, queues=[centre.passports.pk, centre.general.pk], longest_waiting_first=False
    )
    session = CounterSession.objects.get(counter=centre.counters[0])
    assert body == {
        "id": session.pk,
        "counter": 1,
        "staff": "anna",
        "queues": sorted([centre.passports.pk, centre.general.pk]),
        "state": "open",
        "longest_waiting_first": False,
        "team": None,
    }
    assert session.staff == staff and session.is_open and not session.longest_waiting_first
    assert counter_events(centre) == [EventKind.COUNTER_OPENED]


def test_open_without_queues_serves_the_front_queues_of_the_staff_members_teams() -> None:
    centre = make_centre()
    staff = make_staff()
    team = Team.objects.create(name="Pasteam", kind=TeamKind.FRONT)
    team.subject_areas.set([centre.passport.subject_area])
    staff.staff_profile.teams.set([team])
    body = open_for(make_staff_client(staff), centre)
    assert body["queues"] == [centre.passports.pk]
    # Staff without teams serve every front queue of the centre, never the back office.
    other = open_for(make_staff_client(make_staff()), centre, 1)
    assert sorted(other["queues"]) == sorted([centre.passports.pk, centre.general.pk])


def test_open_counts_under_the_chosen_team_of_ones_own_and_refuses_another() -> None:
    centre = make_centre()
    staff = make_staff()
    front = Team.objects.create(name="Pasteam", kind=TeamKind.FRONT)
    back = Team.objects.create(name="Ydelsesteam", kind=TeamKind.BACK)
    stranger = Team.objects.create(name="Andet team", kind=TeamKind.FRONT)
    staff.staff_profile.teams.set([front, back])
    client = make_staff_client(staff)
    assert open_for(client, centre)["team"] == "Pasteam"  # the front team by default
    post_json(client, counter_url(centre, "close"))
    assert open_for(client, centre, team=back.pk)["team"] == "Ydelsesteam"
    post_json(client, counter_url(centre, "close"))
    refused = post_json(client, counter_url(centre, "open"), {"team": stranger.pk})
    assert refused.status_code == 409 and refused.json()["code"] == "foreign_team"
    unknown = post_json(client, counter_url(centre, "open"), {"team": 999999})
    assert unknown.status_code == 404
    assert not CounterSession.objects.filter(counter=centre.counters[0], closed_at=None).exists()


def test_opening_ones_own_counter_again_returns_the_same_session() -> None:
    centre = make_centre()
    client = make_staff_client(make_staff())
    first = open_for(client, centre)
    assert open_for(client, centre)["id"] == first["id"]
    assert CounterSession.objects.count() == 1
    assert counter_events(centre) == [EventKind.COUNTER_OPENED]


def test_a_counter_open_for_someone_else_is_refused_as_taken() -> None:
    centre = make_centre()
    open_for(make_staff_client(make_staff()), centre)
    response = post_json(make_staff_client(make_staff()), counter_url(centre, "open"), {})
    assert response.status_code == 409
    assert response.json()["code"] == "counter_taken"
    assert CounterSession.objects.count() == 1


def test_one_person_cannot_hold_two_counters() -> None:
    centre = make_centre()
    client = make_staff_client(make_staff())
    open_for(client, centre, 0)
    response = post_json(client, counter_url(centre, "open", 1), {})
    assert response.status_code == 409
    assert response.json()["code"] == "staff_elsewhere"
    assert not CounterSession.objects.filter(counter=centre.counters[1]).exists()


def test_open_with_a_queue_of_another_centre_answers_404() -> None:
    centre, elsewhere = make_centre(), make_centre()
    response = post_json(
        make_staff_client(make_staff()),
        counter_url(centre, "open"),
        {"queues": [centre.passports.pk, elsewhere.passports.pk]},
    )
    assert response.status_code == 404
    assert isinstance(response.json()["detail"], str) and response.json()["detail"]
    assert not CounterSession.objects.exists()


def test_open_with_no_queues_or_an_inactive_counter_is_refused() -> None:
    centre = make_centre()
    client = make_staff_client(make_staff())
    empty = post_json(client, counter_url(centre, "open"), {"queues": []})
    assert empty.status_code == 409 and empty.json()["code"] == "no_queues"
    centre.counters[1].active = False
    centre.counters[1].save()
    inactive = post_json(client, counter_url(centre, "open", 1), {})
    assert inactive.status_code == 409 and inactive.json()["code"] == "counter_inactive"
    assert not CounterSession.objects.exists()


def test_open_with_malformed_input_answers_422() -> None:
    centre = make_centre()
    client = make_staff_client(make_staff())
    for payload in ({"queues": "P"}, {"queues": ["first"]}, {"longest_waiting_first": "often"}):
        response = post_json(client, counter_url(centre, "open"), payload)
        assert response.status_code == 422, payload
        assert response.json()["detail"]
    not_a_number = post_json(client, "/api/v1/counters/first/open", {})
    assert not_a_number.status_code == 422
    assert not_a_number.json()["detail"][0]["loc"] == ["path", "counter_id"]
    # The body is required, even though every field in it has a default.
    empty = client.post(counter_url(centre, "open"), "", content_type="application/json")
    assert empty.status_code == 422
    assert not CounterSession.objects.exists()


# Pause, resume, close ---------------------------------------------------------------------------


def test_pause_resume_and_close_change_the_session_and_write_events() -> None:
    centre = make_centre()
    client = make_staff_client(make_staff())
    open_for(client, centre)
    paused = client.post(counter_url(centre, "pause"))
    assert paused.status_code == 200 and paused.json()["state"] == "paused"
    assert CounterSession.objects.get().paused_at is not None
    again = client.post(counter_url(centre, "pause"))
    assert again.status_code == 409 and again.json()["code"] == "not_open"

    resumed = client.post(counter_url(centre, "resume"))
    assert resumed.status_code == 200 and resumed.json()["state"] == "open"
    assert CounterSession.objects.get().paused_at is None
    assert client.post(counter_url(centre, "resume")).json()["code"] == "not_paused"

    closed = client.post(counter_url(centre, "close"))
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    assert CounterSession.objects.get().closed_at is not None
    assert counter_events(centre) == [
        EventKind.COUNTER_OPENED,
        EventKind.COUNTER_PAUSED,
        EventKind.COUNTER_RESUMED,
        EventKind.COUNTER_CLOSED,
    ]
    # Once closed there is no session to act on.
    for action in ("pause", "resume", "close", "call-next"):
        response = client.post(counter_url(centre, action))
        assert response.status_code == 409 and response.json()["code"] == "not_open", action


def test_a_paused_counter_calls_nobody() -> None:
    centre = make_centre()
    [ticket] = issue(centre)
    client = make_staff_client(make_staff())
    open_for(client, centre)
    client.post(counter_url(centre, "pause"))
    response = client.post(counter_url(centre, "call-next"))
    assert response.status_code == 409 and response.json()["code"] == "paused"
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING


def test_a_counter_holding_a_citizen_cannot_close() -> None:
    centre = make_centre()
    issue(centre)
    client = make_staff_client(make_staff())
    open_for(client, centre)
    client.post(counter_url(centre, "call-next"))
    response = client.post(counter_url(centre, "close"))
    assert response.status_code == 409 and response.json()["code"] == "holding_ticket"
    assert CounterSession.objects.get().is_open


def test_someone_elses_counter_cannot_be_paused_closed_or_called_from() -> None:
    centre = make_centre()
    issue(centre)
    open_for(make_staff_client(make_staff()), centre)
    intruder = make_staff_client(make_staff())
    for action in ("pause", "resume", "close", "call-next"):
        response = intruder.post(counter_url(centre, action))
        assert response.status_code == 403, action
        assert isinstance(response.json()["detail"], str)
    call = post_json(intruder, counter_url(centre, "call"), {"number": "P001"})
    assert call.status_code == 403
    session = CounterSession.objects.get()
    assert session.is_open and not session.is_paused
    assert Ticket.objects.get().status == TicketStatus.WAITING


# Calling ----------------------------------------------------------------------------------------


def test_call_next_calls_the_longest_waiting_citizen_to_this_counter() -> None:
    centre = make_centre()
    first, _second = issue(centre, 2)
    staff = make_staff()
    client = make_staff_client(staff)
    open_for(client, centre, 1)
    response = client.post(counter_url(centre, "call-next", 1))
    assert response.status_code == 200
    called = response.json()["ticket"]
    assert (called["id"], called["number"], called["status"], called["counter"]) == (
        first.pk,
        "P001",
        "called",
        2,
    )
    first.refresh_from_db()
    assert first.status == TicketStatus.CALLED
    assert first.counter == centre.counters[1] and first.served_by == staff
    assert first.first_called_at is not None
    event = TicketEvent.objects.get(ticket=first, kind=EventKind.CALLED)
    assert event.counter == centre.counters[1] and event.staff == staff


def test_call_next_twice_without_finishing_is_refused_as_busy() -> None:
    centre = make_centre()
    _first, second = issue(centre, 2)
    client = make_staff_client(make_staff())
    open_for(client, centre)
    assert client.post(counter_url(centre, "call-next")).status_code == 200
    busy = client.post(counter_url(centre, "call-next"))
    assert busy.status_code == 409
    assert busy.json()["code"] == "counter_busy"
    second.refresh_from_db()
    assert second.status == TicketStatus.WAITING
    assert TicketEvent.objects.filter(kind=EventKind.CALLED).count() == 1


def test_call_next_with_nobody_waiting_answers_null() -> None:
    centre = make_centre()
    client = make_staff_client(make_staff())
    open_for(client, centre)
    response = client.post(counter_url(centre, "call-next"))
    assert response.status_code == 200
    assert response.json() == {"ticket": None}
    assert not TicketEvent.objects.filter(kind=EventKind.CALLED).exists()


def test_call_a_specific_number_out_of_turn() -> None:
    centre = make_centre()
    first, second = issue(centre, 2)
    client = make_staff_client(make_staff())
    open_for(client, centre)
    response = post_json(client, counter_url(centre, "call"), {"number": " p002 "})
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["status"]) == (second.pk, "called")
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.status == TicketStatus.CALLED and second.counter == centre.counters[0]
    assert first.status == TicketStatus.WAITING


def test_call_resumes_a_parked_number() -> None:
    centre = make_centre()
    [ticket] = issue(centre)
    staff = make_staff()
    client = make_staff_client(staff)
    open_for(client, centre)
    client.post(counter_url(centre, "call-next"))
    assert client.post(f"/api/v1/tickets/{ticket.pk}/park").status_code == 200
    response = post_json(client, counter_url(centre, "call"), {"number": "P001"})
    assert response.status_code == 200 and response.json()["status"] == "called"
    kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds == [EventKind.ISSUED, EventKind.CALLED, EventKind.PARKED, EventKind.RESUMED]


def test_calling_an_unknown_or_ended_number() -> None:
    centre = make_centre()
    [ticket] = issue(centre)
    staff = make_staff()
    client = make_staff_client(staff)
    open_for(client, centre)
    unknown = post_json(client, counter_url(centre, "call"), {"number": "P999"})
    assert unknown.status_code == 404
    assert "P999" in unknown.json()["detail"]
    services.cancel(ticket, CancelReason.STAFF, staff)
    ended = post_json(client, counter_url(centre, "call"), {"number": "P001"})
    assert ended.status_code == 409 and ended.json()["code"] == "not_waiting"
    missing = post_json(client, counter_url(centre, "call"), {})
    assert missing.status_code == 422
    nul = post_json(client, counter_url(centre, "call"), {"number": "P001\x00"})
    assert nul.status_code == 422
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CANCELLED


def test_a_number_from_another_centre_is_not_found_here() -> None:
    centre, elsewhere = make_centre(), make_centre()
    services.issue_ticket(elsewhere.location, elsewhere.passport, source=Source.KIOSK)
    client = make_staff_client(make_staff())
    open_for(client, centre)
    response = post_json(client, counter_url(centre, "call"), {"number": "P001"})
    assert response.status_code == 404
    assert Ticket.objects.get().status == TicketStatus.WAITING


def test_a_whole_visit_through_the_counter_endpoints_with_an_api_token() -> None:
    centre = make_centre()
    [ticket] = issue(centre)
    staff = make_staff()
    _token, secret = create_api_token(staff, "Counter app")
    client = Client(headers={"authorization": f"Bearer {secret}"})
    open_for(client, centre)
    called = client.post(counter_url(centre, "call-next")).json()["ticket"]
    finished = post_json(
        client, f"/api/v1/tickets/{called['id']}/finish", {"outcome": "resolved_first_contact"}
    )
    assert finished.status_code == 200
    assert client.post(counter_url(centre, "close")).status_code == 200
    ticket.refresh_from_db()
    assert (
        ticket.status == TicketStatus.FINISHED and ticket.outcome == Outcome.RESOLVED_FIRST_CONTACT
    )
    assert CounterSession.objects.get().closed_at is not None


# Who may -----------------------------------------------------------------------------------------

ACTIONS = ("open", "pause", "resume", "close", "call-next", "call")


def test_anonymous_callers_get_401(client: Client) -> None:
    centre = make_centre()
    issue(centre)
    for action in ACTIONS:
        response = post_json(client, counter_url(centre, action), {"number": "P001"})
        assert response.status_code == 401, action
        assert isinstance(response.json()["detail"], str)
    assert not CounterSession.objects.exists()


def test_a_paired_device_is_refused_with_403() -> None:
    centre = make_centre()
    issue(centre)
    for purpose in (DevicePurpose.KIOSK, DevicePurpose.COUNTER_SCREEN):
        device_client, _device = make_device_client(centre.location, purpose)
        for action in ACTIONS:
            response = post_json(device_client, counter_url(centre, action), {"number": "P001"})
            assert response.status_code == 403, (purpose, action)
            assert isinstance(response.json()["detail"], str)
    assert not CounterSession.objects.exists()


def test_a_user_without_a_staff_role_is_refused_with_403() -> None:
    centre = make_centre()
    user = User.objects.create_user(username="citizen-account", password="a-long-test-password")
    response = post_json(make_staff_client(user), counter_url(centre, "open"), {})
    assert response.status_code == 403
    assert not CounterSession.objects.exists()


def test_staff_of_another_centre_are_refused_with_403() -> None:
    centre, elsewhere = make_centre(), make_centre()
    issue(centre)
    staff = make_staff(Role.TEAM_LEAD, locations=[elsewhere.location])
    client = make_staff_client(staff)
    for action in ACTIONS:
        response = post_json(client, counter_url(centre, action), {"number": "P001"})
        assert response.status_code == 403, action
    assert not CounterSession.objects.exists()
    # The same person may open a counter at their own centre.
    assert (
        post_json(client, f"/api/v1/counters/{elsewhere.counters[0].pk}/open", {}).status_code
        == 200
    )


def test_unknown_counters_answer_404() -> None:
    client = make_staff_client(make_staff())
    for action in ACTIONS:
        response = post_json(client, f"/api/v1/counters/999999/{action}", {"number": "P001"})
        assert response.status_code == 404, action
        assert isinstance(response.json()["detail"], str)


def test_wrong_methods_answer_405() -> None:
    centre = make_centre()
    client = make_staff_client(make_staff())
    for action in ACTIONS:
        assert client.get(counter_url(centre, action)).status_code == 405, action
    assert client.put(counter_url(centre, "open")).status_code == 405
    assert not CounterSession.objects.exists()


def test_back_office_staff_serve_the_back_office_queue_by_default() -> None:
    centre = make_centre()
    staff = make_staff()
    team = Team.objects.create(name="Sagsbehandling", kind=TeamKind.BACK)
    staff.staff_profile.teams.set([team])
    body = open_for(make_staff_client(staff), centre)
    assert body["queues"] == [centre.back_office.pk]
    assert centre.back_office.kind == QueueKind.BACK
