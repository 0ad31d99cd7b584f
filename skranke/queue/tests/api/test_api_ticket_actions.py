"""What staff do with a number at the counter: POST /api/v1/tickets/{id}/<action>."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from skranke.access.models import DevicePurpose
from skranke.catalogue.models import SubjectArea
from skranke.organisation.models import Role
from skranke.queue import services
from skranke.queue.models import (
    CancelReason,
    CounterSession,
    Ending,
    EventKind,
    Outcome,
    ReferredTo,
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
    make_staff_client,
    post_json,
    use_api_test_settings,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _api_test_settings(settings: Any) -> None:
    use_api_test_settings(settings)


def action_url(ticket: Ticket, action: str) -> str:
    return f"/api/v1/tickets/{ticket.pk}/{action}"


def at_counter(
    centre: Centre, called_ago: dt.timedelta = dt.timedelta(0), waited: dt.timedelta | None = None
) -> tuple[Client, User, Ticket]:
    """Issue a passport number and call it to counter 1; return the staff client, staff, ticket.

    ``waited`` and ``called_ago`` place the issue and the call in the past, so the wait and the
    service time written when the visit ends are known.
    """
    now = timezone.now()
    called_at = now - called_ago
    issued_at = called_at - (waited or dt.timedelta(0))
    ticket = services.issue_ticket(
        centre.location, centre.passport, source=Source.KIOSK, now=issued_at
    )
    staff = make_staff()
    session = services.open_counter(centre.counters[0], staff, [centre.passports])
    called = services.call_next(session, staff, now=called_at)
    assert called is not None and called.pk == ticket.pk
    return make_staff_client(staff), staff, called


def event_kinds(ticket: Ticket) -> list[str]:
    return list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))


def assert_refused(response: Any, code: str) -> None:
    assert response.status_code == 409, response.content
    assert response.json()["code"] == code
    assert response.json()["detail"]


FINISH = {"outcome": "resolved_first_contact"}


# Recall, serve, no-show, reinstate --------------------------------------------------------------


def test_recall_counts_and_announces_the_number_again() -> None:
    centre = make_centre()
    client, staff, ticket = at_counter(centre)
    response = client.post(action_url(ticket, "recall"))
    assert response.status_code == 200
    assert (response.json()["recall_count"], response.json()["status"]) == (1, "called")
    ticket.refresh_from_db()
    assert ticket.recall_count == 1
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.RECALLED)
    assert event.data == {"number": "P001", "recalls": 1}
    assert event.staff == staff and event.counter == centre.counters[0]


def test_only_a_called_number_can_be_recalled() -> None:
    centre = make_centre()
    client, _staff, _ticket = at_counter(centre)
    waiting = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    assert_refused(client.post(action_url(waiting, "recall")), "not_called")
    waiting.refresh_from_db()
    assert waiting.recall_count == 0


def test_serve_marks_the_citizen_as_at_the_counter() -> None:
    centre = make_centre()
    client, _staff, ticket = at_counter(centre)
    response = client.post(action_url(ticket, "serve"))
    assert response.status_code == 200 and response.json()["status"] == "serving"
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.SERVING and ticket.counter == centre.counters[0]
    assert_refused(client.post(action_url(ticket, "serve")), "not_called")
    assert event_kinds(ticket) == [EventKind.ISSUED, EventKind.CALLED, EventKind.SERVING]


def test_no_show_needs_a_recall_first_and_then_ends_the_visit(settings: Any) -> None:
    settings.SKRANKE_NO_SHOW_AFTER_RECALLS = 1
    centre = make_centre()
    client, _staff, ticket = at_counter(centre, waited=dt.timedelta(minutes=9))
    assert_refused(client.post(action_url(ticket, "no-show")), "not_recalled")
    assert not VisitFact.objects.exists()

    client.post(action_url(ticket, "recall"))
    response = client.post(action_url(ticket, "no-show"))
    assert response.status_code == 200 and response.json()["status"] == "no_show"
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NO_SHOW
    assert ticket.counter is None and ticket.ended_at is not None
    fact = VisitFact.objects.get(ticket=ticket)
    assert (fact.ending, fact.wait_seconds, fact.service_seconds) == (Ending.NO_SHOW, 540, None)
    # The counter is free for the next citizen.
    services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    call = client.post(f"/api/v1/counters/{centre.counters[0].pk}/call-next")
    assert call.json()["ticket"]["number"] == "P002"


def test_reinstate_puts_todays_no_show_back_in_line() -> None:
    centre = make_centre()
    client, _staff, ticket = at_counter(centre)
    assert_refused(client.post(action_url(ticket, "reinstate")), "not_no_show")
    client.post(action_url(ticket, "recall"))
    client.post(action_url(ticket, "no-show"))
    response = client.post(action_url(ticket, "reinstate"))
    assert response.status_code == 200 and response.json()["status"] == "waiting"
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING and ticket.ended_at is None
    assert not VisitFact.objects.filter(ticket=ticket).exists()
    assert event_kinds(ticket)[-2:] == [EventKind.NO_SHOW, EventKind.REINSTATED]


# Park and resume --------------------------------------------------------------------------------


def test_park_frees_the_counter_and_resume_calls_the_citizen_back() -> None:
    centre = make_centre()
    client, _staff, ticket = at_counter(centre, called_ago=dt.timedelta(minutes=4))
    parked = client.post(action_url(ticket, "park"))
    assert parked.status_code == 200
    assert (parked.json()["status"], parked.json()["counter"]) == ("parked", None)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.PARKED and ticket.counter is None
    assert 240 <= ticket.service_seconds < 300
    assert_refused(client.post(action_url(ticket, "park")), "not_at_counter")

    counter = centre.counters[0]
    resumed = post_json(client, action_url(ticket, "resume"), {"counter": counter.pk})
    assert resumed.status_code == 200
    assert (resumed.json()["status"], resumed.json()["counter"]) == ("called", counter.number)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CALLED and ticket.counter == counter
    assert event_kinds(ticket)[-2:] == [EventKind.PARKED, EventKind.RESUMED]


def test_resume_is_refused_for_a_number_that_is_not_parked() -> None:
    centre = make_centre()
    client, _staff, ticket = at_counter(centre)
    response = post_json(client, action_url(ticket, "resume"), {"counter": centre.counters[0].pk})
    assert_refused(response, "not_parked")
    waiting = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    response = post_json(client, action_url(waiting, "resume"), {"counter": centre.counters[0].pk})
    assert_refused(response, "not_parked")
    waiting.refresh_from_db()
    assert waiting.status == TicketStatus.WAITING


def test_resume_to_someone_elses_or_an_unknown_counter() -> None:
    centre = make_centre()
    client, _staff, ticket = at_counter(centre)
    client.post(action_url(ticket, "park"))
    services.open_counter(centre.counters[1], make_staff(), [centre.passports])
    elsewhere = post_json(client, action_url(ticket, "resume"), {"counter": centre.counters[1].pk})
    assert elsewhere.status_code == 403
    closed = post_json(client, action_url(ticket, "resume"), {"counter": centre.counters[2].pk})
    assert_refused(closed, "not_open")
    unknown = post_json(client, action_url(ticket, "resume"), {"counter": 999999})
    assert unknown.status_code == 404
    assert post_json(client, action_url(ticket, "resume"), {}).status_code == 422
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.PARKED


# Transfer ---------------------------------------------------------------------------------------


def test_transfer_to_the_back_office_keeps_number_and_arrival() -> None:
    centre = make_centre()
    client, _staff, ticket = at_counter(
        centre, called_ago=dt.timedelta(minutes=3), waited=dt.timedelta(minutes=10)
    )
    arrival = ticket.waiting_since
    response = post_json(client, action_url(ticket, "transfer"), {"queue": centre.back_office.pk})
    assert response.status_code == 200
    body = response.json()
    assert (body["number"], body["queue"], body["status"]) == (
        "P001",
        centre.back_office.pk,
        "waiting",
    )
    ticket.refresh_from_db()
    assert ticket.queue == centre.back_office and ticket.first_queue == centre.passports
    assert ticket.display_number == "P001" and ticket.waiting_since == arrival
    assert ticket.counter is None and 180 <= ticket.service_seconds < 240
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.TRANSFERRED)
    assert event.data == {"number": "P001", "from_queue": centre.passports.pk}
    assert not VisitFact.objects.exists(), "a transfer continues the visit"

    # The back office calls it; the visit is one, under the queue it was issued in.
    back = make_staff()
    session = services.open_counter(centre.counters[1], back, [centre.back_office])
    again = services.call_next(session, back)
    assert again is not None and again.pk == ticket.pk
    services.finish(again, back, outcome=Outcome.PASSED_TO_BACK_OFFICE)
    fact = VisitFact.objects.get(ticket=ticket)
    assert fact.transferred and fact.first_queue == centre.passports
    assert fact.wait_seconds == 600


def test_transfer_refusals() -> None:
    centre, elsewhere = make_centre(), make_centre()
    client, _staff, ticket = at_counter(centre)
    foreign = post_json(client, action_url(ticket, "transfer"), {"queue": elsewhere.general.pk})
    assert foreign.status_code == 404
    assert post_json(client, action_url(ticket, "transfer"), {}).status_code == 422
    assert post_json(client, action_url(ticket, "transfer"), {"queue": "BO"}).status_code == 422
    centre.general.active = False
    centre.general.save()
    inactive = post_json(client, action_url(ticket, "transfer"), {"queue": centre.general.pk})
    assert_refused(inactive, "foreign_queue")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CALLED and ticket.queue == centre.passports

    waiting = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    response = post_json(client, action_url(waiting, "transfer"), {"queue": centre.back_office.pk})
    assert_refused(response, "not_at_counter")
    waiting.refresh_from_db()
    assert waiting.queue == centre.passports


# Finish -----------------------------------------------------------------------------------------


def test_finish_ends_the_visit_and_writes_its_visit_fact() -> None:
    centre = make_centre()
    client, staff, ticket = at_counter(
        centre, called_ago=dt.timedelta(minutes=7), waited=dt.timedelta(minutes=13)
    )
    client.post(action_url(ticket, "serve"))
    response = post_json(client, action_url(ticket, "finish"), FINISH)
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["counter"]) == ("finished", None)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.FINISHED and ticket.counter is None
    assert ticket.outcome == Outcome.RESOLVED_FIRST_CONTACT
    assert ticket.subject_area == centre.passport.subject_area
    fact = VisitFact.objects.get(ticket=ticket)
    assert fact.ending == Ending.SERVED
    assert fact.wait_seconds == 13 * 60
    assert fact.service_seconds is not None and 7 * 60 <= fact.service_seconds < 8 * 60
    assert fact.counter == centre.counters[0] and fact.staff == staff
    assert fact.subject_area == centre.passport.subject_area and fact.outcome == FINISH["outcome"]
    assert event_kinds(ticket)[-1] == EventKind.FINISHED
    # Finished once is finished.
    assert_refused(post_json(client, action_url(ticket, "finish"), FINISH), "not_at_counter")
    assert VisitFact.objects.count() == 1


def test_finish_records_the_subject_area_actually_handled() -> None:
    centre = make_centre()
    client, _staff, ticket = at_counter(centre)
    area = centre.moving.subject_area
    response = post_json(client, action_url(ticket, "finish"), {**FINISH, "subject_area": area.pk})
    assert response.status_code == 200
    assert VisitFact.objects.get(ticket=ticket).subject_area == area


def test_a_referral_must_name_the_authority() -> None:
    centre = make_centre()
    client, _staff, ticket = at_counter(centre)
    url = action_url(ticket, "finish")
    assert_refused(post_json(client, url, {"outcome": "referred"}), "referral")
    assert_refused(post_json(client, url, {**FINISH, "referred_to": "skat"}), "referral")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CALLED

    response = post_json(client, url, {"outcome": "referred", "referred_to": "udbetaling_danmark"})
    assert response.status_code == 200
    fact = VisitFact.objects.get(ticket=ticket)
    assert (fact.outcome, fact.referred_to) == (Outcome.REFERRED, ReferredTo.UDBETALING_DANMARK)


def test_finish_with_bad_input() -> None:
    centre = make_centre()
    client, _staff, ticket = at_counter(centre)
    url = action_url(ticket, "finish")
    assert post_json(client, url, {}).status_code == 422
    assert post_json(client, url, {"outcome": "solved"}).status_code == 422
    assert post_json(client, url, {"outcome": "referred", "referred_to": "mars"}).status_code == 422
    unknown_area = post_json(client, url, {**FINISH, "subject_area": 999999})
    assert unknown_area.status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CALLED
    assert not SubjectArea.objects.filter(pk=999999).exists()


def test_finishing_a_waiting_number_is_an_illegal_transition() -> None:
    centre = make_centre()
    client, _staff, _ticket = at_counter(centre)
    waiting = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    assert_refused(post_json(client, action_url(waiting, "finish"), FINISH), "not_at_counter")
    waiting.refresh_from_db()
    assert waiting.status == TicketStatus.WAITING
    assert not VisitFact.objects.filter(ticket=waiting).exists()


# Cancel by staff --------------------------------------------------------------------------------


def test_staff_cancel_a_called_number_and_the_counter_is_free() -> None:
    centre = make_centre()
    client, staff, ticket = at_counter(centre)
    response = client.post(action_url(ticket, "staff-cancel"))
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CANCELLED and ticket.counter is None
    assert ticket.cancel_reason == CancelReason.STAFF
    fact = VisitFact.objects.get(ticket=ticket)
    assert (fact.ending, fact.cancel_reason) == (Ending.CANCELLED, CancelReason.STAFF)
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.CANCELLED)
    assert event.staff == staff and event.data["reason"] == "staff"
    assert_refused(client.post(action_url(ticket, "staff-cancel")), "cannot_cancel")
    session = CounterSession.objects.get()
    services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    assert services.call_next(session, staff) is not None


def test_the_citizens_cancel_path_does_not_take_a_ticket_id() -> None:
    # POST /tickets/{token}/cancel belongs to citizens; an id there is an unknown token.
    centre = make_centre()
    client, _staff, ticket = at_counter(centre)
    response = client.post(f"/api/v1/tickets/{ticket.pk}/cancel")
    assert response.status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CALLED


def test_staff_cancel_a_waiting_number() -> None:
    centre = make_centre()
    client, _staff, _ticket = at_counter(centre)
    waiting = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    assert client.post(action_url(waiting, "staff-cancel")).status_code == 200
    waiting.refresh_from_db()
    assert waiting.status == TicketStatus.CANCELLED


# Who may ----------------------------------------------------------------------------------------

ACTIONS = (
    "recall",
    "serve",
    "no-show",
    "reinstate",
    "park",
    "resume",
    "transfer",
    "finish",
    "staff-cancel",
)


def payload_for(centre: Centre, action: str) -> dict[str, Any]:
    return {
        "resume": {"counter": centre.counters[0].pk},
        "transfer": {"queue": centre.back_office.pk},
        "finish": FINISH,
    }.get(action, {})


def test_anonymous_callers_get_401(client: Client) -> None:
    centre = make_centre()
    _staff_client, _staff, ticket = at_counter(centre)
    for action in ACTIONS:
        response = post_json(client, action_url(ticket, action), payload_for(centre, action))
        assert response.status_code == 401, action
        assert isinstance(response.json()["detail"], str)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CALLED and ticket.recall_count == 0


def test_paired_devices_get_403() -> None:
    centre = make_centre()
    _staff_client, _staff, ticket = at_counter(centre)
    device_client, _device = make_device_client(centre.location, DevicePurpose.COUNTER_SCREEN)
    for action in ACTIONS:
        response = post_json(device_client, action_url(ticket, action), payload_for(centre, action))
        assert response.status_code == 403, action
        assert isinstance(response.json()["detail"], str)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CALLED and ticket.recall_count == 0


def test_staff_of_another_centre_get_403() -> None:
    centre, elsewhere = make_centre(), make_centre()
    _staff_client, _staff, ticket = at_counter(centre)
    outsider = make_staff_client(make_staff(Role.MANAGER, locations=[elsewhere.location]))
    for action in ACTIONS:
        response = post_json(outsider, action_url(ticket, action), payload_for(centre, action))
        assert response.status_code == 403, action
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CALLED and ticket.recall_count == 0


def test_unknown_tickets_answer_404_and_wrong_methods_405() -> None:
    centre = make_centre()
    client, _staff, ticket = at_counter(centre)
    for action in ACTIONS:
        missing = post_json(client, f"/api/v1/tickets/999999/{action}", payload_for(centre, action))
        assert missing.status_code == 404, action
        assert isinstance(missing.json()["detail"], str)
        assert client.get(action_url(ticket, action)).status_code == 405, action
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CALLED
