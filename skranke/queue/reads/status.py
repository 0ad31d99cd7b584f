"""The live state of a centre: queues, counters and recent calls, as displays and phones see it.

It is public (GET .../status, the snapshot of the public live stream), so it holds only what a
waiting-room screen shows: queues with waiting counts and waits, counters with the number each
has called, and today's recent calls; never who serves, outcomes, or earlier days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from skranke.catalogue.models import Queue
from skranke.lib.localtime import local_date, start_of_local_day
from skranke.organisation.hours import centre_today
from skranke.organisation.models import Location
from skranke.queue.models import (
    AT_COUNTER,
    CounterSession,
    EventKind,
    QueueClosure,
    SessionState,
    Ticket,
    TicketEvent,
)
from skranke.queue.reads import livecache
from skranke.queue.reads.estimates import queue_loads, to_minutes
from skranke.queue.reads.waiting import NOBODY, waiting_in_queues

RECENT_CALLS = 8
# The longest a centre's state is reused while no event happens there (current_location_status).
STATUS_SECONDS = 1.0


@dataclass(frozen=True)
class QueueState:
    id: int
    prefix: str
    name: str
    kind: str
    waiting: int
    longest_wait_minutes: int | None
    expected_wait_minutes: int | None
    counters_open: int
    closed_reason: str


@dataclass(frozen=True)
class CounterState:
    id: int
    number: int
    name: str
    state: str  # open, paused or closed
    ticket: str | None
    queues: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class CallState:
    number: str
    counter: int
    at: dt.datetime
    recall: bool


@dataclass(frozen=True)
class LocationState:
    slug: str
    name: str
    open_now: bool
    next_opening: dt.datetime | None
    queues: list[QueueState]
    counters: list[CounterState]
    recent_calls: list[CallState]
    last_event_id: int


def location_status(location: Location, now: dt.datetime | None = None) -> LocationState:
    """Return the live state of ``location``; ``last_event_id`` is the newest event it reflects."""
    # Read the event id first: the state below is at least this new, so a stream that resumes
    # from it misses nothing (it may repeat an event, which clients apply idempotently).
    return _location_status(location, _last_event_id(location), now)


def current_location_status(location: Location) -> LocationState:
    """Return the live state of ``location`` now, reused while no event happens there.

    The state is kept per centre in this process (skranke.queue.reads.livecache) with the id of the
    newest event it reflects, for STATUS_SECONDS at most: while that is still the newest event
    at the centre (one indexed read), nobody has drawn a number, been called or opened a
    counter since, so it is answered as it is: a citizen who has just drawn a number is counted
    on every server process at once. Only what moves with the clock alone (the longest wait,
    the expected waits, open or closed), an edit in the admin (which writes no event) and a
    change whose event committed after a newer one may be up to STATUS_SECONDS old.
    """
    last_event_id = _last_event_id(location)
    cached: LocationState | None = livecache.get(("location_status", location.pk))
    if cached is not None and cached.last_event_id == last_event_id:
        return cached
    state = _location_status(location, last_event_id, None)
    livecache.put(("location_status", location.pk), state, STATUS_SECONDS)
    return state


def _last_event_id(location: Location) -> int:
    return (
        TicketEvent.objects.filter(location=location)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
        or 0
    )


def _location_status(
    location: Location, last_event_id: int, now: dt.datetime | None
) -> LocationState:
    at = now or timezone.now()
    today = centre_today(location, at)
    closures = dict(
        QueueClosure.objects.filter(queue__location=location, date=local_date(at)).values_list(
            "queue_id", "reason"
        )
    )
    active = list(
        Queue.objects.filter(location=location, active=True).order_by("sort_order", "prefix")
    )
    queue_ids = [queue.pk for queue in active]
    waiting = waiting_in_queues(queue_ids, at)
    loads = queue_loads(queue_ids, now)
    queues = []
    for queue in active:
        line = waiting.get(queue.pk, NOBODY)
        load = loads[queue.pk]
        queues.append(
            QueueState(
                id=queue.pk,
                prefix=queue.prefix,
                name=queue.display_name(),
                kind=queue.kind,
                waiting=line.count,
                longest_wait_minutes=line.longest_wait_minutes,
                expected_wait_minutes=to_minutes(load.wait_seconds(line.count)),
                counters_open=load.counters,
                closed_reason=closures.get(queue.pk, ""),
            )
        )
    return LocationState(
        slug=location.slug,
        name=location.name,
        open_now=today.open_now,
        next_opening=today.next_opening,
        queues=queues,
        counters=_counters(location),
        recent_calls=_recent_calls(location, at),
        last_event_id=last_event_id,
    )


def _counters(location: Location) -> list[CounterState]:
    sessions = {
        session.counter_id: session
        for session in CounterSession.objects.filter(
            counter__location=location, closed_at__isnull=True
        ).prefetch_related("queues")
    }
    holding = dict(
        Ticket.objects.filter(location=location, status__in=AT_COUNTER).values_list(
            "counter_id", "display_number"
        )
    )
    states = []
    for counter in location.counters.filter(active=True).order_by("number"):
        session = sessions.get(counter.pk)
        state = SessionState.CLOSED if session is None else session.state
        states.append(
            CounterState(
                id=counter.pk,
                number=counter.number,
                name=counter.name,
                state=state,
                ticket=holding.get(counter.pk),
                queues=sorted(queue.pk for queue in session.queues.all()) if session else [],
            )
        )
    return states


def _recent_calls(location: Location, at: dt.datetime) -> list[CallState]:
    """Return the latest calls of the local day of ``at``, newest first."""
    events = (
        TicketEvent.objects.filter(
            location=location,
            kind__in=[EventKind.CALLED, EventKind.RECALLED, EventKind.RESUMED],
            counter__isnull=False,
        )
        .select_related("counter")
        .order_by("-id")[:RECENT_CALLS]
    )
    # Earlier days' calls are history, not for this morning's display. They are dropped here
    # rather than in the query: before the first call of the day the database would otherwise
    # walk back through the centre's whole history looking for one.
    day_start = start_of_local_day(local_date(at))
    return [
        CallState(
            number=event.data.get("number", ""),
            counter=event.counter.number,  # type: ignore[union-attr]
            at=event.at,
            recall=event.kind == EventKind.RECALLED,
        )
        for event in events
        if event.at >= day_start
    ]
