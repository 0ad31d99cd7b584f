"""A CPR number typed to walk round the guard (runs of spaces, underscores, invisible characters,
other scripts' digits) is refused by every door of the number system: the counter page's note,
the floor guide's note, the API's closing reason and note, and the services behind them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.test import Client

from skranke.organisation.models import Role
from skranke.queue import services
from skranke.queue.models import (
    EventKind,
    QueueClosure,
    Source,
    Ticket,
    TicketEvent,
)
from skranke.queue.tests.factories import (
    Centre,
    issue,
    make_staff,
    make_staff_client,
    post_json,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_settings")]

# 01.01.90 with serial 1234, as the hostile review typed it into the notes and reasons.
WALK_ROUNDS = {
    "two spaces": "Borger 010190  1234",
    "underscore": "Borger 010190_1234",
    "zero-width space": "Borger 0101\u200b901234",
    "word joiner": "Borger 010190-12\u206034",
    "soft hyphen": "Borger 01\u00ad0190-1234",
    "Arabic-Indic digits": "Borger \u0660\u0661\u0660\u0661\u0669\u0660\u0661\u0662\u0663\u0664",
    "full-width": "Borger \uff10\uff11\uff10\uff11\uff19\uff10\uff0d\uff11\uff12\uff13\uff14",
    "mixed": "Borger \u06601\u0660\uff11\u200b9\u0660 _ 1\uff12\u0663\u0664",
}
walk_rounds = pytest.mark.parametrize("text", list(WALK_ROUNDS.values()), ids=list(WALK_ROUNDS))
MESSAGE = "This looks like a CPR number."


def english(client: Client) -> Client:
    # Checked against the English source texts, which stay put when the Danish catalogue changes.
    client.cookies["skranke_language"] = "en"
    return client


def called_to_counter(centre: Centre, staff: User) -> Ticket:
    session = services.open_counter(centre.counters[0], staff, [centre.passports])
    ticket = issue(centre)
    services.call_ticket(session, ticket, staff)
    ticket.refresh_from_db()
    return ticket


@walk_rounds
def test_the_counter_pages_note_form_refuses_it(centre: Centre, text: str) -> None:
    staff = make_staff()
    ticket = called_to_counter(centre, staff)
    client = english(make_staff_client(staff))

    response = client.post(
        f"/counter/{centre.counters[0].pk}/tickets/{ticket.pk}/note/", {"note": text}
    )

    assert response.status_code == 400
    assert MESSAGE in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.note == ""


@walk_rounds
def test_the_floor_guides_note_form_refuses_it(centre: Centre, text: str) -> None:
    client = english(make_staff_client(make_staff()))

    response = client.post(
        f"/floor/{centre.location.slug}/", {"service": centre.passport.pk, "note": text}
    )

    assert response.status_code == 400
    assert MESSAGE in response.content.decode()
    assert not Ticket.objects.exists()


@walk_rounds
def test_the_apis_close_queue_reason_refuses_it(centre: Centre, text: str) -> None:
    lead = make_staff_client(make_staff(Role.TEAM_LEAD, locations=[centre.location]))

    response = post_json(lead, f"/api/v1/queues/{centre.passports.pk}/close", {"reason": text})

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["type"] == "cpr" and error["loc"][-1] == "reason"
    assert not QueueClosure.objects.exists()
    assert not TicketEvent.objects.filter(kind=EventKind.QUEUE_CLOSED).exists()


@walk_rounds
def test_the_apis_staff_issue_note_refuses_it(centre: Centre, text: str) -> None:
    client = make_staff_client(make_staff())
    body = {"location": centre.location.slug, "service": centre.passport.slug, "note": text}

    response = post_json(client, "/api/v1/staff/tickets", body)

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["type"] == "cpr" and error["loc"][-1] == "note"
    assert not Ticket.objects.exists()


@walk_rounds
def test_closing_a_queue_in_the_services_refuses_it(centre: Centre, text: str) -> None:
    lead = make_staff(Role.TEAM_LEAD)

    with pytest.raises(ValidationError) as refused:
        services.close_queue_now(centre.passports, text, lead)

    assert refused.value.code == "cpr"
    assert not QueueClosure.objects.exists()
    assert not TicketEvent.objects.exists()


@walk_rounds
def test_issuing_a_number_with_a_note_in_the_services_refuses_it(centre: Centre, text: str) -> None:
    with pytest.raises(ValidationError) as refused:
        services.issue_ticket(
            centre.location, centre.passport, source=Source.FLOOR_GUIDE, note=text
        )

    assert refused.value.code == "cpr"
    assert not Ticket.objects.exists()


@walk_rounds
def test_saving_a_note_in_the_services_refuses_it(centre: Centre, text: str) -> None:
    staff = make_staff()
    ticket = called_to_counter(centre, staff)

    with pytest.raises(ValidationError):
        services.save_note(ticket, staff, text)

    ticket.refresh_from_db()
    assert ticket.note == ""


def test_a_phone_number_in_a_note_is_still_taken(centre: Centre) -> None:
    staff = make_staff()
    ticket = called_to_counter(centre, staff)
    note = "Ring tilbage på +45  20 01 01 90 / 1234 5678"

    response = english(make_staff_client(staff)).post(
        f"/counter/{centre.counters[0].pk}/tickets/{ticket.pk}/note/", {"note": note}
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.note == note
