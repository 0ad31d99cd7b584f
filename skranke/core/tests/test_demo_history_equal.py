"""The demo history's bulk writer writes exactly the rows the engine's functions write.

The same script is played twice on the same database, rolled back in between: once through
skranke.queue.services with ``now=`` at every step, once through the bulk writer; then the
counter sessions (with their queues and team), tickets, events (kinds, order, data), visit
records, daily sequences and checked-in bookings are compared field by field, ids and tokens
aside. A hand-written day covers each way a visit goes; a simulated day checks the simulation's
call order against the engine's too (the engine must call whom the script says). Bookings that
never became a visit are not played through the engine (history_replay says why); their rows
are checked against the script instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from skranke.booking.models import AppointmentStatus, BookingSource, CancelReason
from skranke.catalogue.models import Queue, Service
from skranke.core.demo import load_demo
from skranke.core.demo_history import day_script, load_centre, play, script
from skranke.core.tests.history_replay import newest_ids, replay, rows_after
from skranke.lib.localtime import wall_clock_instant
from skranke.organisation.models import Location
from skranke.queue import services
from skranke.queue.models import AT_COUNTER, CounterSession, Outcome, Priority, Source, Ticket

pytestmark = pytest.mark.django_db

TABLES = ("sessions", "tickets", "events", "visits", "sequences")

# A Monday: the demo town hall is open 10:00-17:00, passports and licences until 16:45.
DAY = dt.date(2025, 3, 3)


@pytest.fixture
def demo() -> Iterator[None]:
    load_demo()
    # The live floor's counters are open now, some with a citizen at them (today's
    # appointments); the scripts' employees open counters in the past.
    for session in CounterSession.objects.filter(closed_at__isnull=True):
        for ticket in Ticket.objects.filter(session=session, status__in=AT_COUNTER):
            services.finish(ticket, session.staff, outcome=Outcome.RESOLVED_FIRST_CONTACT)
        services.close_counter(session, session.staff)
    yield


def both_ways(steps: list[script.Step]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the rows the engine writes for ``steps`` and those the bulk writer writes."""
    with transaction.atomic():
        before = newest_ids()
        replay(steps)
        engine = rows_after(before)
        transaction.set_rollback(True)
    with transaction.atomic():
        before = newest_ids()
        play(steps)
        bulk = rows_after(before)
        transaction.set_rollback(True)
    return engine, bulk


def at(clock: str, day: dt.date = DAY) -> dt.datetime:
    return wall_clock_instant(day, dt.time.fromisoformat(clock))


def written_day() -> list[script.Step]:
    """A day at the town hall with a served visit after a recall, a transfer to the back office
    served there under another subject area, a checked-in appointment called before an earlier
    walk-in, a no-show, a number from the floor guide, a cancellation by the citizen, and two
    visits left at closing, one of them waiting in the back office."""
    town_hall = Location.objects.get(slug="raadhuset")
    users = {user.username: user for user in get_user_model().objects.all()}
    counters = list(town_hall.counters.order_by("number"))
    back_office = Queue.objects.get(location=town_hall, prefix="BO")

    def counter(number: int, username: str, clock: str) -> script.OpenCounter:
        staff = users[username]
        team = services.default_team(staff)
        return script.OpenCounter(
            at=at(clock),
            location_id=town_hall.pk,
            counter_id=counters[number - 1].pk,
            staff_id=staff.pk,
            team_id=team.pk if team else None,
            queue_ids=tuple(q.pk for q in services.default_queues(staff, counters[number - 1])),
        )

    def booking(slug: str, clock: str, code: str, staff: str = "") -> script.Booking:
        return script.Booking(
            booked_at=at("12:30", DAY - dt.timedelta(days=6)),
            location_id=town_hall.pk,
            service_id=Service.objects.get(slug=slug).pk,
            starts_at=at(clock),
            ends_at=at(clock) + dt.timedelta(minutes=15),
            code=code,
            source=BookingSource.PHONE if staff else BookingSource.ONLINE,
            language="da",
            staff_id=users[staff].pk if staff else None,
        )

    def issue(
        slug: str, clock: str, source: Source = Source.KIOSK, staff: str = "", booked: str = ""
    ) -> script.Issue:
        appointment = source == Source.APPOINTMENT
        return script.Issue(
            at=at(clock),
            location_id=town_hall.pk,
            service_id=Service.objects.get(slug=slug).pk,
            source=source.value,
            priority=(Priority.APPOINTMENT if appointment else Priority.NORMAL).value,
            waiting_since=max(at(clock), at(booked)) if booked else at(clock),
            staff_id=users[staff].pk if staff else None,
            booking=booking(slug, booked, "KQXM2PAB", "karin") if booked else None,
        )

    def area(slug: str) -> int:
        return Service.objects.get(slug=slug).subject_area_id

    passports = counter(1, "sofie", "09:55")
    benefits = counter(2, "karin", "09:56:30")
    adult_passport = issue("pas-voksen", "10:01")
    housing = issue("boligstoette", "10:02:10", Source.MOBILE)
    licence = issue("koerekort-fornyelse", "10:05")
    child_passport = issue("pas-barn", "10:06", Source.APPOINTMENT, booked="10:15")
    collect = issue("pas-udlevering", "10:20", Source.FLOOR_GUIDE, staff="teamleder")
    moving = issue("flytning", "11:00", Source.MOBILE)
    tax = issue("aarsopgoerelse", "15:00")
    health_card = issue("sundhedskort", "16:40")
    recalls = settings.SKRANKE_NO_SHOW_AFTER_RECALLS
    return [
        script.MissedBooking(
            at("16:00", DAY - dt.timedelta(days=2)),
            booking("pas-voksen", "14:00", "KQXM2PAC"),
            AppointmentStatus.CANCELLED.value,
            CancelReason.STAFF.value,
            users["karin"].pk,
        ),
        passports,
        benefits,
        adult_passport,
        housing,
        script.Call(at("10:03"), adult_passport, passports),
        script.Call(at("10:03:30"), housing, benefits),
        script.Recall(at("10:04"), adult_passport, passports),
        licence,
        child_passport,
        script.Transfer(at("10:10"), housing, benefits, back_office.pk),
        script.Call(at("10:11"), housing, benefits),
        script.Finish(
            at("10:12:40"),
            adult_passport,
            passports,
            Outcome.RESOLVED_FIRST_CONTACT.value,
            area("pas-voksen"),
        ),
        script.Call(at("10:16"), child_passport, passports),
        collect,
        script.Finish(
            at("10:25"), housing, benefits, Outcome.REFERRED.value, area("folkepension"), "skat"
        ),
        script.Finish(
            at("10:30"),
            child_passport,
            passports,
            Outcome.PASSED_TO_BACK_OFFICE.value,
            area("pas-barn"),
        ),
        script.Call(at("10:31"), licence, passports),
        *(
            script.Recall(at("10:31") + dt.timedelta(seconds=50 * (n + 1)), licence, passports)
            for n in range(recalls)
        ),
        script.NoShow(at("10:33:30"), licence, passports),
        script.Call(at("10:34"), collect, passports),
        script.Finish(
            at("10:38"), collect, passports, Outcome.NOT_RESOLVED.value, area("pas-udlevering")
        ),
        moving,
        script.MissedBooking(
            at("11:08"), booking("koerekort-fornyelse", "11:00", "KQXM2PAD"), "no_show"
        ),
        script.CitizenCancel(at("11:20"), moving),
        tax,
        script.Call(at("15:01"), tax, benefits),
        script.Transfer(at("15:05"), tax, benefits, back_office.pk),
        script.CloseCounter(at("15:06"), benefits),
        health_card,
        script.CloseCounter(at("17:05"), passports),
        script.CloseDay(at("00:04", DAY + dt.timedelta(days=1)), DAY),
    ]


def test_a_written_day_gives_the_engines_rows(demo: None) -> None:
    engine, bulk = both_ways(written_day())
    kinds = [event["kind"] for event in engine["events"]]
    assert {"transferred", "no_show", "recalled", "cancelled"} <= set(kinds)
    endings = {(visit["ending"], visit["cancel_reason"]) for visit in engine["visits"]}
    assert endings == {
        ("served", ""),
        ("no_show", ""),
        ("cancelled", "citizen"),
        ("cancelled", "closed"),
    }
    assert len(engine["visits"]) == 8
    for table in TABLES:
        assert bulk[table] == engine[table], table
    # The child's passport was booked by phone and checked in at 10:06 for 10:15.
    [checked_in] = engine["appointments"]
    assert (checked_in["status"], checked_in["checked_in_at"]) == ("checked_in", at("10:06"))
    assert engine["tickets"][checked_in["ticket"]]["waiting_since"] == at("10:15")
    assert checked_ins(bulk) == engine["appointments"]
    by_code = {row["code"]: row for row in bulk["appointments"]}
    cancelled, no_show = by_code["KQXM2PAC"], by_code["KQXM2PAD"]
    assert (cancelled["status"], cancelled["cancel_reason"], cancelled["ticket"]) == (
        "cancelled",
        "staff",
        None,
    )
    assert cancelled["cancelled_at"] == at("16:00", DAY - dt.timedelta(days=2))
    assert (no_show["status"], no_show["no_show_at"], no_show["ticket"]) == (
        "no_show",
        at("11:08"),
        None,
    )


def checked_ins(rows: dict[str, Any]) -> list[dict[str, Any]]:
    return [row for row in rows["appointments"] if row["status"] == "checked_in"]


def simulated_day_with_everything() -> list[script.Step]:
    """The first simulated day from DAY on at both centres with a transfer, a no-show, a citizen
    cancelling and an appointment."""
    centres = [load_centre("raadhuset"), load_centre("biblioteket")]
    assert None not in centres
    wanted = {script.Transfer, script.NoShow, script.CitizenCancel}
    for offset in range(60):
        day = DAY + dt.timedelta(days=offset)
        steps = day_script([c for c in centres if c is not None], day)
        kinds = {type(step) for step in steps}
        centres_open = {step.location_id for step in steps if isinstance(step, script.OpenCounter)}
        appointments = any(
            isinstance(step, script.Issue) and step.source == Source.APPOINTMENT for step in steps
        )
        if wanted <= kinds and len(centres_open) == 2 and appointments:
            return steps
    raise AssertionError("no simulated day with every kind of step in 60 days")


def test_a_simulated_day_gives_the_engines_rows(demo: None) -> None:
    steps = simulated_day_with_everything()
    engine, bulk = both_ways(steps)
    assert len(engine["visits"]) > 100
    for table in TABLES:
        assert bulk[table] == engine[table], table
    assert engine["appointments"] and checked_ins(bulk) == engine["appointments"]
    missed = [step for step in steps if isinstance(step, script.MissedBooking)]
    assert len(bulk["appointments"]) == len(engine["appointments"]) + len(missed)
