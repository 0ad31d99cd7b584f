"""The floor guide: staff at the entrance issue a number on a citizen's behalf, on a tablet.

A plain server-rendered form: the service (grouped by subject area), "urgent" for those who may
mark a case urgent (Capability.MANAGE_QUEUES), and a short note for the counter, which must not
hold a CPR number. The issued number is then shown large, with a print button.
"""

from __future__ import annotations

from typing import Any, cast

import segno
from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from skranke.access.permissions import Capability, has_capability, requires
from skranke.catalogue.models import Service, SubjectArea
from skranke.lib.validators import validate_no_cpr
from skranke.organisation.hours import centre_today
from skranke.organisation.models import Location
from skranke.queue import services
from skranke.queue.errors import IssueRefused
from skranke.queue.models import Priority, Source, Ticket
from skranke.queue.reads.estimates import estimate_for_ticket

NOTE_MAX_LENGTH = 200


def floor_location(request: HttpRequest, slug: str, **_kwargs: object) -> Location:
    return get_object_or_404(Location, slug=slug, active=True)


class IssueForm(forms.Form):
    service = forms.ModelChoiceField(
        queryset=Service.objects.none(),
        empty_label=None,
        error_messages={
            "required": gettext_lazy("Choose the service the citizen has come for."),
            "invalid_choice": gettext_lazy("Choose one of the services shown."),
        },
    )
    urgent = forms.BooleanField(required=False)
    note = forms.CharField(max_length=NOTE_MAX_LENGTH, required=False, validators=[validate_no_cpr])

    def __init__(self, offered: list[Service], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["service"])
        field.queryset = Service.objects.filter(pk__in=[service.pk for service in offered])


def _groups(offered: list[Service]) -> list[tuple[SubjectArea, list[Service]]]:
    groups: dict[int, tuple[SubjectArea, list[Service]]] = {}
    for service in offered:
        groups.setdefault(service.subject_area_id, (service.subject_area, []))[1].append(service)
    return list(groups.values())


@require_http_methods(["GET", "HEAD", "POST"])
@requires(Capability.ISSUE_TICKET_FOR_CITIZEN, location_from=floor_location)
def start(request: HttpRequest, slug: str) -> HttpResponse:
    """The form; a POST issues the number and shows it, or says plainly why not."""
    location = floor_location(request, slug)
    offered = services.drawable_services(location)
    may_mark_urgent = has_capability(request, Capability.MANAGE_QUEUES, location)
    form = IssueForm(offered, request.POST if request.method == "POST" else None)
    refusal: IssueRefused | None = None
    status = 200
    if form.is_bound:
        status = 400
        if form.is_valid() and form.cleaned_data["urgent"] and not may_mark_urgent:
            form.add_error("urgent", _("Only team leads and managers may mark a case urgent."))
            status = 403
        if form.is_valid():
            urgent = bool(form.cleaned_data["urgent"])
            try:
                ticket = services.issue_ticket(
                    location,
                    form.cleaned_data["service"],
                    source=Source.FLOOR_GUIDE,
                    priority=Priority.URGENT if urgent else Priority.NORMAL,
                    note=form.cleaned_data["note"],
                    staff=request.user,
                )
            except IssueRefused as refused:
                refusal = refused
                status = 409
            else:
                return redirect("queue:floor-number", slug=location.slug, token=ticket.token)
    chosen = str(form.data.get("service", "")) if form.is_bound else ""
    return render(
        request,
        "queue/floor/start.html",
        {
            "location": location,
            "today": centre_today(location, timezone.now()),
            "form": form,
            "groups": _groups(offered),
            "chosen": chosen,
            "may_mark_urgent": may_mark_urgent,
            "refusal": refusal,
            "note_max_length": NOTE_MAX_LENGTH,
        },
        status=status,
    )


@require_safe
@requires(Capability.ISSUE_TICKET_FOR_CITIZEN, location_from=floor_location)
def number(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """The number just issued, large, with the place in line and a print button."""
    location = floor_location(request, slug)
    ticket = get_object_or_404(
        Ticket.objects.select_related("queue", "service"), token=token, location=location
    )
    estimate = estimate_for_ticket(ticket)
    mobile_url = request.build_absolute_uri(reverse("queue:mobile", args=[ticket.token]))
    return render(
        request,
        "queue/floor/number.html",
        {
            "location": location,
            "ticket": ticket,
            "ahead": (estimate.position - 1) if estimate.position else None,
            "expected_wait": estimate.expected_wait_minutes,
            "qr_code": segno.make(mobile_url, error="m").svg_data_uri(scale=4, border=2),
        },
    )
