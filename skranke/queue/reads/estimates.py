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

Cost. The place in line (k) is counted exactly, by one COUNT of the tickets ahead, and c and b
are read exactly, by one grouped statement for any number of queues. μ, read at the current
time, is kept per queue for MEAN_SECONDS in this server process (skranke.queue.reads.livecache):
it is the mean of the last fifty served visits and moves slowly, while phones ask for their number
every few seconds, and the expected wait is an estimate anyway (phones get every change through
their event stream). With an explicit ``now`` (a past or future instant) nothing is reused. No
transition reads the cache.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import Avg, Count, Exists, F, OuterRef, Q, Window
from django.db.models.functions import RowNumber
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
from skranke.queue.reads import livecache

MEASURED_VISITS = 50
MEASURED_DAYS = 28
MIN_MEASURED = 5
# How long this process reuses a queue's measured service time read now (see the docstring).
MEAN_SECONDS = 2.0


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


def _mean_service_seconds(queue_ids: Collection[int], now: dt.datetime) -> dict[int, float]:
    """Return μ per queue: measured from recent served visits, else the typical durations."""
    recent: dict[int, list[int]] = defaultdict(list)
    # The last MEASURED_VISITS per queue, all queues in one statement.
    rows = (
        VisitFact.objects.filter(
            first_queue_id__in=queue_ids,
            ending=Ending.SERVED,
            issue_date__gte=(now - dt.timedelta(days=MEASURED_DAYS)).date(),
            service_seconds__isnull=False,
        )
        .annotate(
            recency=Window(RowNumber(), partition_by=[F("first_queue_id")], order_by=F("id").desc())
        )
        .filter(recency__lte=MEASURED_VISITS)
        .values_list("first_queue_id", "service_seconds")
    )
    for queue_id, seconds in rows:
        if seconds is not None:
            recent[queue_id].append(seconds)
    means = {
        queue_id: sum(values) / len(values)
        for queue_id, values in recent.items()
        if len(values) >= MIN_MEASURED
    }
    guessed = [queue_id for queue_id in queue_ids if queue_id not in means]
    if guessed:
        typical = {
            row["queue_id"]: row["minutes"]
            for row in Queue.services.through.objects.filter(queue_id__in=guessed)
            .values("queue_id")
            .annotate(minutes=Avg("service__typical_duration"))
        }
        for queue_id in guessed:
            means[queue_id] = float(typical.get(queue_id) or 10) * 60
    return means


def _counters_serving(queue_ids: Collection[int]) -> dict[int, tuple[int, int]]:
    """Return (counters open and not paused, of which holding a citizen) per queue served."""
    holding = Ticket.objects.filter(
        counter_id=OuterRef("countersession__counter_id"), status__in=AT_COUNTER
    )
    rows = (
        CounterSession.queues.through.objects.filter(
            queue_id__in=queue_ids,
            countersession__closed_at__isnull=True,
            countersession__paused_at__isnull=True,
        )
        .values("queue_id")
        .annotate(
            counters=Count("countersession_id"),
            busy=Count("countersession_id", filter=Q(Exists(holding))),
        )
    )
    return {row["queue_id"]: (row["counters"], row["busy"]) for row in rows}


def _current_mean_service_seconds(queue_ids: Collection[int]) -> dict[int, float]:
    """Return μ per queue now, each reused for MEAN_SECONDS."""
    means: dict[int, float] = {}
    for queue_id in queue_ids:
        mean = livecache.get(("mean_service_seconds", queue_id))
        if mean is not None:
            means[queue_id] = mean
    missing = [queue_id for queue_id in queue_ids if queue_id not in means]
    if missing:
        for queue_id, mean in _mean_service_seconds(missing, timezone.now()).items():
            livecache.put(("mean_service_seconds", queue_id), mean, MEAN_SECONDS)
            means[queue_id] = mean
    return means


def queue_loads(queue_ids: Collection[int], now: dt.datetime | None = None) -> dict[int, QueueLoad]:
    """Return the load of each queue in ``queue_ids`` (at ``now``; by default now, with μ
    reused for MEAN_SECONDS), in one statement for them all, plus two while μ is read."""
    if not queue_ids:
        return {}
    means = (
        _current_mean_service_seconds(queue_ids)
        if now is None
        else _mean_service_seconds(queue_ids, now)
    )
    serving = _counters_serving(queue_ids)
    return {
        queue_id: QueueLoad(means[queue_id], *serving.get(queue_id, (0, 0)))
        for queue_id in queue_ids
    }


def tickets_ahead(ticket: Ticket, now: dt.datetime) -> int:
    """Return how many tickets waiting in ``ticket``'s queue are called before it (one COUNT)."""
    return Ticket.objects.waiting().filter(queue_id=ticket.queue_id).ahead_of(ticket, now).count()


def to_minutes(seconds: float | None) -> int | None:
    return None if seconds is None else math.ceil(seconds / 60)


@dataclass(frozen=True)
class TicketEstimate:
    position: int | None
    expected_wait_minutes: int | None


def estimate_for_ticket(ticket: Ticket, now: dt.datetime | None = None) -> TicketEstimate:
    """Return the ticket's place in line (1 = next) and expected wait; both None unless waiting.

    Without ``now`` it is the estimate of this moment (μ as reused for MEAN_SECONDS); with
    ``now`` everything is read for that instant.
    """
    if ticket.status != TicketStatus.WAITING:
        return TicketEstimate(None, None)
    ahead = tickets_ahead(ticket, now or timezone.now())
    load = queue_loads([ticket.queue_id], now)[ticket.queue_id]
    return TicketEstimate(ahead + 1, to_minutes(load.wait_seconds(ahead)))
