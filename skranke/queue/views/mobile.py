"""The citizen's own number on their phone: no app, no login, no personal data.

The address holds only the ticket's unguessable token. The page is complete without a script;
a script keeps it up to date from the ticket's live stream and tells the citizen when it is
their turn. A citizen may leave a phone number for one SMS when their turn is near
(skranke.queue.services.notices); the page only ever shows its last two digits, and the number
is never part of an address.
"""

from __future__ import annotations

import contextlib

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from skranke.access.ratelimit import rate_limit
from skranke.queue import services
from skranke.queue.errors import IllegalTransition
from skranke.queue.models import CancelReason, Ticket
from skranke.queue.reads.estimates import estimate_for_ticket
from skranke.queue.services import notices


def _ticket(token: str) -> Ticket:
    return get_object_or_404(
        Ticket.objects.select_related("location", "queue", "service", "counter"), token=token
    )


class NoticeForm(forms.Form):
    """The phone number for the SMS notice; never shown back, not even when refused."""

    phone = forms.CharField(label=_("Mobile number"), max_length=32)

    def clean_phone(self) -> str:
        return notices.clean_phone(self.cleaned_data["phone"])


@require_safe
@rate_limit("mobile-ticket")
def ticket_page(request: HttpRequest, token: str) -> HttpResponse:
    return _page(request, _ticket(token))


def _page(
    request: HttpRequest,
    ticket: Ticket,
    *,
    sms_error: str = "",
    sms_refusal: str = "",
    status: int = 200,
) -> HttpResponse:
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
            "stream_url": reverse("api:ticket_events", args=[ticket.token]),
            "sms_places_ahead": settings.SKRANKE_SMS_NOTICE_PLACES_AHEAD,
            "sms_masked_phone": notices.masked_phone(ticket),
            "sms_last_digits": ticket.notify_phone[-2:],
            "sms_error": sms_error,
            "sms_refusal": sms_refusal,
        },
        status=status,
    )
    # The page is personal to whoever holds the link; keep it out of shared caches, and its
    # address out of other sites' logs. "same-origin" rather than "no-referrer": under
    # no-referrer browsers send `Origin: null` with the page's own form posts (cancel, the
    # language buttons), which Django's CSRF check rightly refuses.
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "same-origin"
    return response


@require_POST
@rate_limit("mobile-ticket")
def cancel(request: HttpRequest, token: str) -> HttpResponse:
    ticket = _ticket(token)
    # Already called or ended: the page then shows the state as it is.
    with contextlib.suppress(IllegalTransition):
        services.cancel(ticket, CancelReason.CITIZEN)
    return redirect("queue:mobile", token=token)


# GET only redirects: the language switch and a reload come back to this address after a refusal.
@require_http_methods(["GET", "HEAD", "POST"])
@rate_limit("mobile-ticket")
def sms_opt_in(request: HttpRequest, token: str) -> HttpResponse:
    """Keep the citizen's phone number for the SMS notice. A refused number re-renders the page
    with the reason (400); a ticket no longer waiting, or already notified, says so (409)."""
    ticket = _ticket(token)
    if request.method != "POST":
        return redirect("queue:mobile", token=token)
    form = NoticeForm(request.POST)
    if not form.is_valid():
        return _page(
            request,
            ticket,
            sms_error=" ".join(str(error) for error in form.errors["phone"]),
            status=400,
        )
    try:
        notices.opt_in(ticket, form.cleaned_data["phone"], translation.get_language())
    except notices.NoticeRefused as refused:
        ticket.refresh_from_db()
        return _page(request, ticket, sms_refusal=refused.message, status=409)
    except ValidationError as error:
        return _page(request, ticket, sms_error=notices.phone_error(error), status=400)
    return redirect("queue:mobile", token=token)


@require_POST
@rate_limit("mobile-ticket")
def sms_withdraw(request: HttpRequest, token: str) -> HttpResponse:
    """Forget the citizen's phone number; no SMS is sent after this."""
    notices.withdraw(_ticket(token))
    return redirect("queue:mobile", token=token)
