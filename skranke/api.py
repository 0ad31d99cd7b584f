"""The JSON API at /api/v1/, documented at /api/v1/openapi.json and /api/v1/docs."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI

from skranke.access.api import router as device_router
from skranke.access.api import staff_router
from skranke.access.permissions import NotSignedIn
from skranke.organisation.api import router as organisation_router

api = NinjaAPI(
    title="Skranke API",
    version="1",
    description="Queues, appointments and contacts for a Danish citizen service centre.",
    urls_namespace="api",
)
api.add_router("/locations", organisation_router)
api.add_router("/devices", device_router)
api.add_router("/me", staff_router)


@api.exception_handler(NotSignedIn)
def not_signed_in(request: HttpRequest, error: NotSignedIn) -> HttpResponse:
    return api.create_response(request, {"detail": _("Sign in first.")}, status=401)


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, error: PermissionDenied) -> HttpResponse:
    detail = str(error) or _("You do not have access to this.")
    return api.create_response(request, {"detail": detail}, status=403)
