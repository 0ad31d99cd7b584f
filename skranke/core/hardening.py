"""Refusals of hostile requests, in one place before any view, form or query sees them.

* Control characters in the address (C0 with NUL, DEL, C1), in the path or in a query
  parameter after decoding: 400. PostgreSQL cannot even compare text holding NUL, so without
  this every view that looks a path parameter up would need its own guard.
* A body sent to the JSON API (/api/…) that is not ``application/json``: 415. A browser sends
  ``text/plain`` and form bodies from any web site without asking (no CORS preflight), and the
  API would read them as JSON all the same.
* A state-changing request (POST, PUT, PATCH, DELETE …) from another web site, told by its
  ``Origin`` header (or, without one, ``Sec-Fetch-Site: cross-site``) not matching the request's
  own address or SKRANKE_CSRF_TRUSTED_ORIGINS: 403. The citizens' endpoints need no sign-in, so
  Django's CSRF check does not protect them; any page on the web could otherwise draw numbers
  in its visitors' names. A request with an ``Authorization`` header is let through: browsers
  do not send one to another site without a CORS preflight, which Skranke never allows, so it
  comes from an integration or a script, not a visitor's browser. Requests signed in by cookie
  (staff, paired devices) are refused from foreign origins too, as Django's CSRF check would.

The API answers ``{"detail": …}``; other addresses get a short page in the visitor's language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from skranke.lib.middleware import HybridMiddleware

API_PREFIX = "/api/"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
JSON_MEDIA_TYPE = "application/json"

_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# The refusal page shows only text and the site's style sheet; it is answered before the CSP
# middleware (further in), so it carries a policy of its own.
_REFUSAL_PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
# An HTML form without fields (and Django's test client, for a POST without data) sends a
# multipart body that holds nothing but its closing boundary: no body, in effect.
_EMPTY_MULTIPART_LIMIT = 200


class RequestGuardMiddleware(HybridMiddleware):
    """Answers a hostile request with 400, 403 or 415 (see the module docstring)."""

    def handle(self, request: HttpRequest) -> HttpResponseBase:
        return refusal(request) or self.get_response(request)

    async def ahandle(self, request: HttpRequest) -> HttpResponseBase:
        # Nothing here waits: the body (read only for a small multipart one) is already in
        # memory or a spooled file by the time the request reaches the middleware.
        return refusal(request) or await self.aget_response(request)


def refusal(request: HttpRequest) -> HttpResponse | None:
    """Return the answer refusing ``request``, or None when it may go on."""
    if _has_control_characters(request):
        return _refuse(
            request,
            400,
            _("Bad request"),
            _("The address holds characters that are not allowed in it."),
        )
    if request.method not in SAFE_METHODS and _from_foreign_site(request):
        return _refuse(
            request,
            403,
            _("Refused"),
            _("This request came from another web site, so it was refused."),
        )
    if request.path.startswith(API_PREFIX) and _has_body(request) and not _is_json(request):
        return _refuse(
            request,
            415,
            _("Unsupported media type"),
            _("Send the request body as JSON, with the header Content-Type: application/json."),
        )
    return None


def _has_control_characters(request: HttpRequest) -> bool:
    if _CONTROL_CHARACTER.search(request.path):
        return True
    return any(
        _CONTROL_CHARACTER.search(key) or any(_CONTROL_CHARACTER.search(v) for v in values)
        for key, values in request.GET.lists()
    )


def _from_foreign_site(request: HttpRequest) -> bool:
    if "Authorization" in request.headers:
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return request.headers.get("Sec-Fetch-Site", "").lower() == "cross-site"
    # Browsers send "null" from sandboxed frames, local files and some redirects: never ours.
    origin = origin.lower()
    own = f"{request.scheme}://{request.get_host()}".lower()
    return origin != own and not _trusted(origin, settings.CSRF_TRUSTED_ORIGINS)


def _trusted(origin: str, trusted_origins: Iterable[str]) -> bool:
    """Return True when ``origin`` is one of SKRANKE_CSRF_TRUSTED_ORIGINS; an entry such as
    ``https://*.example.dk`` trusts example.dk's subdomains, as Django's CSRF check does."""
    scheme, separator, host = origin.partition("://")
    for entry in trusted_origins:
        entry = entry.lower()
        if entry == origin:
            return True
        entry_scheme, _separator, entry_host = entry.partition("://")
        if separator and entry_host.startswith("*.") and entry_scheme == scheme:
            domain = entry_host[1:]  # ".example.dk"
            if host.endswith(domain) or host == domain[1:]:
                return True
    return False


def _media_type(request: HttpRequest) -> str:
    return request.headers.get("Content-Type", "").partition(";")[0].strip().lower()


def _is_json(request: HttpRequest) -> bool:
    return _media_type(request) == JSON_MEDIA_TYPE


def _has_body(request: HttpRequest) -> bool:
    length = request.headers.get("Content-Length", "").strip()
    if "Transfer-Encoding" not in request.headers and length in ("", "0"):
        return False
    small = length.isdigit() and int(length) <= _EMPTY_MULTIPART_LIMIT
    if small and _media_type(request) == "multipart/form-data":
        boundary = _boundary(request.headers.get("Content-Type", ""))
        return boundary is None or request.body.strip() != f"--{boundary}--".encode()
    return True


def _boundary(content_type: str) -> str | None:
    for parameter in content_type.split(";")[1:]:
        name, _equals, value = parameter.strip().partition("=")
        if name.lower() == "boundary":
            return value.strip('"')
    return None


def _refuse(request: HttpRequest, status: int, title: str, detail: str) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": detail}, status=status)
    # No request in the context: its context processors read the database, and this answer
    # may be given in the event loop (the async chain), where that is not allowed.
    page = render_to_string("core/refused.html", {"title": title, "detail": detail})
    response = HttpResponse(page, status=status)
    response["Content-Security-Policy"] = _REFUSAL_PAGE_POLICY
    return response
