"""Refusals of the booking engine: each a stable ``code`` and a ``message`` for people.

The API answers BookingNotFound and NotBookable with 404, BadBookingInput with 422 and
BookingRefused with 409; a page shows the message beside the form. A refusal about a time
(taken, closed, too soon) carries ``next_free``: the next free slots after it, so the citizen
can pick another at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.utils.functional import Promise

if TYPE_CHECKING:
    from skranke.booking.slots import Slot


class BookingError(Exception):
    """A booking request the engine refuses; ``code`` is stable, ``message`` is for people."""

    def __init__(
        self,
        code: str,
        message: str | Promise,
        next_free: Sequence[Slot] = (),
        *,
        field: str | None = None,
    ) -> None:
        self.code = code
        self.message = str(message)
        self.next_free = list(next_free)
        # The input the refusal is about ("name", "phone", "start" …), for a form to mark.
        self.field = field
        super().__init__(self.message)

    def with_next_free(self, next_free: Sequence[Slot]) -> BookingError:
        """Return the same refusal carrying ``next_free``."""
        return type(self)(self.code, self.message, next_free, field=self.field)


class BadBookingInput(BookingError):
    """Something the citizen or staff member gave is wrong: a past date, a time beyond the
    horizon or not on the calendar's grid, too many people, a malformed phone number or
    e-mail address, text holding a CPR number."""


class NotBookable(BookingError):
    """No such centre or service, or the service is not booked at that centre."""


class BookingNotFound(BookingError):
    """No appointment with that code (and secret), or the hold has gone."""


class BookingRefused(BookingError):
    """The request is fine but cannot be granted now: the time was just taken, the centre is
    closed that day, a limit is reached, or the appointment can no longer be changed."""


class SlotTaken(BookingRefused):
    """The last place of a tick the booking needs went to someone else."""
