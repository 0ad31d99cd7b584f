"""The start page: the municipality's centres and where to go next."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from skranke.organisation.hours import centre_today
from skranke.organisation.models import Location


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    centres = [centre_today(location, now) for location in Location.objects.filter(active=True)]
    return render(request, "core/home.html", {"centres": centres, "now": now})
