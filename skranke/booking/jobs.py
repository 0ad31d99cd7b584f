"""Background jobs of appointments: give back lapsed holds, erase personal data in time, and
delete the calendar's rows of the past."""

from __future__ import annotations

import datetime as dt
from typing import Any

from skranke.booking.services import delete_old_rows, erase_personal_data, release_expired_holds
from skranke.jobs.registry import periodic_job


# Not needed for correctness (a lapsed hold counts as free at once, and the next booking near it
# gives its places back), but it keeps the hold and tick rows few.
@periodic_job("booking.release_expired_holds", every=dt.timedelta(minutes=1), atomic=False)
def release_expired_holds_job(payload: dict[str, Any]) -> None:
    release_expired_holds()


@periodic_job("booking.erase_personal_data", every=dt.timedelta(hours=1), atomic=False)
def erase_personal_data_job(payload: dict[str, Any]) -> None:
    erase_personal_data()
    delete_old_rows()
