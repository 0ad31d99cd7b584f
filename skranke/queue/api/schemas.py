"""The number system API's request and response schemas, and the errors operations declare."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import StringConstraints

from skranke.lib.validators import NoCprStr
from skranke.queue.models import (
    Outcome,
    ReferredTo,
)


class ErrorOut(Schema):
    detail: str


class InputErrorOut(Schema):
    """422: what in the path or body is wrong, one entry (loc, msg, type) per problem."""

    detail: list[dict[str, Any]]


class RefusalOut(Schema):
    detail: str
    code: str
    next_opening: dt.datetime | None = None


# PostgreSQL cannot store or even look up text holding the NUL character (SQLite can), so text
# taken in, from the path or the body, refuses it: a 422 rather than a database error.
NO_NUL = r"^[^\x00]*$"
Text = Annotated[str, StringConstraints(pattern=NO_NUL)]


class IssueIn(Schema):
    location: Text
    service: Text


class TicketOut(Schema):
    id: int
    number: str
    queue: str
    status: str
    position: int | None
    expected_wait_minutes: int | None
    counter: int | None
    ticket_url: str
    token: str


class CitizenTicketOut(Schema):
    number: str
    queue: str
    location: str
    status: str
    position: int | None
    expected_wait_minutes: int | None
    counter: int | None
    sms_notice: bool = Field(
        description="Whether the citizen left a phone number for the SMS notice (never the number)"
    )


class StaffTicketOut(Schema):
    id: int
    number: str
    queue: int
    service: str
    status: str
    priority: str
    note: str
    counter: int | None
    waiting_since: dt.datetime
    recall_count: int


class CallOut(Schema):
    ticket: StaffTicketOut | None


class QueueClosureOut(Schema):
    queue: int
    date: dt.date
    reason: str
    detail: str


class SessionOut(Schema):
    id: int
    counter: int
    staff: str
    queues: list[int]
    state: str
    longest_waiting_first: bool
    team: str | None = Field(None, description="The team its visits count under.")


class OpenIn(Schema):
    queues: list[int] | None = None
    team: int | None = Field(
        None, description="One of the staff member's teams; default: their first front team."
    )
    longest_waiting_first: bool = True


class CallIn(Schema):
    number: Text


class TransferIn(Schema):
    queue: int


class ResumeIn(Schema):
    counter: int


class FinishIn(Schema):
    outcome: Outcome
    subject_area: int | None = None
    referred_to: ReferredTo | None = None


# Free text is limited to its column's length (200), so a longer text is a 422, not a database
# error (PostgreSQL refuses it; SQLite would store it).
class CloseQueueIn(Schema):
    reason: NoCprStr = Field(min_length=1, max_length=200, pattern=NO_NUL)


class StaffIssueIn(Schema):
    location: Text
    service: Text
    urgent: bool = False
    note: NoCprStr = Field("", max_length=200, pattern=NO_NUL)


STAFF_ERRORS: dict[int, Any] = {
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: RefusalOut,
    422: InputErrorOut,
}
