"""A day on the floor as a script: every step the engine's functions take, in the order taken.

The day simulation (simulate.py) writes scripts; the bulk writer (writer.py) turns one into the
rows the engine would have written, and the tests play the same script through the engine's
functions (skranke.queue.services) to prove the rows equal. As at the counter page, a call is
followed by a finish, a transfer or a no-show, without the API's optional "serving" step. Steps
refer to the visit and the counter session they act on by the step that began them (an Issue,
an OpenCounter), so a script needs no database ids of its own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# The steps are compared by identity (eq=False): a visit is its Issue step, a counter session its
# OpenCounter step.


@dataclass(frozen=True, slots=True, eq=False)
class OpenCounter:
    """services.open_counter: ``staff_id`` opens ``counter_id`` serving ``queue_ids``."""

    at: dt.datetime
    location_id: int
    counter_id: int
    staff_id: int
    team_id: int | None
    queue_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True, eq=False)
class CloseCounter:
    """services.close_counter by the session's own employee."""

    at: dt.datetime
    session: OpenCounter


@dataclass(frozen=True, slots=True, eq=False)
class Booking:
    """booking.services.book at ``booked_at``: ``code`` for ``starts_at`` to ``ends_at``,
    online (``staff_id`` None) or by phone (booked by ``staff_id``). Not a step of its own: the
    booking is made before its day, and its day's script says what became of it."""

    booked_at: dt.datetime
    location_id: int
    service_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    code: str
    source: str
    language: str
    staff_id: int | None = None


@dataclass(frozen=True, slots=True, eq=False)
class Issue:
    """services.issue_ticket: a number drawn (kiosk, phone), issued by a floor guide
    (``staff_id``) or, with ``booking``, booking.services.check_in of that booking at the kiosk
    (``waiting_since`` = max(check-in, booked time))."""

    at: dt.datetime
    location_id: int
    service_id: int
    source: str
    priority: str
    waiting_since: dt.datetime
    staff_id: int | None = None
    booking: Booking | None = None


@dataclass(frozen=True, slots=True, eq=False)
class MissedBooking:
    """A booking that never became a visit: cancelled at ``at`` (booking.services
    .cancel_appointment, by the citizen or by ``staff_id``; ``cancel_reason``), or recorded as a
    no-show at ``at`` by the sweep once its check-in window closed (``status`` no_show)."""

    at: dt.datetime
    booking: Booking
    status: str
    cancel_reason: str = ""
    staff_id: int | None = None


@dataclass(frozen=True, slots=True, eq=False)
class Call:
    """services.call_next at ``session``'s counter; the call order picks ``visit``."""

    at: dt.datetime
    visit: Issue
    session: OpenCounter


@dataclass(frozen=True, slots=True, eq=False)
class Recall:
    """services.recall: the number is shown again."""

    at: dt.datetime
    visit: Issue
    session: OpenCounter


@dataclass(frozen=True, slots=True, eq=False)
class NoShow:
    """services.mark_no_show after the recalls the setting asks for."""

    at: dt.datetime
    visit: Issue
    session: OpenCounter


@dataclass(frozen=True, slots=True, eq=False)
class Transfer:
    """services.transfer to another queue at the centre (here: its back office)."""

    at: dt.datetime
    visit: Issue
    session: OpenCounter
    queue_id: int


@dataclass(frozen=True, slots=True, eq=False)
class Finish:
    """services.finish with the subject area recorded and the outcome."""

    at: dt.datetime
    visit: Issue
    session: OpenCounter
    outcome: str
    subject_area_id: int
    referred_to: str = ""


@dataclass(frozen=True, slots=True, eq=False)
class CitizenCancel:
    """services.cancel by the citizen while waiting (reason `citizen`)."""

    at: dt.datetime
    visit: Issue


@dataclass(frozen=True, slots=True, eq=False)
class CloseDay:
    """services.close_days_before(``day`` + 1) run by the worker at ``at``: every visit of
    ``day`` still open is cancelled with reason `closed`."""

    at: dt.datetime
    day: dt.date


Step = (
    OpenCounter
    | CloseCounter
    | Issue
    | Call
    | Recall
    | NoShow
    | Transfer
    | Finish
    | CitizenCancel
    | CloseDay
    | MissedBooking
)
