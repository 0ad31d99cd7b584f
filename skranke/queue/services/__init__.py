"""The number system's engine: the only code that writes tickets, sessions and their events.

Each public function is one transition (DESIGN.md, Definitions), decided by a conditional UPDATE
whose row count says whether it happened, with its TicketEvent in the same transaction and the
VisitFact when a visit ends. Pages, the API, the CLI and jobs call the functions named here;
the modules behind them are issuing, sessions, calling and transitions, with records (what each
change writes), events (the event writer) and notices (the SMS "your turn is coming").
"""

from __future__ import annotations

from skranke.queue.services.calling import call_next, call_ticket, resume_parked_ticket
from skranke.queue.services.issuing import (
    check_can_issue,
    drawable_services,
    find_ticket,
    issue_ticket,
    queue_for_service,
    takes_walk_ins_now,
)
from skranke.queue.services.sessions import (
    close_abandoned_session,
    close_counter,
    default_queues,
    default_team,
    open_counter,
    open_session,
    own_session,
    pause_counter,
    resume_counter,
    session_at,
    staff_teams,
)
from skranke.queue.services.transitions import (
    cancel,
    close_days_before,
    close_queue_now,
    finish,
    mark_no_show,
    park,
    recall,
    reinstate,
    save_note,
    start_serving,
    transfer,
)

__all__ = [
    "call_next",
    "call_ticket",
    "cancel",
    "check_can_issue",
    "close_abandoned_session",
    "close_counter",
    "close_days_before",
    "close_queue_now",
    "default_queues",
    "default_team",
    "drawable_services",
    "find_ticket",
    "finish",
    "issue_ticket",
    "mark_no_show",
    "open_counter",
    "open_session",
    "own_session",
    "park",
    "pause_counter",
    "queue_for_service",
    "recall",
    "reinstate",
    "resume_counter",
    "resume_parked_ticket",
    "save_note",
    "session_at",
    "staff_teams",
    "start_serving",
    "takes_walk_ins_now",
    "transfer",
]
