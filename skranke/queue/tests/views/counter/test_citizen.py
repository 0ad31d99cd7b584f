"""The counter page's working area: calling, and every action on the citizen at the counter."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from skranke.queue import services
from skranke.queue.models import (
    CancelReason,
    Outcome,
    ReferredTo,
    TicketStatus,
    VisitFact,
)
from skranke.queue.tests.factories import (
    Centre,
    issue,
    make_centre,
)
from skranke.queue.tests.views.counter.support import (
    CPR_NOTE,
    HTMX,
    alert_of,
    called,
    opened,
    ticket_url,
    url,
)

pytestmark = pytest.mark.django_db

pytestmark = pytest.mark.django_db


# Calling ----------------------------------------------------------------------------------------


def test_call_next_puts_the_first_citizen_at_the_counter(
    client: Client, staff: User, centre: Centre
) -> None:
    opened(centre, staff)
    first, second = issue(centre), issue(centre)

    response = client.post(url(centre, "call-next"))

    assert response.status_code == 302 and response["Location"] == url(centre)
    first.refresh_from_db()
    assert first.status == TicketStatus.CALLED
    assert first.counter == centre.counters[0] and first.served_by == staff
    page = client.get(url(centre)).content.decode()
    assert f"Called {first.display_number} to counter 1." in page
    assert f'id="current-number">{first.display_number}<' in page
    assert second.display_number in page  # still waiting, named in the queue panel


def test_call_next_by_htmx_answers_with_the_working_area(
    client: Client, staff: User, centre: Centre
) -> None:
    opened(centre, staff)
    ticket = issue(centre)

    response = client.post(url(centre, "call-next"), **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="counter-workspace"')
    assert f'id="current-number">{ticket.display_number}<' in html
    assert '<div id="counter-status" hx-swap-oob="innerHTML"><p>Called' in html
    assert "<html" not in html


def test_call_next_with_nobody_waiting_says_so(client: Client, staff: User, centre: Centre) -> None:
    opened(centre, staff)
    response = client.post(url(centre, "call-next"), follow=True)
    assert "Nobody is waiting in your queues." in response.content.decode()


def test_call_next_while_holding_a_citizen_is_refused_in_the_page(
    client: Client, staff: User, centre: Centre
) -> None:
    current = called(centre, staff, client)
    waiting = issue(centre)

    plain = client.post(url(centre, "call-next"))
    htmx = client.post(url(centre, "call-next"), **HTMX)

    assert plain.status_code == 409
    assert htmx.status_code == 200
    for response in (plain, htmx):
        assert "This counter already has a number; finish it first." in response.content.decode()
    assert 'role="alert"' in plain.content.decode()
    current.refresh_from_db()
    waiting.refresh_from_db()
    assert current.status == TicketStatus.CALLED and waiting.status == TicketStatus.WAITING


def test_calling_a_given_number(client: Client, staff: User, centre: Centre) -> None:
    opened(centre, staff)
    issue(centre)
    second = issue(centre)

    response = client.post(url(centre, "call"), {"number": f" {second.display_number.lower()} "})

    assert response.status_code == 302
    second.refresh_from_db()
    assert second.status == TicketStatus.CALLED and second.counter == centre.counters[0]


@pytest.mark.parametrize(
    ("number", "status", "message"),
    [
        ("P999", 404, "There is no number P999 today."),
        ("", 400, "Type the number to call, e.g. P012."),
        ("P" * 11, 400, "at most 10 characters"),
    ],
)
def test_calling_a_number_that_does_not_exist_shows_the_error_by_the_field(
    client: Client, staff: User, centre: Centre, number: str, status: int, message: str
) -> None:
    opened(centre, staff)
    response = client.post(url(centre, "call"), {"number": number})
    assert response.status_code == status
    html = response.content.decode()
    assert message in html
    assert 'id="call-number-error"' in html and 'aria-invalid="true"' in html


def test_calling_a_number_no_longer_waiting_is_refused(
    client: Client, staff: User, centre: Centre
) -> None:
    opened(centre, staff)
    ticket = issue(centre)
    services.cancel(ticket, CancelReason.CITIZEN)
    response = client.post(url(centre, "call"), {"number": ticket.display_number})
    assert response.status_code == 409
    assert "This number is not waiting." in alert_of(response)


# The citizen at the counter ---------------------------------------------------------------------


def test_recall_counts_and_then_allows_a_no_show(
    client: Client, staff: User, centre: Centre
) -> None:
    ticket = called(centre, staff, client)
    assert 'id="no-show"' not in client.get(url(centre)).content.decode()
    early = client.post(ticket_url(centre, ticket, "no-show"))
    assert early.status_code == 409
    assert "Recall the number 1 times before marking a no-show." in alert_of(early)

    response = client.post(ticket_url(centre, ticket, "recall"), **HTMX)

    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.recall_count == 1
    assert 'id="current-recalls">1<' in response.content.decode()
    assert 'id="no-show"' in response.content.decode()

    assert client.post(ticket_url(centre, ticket, "no-show")).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NO_SHOW
    assert VisitFact.objects.get(ticket=ticket).ending == "no_show"
    page = client.get(url(centre)).content.decode()
    assert f'id="reinstate-{ticket.pk}"' in page


def test_a_no_show_is_put_back_in_line(client: Client, staff: User, centre: Centre) -> None:
    ticket = called(centre, staff, client)
    services.recall(ticket, staff)
    services.mark_no_show(ticket, staff)

    response = client.post(ticket_url(centre, ticket, "reinstate"))

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING
    assert not VisitFact.objects.filter(ticket=ticket).exists()
    again = client.post(ticket_url(centre, ticket, "reinstate"))
    assert again.status_code == 409
    assert "Only today&#x27;s no-shows can be put back in line." in alert_of(again)


def test_park_and_resume(client: Client, staff: User, centre: Centre) -> None:
    ticket = called(centre, staff, client)

    assert client.post(ticket_url(centre, ticket, "park")).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.PARKED and ticket.counter is None
    panel = client.get(url(centre, "queues"), **HTMX).content.decode()
    assert f'id="resume-{ticket.pk}"' in panel

    assert client.post(ticket_url(centre, ticket, "resume")).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CALLED and ticket.counter == centre.counters[0]


def test_transfer_to_the_back_office_keeps_the_arrival(
    client: Client, staff: User, centre: Centre
) -> None:
    ticket = called(centre, staff, client)
    arrival = ticket.waiting_since

    response = client.post(
        ticket_url(centre, ticket, "transfer"), {"queue": centre.back_office.pk}, **HTMX
    )

    assert response.status_code == 200
    assert f"{ticket.display_number} now waits in Back office." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING and ticket.queue == centre.back_office
    assert ticket.first_queue == centre.passports and ticket.waiting_since == arrival


@pytest.mark.parametrize("queue", ["", "999999", "other-centre"])
def test_transfer_to_an_unknown_queue_shows_the_error(
    client: Client, staff: User, centre: Centre, queue: str
) -> None:
    ticket = called(centre, staff, client)
    if queue == "other-centre":
        queue = str(make_centre().back_office.pk)

    response = client.post(ticket_url(centre, ticket, "transfer"), {"queue": queue})

    assert response.status_code == 400
    assert 'id="transfer-error"' in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CALLED and ticket.queue == centre.passports


def test_finish_with_outcome_and_the_services_subject_area(
    client: Client, staff: User, centre: Centre
) -> None:
    ticket = called(centre, staff, client)
    page = client.get(url(centre)).content.decode()
    area = centre.passport.subject_area
    assert f'<option value="{area.pk}" selected>' in page

    response = client.post(
        ticket_url(centre, ticket, "finish"),
        {"outcome": Outcome.RESOLVED_FIRST_CONTACT, "subject_area": area.pk, "referred_to": "skat"},
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.FINISHED
    assert ticket.outcome == Outcome.RESOLVED_FIRST_CONTACT
    assert ticket.subject_area == area
    assert ticket.referred_to == ""  # an authority left chosen is not a referral
    fact = VisitFact.objects.get(ticket=ticket)
    assert fact.ending == "served" and fact.staff == staff
    page = client.get(url(centre)).content.decode()
    assert "You have served 1 citizen today." in page
    assert "No citizen at the counter." in page


def test_finish_as_a_referral_in_another_subject_area(
    client: Client, staff: User, centre: Centre
) -> None:
    ticket = called(centre, staff, client)
    other_area = centre.moving.subject_area
    response = client.post(
        ticket_url(centre, ticket, "finish"),
        {
            "outcome": Outcome.REFERRED,
            "referred_to": ReferredTo.SKAT,
            "subject_area": other_area.pk,
        },
        **HTMX,
    )
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.outcome == Outcome.REFERRED and ticket.referred_to == ReferredTo.SKAT
    assert VisitFact.objects.get(ticket=ticket).subject_area == other_area


@pytest.mark.parametrize(
    ("form", "field_error"),
    [
        ({}, "Choose the outcome of the visit."),
        ({"outcome": "made_up"}, "Select a valid choice."),
        ({"outcome": Outcome.REFERRED}, "Choose the authority the citizen was referred to."),
        ({"outcome": Outcome.NOT_RESOLVED, "subject_area": "999999"}, "Choose one of the subject"),
    ],
)
def test_finish_with_bad_input_shows_the_form_with_the_error(
    client: Client, staff: User, centre: Centre, form: dict[str, str], field_error: str
) -> None:
    ticket = called(centre, staff, client)

    plain = client.post(ticket_url(centre, ticket, "finish"), form)
    htmx = client.post(ticket_url(centre, ticket, "finish"), form, **HTMX)

    assert plain.status_code == 400 and htmx.status_code == 200
    for response in (plain, htmx):
        html = response.content.decode()
        assert field_error in html
        assert "Please correct the marked field." in html
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CALLED
    assert not VisitFact.objects.exists()


def test_a_note_is_saved(client: Client, staff: User, centre: Centre) -> None:
    ticket = called(centre, staff, client)
    response = client.post(ticket_url(centre, ticket, "note"), {"note": "Mangler gammelt pas"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.note == "Mangler gammelt pas"
    assert "Mangler gammelt pas" in client.get(url(centre)).content.decode()


def test_a_note_with_a_cpr_number_is_refused_by_the_field(
    client: Client, staff: User, centre: Centre
) -> None:
    ticket = called(centre, staff, client)

    response = client.post(ticket_url(centre, ticket, "note"), {"note": CPR_NOTE})

    assert response.status_code == 400
    html = response.content.decode()
    assert "This looks like a CPR number." in html
    assert 'id="ticket-note-error"' in html
    assert "010190-1234" not in html.split('id="ticket-note-error"', 1)[1]
    ticket.refresh_from_db()
    assert ticket.note == ""


@pytest.mark.parametrize("action", ["recall", "park", "transfer", "note", "finish"])
def test_actions_on_a_number_that_is_not_at_the_counter_are_refused(
    client: Client, staff: User, centre: Centre, action: str
) -> None:
    opened(centre, staff)
    waiting = issue(centre)
    form = {"queue": centre.back_office.pk, "outcome": "not_resolved", "note": "x"}
    response = client.post(ticket_url(centre, waiting, action), form)
    assert response.status_code == 409
    assert f"Number {waiting.display_number} is not at your counter." in alert_of(response)
    waiting.refresh_from_db()
    assert waiting.status == TicketStatus.WAITING and waiting.note == ""


def test_unknown_numbers_and_actions_are_404(client: Client, staff: User, centre: Centre) -> None:
    ticket = called(centre, staff, client)
    elsewhere = make_centre()
    foreign = issue(elsewhere)
    assert client.post(f"{url(centre)}tickets/999999/recall/").status_code == 404
    assert client.post(ticket_url(centre, foreign, "recall")).status_code == 404
    assert client.post(ticket_url(centre, ticket, "explode")).status_code == 404
    ticket.refresh_from_db()
    assert ticket.recall_count == 0
