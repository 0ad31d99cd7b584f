"""Who acts on a ticket (docs/permissions.md): a ticket at a counter only by the person in that
counter's open session, whatever the caller (page, API, a team lead); reinstating a no-show and a
staff cancel of a waiting number need no ticket at one's counter; a team lead may close a
colleague's abandoned session, and the citizen at it is parked, not lost."""

from __future__ import annotations

from typing import Any

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import User
from django.test import Client

from skranke.organisation.models import Role
from skranke.queue import services
from skranke.queue.errors import NotYours
from skranke.queue.models import (
    CancelReason,
    CounterSession,
    Outcome,
    Source,
    Ticket,
    TicketEvent,
    TicketStatus,
    VisitFact,
)
from skranke.queue.tests.factories import (
    Centre,
    make_staff,
    make_staff_client,
    post_json,
    use_api_test_settings,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _api_test_settings(settings: Any) -> None:
    use_api_test_settings(settings)


def called_at_colleagues_counter(centre: Centre) -> tuple[User, Ticket]:
    """Call a passport number to counter 1, held by a colleague; return them and the ticket."""
    services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    colleague = make_staff()
    session = services.open_counter(centre.counters[0], colleague, [centre.passports])
    ticket = services.call_next(session, colleague)
    assert ticket is not None
    return colleague, ticket


def snapshot(ticket: Ticket) -> tuple[Any, ...]:
    return (
        Ticket.objects.filter(pk=ticket.pk).values().get(),
        TicketEvent.objects.filter(ticket=ticket).count(),
        VisitFact.objects.filter(ticket=ticket).count(),
    )


# Every action on a called number, as the API takes it: (path, JSON body).
AT_COUNTER_ACTIONS: list[tuple[str, Any]] = [
    ("recall", None),
    ("serve", None),
    ("park", None),
    ("transfer", "back_office"),
    ("finish", {"outcome": Outcome.RESOLVED_FIRST_CONTACT}),
    ("staff-cancel", None),
]


def body_for(centre: Centre, body: Any) -> Any:
    return {"queue": centre.back_office.pk} if body == "back_office" else body


@pytest.mark.parametrize(("action", "body"), AT_COUNTER_ACTIONS)
@pytest.mark.parametrize("role", [Role.COUNTER_STAFF, Role.TEAM_LEAD, Role.MANAGER])
def test_another_employee_cannot_act_on_a_ticket_at_a_colleagues_counter(
    centre: Centre, action: str, body: Any, role: Role
) -> None:
    _colleague, ticket = called_at_colleagues_counter(centre)
    before = snapshot(ticket)
    other = make_staff_client(make_staff(role=role))

    response = post_json(other, f"/api/v1/tickets/{ticket.pk}/{action}", body_for(centre, body))

    assert response.status_code == 403, response.content
    assert response.json()["code"] == "not_your_counter"
    assert ticket.display_number in response.json()["detail"]
    assert snapshot(ticket) == before


def test_no_show_at_a_colleagues_counter_is_refused(centre: Centre, settings: Any) -> None:
    colleague, ticket = called_at_colleagues_counter(centre)
    for _ in range(settings.SKRANKE_NO_SHOW_AFTER_RECALLS):
        services.recall(ticket, colleague)
    before = snapshot(ticket)

    response = post_json(make_staff_client(make_staff()), f"/api/v1/tickets/{ticket.pk}/no-show")

    assert response.status_code == 403, response.content
    assert snapshot(ticket) == before


@pytest.mark.parametrize(("action", "body"), AT_COUNTER_ACTIONS)
def test_the_employee_at_the_counter_acts_on_it(centre: Centre, action: str, body: Any) -> None:
    colleague, ticket = called_at_colleagues_counter(centre)

    response = post_json(
        make_staff_client(colleague),
        f"/api/v1/tickets/{ticket.pk}/{action}",
        body_for(centre, body),
    )

    assert response.status_code == 200, response.content


def test_a_finished_visit_is_credited_to_whoever_finished_it(centre: Centre) -> None:
    colleague, ticket = called_at_colleagues_counter(centre)
    intruder = make_staff_client(make_staff())
    post_json(
        intruder, f"/api/v1/tickets/{ticket.pk}/finish", {"outcome": "resolved_first_contact"}
    )
    assert not VisitFact.objects.filter(ticket=ticket).exists()

    post_json(
        make_staff_client(colleague),
        f"/api/v1/tickets/{ticket.pk}/finish",
        {"outcome": "resolved_first_contact"},
    )

    fact = VisitFact.objects.get(ticket=ticket)
    assert fact.staff_id == colleague.pk


def test_a_waiting_number_is_cancelled_and_a_no_show_reinstated_by_any_colleague(
    centre: Centre, settings: Any
) -> None:
    waiting = services.issue_ticket(centre.location, centre.moving, source=Source.KIOSK)
    colleague, called = called_at_colleagues_counter(centre)
    for _ in range(settings.SKRANKE_NO_SHOW_AFTER_RECALLS):
        services.recall(called, colleague)
    services.mark_no_show(called, colleague)
    other = make_staff_client(make_staff())

    cancelled = post_json(other, f"/api/v1/tickets/{waiting.pk}/staff-cancel")
    reinstated = post_json(other, f"/api/v1/tickets/{called.pk}/reinstate")

    assert cancelled.status_code == 200, cancelled.content
    assert reinstated.status_code == 200, reinstated.content
    assert Ticket.objects.get(pk=waiting.pk).status == TicketStatus.CANCELLED
    assert Ticket.objects.get(pk=called.pk).status == TicketStatus.WAITING


@pytest.mark.parametrize("path", ["pause", "close", "call-next"])
def test_another_employee_cannot_work_a_colleagues_counter(centre: Centre, path: str) -> None:
    _colleague, _ticket = called_at_colleagues_counter(centre)
    session = CounterSession.objects.get(counter=centre.counters[0], closed_at__isnull=True)

    response = post_json(
        make_staff_client(make_staff(role=Role.TEAM_LEAD)),
        f"/api/v1/counters/{centre.counters[0].pk}/{path}",
    )

    assert response.status_code == 403, response.content
    session.refresh_from_db()
    assert session.closed_at is None and session.paused_at is None


def test_the_engine_refuses_a_session_that_is_not_the_callers(centre: Centre) -> None:
    colleague, _ticket = called_at_colleagues_counter(centre)
    session = CounterSession.objects.get(staff=colleague, closed_at__isnull=True)
    other = make_staff()
    for action in (services.pause_counter, services.close_counter, services.call_next):
        with pytest.raises(NotYours):
            action(session, other)


def test_the_counter_page_refuses_a_ticket_at_a_colleagues_counter(centre: Centre) -> None:
    # The page of one's own counter, with a ticket id that is at a colleague's counter.
    _colleague, ticket = called_at_colleagues_counter(centre)
    me = make_staff()
    services.open_counter(centre.counters[1], me, [centre.passports])
    before = snapshot(ticket)
    page = make_staff_client(me)

    response = page.post(f"/counter/{centre.counters[1].pk}/tickets/{ticket.pk}/finish/")

    assert response.status_code in {403, 409}
    assert "ikke ved din skranke" in response.content.decode()
    assert snapshot(ticket) == before


# A team lead closes an abandoned session -----------------------------------------------------


def close_abandoned(client: Client, centre: Centre) -> Any:
    return post_json(client, f"/api/v1/counters/{centre.counters[0].pk}/close-abandoned")


def test_a_team_lead_closes_a_colleagues_abandoned_session_and_parks_its_citizen(
    centre: Centre,
) -> None:
    colleague, ticket = called_at_colleagues_counter(centre)
    lead = make_staff(role=Role.TEAM_LEAD)

    response = close_abandoned(make_staff_client(lead), centre)

    assert response.status_code == 200, response.content
    assert response.json()["state"] == "closed"
    ticket.refresh_from_db()
    assert (ticket.status, ticket.counter_id) == (TicketStatus.PARKED, None)
    entry = LogEntry.objects.get(additional_data__action="counter_session_closed_for_colleague")
    assert entry.actor == lead
    assert entry.additional_data["details"]["staff"] == colleague.pk
    assert entry.additional_data["details"]["parked"] == [ticket.display_number]
    # The parked citizen can be called back to any counter.
    session = services.open_counter(centre.counters[1], make_staff(), [centre.passports])
    assert services.call_ticket(session, ticket, session.staff).status == TicketStatus.CALLED


def test_counter_staff_may_not_close_a_colleagues_session(centre: Centre) -> None:
    called_at_colleagues_counter(centre)

    response = close_abandoned(make_staff_client(make_staff()), centre)

    assert response.status_code == 403, response.content
    assert CounterSession.objects.filter(closed_at__isnull=True).count() == 1


def test_a_team_lead_of_another_centre_may_not_close_it(centre: Centre) -> None:
    from skranke.queue.tests.factories import make_centre

    called_at_colleagues_counter(centre)
    elsewhere = make_centre()
    lead = make_staff(role=Role.TEAM_LEAD, locations=[elsewhere.location])

    response = close_abandoned(make_staff_client(lead), centre)

    assert response.status_code == 403, response.content


def test_the_end_of_day_job_still_closes_tickets_left_at_a_counter(centre: Centre) -> None:
    # The job acts for nobody; it must not be stopped by the rule of who acts.
    import datetime as dt

    from django.utils import timezone

    from skranke.lib.localtime import local_date

    _colleague, ticket = called_at_colleagues_counter(centre)
    tomorrow = local_date(timezone.now()) + dt.timedelta(days=1)

    assert services.close_days_before(tomorrow) == 1
    ticket.refresh_from_db()
    assert (ticket.status, ticket.cancel_reason) == (TicketStatus.CANCELLED, CancelReason.CLOSED)
