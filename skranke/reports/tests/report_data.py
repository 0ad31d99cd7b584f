"""A small history for the report's front doors: served visits and a no-show at two centres,
today, through the number system's own functions, and a service goal at the first centre."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from skranke.organisation.models import Role, Team, TeamKind
from skranke.queue import services
from skranke.queue.models import Outcome
from skranke.queue.tests.factories import Centre, issue, make_centre, make_staff
from skranke.reports.models import GoalKind, ServiceGoal


@dataclass
class History:
    first: Centre
    second: Centre
    today: dt.date


def serve_some(centre: Centre, team: Team, served: int, no_shows: int) -> None:
    """Serve ``served`` citizens and mark ``no_shows`` absent at one counter of ``centre``."""
    staff = make_staff(Role.COUNTER_STAFF, [centre.location])
    staff.staff_profile.teams.add(team)
    session = services.open_counter(centre.counters[0], staff, [centre.passports, centre.general])
    for _visit in range(served):
        ticket = services.call_ticket(session, issue(centre), staff)
        services.start_serving(ticket, staff)
        services.finish(ticket, staff, outcome=Outcome.RESOLVED_FIRST_CONTACT)
    for _absent in range(no_shows):
        ticket = services.call_ticket(session, issue(centre), staff)
        # A no-show needs as many recalls as the installation asks for.
        for _recall in range(settings.SKRANKE_NO_SHOW_AFTER_RECALLS):
            services.recall(ticket, staff)
        services.mark_no_show(ticket, staff)


def make_history() -> History:
    """Two centres with visits today: three served and one no-show at the first, two served at
    the second; the first has the goal "80 % called within 10 minutes"."""
    first, second = make_centre(), make_centre()
    team = Team.objects.create(name="Front Nord", kind=TeamKind.FRONT)
    serve_some(first, team, served=3, no_shows=1)
    serve_some(second, team, served=2, no_shows=0)
    today = timezone.localdate()
    ServiceGoal.objects.create(
        location=first.location,
        kind=GoalKind.CALLED_WITHIN,
        minutes=10,
        target_percent=80,
        valid_from=today - dt.timedelta(days=30),
    )
    return History(first=first, second=second, today=today)
