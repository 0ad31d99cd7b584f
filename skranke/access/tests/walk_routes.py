"""The access walk's table of pages and API operations: who may use each, with the parameters,
body and preparation that let the right caller really get through (rules in walk_rules.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from skranke.access.permissions import Capability
from skranke.access.tests.walk_rules import (
    AT_COUNTER,
    DEVICE,
    NOT_FOUND,
    OWNER,
    PUBLIC,
    STAFF,
    TOKEN,
    Needs,
    Route,
    api,
    page,
    stream,
)
from skranke.access.tests.walk_world import (
    World,
    at_tomorrow,
    free_the_held_counter,
    pause_the_held_counter,
)
from skranke.booking.models import Appointment
from skranke.booking.services import hold_slot

SERVING_ALREADY = frozenset({"serving@A"})  # holds a counter, so cannot open a second one


def _today(world: World) -> str:
    return timezone.localdate().isoformat()


def _tomorrow(world: World) -> str:
    return (timezone.localdate() + dt.timedelta(days=1)).isoformat()


def _booking_body(world: World) -> dict[str, Any]:
    """A citizen's booking of a free time tomorrow (each call is rolled back)."""
    return {
        "location": world.a.location.slug,
        "service": world.a.passport.slug,
        "start": at_tomorrow(13).isoformat(),
        "name": "Bo Hansen",
        "phone": "30 40 50 60",
    }


def _appointment_due_now(world: World) -> None:
    """Move A's appointment to now (each call is rolled back), so a kiosk can check it in."""
    now = timezone.now()
    Appointment.objects.filter(pk=world.a.appointment.pk).update(
        starts_at=now, ends_at=now + dt.timedelta(minutes=15)
    )


def _check_in_body(world: World) -> dict[str, Any]:
    return {"code": world.a.appointment.code}


# The appointment booked at A; staff with manage_bookings there act on it without its secret
# (the walk's callers do not hold it), anyone else is refused.
APPOINTMENT = {"code": "a.appointment.code"}


def _finish_form(world: World) -> dict[str, Any]:
    return {"outcome": "resolved_first_contact", "subject_area": world.a.area.pk}


# The counter page's actions on one number (`<slug:action>` of queue:counter-ticket): every
# action of skranke.queue.views.counter.page.TICKET_ACTIONS needs a line here, or the walk cannot
# fill the route.
COUNTER_TICKET_ACTIONS: dict[str, dict[str, Any]] = {
    "recall": {},
    "no-show": {},
    "park": {},
    "transfer": {"body": lambda w: {"queue": w.a.general.pk}},
    "note": {"body": lambda w: {"note": "Har glemt sit pas"}},
    "finish": {"body": _finish_form},
    "resume": {"params": {"ticket_id": "a.parked"}, "prepare": free_the_held_counter},
    "reinstate": {"params": {"ticket_id": "a.no_show"}},
}

PAGES: list[Route] = [
    page("home", "GET", PUBLIC),
    page("set_language", "POST", PUBLIC, body=lambda w: {"language": "en", "next": "/"}),
    page("api:openapi-json", "GET", PUBLIC),
    page("api:openapi-view", "GET", PUBLIC),
    # Django Ninja's root of the API, there only so the API knows its own address.
    page("api:api-root", "GET", NOT_FOUND),
    page("access:pair", "GET", TOKEN, params={"token": "a.pairing_token"}),
    page("access:pair", "POST", TOKEN, params={"token": "a.pairing_token"}),
    page("access:this-device", "GET", PUBLIC),
    page("queue:kiosk", "GET", Needs(Capability.USE_KIOSK)),
    page("queue:kiosk-reset", "GET", PUBLIC),
    page(
        "queue:kiosk-draw",
        "POST",
        Needs(Capability.USE_KIOSK),
        body=lambda w: {"service": w.a.passport.pk},
    ),
    page("queue:kiosk-number", "GET", Needs(Capability.USE_KIOSK)),
    page("queue:kiosk-check-in", "GET", Needs(Capability.USE_KIOSK)),
    page(
        "queue:kiosk-check-in",
        "POST",
        Needs(Capability.USE_KIOSK),
        body=_check_in_body,
        prepare=_appointment_due_now,
    ),
    page("queue:kiosk-area", "GET", Needs(Capability.USE_KIOSK)),
    page("queue:display", "GET", Needs(Capability.SHOW_DISPLAY)),
    page("queue:mobile", "GET", TOKEN),
    page("queue:mobile-cancel", "POST", TOKEN),
    page("queue:mobile-sms", "GET", TOKEN),
    page("queue:mobile-sms", "POST", TOKEN, body=lambda w: {"phone": "20 30 40 50"}),
    page("queue:mobile-sms-withdraw", "POST", TOKEN),
    page("queue:counter-choose", "GET", Needs(Capability.SERVE_AT_COUNTER, anywhere=True)),
    page(
        "queue:counter-open",
        "POST",
        Needs(Capability.SERVE_AT_COUNTER),
        body=lambda w: {
            "location": w.a.location.pk,
            "counter": w.a.free.pk,
            "queues": [w.a.passports.pk, w.a.general.pk],
            "longest_waiting_first": "on",
        },
        conflict_for=SERVING_ALREADY,
    ),
    # Colleagues at the centre see who has the counter (or, free, the form to open it).
    page("queue:counter", "GET", Needs(Capability.SERVE_AT_COUNTER)),
    page("queue:counter-queues", "GET", Needs(Capability.SERVE_AT_COUNTER)),
    page("queue:counter-pause", "POST", OWNER),
    page("queue:counter-resume", "POST", OWNER, prepare=pause_the_held_counter),
    page("queue:counter-close", "POST", OWNER, prepare=free_the_held_counter),
    page("queue:counter-call-next", "POST", OWNER, prepare=free_the_held_counter),
    page(
        "queue:counter-call",
        "POST",
        OWNER,
        prepare=free_the_held_counter,
        body=lambda w: {"number": w.a.waiting.display_number},
    ),
    *(
        page(
            "queue:counter-ticket",
            "POST",
            AT_COUNTER,
            variant=action,
            variant_parameter="action",
            **options,
        )
        for action, options in COUNTER_TICKET_ACTIONS.items()
    ),
    page("queue:floor", "GET", Needs(Capability.ISSUE_TICKET_FOR_CITIZEN)),
    page(
        "queue:floor",
        "POST",
        Needs(Capability.ISSUE_TICKET_FOR_CITIZEN),
        body=lambda w: {"service": w.a.passport.pk, "note": ""},
    ),
    page("queue:floor-number", "GET", Needs(Capability.ISSUE_TICKET_FOR_CITIZEN)),
    # Counter staff are sent on from the home page to their counter.
    page("reports:home", "GET", STAFF),
    page("reports:statistics", "GET", Needs(Capability.VIEW_STATISTICS, anywhere=True)),
    page("reports:live-floor", "GET", Needs(Capability.VIEW_LIVE_FLOOR)),
    page("reports:live-floor-panel", "GET", Needs(Capability.VIEW_LIVE_FLOOR)),
    # A team lead closes a colleague's abandoned session from the live floor.
    page("reports:close-counter", "POST", Needs(Capability.MANAGE_QUEUES)),
    page("accessibility", "GET", PUBLIC),
    # The calendar file of an appointment, for whoever holds its link (the secret is in it).
    page(
        "booking:calendar",
        "GET",
        TOKEN,
        params={"code": "a.appointment.code", "secret": "a.appointment_secret"},
    ),
]

APIS: list[Route] = [
    api("GET /api/v1/health", PUBLIC),
    api("GET /api/v1/locations", PUBLIC),
    api("GET /api/v1/locations/{slug}", PUBLIC),
    api("GET /api/v1/locations/{slug}/status", PUBLIC),
    api("POST /api/v1/devices/heartbeat", DEVICE),
    api("GET /api/v1/me", STAFF),
    api(
        "POST /api/v1/tickets",
        PUBLIC,
        body=lambda w: {"location": w.a.location.slug, "service": w.a.passport.slug},
    ),
    api(
        "POST /api/v1/check-ins",
        Needs(Capability.USE_KIOSK),
        body=lambda w: {"location": w.a.location.slug, **_check_in_body(w)},
        prepare=_appointment_due_now,
    ),
    api("GET /api/v1/tickets/{token}", TOKEN),
    api("POST /api/v1/tickets/{token}/cancel", TOKEN),
    api(
        "POST /api/v1/counters/{counter_id}/open",
        Needs(Capability.SERVE_AT_COUNTER),
        params={"counter_id": "a.free"},
        body=lambda w: {},
        conflict_for=SERVING_ALREADY,
    ),
    api("POST /api/v1/counters/{counter_id}/pause", OWNER),
    api("POST /api/v1/counters/{counter_id}/resume", OWNER, prepare=pause_the_held_counter),
    api("POST /api/v1/counters/{counter_id}/close", OWNER, prepare=free_the_held_counter),
    # A team lead closes a colleague's abandoned session (docs/permissions.md).
    api("POST /api/v1/counters/{counter_id}/close-abandoned", Needs(Capability.MANAGE_QUEUES)),
    api("POST /api/v1/counters/{counter_id}/call-next", OWNER, prepare=free_the_held_counter),
    api(
        "POST /api/v1/counters/{counter_id}/call",
        OWNER,
        prepare=free_the_held_counter,
        body=lambda w: {"number": w.a.waiting.display_number},
    ),
    api("POST /api/v1/tickets/{ticket_id}/recall", AT_COUNTER),
    api("POST /api/v1/tickets/{ticket_id}/serve", AT_COUNTER),
    api("POST /api/v1/tickets/{ticket_id}/no-show", AT_COUNTER),
    api("POST /api/v1/tickets/{ticket_id}/park", AT_COUNTER),
    api(
        "POST /api/v1/tickets/{ticket_id}/transfer",
        AT_COUNTER,
        body=lambda w: {"queue": w.a.general.pk},
    ),
    api(
        "POST /api/v1/tickets/{ticket_id}/finish",
        AT_COUNTER,
        body=lambda w: {"outcome": "resolved_first_contact"},
    ),
    # A parked number is called back to the caller's own counter, given in the body.
    api(
        "POST /api/v1/tickets/{ticket_id}/resume",
        AT_COUNTER,
        params={"ticket_id": "a.parked"},
        prepare=free_the_held_counter,
        body=lambda w: {"counter": w.a.held.pk},
    ),
    # Neither needs the number at one's own counter (docs/permissions.md).
    api(
        "POST /api/v1/tickets/{ticket_id}/reinstate",
        Needs(Capability.SERVE_AT_COUNTER),
        params={"ticket_id": "a.no_show"},
    ),
    api(
        "POST /api/v1/tickets/{ticket_id}/staff-cancel",
        Needs(Capability.SERVE_AT_COUNTER),
        params={"ticket_id": "a.waiting"},
    ),
    api(
        "POST /api/v1/staff/tickets",
        Needs(Capability.ISSUE_TICKET_FOR_CITIZEN),
        body=lambda w: {"location": w.a.location.slug, "service": w.a.passport.slug},
    ),
    api(
        "POST /api/v1/queues/{queue_id}/close",
        Needs(Capability.MANAGE_QUEUES),
        body=lambda w: {"reason": "Systemet er nede"},
    ),
    # Centre A's statistics for today (its no-show is a visit); staff of B are refused with 403.
    api(
        "GET /api/v1/reports",
        Needs(Capability.VIEW_STATISTICS),
        query={
            "location": "a.location.slug",
            "from": _today,
            "to": _today,
            "goal_minutes": lambda w: 10,
        },
    ),
]

APIS += [
    api(
        "GET /api/v1/locations/{slug}/slots",
        PUBLIC,
        query={"service": "a.passport.slug", "date": _tomorrow},
    ),
    api(
        "POST /api/v1/holds",
        PUBLIC,
        body=lambda w: {
            key: value
            for key, value in _booking_body(w).items()
            if key in ("location", "service", "start")
        },
    ),
    # Staff with manage_bookings at A book on the phone; anyone else books as a citizen.
    api("POST /api/v1/bookings", PUBLIC, body=_booking_body),
    api("GET /api/v1/bookings/{code}", Needs(Capability.MANAGE_BOOKINGS), params=APPOINTMENT),
    api("DELETE /api/v1/bookings/{code}", Needs(Capability.MANAGE_BOOKINGS), params=APPOINTMENT),
    api(
        "POST /api/v1/bookings/{code}/move",
        Needs(Capability.MANAGE_BOOKINGS),
        params=APPOINTMENT,
        body=lambda w: {"start": at_tomorrow(14).isoformat()},
    ),
]


def _local_start(hour: int) -> str:
    """Tomorrow at ``hour`` as the booking pages send a start back (local time, its offset)."""
    return timezone.localtime(at_tomorrow(hour)).isoformat()


def _held_token(world: World) -> str:
    """The token of a hold at A tomorrow at 16:00, made once for the walk (outside the calls,
    which are rolled back), so the form behind it can be opened and posted by everyone."""
    token = getattr(world, "walk_hold_token", None)
    if token is None:
        token = hold_slot(world.a.location, world.a.passport, at_tomorrow(16), client=None).token
        setattr(world, "walk_hold_token", token)  # noqa: B010 - not a field of the World
    return str(token)


# The booking pages: the citizen's steps for anyone; the appointment's pages for whoever holds
# its link (the secret is in the path); staff's pages for manage_bookings at the centre.
BOOKING_FLOW = {"service_slug": "a.passport.slug"}
HELD = BOOKING_FLOW | {"token": _held_token}
LINK = {"code": "a.appointment.code", "secret": "a.appointment_secret"}


def _contact(world: World) -> dict[str, Any]:
    return {"name": "Bo Hansen", "phone": "30 40 50 60"}


PAGES += [
    page("booking:start", "GET", PUBLIC),
    page("booking:centre", "GET", PUBLIC),
    page("booking:times", "GET", PUBLIC, params=BOOKING_FLOW),
    page(
        "booking:hold",
        "POST",
        PUBLIC,
        params=BOOKING_FLOW,
        body=lambda w: {"start": _local_start(13), "people": "1"},
    ),
    page("booking:details", "GET", TOKEN, params=HELD),
    page("booking:details", "POST", TOKEN, params=HELD, body=_contact),
    page("booking:confirmation", "GET", TOKEN, params=LINK),
    page("booking:manage", "GET", TOKEN, params=LINK),
    page("booking:manage-move", "GET", TOKEN, params=LINK),
    page(
        "booking:manage-move",
        "POST",
        TOKEN,
        params=LINK,
        body=lambda w: {"start": _local_start(14), "people": "1"},
    ),
    page("booking:manage-cancel", "GET", TOKEN, params=LINK),
    page("booking:manage-cancel", "POST", TOKEN, params=LINK),
    page("booking:staff", "GET", Needs(Capability.MANAGE_BOOKINGS, anywhere=True)),
    page("booking:staff-times", "GET", Needs(Capability.MANAGE_BOOKINGS), params=BOOKING_FLOW),
    page(
        "booking:staff-hold",
        "POST",
        Needs(Capability.MANAGE_BOOKINGS),
        params=BOOKING_FLOW,
        body=lambda w: {"start": _local_start(13), "people": "1"},
    ),
    page("booking:staff-details", "GET", Needs(Capability.MANAGE_BOOKINGS), params=HELD),
    page(
        "booking:staff-details",
        "POST",
        Needs(Capability.MANAGE_BOOKINGS),
        params=HELD,
        body=_contact,
    ),
    page("booking:staff-appointment", "GET", Needs(Capability.MANAGE_BOOKINGS), params=APPOINTMENT),
    page("booking:staff-move", "GET", Needs(Capability.MANAGE_BOOKINGS), params=APPOINTMENT),
    page(
        "booking:staff-move",
        "POST",
        Needs(Capability.MANAGE_BOOKINGS),
        params=APPOINTMENT,
        body=lambda w: {"start": _local_start(14), "people": "1"},
    ),
    page("booking:staff-cancel", "GET", Needs(Capability.MANAGE_BOOKINGS), params=APPOINTMENT),
    page("booking:staff-cancel", "POST", Needs(Capability.MANAGE_BOOKINGS), params=APPOINTMENT),
    page("booking:staff-day", "GET", Needs(Capability.MANAGE_BOOKINGS)),
    page("booking:staff-day-panel", "GET", Needs(Capability.MANAGE_BOOKINGS)),
]

STREAMS: list[Route] = [
    stream("/api/v1/locations/{slug}/events", PUBLIC),
    stream("/api/v1/tickets/{token}/events", TOKEN),
    stream("/api/v1/locations/{slug}/staff-events", Needs(Capability.VIEW_LIVE_FLOOR)),
]
