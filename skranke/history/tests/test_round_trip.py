"""Skranke's own export, imported again, gives the same visit records: every field a report reads,
for live visits (served, transferred to back office, no-show, cancelled, an appointment) and
imported ones alike."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from skranke.history.skranke_format import COLUMNS
from skranke.history.tests.files import frontdesk_file, frontdesk_row, import_frontdesk
from skranke.history.tickets import import_tickets
from skranke.history.visits import WRITTEN
from skranke.organisation.models import Location, Team, TeamKind
from skranke.queue import services
from skranke.queue.models import (
    CancelReason,
    Outcome,
    Priority,
    ReferredTo,
    Source,
    VisitFact,
    VisitSource,
)
from skranke.queue.tests.factories import Centre, copenhagen, issue, make_centre, make_staff

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 11, 10)  # a Monday
# Fields that name the visit or the people in the installation it came from, not the visit.
IDENTITY = {"import_key", "ticket_id", "staff_id", "staff_name"}


def _live_visits(centre: Centre) -> None:
    front_team = Team.objects.create(name="Team Pas", kind=TeamKind.FRONT)
    back_team = Team.objects.create(name="Team Ydelser", kind=TeamKind.BACK)
    front = make_staff(first_name="Mette", last_name="Sørensen")
    front.staff_profile.teams.set([front_team])
    back = make_staff(username="bo")
    back.staff_profile.teams.set([back_team])
    start = copenhagen(DAY, 9, 0)

    def at(minutes: int) -> dt.datetime:
        # Odd seconds and microseconds, which the export must keep.
        return start + dt.timedelta(minutes=minutes, seconds=minutes % 7, microseconds=1234)

    desk = services.open_counter(
        centre.counters[0], front, [centre.passports, centre.general], now=start
    )
    office = services.open_counter(centre.counters[1], back, [centre.back_office], now=start)

    # Served, referred to SKAT, under another subject area than the service's.
    services.issue_ticket(centre.location, centre.passport, source=Source.MOBILE, now=at(1))
    called = services.call_next(desk, front, now=at(3))
    assert called is not None
    services.finish(
        called,
        front,
        outcome=Outcome.REFERRED,
        referred_to=ReferredTo.SKAT,
        subject_area=centre.moving.subject_area,
        now=at(9),
    )
    # Transferred to back office and finished there.
    issue(centre, centre.moving, now=at(10))
    called = services.call_next(desk, front, now=at(11))
    assert called is not None
    services.transfer(called, centre.back_office, front, now=at(13))
    called = services.call_next(office, back, now=at(20))
    assert called is not None
    services.finish(called, back, outcome=Outcome.PASSED_TO_BACK_OFFICE, now=at(31))
    # A no-show, and one cancelled by the citizen.
    issue(centre, now=at(32))
    called = services.call_next(desk, front, now=at(33))
    assert called is not None
    services.recall(called, front, now=at(34))
    services.mark_no_show(called, front, now=at(36))
    cancelled = issue(centre, now=at(37))
    services.cancel(cancelled, CancelReason.CITIZEN, now=at(38))
    # A checked-in appointment, whose wait runs from its booked time.
    services.issue_ticket(
        centre.location,
        centre.passport,
        source=Source.APPOINTMENT,
        priority=Priority.APPOINTMENT,
        waiting_since=at(45),
        now=at(40),
    )
    called = services.call_next(desk, front, now=at(46))
    assert called is not None
    services.finish(called, front, outcome=Outcome.RESOLVED_FIRST_CONTACT, now=at(50))


def _history(centre: Centre, tmp_path: Path) -> None:
    _live_visits(centre)
    rows = [
        frontdesk_row("F1", "10-11-2025 12:00", "10-11-2025 12:10", "10-11-2025 12:20"),
        frontdesk_row("F2", "10-11-2025 12:05", "10-11-2025 12:30", counter="", employee=""),
    ]
    import_frontdesk(frontdesk_file(tmp_path, rows), centre.location)


def _records(location: Location) -> dict[dt.datetime, dict[str, Any]]:
    return {
        row["issued_at"]: row
        for row in VisitFact.objects.filter(location=location).values(*WRITTEN)
    }


def _export(location: Location, path: Path) -> list[dict[str, str]]:
    call_command(
        "export",
        "tickets",
        location=location.slug,
        date_from=DAY.isoformat(),
        date_to=DAY.isoformat(),
        output=path,
    )
    with path.open(encoding="utf-8", newline="") as exported:
        return list(csv.DictReader(exported, delimiter=";"))


def _import(path: Path, location: Location) -> None:
    summary = import_tickets(path, location, "skranke")
    assert summary.imported == summary.rows


def test_an_import_writes_every_field_of_a_visit_record() -> None:
    fields = {field.attname for field in VisitFact._meta.concrete_fields} - {"id"}
    assert set(WRITTEN) == fields and len(WRITTEN) == len(fields)


def test_export_then_import_after_deleting_gives_the_same_records(tmp_path: Path) -> None:
    centre = make_centre()
    _history(centre, tmp_path)
    before = _records(centre.location)
    assert len(before) == 7
    _export(centre.location, tmp_path / "export.csv")

    VisitFact.objects.filter(location=centre.location).delete()
    _import(tmp_path / "export.csv", centre.location)

    after = _records(centre.location)
    assert after.keys() == before.keys()
    for issued_at, record in before.items():
        again = after[issued_at]
        assert {name: again[name] for name in WRITTEN if name not in IDENTITY} == {
            name: record[name] for name in WRITTEN if name not in IDENTITY
        }
        assert again["ticket_id"] is None and again["staff_id"] is None
        assert again["import_key"].startswith(f"skranke:{centre.location.pk}:")
    names = {record["staff_name"] for record in after.values()}
    assert names == {"Mette Sørensen", "bo", ""}
    sources = sorted(record["source"] for record in after.values())
    assert sources == sorted(
        [VisitSource.MOBILE, VisitSource.APPOINTMENT, VisitSource.IMPORT, VisitSource.IMPORT]
        + [VisitSource.KIOSK] * 3
    )


def test_export_then_import_into_a_fresh_centre_loses_nothing(tmp_path: Path) -> None:
    centre = make_centre()
    _history(centre, tmp_path)
    exported = _export(centre.location, tmp_path / "export.csv")
    assert len(exported) == 7
    fresh = Location.objects.create(name="Nyt center", slug="nyt-center")

    _import(tmp_path / "export.csv", fresh)

    # What the fresh centre exports is what the first one did, but for the visits' ids there.
    again = _export(fresh, tmp_path / "again.csv")
    own = {"visit_id", "location"}
    assert [{key: row[key] for key in COLUMNS if key not in own} for row in again] == [
        {key: row[key] for key in COLUMNS if key not in own} for row in exported
    ]
    records = _records(fresh)
    original = _records(centre.location)
    same_everywhere = (
        set(WRITTEN)
        - IDENTITY
        - {
            "location_id",
            "first_queue_id",
            "served_queue_id",
            "counter_id",
        }
    )
    for issued_at, record in original.items():
        assert {name: records[issued_at][name] for name in same_everywhere} == {
            name: record[name] for name in same_everywhere
        }
    back_office = VisitFact.objects.get(location=fresh, transferred=True)
    assert back_office.served_queue.name == "Back office"
    assert back_office.served_queue.kind == "back" and back_office.served_queue.prefix == "BO"
    assert back_office.back_office_wait_seconds and back_office.back_office_service_seconds

    # And importing it there again adds nothing.
    assert import_tickets(tmp_path / "export.csv", fresh, "skranke").imported == 0
