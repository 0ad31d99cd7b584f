"""Writing floor events: one row per change, announced to every server process on commit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection

from skranke.queue.models import NOTIFY_CHANNEL, Actor, EventKind, Ticket, TicketEvent


def record_event(
    kind: EventKind,
    *,
    location_id: int,
    at: dt.datetime,
    ticket: Ticket | None = None,
    queue_id: int | None = None,
    counter_id: int | None = None,
    staff: Actor = None,
    data: dict[str, Any] | None = None,
) -> TicketEvent:
    """Write one event in the caller's transaction and return it.

    On PostgreSQL the same transaction sends NOTIFY with the event id, which PostgreSQL delivers
    only if and when the transaction commits, so listeners never see an event that was rolled
    back. On SQLite the hub polls the table instead.
    """
    event = TicketEvent.objects.create(
        kind=kind,
        location_id=location_id,
        at=at,
        ticket=ticket,
        queue_id=queue_id,
        counter_id=counter_id,
        staff=staff if staff is not None and staff.is_authenticated else None,
        data=data or {},
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [NOTIFY_CHANNEL, str(event.pk)])
    return event
