"""Abuse limits for anonymous pages and API endpoints, counted in Django's cache.

Who is counted: a paired kiosk or screen (``request.device``, set by DeviceMiddleware) by its id,
so the kiosks of one centre behind one address do not share a budget; anyone else by client
address, an IPv6 address by its /64 network because one phone or household controls the whole
network. Signed-in staff are not limited here (their sign-in is guarded by django-axes).

How: a fixed window per scope and requester. The first request of a window creates a counter with
``cache.add`` and every request increments it. Redis increments atomically; the database cache
(the default, see settings) reads and writes, so concurrent requests may undercount a little.
That is acceptable for an abuse limit, which has to stop floods rather than count exactly.

Used by pages through the ``rate_limit`` decorator and by the JSON API through
``AnonymousRateThrottle`` (set once on the NinjaAPI in skranke/api.py). Both answer 429 with a
Retry-After header: a short page for browsers, ``{"detail": …}`` for the API.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import logging
import math
import re
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext, ngettext
from ninja.throttling import BaseThrottle

from skranke.lib.env import BadSetting

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# The seconds clock the windows are cut from; tests replace it to step into the next window.
clock: Callable[[], float] = time.time

_PERIODS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}
_RATE = re.compile(r"\s*(?P<count>\d+)\s*/\s*(?P<multiple>\d*)\s*(?P<unit>[a-z]+?)s?\s*")


@dataclass(frozen=True)
class Rate:
    """At most ``count`` requests per ``seconds``."""

    count: int
    seconds: int

    def __str__(self) -> str:
        return f"{self.count}/{self.seconds}s"


def parse_rate(text: str) -> Rate:
    """Return the Rate of text such as "60/min", "1000/day", "5/10s" or "100/hour".

    Units: s, sec, second, m, min, minute, h, hour, d, day (plural s allowed), optionally after a
    number of them. Raises ValueError for anything else, or a count or period of zero.
    """
    match = _RATE.fullmatch(text.lower())
    if match is None or match["unit"] not in _PERIODS:
        raise ValueError(f"{text!r} is not a rate such as 60/min, 1000/day or 5/10s")
    count = int(match["count"])
    seconds = int(match["multiple"] or 1) * _PERIODS[match["unit"]]
    if count < 1 or seconds < 1:
        raise ValueError(f"{text!r} allows nothing; the count and the period must be above zero")
    return Rate(count, seconds)


def check_rate_limit_settings() -> None:
    """Raise BadSetting, naming the variable, when SKRANKE_RATE_LIMIT_ANONYMOUS is unreadable.

    Called at start-up by skranke.audit's ready(): settings.py cannot import this module, since
    django-ninja reads the settings when it is imported.
    """
    value = settings.SKRANKE_RATE_LIMIT_ANONYMOUS
    try:
        parse_rate(value)
    except ValueError:
        raise BadSetting(
            f"SKRANKE_RATE_LIMIT_ANONYMOUS={value!r} is not a rate; use e.g. 60/min, "
            "1000/day or 5/10s"
        ) from None


# Client addresses -------------------------------------------------------------------------------
@functools.lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _parse_address(text: str) -> IPAddress | None:
    """Return the address in text ("192.0.2.1", "192.0.2.1:443", "[2001:db8::1]:443"), or None."""
    text = text.strip()
    candidates = [text]
    if text.startswith("[") and "]" in text:
        candidates.append(text[1 : text.index("]")])
    elif text.count(":") == 1:
        candidates.append(text.split(":", 1)[0])
    for candidate in candidates:
        try:
            address = ipaddress.ip_address(candidate)
        except ValueError:
            continue
        # An IPv4 client reached over an IPv6 socket is still that IPv4 client.
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            return address.ipv4_mapped
        return address
    return None


def _trusted(address: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    return any(address in network for network in networks)


def client_address(request: HttpRequest) -> str | None:
    """Return the address of the client that made ``request``, or None when it is unknown.

    That is REMOTE_ADDR, unless REMOTE_ADDR is one of SKRANKE_TRUSTED_PROXIES: then the
    X-Forwarded-For hops are read from the right, each appended by a trusted proxy, and the first
    address that is not itself a trusted proxy is the client. Hops a client wrote itself are never
    reached that way, so they cannot be used to pose as someone else. Also used by django-axes
    (AXES_CLIENT_IP_CALLABLE) and by the audit log.
    """
    remote = _parse_address(request.META.get("REMOTE_ADDR", ""))
    networks = _networks(tuple(settings.SKRANKE_TRUSTED_PROXIES))
    if remote is None or not _trusted(remote, networks):
        return None if remote is None else str(remote)
    client = remote
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed(hops):
        address = _parse_address(hop)
        if address is None:
            # A hop that is not an address: keep the last one a trusted proxy vouched for.
            break
        client = address
        if not _trusted(address, networks):
            break
    return str(client)


def requester_key(request: HttpRequest) -> str:
    """Return whom a request is counted against: a paired device, or a client address."""
    device = getattr(request, "device", None)
    if device is not None:
        return f"device:{device.pk}"
    address = client_address(request)
    if address is None:
        return "address:unknown"
    parsed = ipaddress.ip_address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        return f"network:{ipaddress.IPv6Network((parsed, 64), strict=False)}"
    return f"address:{parsed}"


# Counting ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RateLimitResult:
    """Whether a request may go ahead, and the seconds until its window starts afresh."""

    allowed: bool
    retry_after: int


_ALLOWED = RateLimitResult(allowed=True, retry_after=0)


@functools.cache
def _process_cache() -> BaseCache:
    return LocMemCache("skranke-rate-limits", {"MAX_ENTRIES": 10_000})


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _signed_in_staff(request: HttpRequest, in_event_loop: bool) -> bool:
    if in_event_loop:
        # request.user would query the database, which the event loop must not do; an API
        # request authenticated as a staff member carries that user as request.auth.
        return isinstance(getattr(request, "auth", None), AbstractBaseUser)
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


def _count(cache: BaseCache, key: str, rate: Rate) -> RateLimitResult:
    now = clock()
    window = int(now // rate.seconds)
    window_key = f"{key}:{window}"
    # A second longer than the window, so the counter never expires between add and incr.
    cache.add(window_key, 0, timeout=rate.seconds + 1)
    try:
        count = cache.incr(window_key)
    except ValueError:
        # It expired after all (a clock step, or the cache evicted it): start the window afresh.
        cache.set(window_key, 1, timeout=rate.seconds + 1)
        count = 1
    retry_after = max(1, math.ceil((window + 1) * rate.seconds - now))
    return RateLimitResult(allowed=count <= rate.count, retry_after=retry_after)


def check_rate_limit(
    request: HttpRequest, scope: str = "anonymous", rate: Rate | str | None = None
) -> RateLimitResult:
    """Count ``request`` against its requester's limit in ``scope`` and say whether it may go on.

    ``rate`` defaults to SKRANKE_RATE_LIMIT_ANONYMOUS. Signed-in staff, and every request while
    SKRANKE_RATE_LIMITS is off, are always allowed. Inside an event loop (django-ninja runs the
    throttles of async endpoints there) the database cache cannot be used, so those requests
    are counted in this process's memory. Should the cache fail, the request is allowed and the
    failure logged: an outage of the counter must not take the public pages down with it.
    """
    if not settings.SKRANKE_RATE_LIMITS_ENABLED:
        return _ALLOWED
    in_event_loop = _in_event_loop()
    if _signed_in_staff(request, in_event_loop):
        return _ALLOWED
    if rate is None:
        rate = settings.SKRANKE_RATE_LIMIT_ANONYMOUS
    if isinstance(rate, str):
        rate = parse_rate(rate)
    key = f"skranke:rate-limit:{scope}:{rate.count}/{rate.seconds}:{requester_key(request)}"
    cache = _process_cache() if in_event_loop else caches["default"]
    try:
        return _count(cache, key, rate)
    except Exception:
        logger.exception("rate limit not checked: the cache failed")
        return _ALLOWED


# Answers -----------------------------------------------------------------------------------------
def too_many_requests_detail(retry_after: float | None) -> str:
    """Return the sentence that tells a client it sent too many requests and how long to wait."""
    if retry_after is None:
        return gettext("Too many requests. Please wait a moment and try again.")
    seconds = max(1, math.ceil(retry_after))
    if seconds < 120:
        return ngettext(
            "Too many requests. Please wait %(count)d second and try again.",
            "Too many requests. Please wait %(count)d seconds and try again.",
            seconds,
        ) % {"count": seconds}
    minutes = math.ceil(seconds / 60)
    return ngettext(
        "Too many requests. Please wait %(count)d minute and try again.",
        "Too many requests. Please wait %(count)d minutes and try again.",
        minutes,
    ) % {"count": minutes}


def _wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return "json" in accept and "html" not in accept


def too_many_requests_response(request: HttpRequest, retry_after: int) -> HttpResponse:
    """Return the 429 answer: JSON ``{"detail": …}`` when the client asks for JSON, else a page."""
    detail = too_many_requests_detail(retry_after)
    response: HttpResponse
    if _wants_json(request):
        response = JsonResponse({"detail": detail}, status=429)
    else:
        # The page lives with the audit app's templates, beside the sign-in lockout page.
        response = render(request, "audit/too_many_requests.html", {"detail": detail}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def _refusal(request: HttpRequest, scope: str, rate: Rate | None) -> HttpResponse | None:
    result = check_rate_limit(request, scope, rate)
    return None if result.allowed else too_many_requests_response(request, result.retry_after)


ViewFunction = TypeVar("ViewFunction", bound=Callable[..., Any])


def rate_limit(
    scope: str = "anonymous", rate: str | None = None
) -> Callable[[ViewFunction], ViewFunction]:
    """Decorate a Django view (sync or async) so requests over the limit get a 429 answer.

    ``rate`` ("10/min") defaults to SKRANKE_RATE_LIMIT_ANONYMOUS; a bad one raises ValueError
    when the view module is imported. Views sharing a ``scope`` and rate share a budget.
    """
    parsed = parse_rate(rate) if rate is not None else None

    def decorate(view: ViewFunction) -> ViewFunction:
        if iscoroutinefunction(view):

            @functools.wraps(view)
            async def limited_async_view(
                request: HttpRequest, *args: Any, **kwargs: Any
            ) -> HttpResponse:
                refusal = await sync_to_async(_refusal)(request, scope, parsed)
                if refusal is not None:
                    return refusal
                return cast(HttpResponse, await view(request, *args, **kwargs))

            return cast(ViewFunction, limited_async_view)

        @functools.wraps(view)
        def limited_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            refusal = _refusal(request, scope, parsed)
            if refusal is not None:
                return refusal
            return cast(HttpResponse, view(request, *args, **kwargs))

        return cast(ViewFunction, limited_view)

    return decorate


# django-ninja keeps one throttle object per API and asks wait() right after allow_request() in
# the same call, so the answer for this request is passed along in a context variable rather
# than on the shared object.
_retry_after: ContextVar[int | None] = ContextVar("skranke_rate_limit_retry_after", default=None)


class AnonymousRateThrottle(BaseThrottle):
    """django-ninja throttle: anonymous API requests per device or client address.

    Requests authenticated as staff pass (see check_rate_limit). The 429 body is made by the
    API's handler for ninja's Throttled error (skranke/api.py), with the Retry-After from wait().
    """

    def __init__(self, scope: str = "anonymous", rate: str | None = None) -> None:
        self.scope = scope
        self.rate = parse_rate(rate) if rate is not None else None

    def allow_request(self, request: HttpRequest) -> bool:
        result = check_rate_limit(request, self.scope, self.rate)
        _retry_after.set(result.retry_after)
        return result.allowed

    def wait(self) -> float | None:
        return _retry_after.get()
