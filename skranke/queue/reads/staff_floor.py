"""The counters of a centre as staff watch them on the live floor: who works at each, whether it
is open, paused or closed and since when, and the number at it with how long it has been there.

Staff detail, so never on a public page or stream (queue.reads.status is what a waiting room
sees).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from skranke.organisation.models import Counter, Location
from skranke.queue.models import AT_COUNTER, CounterSession, SessionState, Ticket


@dataclass(frozen=True)
class CounterAtWork:
    counter: Counter
    session: CounterSession | None
    state: SessionState
    # Since when the counter has been open or paused (None when closed).
    since: dt.datetime | None
    ticket_number: str | None
    # When the citizen at the counter was called there.
    ticket_since: dt.datetime | None

    @property
    def staff_name(self) -> str:
        if self.session is None:
            return ""
        staff = self.session.staff
        return staff.get_full_name() or staff.get_username()


def counters_at_work(location: Location) -> list[CounterAtWork]:
    """Return every active counter of ``location`` in number order, with its open session (if
    any) and the number at it: three statements."""
    sessions = {
        session.counter_id: session
        for session in CounterSession.objects.filter(
            counter__location=location, closed_at__isnull=True
        ).select_related("staff", "team")
    }
    at_counters = {
        counter_id: (number, since)
        for counter_id, number, since in Ticket.objects.filter(
            location=location, status__in=AT_COUNTER
        ).values_list("counter_id", "display_number", "leg_started_at")
    }
    found = []
    for counter in location.counters.filter(active=True).order_by("number"):
        session = sessions.get(counter.pk)
        number, ticket_since = at_counters.get(counter.pk, (None, None))
        if session is None:
            state, since = SessionState.CLOSED, None
        else:
            state = session.state
            since = session.paused_at if state == SessionState.PAUSED else session.opened_at
        found.append(
            CounterAtWork(
                counter=counter,
                session=session,
                state=state,
                since=since,
                ticket_number=number,
                ticket_since=ticket_since,
            )
        )
    return found
