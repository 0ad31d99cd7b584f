"""What the citizen's and the staff's booking pages share: reading the input, the page of free
times, refusals as pages, and the headers of pages whose address holds a secret."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from skranke.access.ratelimit import check_rate_limit, too_many_requests_response
from skranke.booking import services
from skranke.booking.errors import (
    BadBookingInput,
    BookingError,
    BookingNotFound,
    BookingRefused,
    NotBookable,
)
from skranke.booking.models import BookingSetup
from skranke.booking.ratelimit import SCOPE as BOOKING_SCOPE
from skranke.booking.slots import last_bookable_day
from skranke.catalogue.models import Service
from skranke.lib.localtime import local_date
from skranke.organisation.models import Location

# The page of free times shows this many days at a time.
DAYS_PER_PAGE = 14
# A start is sent back as an ISO 8601 instant ("2026-12-08T09:15:00+00:00").
START_MAX_LENGTH = 40

ViewFunction = TypeVar("ViewFunction", bound=Callable[..., HttpResponse])


# Input ------------------------------------------------------------------------------------------


def parse_day(text: str | None) -> dt.date | None:
    """Return the date of ``text`` ("2026-12-08"), None when empty; BadBookingInput otherwise."""
    if not text:
        return None
    if len(text) != len("2026-12-08"):
        return _bad_date()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return _bad_date()


def _bad_date() -> dt.date:
    raise BadBookingInput("bad_date", _("Give a date such as 2026-12-08."), field="date")


def parse_people(text: str | None) -> int:
    """Return how many people are coming (1 when not given); BadBookingInput unless a whole
    number (the engine checks the range)."""
    if not text:
        return 1
    if not text.isascii() or not text.isdigit() or len(text) > 2:
        raise BadBookingInput("people", _("Give the number of people as a number."), field="people")
    return int(text)


def parse_start(text: str | None) -> dt.datetime:
    """Return the instant a free time starts, as the pages send it; BadBookingInput otherwise
    (the engine checks that it is a free time)."""
    try:
        if not text or len(text) > START_MAX_LENGTH:
            raise ValueError(text)
        start = dt.datetime.fromisoformat(text)
    except ValueError:
        raise BadBookingInput(
            "not_a_slot", _("Choose one of the free times shown."), field="start"
        ) from None
    return start


# What is booked where ---------------------------------------------------------------------------


def booked_services(location: Location) -> list[Service]:
    """Return the services citizens can book at ``location``, in the catalogue's order: those
    the engine's booking_setup accepts there."""
    setups = (
        BookingSetup.objects.filter(calendar_id=location.pk, active=True)
        .select_related("service", "service__subject_area")
        .order_by("service__subject_area__sort_order", "service__sort_order", "service__name")
    )
    offered = []
    for setup in setups:
        try:
            services.booking_setup(location, setup.service)
        except NotBookable:
            continue
        offered.append(setup.service)
    return offered


def booking_centres(locations: Any = None) -> list[tuple[Location, list[Service]]]:
    """Return the active centres (of ``locations``, a queryset, if given) that book at least one
    service, each with its booked services."""
    queryset = locations if locations is not None else Location.objects.all()
    found = []
    for location in queryset.filter(active=True, booking_calendar__active=True):
        offered = booked_services(location)
        if offered:
            found.append((location, offered))
    return found


def find_service(location: Location, service_slug: str) -> Service:
    """Return the service ``service_slug`` when it is booked at ``location``; NotBookable
    otherwise (the engine's message)."""
    service = Service.objects.filter(slug=service_slug, active=True).first()
    if service is None:
        raise NotBookable("unknown_service", _("No such service."))
    services.booking_setup(location, service)
    return service


# The page of free times -------------------------------------------------------------------------


@dataclass(frozen=True)
class DayChoice:
    date: dt.date
    free: int
    url: str
    chosen: bool


@dataclass
class FreeTimes:
    """What the page of free times shows: the earliest free time, the days around the chosen
    one with how many times are free on each, and the chosen day's free times."""

    setup: BookingSetup
    people: int
    chosen: dt.date
    first_free: services.Slot | None
    days: list[DayChoice]
    times: list[services.Slot]
    # Why the chosen day has no free times (closed, a holiday), from the engine.
    day_note: str = ""
    earlier_url: str = ""
    later_url: str = ""
    people_choices: list[int] = field(default_factory=list)


def free_times(
    location: Location,
    service: Service,
    page_url: str,
    query: Mapping[str, str],
    *,
    now: dt.datetime | None = None,
) -> FreeTimes:
    """Return the free times for the page at ``page_url`` from its query (``date``, ``from``,
    ``people``). Raises what the engine raises for the days asked (BadBookingInput for a past
    day or one beyond the horizon, NotBookable)."""
    now = now or timezone.now()
    setup = services.booking_setup(location, service)
    people = parse_people(query.get("people"))
    asked_day = parse_day(query.get("date"))
    asked_from = parse_day(query.get("from"))
    today = local_date(now)
    horizon = last_bookable_day(setup, now)
    for asked in (asked_day, asked_from):
        if asked is not None and not today <= asked <= horizon:
            # The engine refuses a past day or one beyond the horizon, with its message.
            services.free_slots(location, service, asked, people=people, now=now)
    first_free = services.first_free_slot(location, service, people=people, now=now)
    chosen = asked_day or (local_date(first_free.start) if first_free else today)
    start = asked_from or (today if (chosen - today).days < DAYS_PER_PAGE else chosen)
    if not start <= chosen < start + dt.timedelta(days=DAYS_PER_PAGE):
        start = chosen
    last = start + dt.timedelta(days=DAYS_PER_PAGE - 1)
    # The engine checks the days: not past, not beyond the horizon, people within range.
    slots = services.free_slots(location, service, start, last, people=people, now=now)

    def link(**values: Any) -> str:
        values = {"people": people, **values}
        return page_url + "?" + urlencode({k: v for k, v in values.items() if v})

    free_per_day: dict[dt.date, int] = {}
    for slot in slots:
        day = local_date(slot.start)
        free_per_day[day] = free_per_day.get(day, 0) + 1
    days = [
        DayChoice(
            date=day,
            free=free_per_day.get(day, 0),
            url=link(**{"from": start.isoformat(), "date": day.isoformat()}),
            chosen=day == chosen,
        )
        for day in (start + dt.timedelta(days=n) for n in range(DAYS_PER_PAGE))
        if day <= horizon
    ]
    times = [slot for slot in slots if local_date(slot.start) == chosen]
    day_note = ""
    if not times:
        try:
            services.free_slots(location, service, chosen, people=people, now=now)
        except (BookingRefused, BadBookingInput) as refusal:
            day_note = refusal.message
        else:
            day_note = _("No free times this day. Choose another day.")
    earlier = max(today, start - dt.timedelta(days=DAYS_PER_PAGE))
    later = last + dt.timedelta(days=1)
    return FreeTimes(
        setup=setup,
        people=people,
        chosen=chosen,
        first_free=first_free,
        days=days,
        times=times,
        day_note=day_note,
        earlier_url=link(**{"from": earlier.isoformat()}) if start > today else "",
        later_url=link(**{"from": later.isoformat()}) if later <= horizon else "",
        people_choices=list(range(1, setup.max_people + 1)),
    )


# Refusals ---------------------------------------------------------------------------------------


def times_page(
    request: HttpRequest,
    location: Location,
    service: Service,
    query: Mapping[str, str],
    *,
    times_url: str,
    hold_url: str,
    start_over_url: str,
    refusal: BookingError | None = None,
    extra: Mapping[str, Any] | None = None,
) -> HttpResponse:
    """The page of free times (citizens' and staff's alike): ``times_url`` is this page,
    ``hold_url`` where a chosen time is held, ``start_over_url`` where to go when the service
    itself cannot be shown; ``refusal`` a refused choice to explain above the times."""
    try:
        found = free_times(location, service, times_url, query)
    except BookingError as error:
        return refused_page(
            request,
            error,
            title=_("No free times to show"),
            back_url=times_url if query else start_over_url,
            back_text=_("Show the free times") if query else _("Choose another service"),
        )
    return render(
        request,
        "booking/times.html",
        {
            "location": location,
            "service": service,
            "found": found,
            "page_url": times_url,
            "action": hold_url,
            "refusal": refusal,
            **(extra or {}),
        },
        status=200 if refusal is None else refusal_status(refusal),
    )


def refusal_status(error: BookingError) -> int:
    """Return the HTTP status of an engine refusal, as the API answers it (bad input: 400)."""
    if isinstance(error, NotBookable | BookingNotFound):
        return 404
    if isinstance(error, BadBookingInput):
        return 400
    return 409


def refused_page(
    request: HttpRequest,
    error: BookingError,
    *,
    title: str,
    back_url: str,
    back_text: str,
    status: int | None = None,
) -> HttpResponse:
    """Return the page that says why the engine refused, with a way back."""
    return render(
        request,
        "booking/refused.html",
        {"title": title, "error": error, "back_url": back_url, "back_text": back_text},
        status=status or refusal_status(error),
    )


def private(response: HttpResponse) -> HttpResponse:
    """Keep a page whose address holds a secret (an appointment's link, a hold's token) out of
    shared caches, and its address out of other sites' logs. "same-origin" rather than
    "no-referrer": under no-referrer browsers send `Origin: null` with the page's own form posts,
    which Django's CSRF check refuses."""
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "same-origin"
    return response


def booking_write_refusal(request: HttpRequest) -> HttpResponse | None:
    """Count a citizen's hold, booking, move or cancellation against SKRANKE_RATE_LIMIT_BOOKING,
    in the same budget as the API's booking writes (signed-in staff are not counted); return
    the 429 answer when over it, else None."""
    result = check_rate_limit(request, BOOKING_SCOPE, settings.SKRANKE_RATE_LIMIT_BOOKING)
    return None if result.allowed else too_many_requests_response(request, result.retry_after)


def limit_booking_writes(view: ViewFunction) -> ViewFunction:
    """Decorate a view that only writes (booking_write_refusal)."""

    @functools.wraps(view)
    def limited(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return booking_write_refusal(request) or view(request, *args, **kwargs)

    return cast(ViewFunction, limited)


def masked_phone(phone: str) -> str:
    """Return a stored phone number ("+4520304050") with only its last two digits shown."""
    return f"•• •• •• {phone[-2:]}" if phone else ""


def masked_email(email: str) -> str:
    """Return an e-mail address with only its first letter and its domain shown."""
    local, _at, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}" if email else ""


def site_url(request: HttpRequest) -> str:
    """Return the site's address for the links in messages (as the API does)."""
    return str(settings.SKRANKE_SITE_URL or request.build_absolute_uri("/"))
