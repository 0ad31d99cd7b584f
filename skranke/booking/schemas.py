"""The booking API's request and response schemas, and the errors its operations declare."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from skranke.queue.api.schemas import NO_NUL, ErrorOut, InputErrorOut, Text

# Free text is only limited in length and NUL here; what it may hold (a CPR number never) is the
# engine's rule (skranke.booking.services.clean_contact), the same for pages and the API.
SHORT_TEXT = Field(max_length=254, pattern=NO_NUL)


class SlotOut(Schema):
    start: dt.datetime
    end: dt.datetime
    remaining: int = Field(description="Places still free for one more booking of this time.")


class BookingErrorOut(Schema):
    """A refusal: what is wrong (`detail`), a stable `code`, the input it is about (`field`)."""

    detail: str
    code: str
    field: str | None = None


class BookingRefusalOut(Schema):
    """409: the request cannot be granted now; `next_free` offers other times."""

    detail: str
    code: str
    next_free: list[SlotOut] = Field(default_factory=list)


class SlotsQuery(Schema):
    service: Text = Field(description="The service's short name (or id).")
    date: dt.date | None = Field(None, description="One local date; or give `from` and `to`.")
    date_from: dt.date | None = Field(None, alias="from")
    date_to: dt.date | None = Field(None, alias="to")
    people: int = Field(1, ge=1, le=50)


class SlotsOut(Schema):
    location: str
    service: str
    people: int
    slot_minutes: int
    slots: list[SlotOut]
    first_free: SlotOut | None = Field(
        description="The earliest free time from now on, whatever the dates asked for."
    )


class HoldIn(Schema):
    location: Text
    service: Text
    start: dt.datetime
    people: int = Field(1, ge=1, le=50)


class HoldOut(Schema):
    token: str = Field(description="Give it as `hold` when booking; it is shown only once.")
    location: str
    service: str
    start: dt.datetime
    end: dt.datetime
    people: int
    expires_at: dt.datetime


class BookingIn(Schema):
    hold: str | None = Field(None, max_length=64, pattern=NO_NUL)
    location: str | None = Field(None, max_length=50, pattern=NO_NUL)
    service: str | None = Field(None, max_length=60, pattern=NO_NUL)
    start: dt.datetime | None = None
    people: int = Field(1, ge=1, le=50)
    name: str = SHORT_TEXT
    phone: str = Field("", max_length=40, pattern=NO_NUL)
    email: str = Field("", max_length=254, pattern=NO_NUL)
    language: str | None = Field(None, max_length=10, pattern=NO_NUL)
    send_confirmation: bool = Field(
        True,
        description="Staff only: false books without a message (the citizen is told on "
        "the phone). Citizens always get one.",
    )


class BookingOut(Schema):
    code: str
    status: str = Field(
        description="booked; checked_in (at the kiosk: `ticket_number` is its number); no_show "
        "(nobody checked in before the check-in window closed); cancelled (`cancel_reason`)."
    )
    changeable: bool = Field(
        description="Whether it may still be moved or cancelled now (booked and not begun)."
    )
    cancel_reason: str = Field(
        "", description="citizen, staff or closure (the centre closed at its time); else empty."
    )
    cancelled_at: dt.datetime | None = None
    checked_in_at: dt.datetime | None = None
    ticket_number: str | None = Field(None, description="The number issued at check-in.")
    no_show_at: dt.datetime | None = None
    reminder_sent_at: dt.datetime | None = None
    source: str
    location: str
    centre: str
    address: str
    service: str
    service_name: str
    start: dt.datetime
    end: dt.datetime
    people: int
    name: str
    phone: str
    email: str
    language: str
    what_to_bring: str


class BookingCreatedOut(Schema):
    code: str
    secret: str = Field(
        description="The link secret (for `X-Booking-Secret`); shown only now, stored hashed."
    )
    manage_url: str
    calendar_url: str
    booking: BookingOut


class MoveIn(Schema):
    start: dt.datetime
    people: int | None = Field(None, ge=1, le=50)
    secret: str | None = Field(None, max_length=64, pattern=NO_NUL)
    send_confirmation: bool = True


PUBLIC_ERRORS: dict[int, Any] = {
    404: BookingErrorOut,
    409: BookingRefusalOut,
    422: BookingErrorOut | InputErrorOut,
    429: ErrorOut,
}
CALLER_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, **PUBLIC_ERRORS}
