"""The admin site, whose login page is also the staff sign-in: without a page to return to it
lands on the staff home (reports.views.home), which sends counter staff on to their counter."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

from skranke.access.permissions import staff_role


class SkrankeAdminSite(admin.AdminSite):
    @method_decorator(never_cache)
    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The admin's login page, landing on the staff home when no page to return to is given.

        Signed-in staff who open it go straight on (to the page asked for, else the home).
        """
        target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME)
        if request.method == "GET" and staff_role(request.user) is not None:
            if target and url_has_allowed_host_and_scheme(
                target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                return redirect(target)
            return redirect("reports:home")
        if not target:
            query = request.GET.copy()
            query[REDIRECT_FIELD_NAME] = reverse("reports:home")
            request.GET = query  # type: ignore[assignment]
        return super().login(request, extra_context)
