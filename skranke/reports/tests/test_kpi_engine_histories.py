"""Histories made through the number system's own functions, read back through the KPI engine:
a transfer to back office and back, a no-show reinstated, an appointment checked in early, and
the two daylight-saving days (hours in Copenhagen time, waits in real minutes)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from skranke.catalogue.models import Queue
from skranke.organisation.models import Counter, Team
from skranke.queue import services
from skranke.queue.models import CounterSession, Outcome, Priority, Source, Ticket, VisitFact
from skranke.queue.tests.factories import Centre, copenhagen, make_centre, make_staff
from skranke.reports.kpi import (
    VisitCounts,
    VisitFilter,
    counts_by,
    counts_by_hour,
    service_summary,
    time_summaries_by,
    visit_counts,
    wait_summary,
)
from skranke.reports.tests.visit_factory import make_team

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 4)
MINUTE = 60


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return copenhagen(day, hour, minute)


def open_desk(
    counter: Counter, queues: list[Queue], team: Team, now: dt.datetime
) -> tuple[object, CounterSession]:
    staff = make_staff()
    staff.staff_profile.teams.add(team)
    return staff, services.open_counter(counter, staff, queues, team=team, now=now)


def call(session: CounterSession, staff: object, now: dt.datetime) -> Ticket:
    ticket = services.call_next(session, staff, now=now)
    assert ticket is not None
    return ticket


def issue(centre: Centre, now: dt.datetime, **options: object) -> Ticket:
    service = options.pop("service", centre.passport)
    options.setdefault("source", Source.KIOSK)
    return services.issue_ticket(centre.location, service, now=now, **options)


def test_transfer_to_back_office_and_back_is_one_visit() -> None:
    centre = make_centre()
    front_team, back_team = make_team("Front"), make_team("Sagsbehandling")
    front, front_desk = open_desk(centre.counters[0], [centre.general], front_team, at(8))
    back, back_desk = open_desk(centre.counters[1], [centre.back_office], back_team, at(8))
    ticket = issue(centre, at(9), service=centre.moving)
    services.transfer(call(front_desk, front, at(9, 2)), centre.back_office, front, now=at(9, 10))
    services.transfer(call(back_desk, back, at(9, 20)), centre.general, back, now=at(9, 30))
    again = call(front_desk, front, at(9, 35))
    assert again.pk == ticket.pk
    services.finish(again, front, outcome=Outcome.RESOLVED_FIRST_CONTACT, now=at(9, 40))

    period = VisitFilter(DAY, DAY)
    # One visit, counted under the queue it was issued in and the team that finished it.
    assert visit_counts(period) == VisitCounts(total=1, served=1)
    assert {key: c.total for key, c in counts_by(period, "first_queue_id").items()} == {
        centre.general.pk: 1
    }
    assert {key: c.total for key, c in counts_by(period, "team_id").items()} == {front_team.pk: 1}
    # The wait is to the first call (2 minutes); the service time sums the three legs:
    # 8 (front) + 10 (back office) + 5 (front again) = 23 minutes.
    assert wait_summary(period).mean_seconds == 2 * MINUTE
    assert service_summary(period).max_seconds == 23 * MINUTE
    fact = VisitFact.objects.get(ticket=ticket)
    assert fact.back_office_service_seconds == 10 * MINUTE
    assert fact.back_office_wait_seconds == 10 * MINUTE


def test_no_show_then_reinstated_counts_once_as_served() -> None:
    centre = make_centre()
    staff, desk = open_desk(centre.counters[0], [centre.passports], make_team(), at(8))
    ticket = issue(centre, at(9))
    called = call(desk, staff, at(9, 5))
    for _recall in range(settings.SKRANKE_NO_SHOW_AFTER_RECALLS):
        services.recall(called, staff, now=at(9, 6))
    services.mark_no_show(called, staff, now=at(9, 8))
    period = VisitFilter(DAY, DAY)
    assert visit_counts(period) == VisitCounts(total=1, no_show=1)
    assert wait_summary(period).count == 1

    services.reinstate(ticket, staff, now=at(9, 10))
    assert visit_counts(period) == VisitCounts()
    assert wait_summary(period).count == 0

    again = call(desk, staff, at(9, 20))
    services.finish(again, staff, outcome=Outcome.NOT_RESOLVED, now=at(9, 30))
    assert visit_counts(period) == VisitCounts(total=1, served=1)
    # The wait runs to the first call (9:05); the service time is the leg served (9:20–9:30).
    assert wait_summary(period).mean_seconds == 5 * MINUTE
    assert service_summary(period).mean_seconds == 10 * MINUTE


def test_appointment_checked_in_early_waits_from_its_booked_time() -> None:
    centre = make_centre()
    staff, desk = open_desk(centre.counters[0], [centre.passports], make_team(), at(8))
    # Checked in at 9:40 for 10:00; a walk-in draws a number at 9:50.
    issue(
        centre,
        at(9, 40),
        source=Source.APPOINTMENT,
        priority=Priority.APPOINTMENT,
        waiting_since=at(10),
    )
    issue(centre, at(9, 50))
    first = call(desk, staff, at(10, 5))
    assert first.priority == Priority.APPOINTMENT
    services.finish(first, staff, outcome=Outcome.RESOLVED_FIRST_CONTACT, now=at(10, 15))
    second = call(desk, staff, at(10, 15))
    services.finish(second, staff, outcome=Outcome.RESOLVED_FIRST_CONTACT, now=at(10, 20))

    period = VisitFilter(DAY, DAY)
    waits = time_summaries_by(period, "wait_seconds", "is_appointment")
    assert waits[True].mean_seconds == 5 * MINUTE  # 10:05 − max(9:40, 10:00), not 25
    assert waits[False].mean_seconds == 25 * MINUTE  # 10:15 − 9:50
    assert wait_summary(period).median_seconds == 15 * MINUTE
    # Both count under the hour they were issued in.
    assert counts_by_hour(period)[9].total == 2


def test_daylight_saving_days_count_local_hours_and_real_minutes() -> None:
    centre = make_centre()
    team = make_team()
    spring, autumn = dt.date(2026, 3, 29), dt.date(2026, 10, 25)
    staff, desk = open_desk(centre.counters[0], [centre.passports], team, at(0, 0, spring))

    # Spring: clocks jump from 02:00 to 03:00. Issued 01:50, called 03:10 local: 20 minutes.
    issue(centre, copenhagen(spring, 1, 50))
    issue(centre, copenhagen(spring, 3, 5))
    first = call(desk, staff, copenhagen(spring, 3, 10))
    services.finish(
        first, staff, outcome=Outcome.RESOLVED_FIRST_CONTACT, now=copenhagen(spring, 3, 20)
    )
    second = call(desk, staff, copenhagen(spring, 3, 30))
    services.finish(
        second, staff, outcome=Outcome.RESOLVED_FIRST_CONTACT, now=copenhagen(spring, 3, 40)
    )
    spring_day = VisitFilter(spring, spring)
    hours = {hour: counts.total for hour, counts in counts_by_hour(spring_day).items()}
    assert (hours[1], hours[2], hours[3]) == (1, 0, 1)
    # 20 minutes, and 25 for the one issued at 03:05 and called at 03:30.
    assert wait_summary(spring_day).mean_seconds == (20 + 25) * MINUTE / 2

    # Autumn: 02:00–03:00 happens twice. Issued in the first 02:30, called in the second 02:40:
    # 70 minutes; one issued in the second 02:30 and called at 02:45: 15 minutes.
    services.close_counter(desk, staff, now=copenhagen(spring, 4))
    staff, desk = open_desk(centre.counters[1], [centre.passports], team, copenhagen(autumn, 0))
    issue(centre, copenhagen(autumn, 2, 30))
    issue(centre, copenhagen(autumn, 2, 30, fold=1))
    early = call(desk, staff, copenhagen(autumn, 2, 40, fold=1))
    services.finish(
        early,
        staff,
        outcome=Outcome.RESOLVED_FIRST_CONTACT,
        now=copenhagen(autumn, 2, 42, fold=1),
    )
    late = call(desk, staff, copenhagen(autumn, 2, 45, fold=1))
    services.finish(
        late, staff, outcome=Outcome.RESOLVED_FIRST_CONTACT, now=copenhagen(autumn, 2, 50, fold=1)
    )
    autumn_day = VisitFilter(autumn, autumn)
    hours = {hour: counts.total for hour, counts in counts_by_hour(autumn_day).items()}
    assert hours[2] == 2 and sum(hours.values()) == 2
    autumn_wait = wait_summary(autumn_day)
    assert autumn_wait.max_seconds == 70 * MINUTE
    assert autumn_wait.median_seconds == (70 + 15) / 2 * MINUTE
