"""What the counter page shows, and how it finds the counter, session and ticket."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from skranke.access.permissions import Capability, has_capability
from skranke.catalogue.models import Queue, QueueKind, SubjectArea
from skranke.lib.localtime import local_date
from skranke.organisation.models import Counter, Location
from skranke.queue import services
from skranke.queue.errors import IllegalTransition, NotYours
from skranke.queue.live.hub import PUBLIC_KINDS
from skranke.queue.models import (
    AT_COUNTER,
    Actor,
    CounterSession,
    Outcome,
    ReferredTo,
    Ticket,
    TicketStatus,
)
from skranke.queue.reads.waiting import NOBODY, waiting_in_queues
from skranke.queue.views.counter.forms import (
    NEXT_NUMBERS_SHOWN,
    OUTCOME_KEYS,
    CallNumberForm,
    FinishForm,
    NoteForm,
    TransferForm,
)


class Refusal(Exception):
    """A request the page refuses; ``message`` goes to the alert region with ``status``."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


# Looking things up ------------------------------------------------------------------------------


def counter_or_404(counter_id: int) -> Counter:
    return get_object_or_404(Counter.objects.select_related("location"), pk=counter_id)


def counter_location(request: HttpRequest, counter_id: int, **_kwargs: object) -> Location:
    return counter_or_404(counter_id).location


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def my_session(request: HttpRequest, counter: Counter) -> CounterSession:
    """Return the signed-in staff member's open session at ``counter`` (services.session_at).

    Raises Refusal (409) when the counter is not open, (403) when it is open for someone else.
    """
    try:
        return services.session_at(counter, request.user)
    except NotYours as refusal:
        raise Refusal(refusal.message, status=403) from None
    except IllegalTransition as refusal:
        raise Refusal(refusal.message) from None


def ticket_here(counter: Counter, ticket_id: int) -> Ticket:
    """Return the ticket at ``counter``'s centre; Http404 for unknown numbers and others'."""
    return get_object_or_404(
        Ticket.objects.select_related("service", "service__subject_area", "queue", "location"),
        pk=ticket_id,
        location=counter.location_id,
    )


def check_at_counter(counter: Counter, ticket: Ticket) -> None:
    """Raise Refusal unless ``ticket`` is the one at ``counter``."""
    if ticket.counter_id != counter.pk or ticket.status not in AT_COUNTER:
        raise Refusal(_("Number %(number)s is not at your counter.") % {"number": ticket})


def _current_ticket(counter: Counter) -> Ticket | None:
    return (
        Ticket.objects.filter(counter=counter, status__in=AT_COUNTER)
        .select_related("service", "service__subject_area", "queue", "location")
        .first()
    )


def served_locations(request: HttpRequest) -> list[Location]:
    return [
        location
        for location in Location.objects.filter(active=True)
        if has_capability(request, Capability.SERVE_AT_COUNTER, location)
    ]


# What the page shows ----------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    queue: Queue
    waiting: int
    longest_wait_minutes: int | None
    next_numbers: list[str]


def queue_rows(session: CounterSession, now: dt.datetime) -> list[QueueRow]:
    """Return the session's queues with their waiting citizens, in the order they are served."""
    queues = list(session.queues.order_by("sort_order", "prefix"))
    waiting = waiting_in_queues([queue.pk for queue in queues], now)
    rows = []
    for queue in queues:
        line = waiting.get(queue.pk, NOBODY)
        next_numbers = (
            Ticket.objects.waiting()
            .filter(queue=queue)
            .in_call_order(now)
            .values_list("display_number", flat=True)
        )
        rows.append(
            QueueRow(
                queue=queue,
                waiting=line.count,
                longest_wait_minutes=line.longest_wait_minutes,
                next_numbers=list(next_numbers[:NEXT_NUMBERS_SHOWN]),
            )
        )
    return rows


def _near_this_counter(session: CounterSession) -> Q:
    # The numbers this counter looks after: those in the queues it serves and those it set aside.
    return Q(queue__in=session.queues.all()) | Q(last_counter=session.counter_id)


def parked_tickets(session: CounterSession) -> QuerySet[Ticket]:
    return (
        Ticket.objects.filter(location=session.counter.location_id, status=TicketStatus.PARKED)
        .filter(_near_this_counter(session))
        .select_related("service")
        .distinct()
        .order_by("waiting_since")
    )


def todays_no_shows(session: CounterSession, today: dt.date) -> QuerySet[Ticket]:
    return (
        Ticket.objects.filter(
            location=session.counter.location_id, status=TicketStatus.NO_SHOW, issue_date=today
        )
        .filter(_near_this_counter(session))
        .select_related("service")
        .distinct()
        .order_by("-ended_at")
    )


def served_today(staff: Actor, today: dt.date) -> int:
    """Return how many visits ``staff`` finished today."""
    return Ticket.objects.filter(
        served_by=staff.pk if staff else None, status=TicketStatus.FINISHED, issue_date=today
    ).count()


def panel_context(session: CounterSession) -> dict[str, Any]:
    now = timezone.now()
    rows = queue_rows(session, now)
    return {
        "session": session,
        "counter": session.counter,
        "queue_rows": rows,
        "waiting_total": sum(row.waiting for row in rows),
        "parked": list(parked_tickets(session)),
        "no_shows": list(todays_no_shows(session, local_date(now))),
    }


def _transfer_groups(form: TransferForm) -> list[tuple[str, list[Queue]]]:
    queues = list(form.queues)
    return [
        (str(label), [queue for queue in queues if queue.kind == kind])
        for kind, label in QueueKind.choices
        if any(queue.kind == kind for queue in queues)
    ]


def _working_context(
    request: HttpRequest,
    session: CounterSession,
    *,
    alert: str = "",
    notice: str = "",
    bound: dict[str, forms.Form] | None = None,
) -> dict[str, Any]:
    """Return what the working area needs; ``bound`` holds forms that came back with errors."""
    bound = bound or {}
    counter = session.counter
    ticket = _current_ticket(counter)
    context = panel_context(session)
    context.update(
        location=counter.location,
        alert=alert,
        notice=notice,
        ticket=ticket,
        served_today=served_today(request.user, local_date(timezone.now())),
        call_form=bound.get("call", CallNumberForm()),
        outcome_keys=[
            (value, label, OUTCOME_KEYS[Outcome(value)]) for value, label in Outcome.choices
        ],
        referral_choices=ReferredTo.choices,
    )
    if ticket is not None:
        transfer_form = bound.get("transfer") or TransferForm(ticket)
        assert isinstance(transfer_form, TransferForm)
        context.update(
            no_show_allowed=(
                ticket.status == TicketStatus.CALLED
                and ticket.recall_count >= settings.SKRANKE_NO_SHOW_AFTER_RECALLS
            ),
            recalls_needed=settings.SKRANKE_NO_SHOW_AFTER_RECALLS,
            transfer_form=transfer_form,
            transfer_groups=_transfer_groups(transfer_form),
            note_form=bound.get("note", NoteForm(initial={"note": ticket.note})),
            finish_form=bound.get("finish") or FinishForm(ticket),
            subject_areas=SubjectArea.objects.filter(
                Q(active=True) | Q(pk=ticket.service.subject_area_id)
            ),
        )
    return context


def _page_context(request: HttpRequest, session: CounterSession, **extra: Any) -> dict[str, Any]:
    context = _working_context(request, session, **extra)
    context.update(
        events_url=reverse("api:location_events", args=[session.counter.location.slug]),
        event_kinds=" ".join(PUBLIC_KINDS),
        login_url=reverse(settings.LOGIN_URL),
    )
    return context


def render_working_page(
    request: HttpRequest, session: CounterSession, *, status: int = 200, **extra: Any
) -> HttpResponse:
    """Answer with the working area (htmx, always 200) or the whole page (with ``status``)."""
    if is_htmx(request):
        return render(
            request,
            "queue/counter/workspace_response.html",
            _working_context(request, session, **extra),
        )
    return render(
        request,
        "queue/counter/counter.html",
        _page_context(request, session, **extra),
        status=status,
    )
