"""The start page (the municipality's centres and where to go next) and the accessibility
statement every citizen page links to."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from skranke.organisation.hours import centre_today
from skranke.organisation.models import AccessibilityStatement, Location


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    centres = [centre_today(location, now) for location in Location.objects.filter(active=True)]
    return render(request, "core/home.html", {"centres": centres, "now": now})


@require_safe
def accessibility_statement(request: HttpRequest) -> HttpResponse:
    """The administrator's statement in the reader's language, or Skranke's own when none."""
    statement = AccessibilityStatement.objects.first()
    return render(
        request,
        "core/accessibility.html",
        {
            "statement": statement,
            "text": statement.display_text(get_language()) if statement else "",
        },
    )
