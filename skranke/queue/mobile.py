"""The citizen's own number on their phone: no app, no login, no personal data.

The address holds only the ticket's unguessable token. The page is complete without a script;
a script keeps it up to date from the ticket's live stream and tells the citizen when it is
their turn.
"""

from __future__ import annotations

import contextlib

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from skranke.access.ratelimit import rate_limit
from skranke.queue import services
from skranke.queue.errors import IllegalTransition
from skranke.queue.estimates import estimate_for_ticket
from skranke.queue.models import CancelReason, Ticket


def _ticket(token: str) -> Ticket:
    return get_object_or_404(
        Ticket.objects.select_related("location", "queue", "service", "counter"), token=token
    )


@require_safe
@rate_limit("mobile-ticket")
def ticket_page(request: HttpRequest, token: str) -> HttpResponse:
    ticket = _ticket(token)
    estimate = estimate_for_ticket(ticket)
    state_url = reverse("api:ticket", args=[ticket.token])
    response = render(
        request,
        "queue/mobile/ticket.html",
        {
            "ticket": ticket,
            "location": ticket.location,
            "position": estimate.position,
            "expected_wait": estimate.expected_wait_minutes,
            "state_url": state_url,
            "stream_url": f"{state_url}/events",
        },
    )
    # The page is personal to whoever holds the link; keep it out of shared caches.
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_POST
@rate_limit("mobile-ticket")
def cancel(request: HttpRequest, token: str) -> HttpResponse:
    ticket = _ticket(token)
    # Already called or ended: the page then shows the state as it is.
    with contextlib.suppress(IllegalTransition):
        services.cancel(ticket, CancelReason.CITIZEN)
    return redirect("queue:mobile", token=token)
