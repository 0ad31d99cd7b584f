"""Background jobs of messaging: send one message; delete personal data past its time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from skranke.jobs.registry import job_handler, periodic_job
from skranke.messaging.services import (
    PURGE_JOB,
    SEND_JOB,
    deliver_message,
    purge_personal_data,
)


# Not atomic: the claim "pending → sending" must be committed before the gateway is called, or
# a crash would leave no trace that the message may have gone out (skranke.messaging.services).
@job_handler(SEND_JOB, atomic=False)
def send_message_job(payload: dict[str, Any]) -> None:
    deliver_message(int(payload["message_id"]))


@periodic_job(PURGE_JOB, every=dt.timedelta(hours=1))
def purge_personal_data_job(payload: dict[str, Any]) -> None:
    purge_personal_data()
