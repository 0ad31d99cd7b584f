"""Background jobs of appointments: send the reminders, record the no-shows, give back lapsed
holds, erase personal data in time, and delete the calendar's rows of the past."""

from __future__ import annotations

import datetime as dt
from typing import Any

from skranke.booking.services import (
    delete_old_rows,
    erase_personal_data,
    record_no_shows,
    release_expired_holds,
    send_due_reminders,
)
from skranke.jobs.registry import periodic_job


# Each reminder is its own transaction, claimed by a conditional update, so a sweep that dies
# halfway leaves the rest to the next one and two sweeps never send one twice.
@periodic_job("booking.send_reminders", every=dt.timedelta(minutes=5), atomic=False)
def send_reminders_job(payload: dict[str, Any]) -> None:
    send_due_reminders()


# Every minute, so the staff day view shows a missed appointment soon after its window closed.
@periodic_job("booking.record_no_shows", every=dt.timedelta(minutes=1), atomic=False)
def record_no_shows_job(payload: dict[str, Any]) -> None:
    record_no_shows()


# Not needed for correctness (a lapsed hold counts as free at once, and the next booking near it
# gives its places back), but it keeps the hold and tick rows few.
@periodic_job("booking.release_expired_holds", every=dt.timedelta(minutes=1), atomic=False)
def release_expired_holds_job(payload: dict[str, Any]) -> None:
    release_expired_holds()


@periodic_job("booking.erase_personal_data", every=dt.timedelta(hours=1), atomic=False)
def erase_personal_data_job(payload: dict[str, Any]) -> None:
    erase_personal_data()
    delete_old_rows()
