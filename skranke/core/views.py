"""The start page (the municipality's centres and where to go next) and the staff sign-in."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_safe

from skranke.access.permissions import staff_role
from skranke.organisation.hours import centre_today
from skranke.organisation.models import Location


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    centres = [centre_today(location, now) for location in Location.objects.filter(active=True)]
    return render(request, "core/home.html", {"centres": centres, "now": now})


def staff_login(request: HttpRequest) -> HttpResponse:
    """The admin's login page, landing on the staff home when no page to return to is given.

    Signed-in staff who open it go straight on (to the page asked for, else the home).
    """
    target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME)
    if request.method == "GET" and staff_role(request.user) is not None:
        safe = target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        return redirect(target if safe else "reports:home")
    if not target:
        query = request.GET.copy()
        query[REDIRECT_FIELD_NAME] = reverse("reports:home")
        request.GET = query
    return admin.site.login(request)
