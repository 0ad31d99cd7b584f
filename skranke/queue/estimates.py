"""Place in line and expected wait, from measured service times and the counters open now.

Method, for a queue q at instant t:
1. μ = the mean service time of the last MEASURED_VISITS served visits that started in q
   within MEASURED_DAYS days; with fewer than MIN_MEASURED of them, the mean typical duration of
   q's services stands in (a configured guess until there is history).
2. c = the counters open and not paused whose session serves q, and b = how many of them hold
   a citizen right now; f = c − b counters are free.
3. A citizen with k people ahead (in call order) is called at once when k < f. Otherwise they
   wait for k − f + 1 counters to come free; with c counters finishing one citizen every μ on
   average each, that takes (k − f + 1) × μ ÷ c.
4. With no counter open for q the estimate is unknown (None), never a made-up number.
The planning part of Skranke measures this estimate's accuracy against what happened.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.db.models import Avg
from django.utils import timezone

from skranke.catalogue.models import Queue
from skranke.queue.models import (
    AT_COUNTER,
    CounterSession,
    Ending,
    Ticket,
    TicketStatus,
    VisitFact,
)
from skranke.queue.services import call_order

MEASURED_VISITS = 50
MEASURED_DAYS = 28
MIN_MEASURED = 5


@dataclass(frozen=True)
class QueueLoad:
    """What the estimate of one queue rests on."""

    mean_service_seconds: float
    counters: int
    busy_counters: int

    def wait_seconds(self, ahead: int) -> float | None:
        """Return the expected wait with ``ahead`` people in front, or None without counters."""
        if self.counters == 0:
            return None
        free = self.counters - self.busy_counters
        if ahead < free:
            return 0.0
        return (ahead - free + 1) * self.mean_service_seconds / self.counters


def mean_service_seconds(queue: Queue, now: dt.datetime) -> float:
    """Return μ for ``queue``: measured from recent served visits, else the typical durations."""
    recent = list(
        VisitFact.objects.filter(
            first_queue=queue,
            ending=Ending.SERVED,
            issue_date__gte=(now - dt.timedelta(days=MEASURED_DAYS)).date(),
            service_seconds__isnull=False,
        )
        .order_by("-id")
        .values_list("service_seconds", flat=True)[:MEASURED_VISITS]
    )
    if len(recent) >= MIN_MEASURED:
        return sum(value for value in recent if value is not None) / len(recent)
    typical = queue.services.aggregate(minutes=Avg("typical_duration"))["minutes"]
    return float(typical or 10) * 60


def queue_load(queue: Queue, now: dt.datetime | None = None) -> QueueLoad:
    """Return the measured service time and the counters serving ``queue`` right now."""
    now = now or timezone.now()
    sessions = CounterSession.objects.filter(
        queues=queue, closed_at__isnull=True, paused_at__isnull=True
    )
    counter_ids = list(sessions.values_list("counter_id", flat=True))
    busy = Ticket.objects.filter(counter_id__in=counter_ids, status__in=AT_COUNTER).count()
    return QueueLoad(mean_service_seconds(queue, now), len(counter_ids), busy)


def waiting_in_order(queue: Queue, now: dt.datetime) -> list[int]:
    """Return the ids of the tickets waiting in ``queue``, in the order they will be called."""
    return list(
        call_order(
            Ticket.objects.filter(queue=queue, status=TicketStatus.WAITING), now
        ).values_list("id", flat=True)
    )


def to_minutes(seconds: float | None) -> int | None:
    return None if seconds is None else math.ceil(seconds / 60)


@dataclass(frozen=True)
class TicketEstimate:
    position: int | None
    expected_wait_minutes: int | None


def estimate_for_ticket(ticket: Ticket, now: dt.datetime | None = None) -> TicketEstimate:
    """Return the ticket's place in line (1 = next) and expected wait; both None unless waiting."""
    now = now or timezone.now()
    if ticket.status != TicketStatus.WAITING:
        return TicketEstimate(None, None)
    order = waiting_in_order(ticket.queue, now)
    ahead = order.index(ticket.pk) if ticket.pk in order else len(order)
    load = queue_load(ticket.queue, now)
    return TicketEstimate(ahead + 1, to_minutes(load.wait_seconds(ahead)))


def estimate_for_new_ticket(queue: Queue, now: dt.datetime | None = None) -> int | None:
    """Return the expected wait in minutes of a number drawn now in ``queue`` (None: unknown)."""
    now = now or timezone.now()
    ahead = Ticket.objects.filter(queue=queue, status=TicketStatus.WAITING).count()
    return to_minutes(queue_load(queue, now).wait_seconds(ahead))
