from __future__ import annotations

from django.http import HttpRequest

from skranke.organisation.models import Municipality


def installation(request: HttpRequest) -> dict[str, object]:
    """Add the installation's municipality (or None before it is set up) to every template."""
    return {"municipality": Municipality.objects.first()}
