"""The jobs app's own periodic job: deleting finished jobs after their retention period."""

from __future__ import annotations

import datetime as dt
from typing import Any

from skranke.jobs.registry import periodic_job
from skranke.jobs.services import delete_finished_jobs

DELETE_FINISHED_JOB = "jobs.delete_finished"


@periodic_job(DELETE_FINISHED_JOB, every=dt.timedelta(hours=6))
def delete_finished_jobs_job(payload: dict[str, Any]) -> None:
    delete_finished_jobs()
