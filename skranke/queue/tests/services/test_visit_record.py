"""The visit record the engine writes as a visit ends: every field reports and planning read
(DESIGN.md, Definitions: visit, wait, service time, team)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from skranke.organisation.models import Team, TeamKind
from skranke.queue import services
from skranke.queue.errors import IllegalTransition
from skranke.queue.models import (
    CancelReason,
    Ending,
    Outcome,
    Priority,
    Source,
    Ticket,
    VisitFact,
    VisitSource,
)
from skranke.queue.tests.factories import copenhagen, make_centre, make_staff

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 10)  # a Tuesday


def _staff_in(*teams: Team) -> User:
    staff = make_staff()
    staff.staff_profile.teams.set(teams)
    return staff


def _teams() -> tuple[Team, Team]:
    front = Team.objects.create(name="Team Pas", kind=TeamKind.FRONT)
    back = Team.objects.create(name="Team Ydelser", kind=TeamKind.BACK)
    return front, back


def test_a_served_visit_records_its_times_queues_source_and_team() -> None:
    centre = make_centre()
    front, back = _teams()
    staff = _staff_in(back, front)
    issued = copenhagen(DAY, 9, 50)
    ticket = services.issue_ticket(
        centre.location, centre.passport, source=Source.MOBILE, now=issued
    )
    session = services.open_counter(centre.counters[0], staff, [centre.passports], now=issued)
    called = services.call_next(session, staff, now=copenhagen(DAY, 10, 5))
    assert called is not None
    services.finish(
        called, staff, outcome=Outcome.RESOLVED_FIRST_CONTACT, now=copenhagen(DAY, 10, 17)
    )

    fact = VisitFact.objects.get(ticket=ticket)
    assert fact.source == VisitSource.MOBILE
    assert fact.issued_at == issued and fact.issue_hour == 9
    assert fact.first_called_at == copenhagen(DAY, 10, 5)
    assert fact.first_call_hour == 10  # local time, not UTC (09)
    assert fact.ended_at == copenhagen(DAY, 10, 17)
    assert fact.first_queue_id == fact.served_queue_id == centre.passports.pk
    assert fact.wait_seconds == 15 * 60
    assert fact.service_seconds == fact.front_service_seconds == 12 * 60
    assert fact.back_office_service_seconds == 0
    assert fact.back_office_wait_seconds is None
    # The session's team: the employee's front team unless they choose another.
    assert session.team == front
    assert fact.team_id == front.pk
    assert fact.staff_id == staff.pk and fact.staff_name == ""


def test_front_desk_and_back_office_time_are_kept_apart_and_add_up() -> None:
    centre = make_centre()
    front_team, back_team = _teams()
    front = _staff_in(front_team)
    back = _staff_in(back_team)
    start = copenhagen(DAY, 10, 0)
    ticket = services.issue_ticket(centre.location, centre.moving, source=Source.KIOSK, now=start)
    desk = services.open_counter(centre.counters[0], front, [centre.general], now=start)
    office = services.open_counter(
        centre.counters[1], back, [centre.back_office, centre.general], now=start
    )
    at = lambda minutes: start + dt.timedelta(minutes=minutes)  # noqa: E731

    # Front desk 2 minutes, back office (waits 7, served 5), back to the front desk for 3.
    called = services.call_next(desk, front, now=at(1))
    assert called is not None
    services.transfer(called, centre.back_office, front, now=at(3))
    again = services.call_next(office, back, now=at(10))
    assert again is not None and again.pk == ticket.pk
    services.transfer(again, centre.general, back, now=at(15))
    last = services.call_next(desk, front, now=at(16))
    assert last is not None and last.pk == ticket.pk
    services.finish(last, front, outcome=Outcome.RESOLVED_FIRST_CONTACT, now=at(19))

    fact = VisitFact.objects.get(ticket=ticket)
    assert fact.wait_seconds == 60  # the first call only
    assert fact.service_seconds == (2 + 5 + 3) * 60
    assert fact.front_service_seconds == 5 * 60
    assert fact.back_office_service_seconds == 5 * 60
    assert fact.back_office_wait_seconds == 7 * 60
    assert fact.first_queue_id == centre.general.pk and fact.served_queue_id == centre.general.pk
    # Transferred, though it ended in the queue it was issued in.
    assert fact.transferred is True
    # The session that finished it counts it.
    assert fact.team_id == front_team.pk


def test_a_visit_finished_in_back_office_counts_there() -> None:
    centre = make_centre()
    front_team, back_team = _teams()
    front, back = _staff_in(front_team), _staff_in(back_team)
    start = copenhagen(DAY, 10, 0)
    ticket = services.issue_ticket(centre.location, centre.moving, source=Source.KIOSK, now=start)
    desk = services.open_counter(centre.counters[0], front, [centre.general], now=start)
    office = services.open_counter(centre.counters[1], back, [centre.back_office], now=start)
    called = services.call_next(desk, front, now=start + dt.timedelta(minutes=2))
    assert called is not None
    services.transfer(called, centre.back_office, front, now=start + dt.timedelta(minutes=4))
    again = services.call_next(office, back, now=start + dt.timedelta(minutes=9))
    assert again is not None
    services.finish(again, back, outcome=Outcome.NOT_RESOLVED, now=start + dt.timedelta(minutes=20))
    fact = VisitFact.objects.get(ticket=ticket)
    assert fact.served_queue_id == centre.back_office.pk and fact.transferred
    assert fact.team_id == back_team.pk
    assert (fact.front_service_seconds, fact.back_office_service_seconds) == (120, 660)
    assert fact.back_office_wait_seconds == 300


def test_a_no_show_counts_under_the_team_that_called_it_and_has_no_service_time() -> None:
    centre = make_centre()
    front_team, _back = _teams()
    staff = _staff_in(front_team)
    start = copenhagen(DAY, 11, 0)
    ticket = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK, now=start)
    session = services.open_counter(centre.counters[0], staff, [centre.passports], now=start)
    called = services.call_next(session, staff, now=start + dt.timedelta(minutes=3))
    assert called is not None
    for _recall in range(settings.SKRANKE_NO_SHOW_AFTER_RECALLS):
        services.recall(called, staff, now=start + dt.timedelta(minutes=4))
    services.mark_no_show(called, staff, now=start + dt.timedelta(minutes=6))
    fact = VisitFact.objects.get(ticket=ticket)
    assert fact.ending == Ending.NO_SHOW and fact.wait_seconds == 180
    assert fact.service_seconds is None and fact.front_service_seconds is None
    assert fact.team_id == front_team.pk
    assert fact.ended_at == start + dt.timedelta(minutes=6)


def test_a_visit_never_called_has_no_call_no_team() -> None:
    centre = make_centre()
    start = copenhagen(DAY, 12, 0)
    ticket = services.issue_ticket(
        centre.location, centre.passport, source=Source.FLOOR_GUIDE, now=start
    )
    services.cancel(ticket, CancelReason.CITIZEN, now=start + dt.timedelta(minutes=9))
    fact = VisitFact.objects.get(ticket=ticket)
    assert fact.ending == Ending.CANCELLED and fact.source == VisitSource.FLOOR_GUIDE
    assert fact.first_called_at is None and fact.first_call_hour is None
    assert fact.wait_seconds is None and fact.team_id is None
    assert fact.ended_at == start + dt.timedelta(minutes=9)


def test_an_appointment_waits_from_its_booked_time() -> None:
    centre = make_centre()
    staff = make_staff()
    arrived = copenhagen(DAY, 9, 45)
    booked = copenhagen(DAY, 10, 0)
    ticket = services.issue_ticket(
        centre.location,
        centre.passport,
        source=Source.APPOINTMENT,
        priority=Priority.APPOINTMENT,
        waiting_since=booked,
        now=arrived,
    )
    session = services.open_counter(centre.counters[0], staff, [centre.passports], now=arrived)
    called = services.call_ticket(session, ticket, staff, now=booked + dt.timedelta(minutes=2))
    services.finish(
        called, staff, outcome=Outcome.RESOLVED_FIRST_CONTACT, now=booked + dt.timedelta(minutes=10)
    )
    fact = VisitFact.objects.get(ticket=ticket)
    assert fact.is_appointment and fact.source == VisitSource.APPOINTMENT
    assert fact.wait_seconds == 120  # from the booked time, not from the early arrival


def test_the_record_outlives_its_ticket() -> None:
    centre = make_centre()
    ticket = services.issue_ticket(centre.location, centre.passport, source=Source.KIOSK)
    services.cancel(ticket, CancelReason.CITIZEN)
    fact = VisitFact.objects.get(ticket=ticket)
    Ticket.objects.filter(pk=ticket.pk).delete()
    fact.refresh_from_db()
    assert fact.ticket_id is None and fact.ending == Ending.CANCELLED


def test_an_import_key_is_unique() -> None:
    centre = make_centre()
    now = timezone.now()
    row = {
        "source": VisitSource.IMPORT,
        "location": centre.location,
        "first_queue": centre.passports,
        "served_queue": centre.passports,
        "subject_area": centre.passport.subject_area,
        "issued_at": now,
        "issue_date": now.date(),
        "issue_hour": now.hour,
        "issue_weekday": now.weekday(),
        "ended_at": now,
        "ending": Ending.CANCELLED,
        "is_appointment": False,
        "staff_name": "Mette Jensen",
        "import_key": "frontdesk:4711:2026-11-10T09:00",
    }
    VisitFact.objects.create(**row)
    with pytest.raises(IntegrityError), transaction.atomic():
        VisitFact.objects.create(**row)


def test_opening_a_counter_takes_a_chosen_team_of_ones_own_only() -> None:
    centre = make_centre()
    front, back = _teams()
    other = Team.objects.create(name="Team Andet", kind=TeamKind.FRONT)
    staff = _staff_in(front, back)
    session = services.open_counter(centre.counters[0], staff, [centre.back_office], team=back)
    assert session.team == back
    services.close_counter(session, staff)
    with pytest.raises(IllegalTransition) as refused:
        services.open_counter(centre.counters[0], staff, [centre.passports], team=other)
    assert refused.value.code == "foreign_team"


def test_staff_in_no_team_open_a_counter_without_one() -> None:
    centre = make_centre()
    staff = make_staff()
    session = services.open_counter(centre.counters[0], staff, [centre.passports])
    assert session.team is None


def test_every_ticket_source_is_a_visit_source() -> None:
    # VisitSource repeats Source's members (plus "import"): a source added to one only would
    # write visit records whose source is not a choice.
    visit_sources = {(value, str(label)) for value, label in VisitSource.choices}
    assert {(value, str(label)) for value, label in Source.choices} <= visit_sources
    assert set(VisitSource.values) - set(Source.values) == {VisitSource.IMPORT}
