"""Abuse limits for anonymous pages and API endpoints: requests counted per window, atomically.

Who is counted: a paired kiosk or screen (``request.device``, set by DeviceMiddleware) by its id,
so the kiosks of one centre behind one address do not share a budget; anyone else by client
address, an IPv6 address by its /64 network because one phone or household controls the whole
network. Signed-in staff are not limited here (their sign-in is guarded by django-axes).

How: a fixed window per scope and requester, counted atomically wherever it is counted, so a
burst of N parallel requests against a limit of L lets exactly L through. By default the count
lives in the database, in RateLimitWindow: one upsert per request adds the request unless the
window is full, and the database's row lock decides between parallel requests (Django's
database cache could not: its ``incr`` reads, then writes). With SKRANKE_CACHE_URL=redis://… it
lives in Redis, whose INCR is atomic. The periodic job in skranke.access.jobs deletes the
windows that have ended.

Used by pages through the ``rate_limit`` decorator and by the JSON API through
``AnonymousRateThrottle`` (set once on the NinjaAPI in skranke/api.py). Both answer 429 with a
Retry-After header: a short page for browsers, ``{"detail": …}`` for the API.
"""

from __future__ import annotations

import asyncio
import datetime as dt
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
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext, ngettext
from ninja.throttling import BaseThrottle

from skranke.access.models import RateLimitWindow
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


# Caches whose add and incr are atomic: Redis runs each as one command, the local-memory cache
# holds a lock. Any other cache (the database cache of the default settings) is not used for
# counting; the requests are counted in RateLimitWindow instead.
_ATOMIC_CACHES = (RedisCache, LocMemCache)


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


def _count_in_cache(cache: BaseCache, key: str, window_end: int, rate: Rate) -> bool:
    """Count one request in ``cache`` (atomic add and incr); return whether it is within rate."""
    window_key = f"skranke:rate-limit:{key}:{window_end}"
    # A second longer than the window, so the counter never expires between add and incr.
    timeout = rate.seconds + 1
    cache.add(window_key, 0, timeout=timeout)
    try:
        count = cache.incr(window_key)
    except ValueError:
        # It expired after all (a clock step, or the cache evicted it): start the window afresh,
        # with add again so that parallel requests still count one by one.
        count = 1 if cache.add(window_key, 1, timeout=timeout) else cache.incr(window_key)
    return count <= rate.count


def _count_in_database(key: str, window_end: int, rate: Rate) -> bool:
    """Count one request in RateLimitWindow; return whether it is within rate.

    One statement (PostgreSQL, and SQLite 3.35 or newer): it creates the window's row with one
    request, or adds one to it unless it is full. A row comes back when the request was counted,
    none when the window was already full, so refused requests leave the row as it is. Parallel
    requests wait for each other's row lock (PostgreSQL) or the write lock (SQLite), each seeing
    the count the one before it left.
    """
    quote = connection.ops.quote_name
    table = quote(RateLimitWindow._meta.db_table)
    # The columns of RateLimitWindow's fields key, ends_at and requests; only the values below
    # are parameters, so no request text reaches the SQL itself.
    key_column, ends_column, requests = (quote(name) for name in ("key", "ends_at", "requests"))
    ends_at = dt.datetime.fromtimestamp(window_end, tz=dt.UTC)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key_column}, {ends_column}, {requests}) "  # noqa: S608
            f"VALUES (%s, %s, 1) ON CONFLICT ({key_column}, {ends_column}) "
            f"DO UPDATE SET {requests} = {table}.{requests} + 1 WHERE {table}.{requests} < %s "
            f"RETURNING {requests}",
            [key, connection.ops.adapt_datetimefield_value(ends_at), rate.count],
        )
        return cursor.fetchone() is not None


def delete_ended_windows() -> int:
    """Delete the RateLimitWindow rows of windows that have ended; return how many."""
    now = dt.datetime.fromtimestamp(clock(), tz=dt.UTC)
    deleted, _by_model = RateLimitWindow.objects.filter(ends_at__lte=now).delete()
    return deleted


def _count(key: str, rate: Rate, in_event_loop: bool) -> RateLimitResult:
    now = clock()
    window_end = (int(now // rate.seconds) + 1) * rate.seconds
    cache = _process_cache() if in_event_loop else caches["default"]
    if isinstance(cache, _ATOMIC_CACHES):
        allowed = _count_in_cache(cache, key, window_end, rate)
    else:
        allowed = _count_in_database(key, window_end, rate)
    retry_after = max(1, math.ceil(window_end - now))
    return RateLimitResult(allowed=allowed, retry_after=retry_after)


def check_rate_limit(
    request: HttpRequest, scope: str = "anonymous", rate: Rate | str | None = None
) -> RateLimitResult:
    """Count ``request`` against its requester's limit in ``scope`` and say whether it may go on.

    ``rate`` defaults to SKRANKE_RATE_LIMIT_ANONYMOUS. Signed-in staff, and every request while
    SKRANKE_RATE_LIMITS is off, are always allowed. Inside an event loop (django-ninja runs the
    throttles of async endpoints there) the database cannot be used, so those requests are
    counted in this process's memory. Should the counting fail, the request is allowed and the
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
    key = f"{scope}:{rate.count}/{rate.seconds}:{requester_key(request)}"
    try:
        return _count(key, rate, in_event_loop)
    except Exception:
        logger.exception("rate limit not checked: counting failed")
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
