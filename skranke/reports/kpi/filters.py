"""Which visits a figure counts: a period of local dates with optional centres, queue, subject
area, team and source, and the same dates a year earlier (DESIGN.md, Definitions).

Every figure of the KPI engine starts from ``VisitFilter.visits()``, so a page, the report and
the API count the same rows. The visit record's ``issue_date`` is already the local date, so a
period needs no time-zone arithmetic.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from skranke.queue.models import Ending, VisitFact

# DESIGN.md, Definitions: the wait is over called visits (served or no-show), the service time
# over served ones. A visit cancelled after a call keeps the wait its record holds, but it is
# neither served nor a no-show, so the wait figures leave it out.
CALLED = Q(ending__in=(Ending.SERVED, Ending.NO_SHOW), wait_seconds__isnull=False)
SERVED = Q(ending=Ending.SERVED, service_seconds__isnull=False)


def a_year_earlier(day: dt.date) -> dt.date:
    """Return the same date a year earlier; 29 February becomes 28 February."""
    if day.month == 2 and day.day == 29:
        return day.replace(year=day.year - 1, day=28)
    return day.replace(year=day.year - 1)


@dataclass(frozen=True)
class VisitFilter:
    """A period of local dates (both included) and what else limits the visits counted.

    ``location_ids`` None means every centre; an empty tuple means none. ``queue_id`` is the
    queue a visit was issued in (it counts there, DESIGN.md), ``team_id`` the team of the
    session that finished it, ``source`` a VisitSource value. A period whose end lies before
    its start is empty.
    """

    date_from: dt.date
    date_to: dt.date
    location_ids: tuple[int, ...] | None = None
    queue_id: int | None = None
    subject_area_id: int | None = None
    team_id: int | None = None
    source: str | None = None

    @property
    def is_empty(self) -> bool:
        return self.date_to < self.date_from

    def visits(self) -> QuerySet[VisitFact]:
        """Return the visit records this filter counts (no rows for an empty period)."""
        if self.is_empty:
            return VisitFact.objects.none()
        visits = VisitFact.objects.filter(issue_date__range=(self.date_from, self.date_to))
        if self.location_ids is not None:
            visits = visits.filter(location_id__in=self.location_ids)
        if self.queue_id is not None:
            visits = visits.filter(first_queue_id=self.queue_id)
        if self.subject_area_id is not None:
            visits = visits.filter(subject_area_id=self.subject_area_id)
        if self.team_id is not None:
            visits = visits.filter(team_id=self.team_id)
        if self.source is not None:
            visits = visits.filter(source=self.source)
        return visits

    def a_year_earlier(self) -> VisitFilter:
        """Return the same filter over the same dates a year earlier (both ends shifted)."""
        return dataclasses.replace(
            self, date_from=a_year_earlier(self.date_from), date_to=a_year_earlier(self.date_to)
        )

    def days(self) -> list[dt.date]:
        """Return every date of the period in order (none for an empty period)."""
        count = (self.date_to - self.date_from).days + 1
        return [self.date_from + dt.timedelta(days=n) for n in range(max(0, count))]
