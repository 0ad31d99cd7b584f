"""Today at a centre (reports.today): the figures of the day so far are the KPI engine's, and
each goal is judged met, at risk or missed by the rules of the module."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from fractions import Fraction

import pytest
import time_machine

from skranke.booking.services import book, cancel_appointment
from skranke.booking.tests.factories import citizen, make_booking_centre
from skranke.queue import services
from skranke.queue.models import Ending, Source
from skranke.queue.tests.factories import copenhagen, make_centre
from skranke.reports.kpi import VisitFilter, key_figures
from skranke.reports.models import GoalKind, ServiceGoal
from skranke.reports.tests.visit_factory import make_visit
from skranke.reports.today import GoalStatus, centre_today, goal_status

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 10)
NOW = copenhagen(TODAY, 13, 30)
MINUTE = 60


@pytest.fixture(autouse=True)
def _afternoon() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def called_within(minutes: int, percent: int, **scope: object) -> ServiceGoal:
    return ServiceGoal(
        kind=GoalKind.CALLED_WITHIN, minutes=minutes, target_percent=percent, **scope
    )


def mean_wait(minutes: int) -> ServiceGoal:
    return ServiceGoal(kind=GoalKind.MEAN_WAIT, minutes=minutes)


@pytest.mark.parametrize(
    ("goal", "value", "longest", "status"),
    [
        # 80 % within 10 minutes.
        (called_within(10, 80), Fraction(79, 100), None, GoalStatus.MISSED),
        (called_within(10, 80), Fraction(84, 100), None, GoalStatus.AT_RISK),  # under 5 points
        (called_within(10, 80), Fraction(85, 100), None, GoalStatus.MET),
        (called_within(10, 80), Fraction(95, 100), 10, GoalStatus.AT_RISK),  # someone overdue
        (called_within(10, 80), Fraction(95, 100), 9, GoalStatus.MET),
        (called_within(10, 80), None, None, None),
        (called_within(10, 80), None, 12, GoalStatus.AT_RISK),
        # A mean of at most 8 minutes (480 s); at risk above 384 s.
        (mean_wait(8), Fraction(481), None, GoalStatus.MISSED),
        (mean_wait(8), Fraction(480), None, GoalStatus.AT_RISK),
        (mean_wait(8), Fraction(384), None, GoalStatus.MET),
        (mean_wait(8), Fraction(300), 8, GoalStatus.AT_RISK),
    ],
)
def test_goal_status(
    goal: ServiceGoal, value: Fraction | None, longest: int | None, status: GoalStatus | None
) -> None:
    assert goal_status(goal, value, longest) == status


def test_today_s_figures_are_the_engine_s_and_each_queue_is_judged() -> None:
    centre = make_centre()
    location = centre.location
    ServiceGoal.objects.create(
        location=location,
        kind=GoalKind.CALLED_WITHIN,
        minutes=10,
        target_percent=80,
        valid_from=TODAY - dt.timedelta(days=30),
    )
    ServiceGoal.objects.create(
        location=location, kind=GoalKind.MEAN_WAIT, minutes=8, valid_from=TODAY
    )
    # The general queue has its own, stricter goal from today.
    ServiceGoal.objects.create(
        location=location,
        queue=centre.general,
        kind=GoalKind.CALLED_WITHIN,
        minutes=5,
        target_percent=90,
        valid_from=TODAY,
    )
    # Passports: 4 called, 3 within 10 minutes (75 %: missed); general: 2 within 5 minutes.
    for wait in (2, 4, 9, 25):
        make_visit(centre, TODAY, 9, wait=wait * MINUTE)
    make_visit(centre, TODAY, 10, wait=1 * MINUTE, queue=centre.general)
    make_visit(centre, TODAY, 10, wait=3 * MINUTE, queue=centre.general, ending=Ending.NO_SHOW)
    make_visit(centre, TODAY, 11, wait=None, ending=Ending.CANCELLED)
    # Yesterday counts for nothing today.
    make_visit(centre, TODAY - dt.timedelta(days=1), 9, wait=60 * MINUTE)
    # Two wait now in the passport queue, the first for 12 minutes.
    services.issue_ticket(
        location, centre.passport, source=Source.KIOSK, now=NOW - dt.timedelta(minutes=12)
    )
    services.issue_ticket(location, centre.passport, source=Source.KIOSK, now=NOW)

    found = centre_today(location)

    engine = key_figures(VisitFilter(TODAY, TODAY, location_ids=(location.pk,)))
    assert found.figures.key == engine
    assert (found.waiting, found.longest_wait_minutes, found.served) == (2, 12, 5)
    assert found.served == engine.counts.served
    # The centre's share is each visit held to its own goal: 3 of 4 and 2 of 2.
    assert engine.within_goal is not None
    assert (engine.within_goal.part, engine.within_goal.whole) == (5, 6)
    queues = {queue.state.prefix: queue for queue in found.queues}
    passports, general = queues["P"], queues["B"]
    assert passports.served == 4 and general.served == 1
    assert passports.within_goal is not None and general.within_goal is not None
    assert (passports.within_goal.goal.minutes, passports.within_goal.value) == (10, Fraction(3, 4))
    assert passports.within_goal.status == GoalStatus.MISSED
    assert passports.missing_a_goal
    assert (general.within_goal.goal.minutes, general.within_goal.value) == (5, 1)
    assert general.within_goal.status == GoalStatus.MET
    assert not general.missing_a_goal
    # Mean wait of the passport queue: (2 + 4 + 9 + 25) / 4 = 10 minutes, over 8: missed.
    assert passports.mean_wait is not None
    assert passports.mean_wait.value == 10 * MINUTE
    assert passports.mean_wait.status == GoalStatus.MISSED
    # The centre's goals: its own 80 % goal over passports (3 of 4, missed), the mean over
    # every called visit (44 minutes / 6), and the general queue's goal.
    by_minutes = {(goal.goal.kind, goal.goal.minutes): goal for goal in found.goals}
    assert by_minutes[(GoalKind.CALLED_WITHIN, 10)].status == GoalStatus.MISSED
    assert by_minutes[(GoalKind.MEAN_WAIT, 8)].value == Fraction(44 * MINUTE, 6)
    assert by_minutes[(GoalKind.CALLED_WITHIN, 5)].status == GoalStatus.MET
    # The centre as a whole: 5 of 6 within their goals, judged by the worse of its two goals of
    # that kind; the mean over every called visit.
    assert found.within_goal is not None and found.mean_wait is not None
    assert (found.within_goal.goal.minutes, found.within_goal.value) == (10, Fraction(5, 6))
    assert found.within_goal.status == GoalStatus.MISSED
    assert found.mean_wait.value == engine.wait.mean_seconds == Fraction(44 * MINUTE, 6)
    assert found.status == GoalStatus.MISSED


def test_a_quiet_morning_has_no_status_until_someone_waits_too_long() -> None:
    centre = make_centre()
    ServiceGoal.objects.create(
        location=centre.location,
        kind=GoalKind.CALLED_WITHIN,
        minutes=10,
        target_percent=80,
        valid_from=TODAY,
    )
    assert centre_today(centre.location).status is None
    services.issue_ticket(
        centre.location,
        centre.passport,
        source=Source.KIOSK,
        now=NOW - dt.timedelta(minutes=11),
    )
    found = centre_today(centre.location)
    assert found.status == GoalStatus.AT_RISK
    assert found.within_goal is not None and found.within_goal.value is None


def test_appointments_today_are_those_booked_and_not_cancelled() -> None:
    booking = make_booking_centre(capacity=3)
    location = booking.location
    for hour in (14, 15):
        book(location, booking.passport, copenhagen(TODAY, hour), citizen(hour), now=NOW)
    cancelled = book(location, booking.passport, copenhagen(TODAY, 16), citizen(16), now=NOW)
    cancel_appointment(cancelled.appointment, now=NOW)
    book(location, booking.passport, copenhagen(TODAY + dt.timedelta(days=1), 9), citizen(9))

    assert centre_today(location).appointments == 2
