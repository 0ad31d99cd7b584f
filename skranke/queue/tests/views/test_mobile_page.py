"""The citizen's mobile page /t/<token>/: only the unguessable token opens it, it shows the number,
place and expected wait but nothing personal, it is kept out of shared caches, and the citizen
can give the number up."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from skranke.queue import services
from skranke.queue.models import CancelReason, Ticket, TicketStatus
from skranke.queue.reads.estimates import TicketEstimate
from skranke.queue.tests.factories import (
    Centre,
    issue,
    make_centre,
    make_staff,
    open_counters,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_settings")]


def text_of(response: Any) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def test_an_unknown_token_is_404() -> None:
    assert Client().get("/t/not-a-token/").status_code == 404
    assert Client().post("/t/not-a-token/cancel/").status_code == 404


def test_the_page_shows_number_place_and_wait_and_nothing_personal() -> None:
    # One counter, so the citizen second in line has a wait of some minutes.
    centre = make_centre(counters=1)
    staff = make_staff(first_name="Tove", last_name="Holm")
    open_counters(centre, [centre.passports])
    issue(centre)
    ticket = issue(centre, note="Har brug for tolk, Tove kender sagen")

    response = Client().get(f"/t/{ticket.token}/")

    assert response.status_code == 200
    text = text_of(response)
    assert "Dit nummer P002" in text
    assert f"Pas · {centre.location.name}" in text
    assert "Din plads i køen: 2" in text
    assert re.search(r"Forventet ventetid: ca\. [1-9]\d* min\.", text)
    # The staff note and staff names never reach the citizen's page.
    assert "tolk" not in text and "Tove" not in text and staff.last_name not in text
    assert response["Cache-Control"] == "private, no-store"
    # The token in the address is never sent to other sites as a referrer.
    assert response["Referrer-Policy"] == "same-origin"


def test_a_called_number_says_which_counter(centre: Centre) -> None:
    (staff, session), *_rest = open_counters(centre, [centre.passports])
    ticket = issue(centre)
    services.call_next(session, staff)

    text = text_of(Client().get(f"/t/{ticket.token}/"))

    assert f"Det er din tur – gå til skranke {session.counter.number}" in text


def test_the_page_in_english(centre: Centre) -> None:
    ticket = issue(centre)
    client = Client()
    client.cookies["skranke_language"] = "en"
    text = text_of(client.get(f"/t/{ticket.token}/"))
    assert "Your number P001" in text and "Your place in line: 1" in text


def test_the_citizen_cancels_and_a_second_cancel_changes_nothing(centre: Centre) -> None:
    ticket = issue(centre)
    client = Client()

    first = client.post(f"/t/{ticket.token}/cancel/")
    second = client.post(f"/t/{ticket.token}/cancel/")

    assert first.status_code == second.status_code == 302
    assert first["Location"] == f"/t/{ticket.token}/"
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CANCELLED
    assert ticket.cancel_reason == CancelReason.CITIZEN
    assert "Nummeret er annulleret." in text_of(client.get(f"/t/{ticket.token}/"))


def test_cancel_after_the_call_leaves_the_ticket_at_the_counter(centre: Centre) -> None:
    (staff, session), *_rest = open_counters(centre, [centre.passports])
    ticket = issue(centre)
    services.call_next(session, staff)

    assert Client().post(f"/t/{ticket.token}/cancel/").status_code == 302

    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.CALLED


def test_wrong_methods(centre: Centre) -> None:
    ticket = issue(centre)
    assert Client().post(f"/t/{ticket.token}/").status_code == 405
    assert Client().get(f"/t/{ticket.token}/cancel/").status_code == 405
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.WAITING


def test_no_wait_at_all_shows_zero_minutes(centre: Centre, monkeypatch: pytest.MonkeyPatch) -> None:
    ticket = issue(centre)
    monkeypatch.setattr(
        "skranke.queue.views.mobile.estimate_for_ticket",
        lambda ticket: TicketEstimate(position=1, expected_wait_minutes=0),
    )
    page = Client().get(f"/t/{ticket.token}/")
    assert "Forventet ventetid: ca. 0 min." in text_of(page)
