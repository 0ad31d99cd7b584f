"""Helpers of the counter page's tests: addresses, forms and a citizen called to counter 1."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import Client

from skranke.catalogue.models import Queue
from skranke.queue import services
from skranke.queue.models import (
    CounterSession,
    Ticket,
)
from skranke.queue.tests.factories import (
    Centre,
    issue,
)

CPR_NOTE = "Borgerens CPR er 010190-1234"
HTMX = {"HTTP_HX_REQUEST": "true"}


def english(client: Client) -> Client:
    # The pages speak Danish unless English is chosen; the messages checked here are the
    # English source texts, which stay put when the Danish catalogue changes.
    client.cookies["skranke_language"] = "en"
    return client


def open_form(centre: Centre, index: int = 0, queues: list[Queue] | None = None) -> dict[str, Any]:
    chosen = queues if queues is not None else [centre.passports, centre.general]
    return {
        "location": centre.location.pk,
        "counter": centre.counters[index].pk,
        "queues": [queue.pk for queue in chosen],
        "longest_waiting_first": "on",
    }


def opened(centre: Centre, staff: User, index: int = 0) -> CounterSession:
    queues = [centre.passports, centre.general]
    return services.open_counter(centre.counters[index], staff, queues)


def url(centre: Centre, action: str = "", index: int = 0) -> str:
    base = f"/counter/{centre.counters[index].pk}/"
    return f"{base}{action}/" if action else base


def ticket_url(centre: Centre, ticket: Ticket, action: str, index: int = 0) -> str:
    return f"{url(centre, index=index)}tickets/{ticket.pk}/{action}/"


def alert_of(response: HttpResponse) -> str:
    """Return the text of the page's alert region (empty when there is none)."""
    html = response.content.decode()
    marker = 'role="alert">'
    if marker not in html:
        return ""
    return html.split(marker, 1)[1].split("</div>", 1)[0]


def called(centre: Centre, staff: User, client: Client) -> Ticket:
    """Open counter 1 for ``staff``, issue a passport number and call it there."""
    session = opened(centre, staff)
    ticket = issue(centre)
    services.call_ticket(session, ticket, staff)
    ticket.refresh_from_db()
    return ticket
