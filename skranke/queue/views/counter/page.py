"""The counter page: a staff member opens a counter and serves citizens from it.

`/counter/` lists the counters at the staff member's centres and opens one, serving the queues
their teams cover (services.default_queues), which they may change, and counting its visits under
one of their teams (services.default_team unless they choose another). `/counter/<id>/` is the
working page: call next or a given number, recall, no-show, park, transfer, finish, and the queues
with their waiting citizens, the parked numbers and today's no-shows.

Every action is a plain form POST answered with a redirect back to the page, so the page works
without a script. With htmx the same forms post in the background (the request carries
`HX-Request`) and the answer is the page's working area, swapped in place, with the outcome in
the page's status or alert region. A refusal (QueueError) or a form error answers a plain POST
with the page and its 4xx status; an htmx POST gets the same content with 200, because htmx swaps
only 2xx answers and browsers log every 4xx as a console error. counter.js adds the keyboard
shortcuts and refreshes the queue panel on every live event at the centre.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from skranke.access.permissions import Capability, has_capability, requires
from skranke.catalogue.models import Queue
from skranke.lib.ids import parse_id
from skranke.lib.localtime import local_date
from skranke.organisation.models import Counter, Location, Team
from skranke.queue import services
from skranke.queue.errors import NotYours, QueueError
from skranke.queue.models import (
    CounterSession,
    Outcome,
    Ticket,
)
from skranke.queue.views.counter.context import (
    Refusal,
    check_at_counter,
    counter_location,
    counter_or_404,
    is_htmx,
    my_session,
    panel_context,
    render_working_page,
    served_locations,
    ticket_here,
)
from skranke.queue.views.counter.forms import (
    CallNumberForm,
    FinishForm,
    NoteForm,
    OpenCounterForm,
    TransferForm,
)

# Choosing and opening a counter -----------------------------------------------------------------


@dataclass(frozen=True)
class CounterChoice:
    counter: Counter
    holder: Any  # the staff member who has it open, or None
    mine: bool


@dataclass
class CentreForm:
    location: Location
    form: OpenCounterForm
    counters: list[CounterChoice]
    queues: list[Queue]
    chosen_counter: str
    chosen_queues: set[str]
    longest_waiting_first: bool
    teams: list[Team]
    chosen_team: str


def _centre_form(
    request: HttpRequest,
    location: Location,
    form: OpenCounterForm | None,
    only: Counter | None,
) -> CentreForm | None:
    counters = list(location.counters.filter(active=True).order_by("number"))
    if only is not None:
        counters = [counter for counter in counters if counter.pk == only.pk]
    if not counters:
        return None
    holders = {
        session.counter_id: session.staff
        for session in CounterSession.objects.filter(
            counter__in=counters, closed_at__isnull=True
        ).select_related("staff")
    }
    if form is not None and form.is_bound:
        chosen_counter = str(form.data.get("counter", ""))
        chosen_queues = {str(value) for value in cast(QueryDict, form.data).getlist("queues")}
        longest_first = bool(form.data.get("longest_waiting_first"))
        chosen_team = str(form.data.get("team", ""))
    else:
        form = OpenCounterForm(location)
        chosen_counter = str(only.pk) if only else _last_free_counter(request, counters, holders)
        chosen_queues = {
            str(queue.pk) for queue in services.default_queues(request.user, counters[0])
        }
        longest_first = True
        default = services.default_team(request.user)
        chosen_team = str(default.pk) if default is not None else ""
    return CentreForm(
        location=location,
        form=form,
        counters=[
            CounterChoice(
                counter,
                holders.get(counter.pk),
                getattr(holders.get(counter.pk), "pk", None) == request.user.pk,
            )
            for counter in counters
        ],
        queues=list(location.queues.filter(active=True).order_by("kind", "sort_order", "prefix")),
        chosen_counter=chosen_counter,
        chosen_queues=chosen_queues,
        longest_waiting_first=longest_first,
        teams=services.staff_teams(request.user),
        chosen_team=chosen_team,
    )


def _last_free_counter(
    request: HttpRequest, counters: list[Counter], holders: dict[int, Any]
) -> str:
    """Return the id of the free counter this person opened last (most sit at the same one)."""
    last = (
        CounterSession.objects.filter(staff=request.user.pk, counter__in=counters)
        .order_by("-opened_at")
        .values_list("counter_id", flat=True)
        .first()
    )
    return str(last) if last is not None and last not in holders else ""


def _choose_page(
    request: HttpRequest,
    *,
    only: Counter | None = None,
    bound: OpenCounterForm | None = None,
    alert: str = "",
    status: int = 200,
) -> HttpResponse:
    locations = [only.location] if only else served_locations(request)
    centres = []
    for location in locations:
        form = bound if bound is not None and bound.location.pk == location.pk else None
        centre = _centre_form(request, location, form, only)
        if centre is not None:
            centres.append(centre)
    mine = (
        CounterSession.objects.filter(staff=request.user.pk, closed_at__isnull=True)
        .select_related("counter", "counter__location")
        .first()
    )
    return render(
        request,
        "queue/counter/choose.html",
        {"centres": centres, "my_session": mine, "alert": alert, "only": only},
        status=status,
    )


@require_safe
@requires(Capability.SERVE_AT_COUNTER)
def choose(request: HttpRequest) -> HttpResponse:
    """The counters at the staff member's centres, to open one."""
    return _choose_page(request)


@require_POST
@requires(Capability.SERVE_AT_COUNTER)
def open_chosen_counter(request: HttpRequest) -> HttpResponse:
    """Open the chosen counter serving the chosen queues, then go to its working page."""
    raw_location = request.POST.get("location", "")
    location = Location.objects.filter(pk=parse_id(raw_location) or 0, active=True).first()
    if location is None:
        raise Http404(_("No such centre."))
    if not has_capability(request, Capability.SERVE_AT_COUNTER, location):
        raise PermissionDenied(_("You do not have access to this."))
    form = OpenCounterForm(location, request.POST, teams=services.staff_teams(request.user))
    if not form.is_valid():
        return _choose_page(request, bound=form, status=400)
    counter = form.cleaned_data["counter"]
    try:
        session = services.open_counter(
            counter,
            request.user,
            list(form.cleaned_data["queues"]),
            team=form.cleaned_data["team"],
            longest_waiting_first=form.cleaned_data["longest_waiting_first"],
        )
    except QueueError as refusal:
        return _choose_page(request, bound=form, alert=refusal.message, status=409)
    messages.success(request, _("Counter %(number)s is open.") % {"number": counter.number})
    return redirect("queue:counter", counter_id=session.counter_id)


# The working page -------------------------------------------------------------------------------


@require_safe
@requires(Capability.SERVE_AT_COUNTER, location_from=counter_location)
def working_page(request: HttpRequest, counter_id: int) -> HttpResponse:
    """The counter's working page; a counter not open yet offers to open it."""
    counter = counter_or_404(counter_id)
    session = services.open_session(counter)
    if session is None:
        return _choose_page(request, only=counter)
    if session.staff_id != request.user.pk:
        return render(request, "queue/counter/taken.html", {"counter": counter, "session": session})
    return render_working_page(request, session)


@require_safe
@requires(Capability.SERVE_AT_COUNTER, location_from=counter_location)
def queue_panel(request: HttpRequest, counter_id: int) -> HttpResponse:
    """The queue panel alone, which the page refreshes on every live event."""
    counter = counter_or_404(counter_id)
    try:
        session = my_session(request, counter)
    except Refusal as refusal:
        return render(request, "queue/counter/panel_closed.html", {"message": refusal.message})
    return render(request, "queue/counter/_queue_panel.html", panel_context(session))


Action = Callable[[HttpRequest, Counter, CounterSession], str]


def _act(request: HttpRequest, counter_id: int, action: Action) -> HttpResponse:
    """Run ``action`` at the staff member's counter and answer with the page.

    ``action`` returns the message for the status region, or raises Refusal, QueueError or
    _FormErrors, which the page shows in its alert region or beside the form.
    """
    counter = counter_or_404(counter_id)
    try:
        session = my_session(request, counter)
    except Refusal as refusal:
        return _refused_without_session(request, counter, refusal)
    try:
        message = action(request, counter, session)
    except _FormErrors as invalid:
        alert = _("Please correct the marked field.")
        return render_working_page(
            request, session, status=invalid.status, alert=alert, bound=invalid.forms
        )
    except Refusal as refusal:
        return render_working_page(request, session, status=refusal.status, alert=refusal.message)
    except QueueError as refusal:
        status = 403 if isinstance(refusal, NotYours) else 409
        return render_working_page(request, session, status=status, alert=refusal.message)
    if is_htmx(request):
        return render_working_page(request, session, notice=message)
    messages.success(request, message)
    return redirect("queue:counter", counter_id=counter.pk)


def _refused_without_session(
    request: HttpRequest, counter: Counter, refusal: Refusal
) -> HttpResponse:
    # Without a session of one's own there is no working area to show the refusal in.
    response = render(
        request,
        "queue/counter/refused.html",
        {"counter": counter, "message": refusal.message},
        status=refusal.status,
    )
    if is_htmx(request):
        # The working area belongs to a session that ended (e.g. closed in another tab):
        # load the whole page again, which shows what is true now.
        response.status_code = 200
        response["HX-Redirect"] = reverse("queue:counter", args=[counter.pk])
    return response


class _FormErrors(Exception):
    """A form came back with errors; ``forms`` are shown again with them."""

    def __init__(self, status: int = 400, **bound: forms.Form) -> None:
        super().__init__("form errors")
        self.status = status
        self.forms = bound


def counter_action(function: Action) -> Callable[[HttpRequest, int], HttpResponse]:
    """Make a counter view of ``function``: POST only, staff at the counter's centre."""

    @require_POST
    @requires(Capability.SERVE_AT_COUNTER, location_from=counter_location)
    def view(request: HttpRequest, counter_id: int) -> HttpResponse:
        return _act(request, counter_id, function)

    view.__name__ = function.__name__
    view.__doc__ = function.__doc__
    return view


# The counter's own state ------------------------------------------------------------------------


@counter_action
def pause(request: HttpRequest, counter: Counter, session: CounterSession) -> str:
    services.pause_counter(session, request.user)
    return _("The counter is paused; nobody is called to it.")


@counter_action
def resume_paused_counter(request: HttpRequest, counter: Counter, session: CounterSession) -> str:
    services.resume_counter(session, request.user)
    return _("The counter is open again.")


@require_POST
@requires(Capability.SERVE_AT_COUNTER, location_from=counter_location)
def close(request: HttpRequest, counter_id: int) -> HttpResponse:
    """Close the counter and go back to the list of counters."""
    counter = counter_or_404(counter_id)
    try:
        session = my_session(request, counter)
    except Refusal as refusal:
        return _refused_without_session(request, counter, refusal)
    try:
        services.close_counter(session, request.user)
    except QueueError as refusal:
        status = 403 if isinstance(refusal, NotYours) else 409
        return render_working_page(request, session, status=status, alert=refusal.message)
    messages.success(request, _("Counter %(number)s is closed.") % {"number": counter.number})
    if is_htmx(request):
        response = HttpResponse()
        response["HX-Redirect"] = reverse("queue:counter-choose")
        return response
    return redirect("queue:counter-choose")


# Calling ----------------------------------------------------------------------------------------


@counter_action
def call_next(request: HttpRequest, counter: Counter, session: CounterSession) -> str:
    ticket = services.call_next(session, request.user)
    if ticket is None:
        return _("Nobody is waiting in your queues.")
    return _("Called %(number)s to counter %(counter)s.") % {
        "number": ticket.display_number,
        "counter": counter.number,
    }


@counter_action
def call_number(request: HttpRequest, counter: Counter, session: CounterSession) -> str:
    form = CallNumberForm(request.POST)
    if not form.is_valid():
        raise _FormErrors(call=form)
    number = form.cleaned_data["number"]
    ticket = services.find_ticket(counter.location, number, local_date(timezone.now()))
    if ticket is None:
        form.add_error("number", _("There is no number %(number)s today.") % {"number": number})
        raise _FormErrors(status=404, call=form)
    services.call_ticket(session, ticket, request.user)
    return _("Called %(number)s to counter %(counter)s.") % {
        "number": ticket.display_number,
        "counter": counter.number,
    }


# The citizen at the counter ---------------------------------------------------------------------


def recall(request: HttpRequest, counter: Counter, session: CounterSession, ticket: Ticket) -> str:
    check_at_counter(counter, ticket)
    services.recall(ticket, request.user)
    return _("%(number)s is called again.") % {"number": ticket.display_number}


def no_show(request: HttpRequest, counter: Counter, session: CounterSession, ticket: Ticket) -> str:
    check_at_counter(counter, ticket)
    services.mark_no_show(ticket, request.user)
    return _("%(number)s did not show up.") % {"number": ticket.display_number}


def park(request: HttpRequest, counter: Counter, session: CounterSession, ticket: Ticket) -> str:
    check_at_counter(counter, ticket)
    services.park(ticket, request.user)
    return _("%(number)s is parked; the counter is free.") % {"number": ticket.display_number}


def transfer(
    request: HttpRequest, counter: Counter, session: CounterSession, ticket: Ticket
) -> str:
    check_at_counter(counter, ticket)
    form = TransferForm(ticket, request.POST)
    if not form.is_valid():
        raise _FormErrors(transfer=form)
    queue = form.cleaned_data["queue"]
    services.transfer(ticket, queue, request.user)
    return _("%(number)s now waits in %(queue)s.") % {
        "number": ticket.display_number,
        "queue": queue.display_name(),
    }


def note(request: HttpRequest, counter: Counter, session: CounterSession, ticket: Ticket) -> str:
    check_at_counter(counter, ticket)
    form = NoteForm(request.POST)
    if not form.is_valid():
        raise _FormErrors(note=form)
    services.save_note(ticket, request.user, form.cleaned_data["note"])
    return _("The note on %(number)s is saved.") % {"number": ticket.display_number}


def finish(request: HttpRequest, counter: Counter, session: CounterSession, ticket: Ticket) -> str:
    check_at_counter(counter, ticket)
    form = FinishForm(ticket, request.POST)
    if not form.is_valid():
        raise _FormErrors(finish=form)
    services.finish(
        ticket,
        request.user,
        outcome=Outcome(form.cleaned_data["outcome"]),
        subject_area=form.cleaned_data["subject_area"],
        referred_to=form.cleaned_data["referred_to"],
    )
    return _("%(number)s is finished.") % {"number": ticket.display_number}


# Parked numbers and no-shows --------------------------------------------------------------------


def call_back_parked(
    request: HttpRequest, counter: Counter, session: CounterSession, ticket: Ticket
) -> str:
    services.resume_parked_ticket(ticket, session, request.user)
    return _("%(number)s is called back to counter %(counter)s.") % {
        "number": ticket.display_number,
        "counter": counter.number,
    }


def reinstate(
    request: HttpRequest, counter: Counter, session: CounterSession, ticket: Ticket
) -> str:
    services.reinstate(ticket, request.user)
    return _("%(number)s is back in line.") % {"number": ticket.display_number}


TicketAction = Callable[[HttpRequest, Counter, CounterSession, Ticket], str]
TICKET_ACTIONS: dict[str, TicketAction] = {
    "recall": recall,
    "no-show": no_show,
    "park": park,
    "transfer": transfer,
    "note": note,
    "finish": finish,
    "resume": call_back_parked,
    "reinstate": reinstate,
}


@require_POST
@requires(Capability.SERVE_AT_COUNTER, location_from=counter_location)
def ticket_view(request: HttpRequest, counter_id: int, ticket_id: int, action: str) -> HttpResponse:
    """Do ``action`` (a key of TICKET_ACTIONS) to one number at the counter's centre."""
    function = TICKET_ACTIONS.get(action)
    if function is None:
        raise Http404(_("No such action."))

    def act(request: HttpRequest, counter: Counter, session: CounterSession) -> str:
        assert function is not None
        return function(request, counter, session, ticket_here(counter, ticket_id))

    return _act(request, counter_id, act)
