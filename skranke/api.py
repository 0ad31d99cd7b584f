"""The JSON API at /api/v1/, documented at /api/v1/openapi.json and /api/v1/docs."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, Throttled
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation

from skranke.access.api import router as device_router
from skranke.access.api import staff_router
from skranke.access.permissions import NotSignedIn
from skranke.access.ratelimit import AnonymousRateThrottle, too_many_requests_detail
from skranke.booking.api import router as booking_router
from skranke.booking.errors import (
    BadBookingInput,
    BookingError,
    BookingNotFound,
    BookingRefused,
    NotBookable,
)
from skranke.organisation.api import router as organisation_router
from skranke.queue.api import router as queue_router
from skranke.queue.errors import IssueRefused, NotYours, QueueError
from skranke.reports.api import router as reports_router

_WRITES = frozenset({"post", "put", "patch", "delete"})
# Refusals answered before any endpoint runs, with the methods they can answer (None: every
# one): skranke.core.hardening.RequestGuardMiddleware's, and ninja's 400 for a body it cannot
# parse. The document declares them for every operation, as a client can meet them anywhere.
REFUSED_BEFORE_ENDPOINTS: dict[int, tuple[str, frozenset[str] | None]] = {
    400: ("Control characters in the path or a query parameter, or a body that is not JSON", None),
    403: ("A write from another web site", _WRITES),
    415: ("A body that is not application/json", _WRITES),
}
_ERROR_OUT = {
    "properties": {"detail": {"title": "Detail", "type": "string"}},
    "required": ["detail"],
    "title": "ErrorOut",
    "type": "object",
}


class SkrankeAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        """Return "<app>_api_<function>": an app's API package, not the module inside it, names
        its operations, so moving an operation between the modules of skranke/queue/api/
        keeps its id (clients generated from the document use it)."""
        parts = operation.view_func.__module__.split(".")
        if "api" in parts:
            parts = parts[: parts.index("api") + 1]
        return "_".join([*parts, operation.view_func.__name__])

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        """Return the OpenAPI document with REFUSED_BEFORE_ENDPOINTS on every operation."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema.setdefault("components", {}).setdefault("schemas", {}).setdefault(
            "ErrorOut", _ERROR_OUT
        )
        content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        for operations in schema["paths"].values():
            for method, operation in operations.items():
                for status, (description, methods) in REFUSED_BEFORE_ENDPOINTS.items():
                    if methods is None or method in methods:
                        operation["responses"].setdefault(
                            status, {"description": description, "content": content}
                        )
        return schema


api = SkrankeAPI(
    title="Skranke API",
    version="1",
    description="Queues, appointments and contacts for a Danish citizen service centre.",
    urls_namespace="api",
    # Every endpoint is limited for anonymous callers (per device or client address), so a new
    # public endpoint is protected without remembering to; staff requests are not counted.
    throttle=[AnonymousRateThrottle()],
)
api.add_router("/locations", organisation_router)
api.add_router("/devices", device_router)
api.add_router("/me", staff_router)
api.add_router("/reports", reports_router)
api.add_router("", queue_router)
api.add_router("", booking_router)


class HealthOut(Schema):
    status: str


@api.get(
    "/health",
    response={200: HealthOut},
    summary="Whether this server process answers (for load balancers; reads no database)",
    tags=["health"],
    # A load balancer polls it from one address every few seconds: never rate limited.
    throttle=[],
)
def health(request: HttpRequest) -> HealthOut:
    # It touches nothing but the process itself, so it says the process is up (not that the
    # database is), and `make bench` compares the endpoints with it as the framework's limit.
    return HealthOut(status="ok")


@api.exception_handler(QueueError)
def refused(request: HttpRequest, error: QueueError) -> HttpResponse:
    body: dict[str, object] = {"detail": error.message, "code": error.code}
    if isinstance(error, IssueRefused) and error.next_opening is not None:
        body["next_opening"] = error.next_opening
    # Another employee's ticket or counter is a matter of who may act, not of its state.
    return api.create_response(request, body, status=403 if isinstance(error, NotYours) else 409)


# The booking engine's refusals (skranke.booking.errors): each class answers one status.
BOOKING_STATUS: dict[type[BookingError], int] = {
    NotBookable: 404,
    BookingNotFound: 404,
    BadBookingInput: 422,
    BookingRefused: 409,
}


@api.exception_handler(BookingError)
def booking_refused(request: HttpRequest, error: BookingError) -> HttpResponse:
    status = next((code for kind, code in BOOKING_STATUS.items() if isinstance(error, kind)), 409)
    body: dict[str, object] = {"detail": error.message, "code": error.code}
    if status == 409:
        body["next_free"] = [
            {"start": slot.start, "end": slot.end, "remaining": slot.remaining}
            for slot in error.next_free
        ]
    elif error.field is not None:
        body["field"] = error.field
    return api.create_response(request, body, status=status)


@api.exception_handler(NotSignedIn)
def not_signed_in(request: HttpRequest, error: NotSignedIn) -> HttpResponse:
    return api.create_response(request, {"detail": _("Sign in first.")}, status=401)


@api.exception_handler(AuthenticationError)
def not_authenticated(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    # A paired kiosk or screen calling a staff endpoint is signed in, just not as someone who
    # may do this: it is refused (403), as check_capability refuses it, not asked to sign in.
    if getattr(request, "device", None) is not None:
        return permission_denied(request, PermissionDenied())
    return not_signed_in(request, NotSignedIn())


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, error: PermissionDenied) -> HttpResponse:
    detail = str(error) or _("You do not have access to this.")
    return api.create_response(request, {"detail": detail}, status=403)


@api.exception_handler(Throttled)
def too_many_requests(request: HttpRequest, error: Throttled) -> HttpResponse:
    # ninja adds the Retry-After header from the throttle's wait() after this.
    detail = too_many_requests_detail(error.wait)
    return api.create_response(request, {"detail": detail}, status=429)
