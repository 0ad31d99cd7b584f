"""What a report is asked for: which centres, which dates, and an optional goal override.

The CLI (`skranke report`) and the API (`GET /api/v1/reports`) both turn their arguments into
a ReportQuery here, so both refuse the same bad input with the same message.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class ReportQuery:
    """One report's question.

    ``location_ids`` are the centres asked for (all the caller may see with ``all_locations``,
    which also keys queues by "centre-slug/name"); ``date_from`` and ``date_to`` are local
    dates, both included; ``goal_minutes`` overrides the service goals in force for
    ``wait_minutes.within_goal_share``.
    """

    location_ids: tuple[int, ...]
    all_locations: bool
    date_from: dt.date
    date_to: dt.date
    goal_minutes: int | None = None
