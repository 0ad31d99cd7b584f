"""Visit records made by hand for the KPI engine's tests: one row per call, with the local
date, hour and weekday its issue instant gives, so a test states a history in a few lines and
works its expected figures out beside it."""

from __future__ import annotations

import datetime as dt
import itertools

from skranke.catalogue.models import Queue, SubjectArea
from skranke.lib.localtime import local_zone
from skranke.organisation.models import Team, TeamKind
from skranke.queue.models import Ending, Outcome, VisitFact, VisitSource
from skranke.queue.tests.factories import Centre, copenhagen

_teams = itertools.count(1)


def make_team(name: str = "") -> Team:
    return Team.objects.create(name=name or f"Front {next(_teams)}", kind=TeamKind.FRONT)


def make_visit(
    centre: Centre,
    day: dt.date,
    hour: int = 10,
    minute: int = 0,
    *,
    wait: int | None = 0,
    service: int | None = 300,
    ending: Ending = Ending.SERVED,
    outcome: Outcome | str = Outcome.RESOLVED_FIRST_CONTACT,
    queue: Queue | None = None,
    subject_area: SubjectArea | None = None,
    team: Team | None = None,
    is_appointment: bool = False,
    source: VisitSource = VisitSource.KIOSK,
    fold: int = 0,
) -> VisitFact:
    """Write one ended visit issued at ``hour:minute`` Copenhagen time on ``day``.

    ``wait`` and ``service`` are seconds. Served: both kept. No-show: the wait only. Cancelled:
    neither, unless a ``wait`` is given for one cancelled after its call. Defaults: the passport
    queue and subject area, solved at the first contact.
    """
    issued = copenhagen(day, hour, minute, fold=fold)
    if ending != Ending.SERVED:
        service, outcome = None, ""
    called = issued + dt.timedelta(seconds=wait) if wait is not None else None
    ended = (called or issued) + dt.timedelta(seconds=service or 0)
    queue = queue or centre.passports
    local = issued.astimezone(local_zone())
    return VisitFact.objects.create(
        source=source,
        location=centre.location,
        first_queue=queue,
        served_queue=queue,
        subject_area=subject_area or centre.passport.subject_area,
        issued_at=issued,
        issue_date=local.date(),
        issue_hour=local.hour,
        issue_weekday=local.weekday(),
        first_called_at=called,
        first_call_hour=called.astimezone(local_zone()).hour if called else None,
        ended_at=ended,
        wait_seconds=wait,
        service_seconds=service,
        front_service_seconds=service,
        back_office_service_seconds=0 if service is not None else None,
        outcome=outcome,
        ending=ending,
        is_appointment=is_appointment,
        team=team,
    )
