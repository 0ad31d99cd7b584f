"""Refusals of the number system; the API answers each with 409 and its message (403 for
NotYours)."""

from __future__ import annotations

import datetime as dt

from django.utils.functional import Promise


class QueueError(Exception):
    """A request the number system refuses; ``code`` is stable, ``message`` is for people."""

    def __init__(self, code: str, message: str | Promise, **details: object) -> None:
        self.code = code
        self.message = str(message)
        self.details = details
        super().__init__(self.message)


class IssueRefused(QueueError):
    """No number can be issued: closed centre, cut-off, quota, closed queue …"""

    def __init__(
        self,
        code: str,
        message: str | Promise,
        next_opening: dt.datetime | None = None,
        **details: object,
    ) -> None:
        super().__init__(code, message, **details)
        self.next_opening = next_opening


class IllegalTransition(QueueError):
    """The ticket or counter is not in a state that allows this action."""


class CounterConflict(QueueError):
    """The counter or the staff member is busy elsewhere."""


class NotYours(QueueError):
    """The ticket or counter belongs to another employee's open counter session.

    Who acts on a ticket is the engine's rule (docs/permissions.md): a ticket at a counter only by
    the person in that counter's open session, a session only by its own employee. Pages and the
    API answer it with 403.
    """
