"""Background jobs of access: deleting the rate-limit windows that have ended, and telling team
leads about devices that have gone offline."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from skranke.access.ratelimit import delete_ended_windows
from skranke.access.services import alert_offline_devices
from skranke.jobs.registry import periodic_job

logger = logging.getLogger(__name__)

DELETE_ENDED_RATE_LIMIT_WINDOWS = "access.delete_ended_rate_limit_windows"
ALERT_OFFLINE_DEVICES = "access.alert_offline_devices"


# Every few minutes, so the table holds little more than the current windows of active clients
# even under a flood from many addresses.
@periodic_job(DELETE_ENDED_RATE_LIMIT_WINDOWS, every=dt.timedelta(minutes=5))
def delete_ended_rate_limit_windows_job(payload: dict[str, Any]) -> None:
    delete_ended_windows()


# Every minute, so an alert goes out within a minute of SKRANKE_DEVICE_OFFLINE_ALERT_MINUTES.
# Atomic: each outage's claim commits together with its e-mails and their sending jobs.
@periodic_job(ALERT_OFFLINE_DEVICES, every=dt.timedelta(minutes=1))
def alert_offline_devices_job(payload: dict[str, Any]) -> None:
    reported = alert_offline_devices()
    if reported:
        logger.info("Reported %d devices offline to their team leads", reported)
