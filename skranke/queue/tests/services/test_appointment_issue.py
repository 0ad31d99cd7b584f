"""A checked-in appointment's number (source "appointment") goes through the same issuing path
as a walk-in's, but the walk-in rules do not stop it: not the hours (check-in may open before
the doors), the cut-off, a queue closed for the day, nor the quota. An inactive centre or queue,
or no queue for the service, still does."""

from __future__ import annotations

import datetime as dt

import pytest

from skranke.catalogue.models import Service
from skranke.organisation.models import Location
from skranke.queue import services
from skranke.queue.errors import IssueRefused
from skranke.queue.models import DailySequence, Priority, Source, Ticket
from skranke.queue.tests.factories import (
    Centre,
    copenhagen,
    issue,
    make_centre,
    make_staff,
    set_weekly_hours,
)

pytestmark = pytest.mark.django_db

TUESDAY = dt.date(2026, 6, 9)


def appointment_number(
    centre: Centre, now: dt.datetime, booked: dt.datetime | None = None
) -> Ticket:
    return services.issue_ticket(
        centre.location,
        centre.passport,
        source=Source.APPOINTMENT,
        priority=Priority.APPOINTMENT,
        waiting_since=max(now, booked or now),
        now=now,
    )


def office_hours_centre() -> Centre:
    centre = make_centre()
    set_weekly_hours(centre.location, dt.time(10, 0), dt.time(15, 0))
    return centre


def test_before_opening_after_the_cut_off_and_after_closing_an_appointment_gets_its_number() -> (
    None
):
    centre = office_hours_centre()
    centre.passports.cutoff_minutes = 30
    centre.passports.save(update_fields=["cutoff_minutes"])

    before_doors = appointment_number(
        centre, copenhagen(TUESDAY, 9, 50), booked=copenhagen(TUESDAY, 10, 0)
    )
    after_cut_off = appointment_number(centre, copenhagen(TUESDAY, 14, 40))
    with pytest.raises(IssueRefused) as walk_in:
        issue(centre, now=copenhagen(TUESDAY, 14, 40))

    assert walk_in.value.code == "cut_off"
    assert [before_doors.display_number, after_cut_off.display_number] == ["P001", "P002"]
    assert before_doors.source == Source.APPOINTMENT
    assert before_doors.priority == Priority.APPOINTMENT
    # The wait is counted from the booked time when the citizen checks in early.
    assert before_doors.waiting_since == copenhagen(TUESDAY, 10, 0)
    assert before_doors.issued_at == copenhagen(TUESDAY, 9, 50)


def test_a_queue_closed_for_the_day_still_takes_appointments() -> None:
    centre = make_centre()
    now = copenhagen(TUESDAY, 11, 0)
    services.close_queue_now(centre.passports, "Passport system down", make_staff(), now=now)

    ticket = appointment_number(centre, now + dt.timedelta(minutes=5))
    with pytest.raises(IssueRefused) as walk_in:
        issue(centre, now=now + dt.timedelta(minutes=5))

    assert walk_in.value.code == "queue_closed"
    assert ticket.display_number == "P001"


def test_appointments_pass_the_quota_and_use_up_walk_in_numbers() -> None:
    """Appointment numbers come from the same sequence: never refused by the quota, but they
    count towards it, so walk-ins stop once the quota is issued in all."""
    centre = make_centre()
    centre.passports.daily_quota = 2
    centre.passports.save(update_fields=["daily_quota"])
    now = copenhagen(TUESDAY, 10, 0)

    walk_in = issue(centre, now=now)
    first = appointment_number(centre, now)
    with pytest.raises(IssueRefused) as refused:
        issue(centre, now=now)
    beyond_quota = appointment_number(centre, now)

    assert refused.value.code == "quota"
    assert [walk_in.number, first.number, beyond_quota.number] == [1, 2, 3]
    assert DailySequence.objects.get(queue=centre.passports, date=TUESDAY).last_number == 3
    assert not services.takes_walk_ins_now(centre.location, centre.passport, now)


def test_inactive_queue_centre_or_no_queue_refuses_an_appointment_too() -> None:
    centre = make_centre()
    now = copenhagen(TUESDAY, 10, 0)
    centre.passports.active = False
    centre.passports.save(update_fields=["active"])
    with pytest.raises(IssueRefused) as no_queue:
        appointment_number(centre, now)

    other = make_centre()
    Location.objects.filter(pk=other.location.pk).update(active=False)
    other.location.refresh_from_db()
    with pytest.raises(IssueRefused) as inactive:
        appointment_number(other, now)

    # An inactive queue is not a queue that takes the service.
    assert no_queue.value.code == "no_queue"
    assert inactive.value.code == "inactive"
    assert not Ticket.objects.exists()


def test_a_service_taking_no_walk_ins_is_issued_for_appointments_only() -> None:
    centre = make_centre()
    Service.objects.filter(pk=centre.passport.pk).update(walk_in=False)
    centre.passport.refresh_from_db()
    now = copenhagen(TUESDAY, 10, 0)

    with pytest.raises(IssueRefused) as walk_in:
        issue(centre, now=now)
    ticket = appointment_number(centre, now)

    assert walk_in.value.code == "not_walk_in"
    assert ticket.display_number == "P001"
    assert not services.takes_walk_ins_now(centre.location, centre.passport, now)


def test_takes_walk_ins_now_follows_the_walk_in_rules() -> None:
    centre = office_hours_centre()

    assert services.takes_walk_ins_now(centre.location, centre.passport, copenhagen(TUESDAY, 11))
    assert not services.takes_walk_ins_now(
        centre.location, centre.passport, copenhagen(TUESDAY, 16)
    )
