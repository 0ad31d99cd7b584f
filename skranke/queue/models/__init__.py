"""The number system's models: the floor (tickets, counter sessions, events) and the visit record
that statistics read, with their vocabularies.

A ticket is one visit from issue to its end (DESIGN.md, Definitions). When a visit ends, one
VisitFact row is written, so reports never replay events.
"""

from __future__ import annotations

from skranke.queue.models.choices import (
    AT_COUNTER,
    ENDED,
    STAFF_ONLY_KINDS,
    Actor,
    CancelReason,
    Ending,
    EventKind,
    Outcome,
    Priority,
    ReferredTo,
    SessionState,
    Source,
    TicketStatus,
    VisitSource,
)
from skranke.queue.models.floor import (
    NOTIFY_CHANNEL,
    CounterSession,
    DailySequence,
    QueueClosure,
    Ticket,
    TicketEvent,
    TicketQuerySet,
)
from skranke.queue.models.visits import VisitFact

__all__ = [
    "AT_COUNTER",
    "ENDED",
    "NOTIFY_CHANNEL",
    "STAFF_ONLY_KINDS",
    "Actor",
    "CancelReason",
    "CounterSession",
    "DailySequence",
    "Ending",
    "EventKind",
    "Outcome",
    "Priority",
    "QueueClosure",
    "ReferredTo",
    "SessionState",
    "Source",
    "Ticket",
    "TicketEvent",
    "TicketQuerySet",
    "TicketStatus",
    "VisitFact",
    "VisitSource",
]
