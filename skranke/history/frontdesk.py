"""The Frontdesk format: a ticket export from the Frontdesk queue system, one row per ticket.

Columns (other columns are ignored; the waiting and handling minutes such exports carry are
recomputed from the timestamps, never read): ``TicketId``, ``CreatedAt``, ``CalledAt``,
``EndedAt``, ``QueueName``, ``QueueCategoryName`` (the subject area), ``CounterName``,
``EmployeeName``, ``Tickettype``, and optionally ``Status``.

How a row becomes a visit:

* Ending: the ``Status`` column when the file has one (``served``, ``no_show`` or
  ``cancelled``); otherwise a ticket never called was cancelled, one called but not ended was a
  no-show, and one called and ended was served. A served visit needs both times; a no-show a
  call.
* Times: the wait is CalledAt − CreatedAt, the service time EndedAt − CalledAt (served visits
  only, all of it at the front desk). A visit without EndedAt ended at its call (no-show) or its
  creation (cancelled, never called). A cancelled visit's reason is not known, and left empty.
* ``Tickettype``: a booked time (``appointment``, ``booking``, ``booked``, ``tidsbestilling``,
  ``tidsbestilt``, ``booket``, ``aftale``, ``reservation``, in any case) makes the visit an
  appointment; anything else, empty included, a walk-in.
* The visit counts under ``QueueName``, in the subject area ``QueueCategoryName`` (or "Ikke
  angivet", not stated, when that is empty), served at ``CounterName`` by ``EmployeeName`` (kept
  as text). Its source is ``import``; it has no outcome, team or service.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from skranke.history.errors import BadValue, shown
from skranke.history.timestamps import Stamp
from skranke.history.visits import (
    SOURCE_ID_LENGTH,
    ImportContext,
    check_text,
    import_key,
    staff_name,
    visit_row,
)
from skranke.queue.models import Ending, VisitSource

APPOINTMENT_TYPES = frozenset(
    {
        "appointment",
        "booking",
        "booked",
        "tidsbestilling",
        "tidsbestilt",
        "booket",
        "aftale",
        "reservation",
    }
)
# The subject area of a row whose QueueCategoryName is empty (Danish, as the catalogue's names).
UNSTATED_SUBJECT_AREA = "Ikke angivet"
STATUSES = {ending.value: ending for ending in Ending}


def seconds_between(earlier: Stamp, later: Stamp) -> int:
    return int((later.instant - earlier.instant).total_seconds())


def ending_of(status: str, called: Stamp | None, ended: Stamp | None) -> Ending:
    """Return how a visit ended: by its ``status`` when given, else by which times it has.

    Raises BadValue for an unknown status or one its times contradict.
    """
    if not status:
        if called is None:
            return Ending.CANCELLED
        return Ending.SERVED if ended is not None else Ending.NO_SHOW
    ending = STATUSES.get(status.casefold())
    if ending is None:
        raise BadValue(
            "Status",
            _("%(value)s is no status (served, no_show or cancelled).") % {"value": shown(status)},
        )
    if ending in (Ending.SERVED, Ending.NO_SHOW) and called is None:
        raise BadValue("CalledAt", _("a served or no-show visit needs the time it was called."))
    if ending == Ending.SERVED and ended is None:
        raise BadValue("EndedAt", _("a served visit needs the time it ended."))
    return ending


class FrontdeskRows:
    """Reads Frontdesk rows into visit records."""

    name: str = "frontdesk"
    required: tuple[str, ...] = (
        "TicketId",
        "CreatedAt",
        "CalledAt",
        "EndedAt",
        "QueueName",
        "QueueCategoryName",
        "CounterName",
        "EmployeeName",
        "Tickettype",
    )
    optional: tuple[str, ...] = ("Status",)

    def __init__(self, context: ImportContext) -> None:
        self.context = context
        self.previous_created: dt.datetime | None = None

    def visit(self, line: int, cells: list[str]) -> tuple[str, tuple[Any, ...]]:
        """Return the import key and the visit record of one row.

        Raises BadValue or CprInImport for a value that cannot be imported.
        """
        (ticket_id, created, called_text, ended_text, queue, area, counter, employee) = cells[:8]
        ticket_type, status = cells[8], cells[9]
        ticket_id = check_text(ticket_id, line, "TicketId", repeated=False)
        if not ticket_id:
            raise BadValue("TicketId", _("every row needs its ticket id."))
        if len(ticket_id) > SOURCE_ID_LENGTH:
            raise BadValue(
                "TicketId",
                _("a ticket id of at most %(most)d characters.") % {"most": SOURCE_ID_LENGTH},
            )
        times = self.context.times
        if not created.strip():
            raise BadValue("CreatedAt", _("every row needs the time its ticket was created."))
        # Rows come in time order: a doubtful local time is not earlier than the row before.
        issued = times.read(created, "CreatedAt", self.previous_created)
        self.previous_created = issued.instant
        called = (
            times.read(called_text, "CalledAt", issued.instant) if called_text.strip() else None
        )
        if called is not None and called.instant < issued.instant:
            raise BadValue("CalledAt", _("the ticket was called before it was created."))
        start = called or issued
        ended = times.read(ended_text, "EndedAt", start.instant) if ended_text.strip() else None
        if ended is not None and ended.instant < start.instant:
            message = (
                _("the visit ended before it was called.")
                if called
                else _("the visit ended before its ticket was created.")
            )
            raise BadValue("EndedAt", message)
        ending = ending_of(check_text(status, line, "Status"), called, ended)
        served = ending == Ending.SERVED
        service_seconds = seconds_between(called, ended) if served and called and ended else None
        catalogue = self.context.catalogue
        queue_id = catalogue.queue(check_text(queue, line, "QueueName"), "QueueName")
        area_name = check_text(area, line, "QueueCategoryName") or UNSTATED_SUBJECT_AREA
        location_id = self.context.location.pk
        row = visit_row(
            key=(key := import_key(self.name, location_id, ticket_id, issued)),
            source=VisitSource.IMPORT,
            location_id=location_id,
            first_queue_id=queue_id,
            served_queue_id=queue_id,
            subject_area_id=catalogue.subject_area(area_name, "QueueCategoryName"),
            service_id=None,
            issued=issued,
            called=called,
            ended=ended or start,
            wait_seconds=seconds_between(issued, called) if called else None,
            service_seconds=service_seconds,
            front_service_seconds=service_seconds,
            back_office_service_seconds=0 if served else None,
            back_office_wait_seconds=None,
            outcome="",
            referred_to="",
            ending=ending,
            cancel_reason="",
            is_appointment=check_text(ticket_type, line, "Tickettype").casefold()
            in APPOINTMENT_TYPES,
            transferred=False,
            counter_id=catalogue.counter(check_text(counter, line, "CounterName"), "CounterName"),
            team_id=None,
            staff_name=staff_name(check_text(employee, line, "EmployeeName"), "EmployeeName"),
        )
        return key, row
