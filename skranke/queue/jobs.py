"""Background jobs of the number system."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.utils import timezone

from skranke.jobs.registry import job_handler, periodic_job
from skranke.lib.localtime import local_date
from skranke.queue.services import close_days_before
from skranke.queue.services.notices import SMS_NOTICE_JOB, send_due_notices

logger = logging.getLogger(__name__)


@periodic_job("queue.close_past_days", every=dt.timedelta(minutes=10))
def close_past_days(payload: dict[str, Any]) -> None:
    """End the visits of earlier local days that were never finished (reason `closed`).

    Runs every ten minutes, so shortly after each local midnight yesterday's line is closed,
    whichever time zone offset the night had.
    """
    closed = close_days_before(local_date(timezone.now()))
    if closed:
        logger.info("Closed %d visits left open from earlier days", closed)


# Atomic: the claims on the tickets commit together with the messages and their sending jobs,
# or not at all (the SMS itself is sent by the messaging job, exactly once).
@job_handler(SMS_NOTICE_JOB)
def send_sms_notices(payload: dict[str, Any]) -> None:
    """Send the SMS notices now due in one queue (skranke.queue.services.notices)."""
    sent = send_due_notices(int(payload["queue_id"]))
    if sent:
        logger.info("Sent %d SMS notices", sent)
