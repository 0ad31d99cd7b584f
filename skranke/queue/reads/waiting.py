"""Who is waiting in a queue: how many, and how long the longest has waited (DESIGN.md,
Definitions: wait). The counter page and the centre's live status both show it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import Count, Min

from skranke.queue.models import Ticket


@dataclass(frozen=True)
class Waiting:
    count: int
    longest_wait_minutes: int | None


NOBODY = Waiting(count=0, longest_wait_minutes=None)


def waiting_in_queues(queue_ids: Collection[int], now: dt.datetime) -> dict[int, Waiting]:
    """Return, per queue of ``queue_ids`` with someone waiting, how many wait and the longest
    wait in whole minutes at ``now`` (None while the longest is dated after ``now``, e.g. an
    appointment booked for later). Queues with nobody waiting are missing: use NOBODY. One
    grouped statement for them all."""
    rows = (
        Ticket.objects.waiting()
        .filter(queue_id__in=queue_ids)
        .values("queue")
        .annotate(count=Count("id"), oldest=Min("waiting_since"))
    )
    return {
        row["queue"]: Waiting(
            count=row["count"],
            longest_wait_minutes=(
                int((now - row["oldest"]).total_seconds() // 60) if row["oldest"] <= now else None
            ),
        )
        for row in rows
    }
