"""A Frontdesk export becomes visit records like live ones: times from the timestamps in local
time, endings from the times or the Status column, names found or created."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.db.models import Avg, Count, Q

from skranke.catalogue.models import Queue, QueueKind, SubjectArea
from skranke.history.tests.files import (
    facts_of,
    frontdesk_file,
    frontdesk_row,
    import_frontdesk,
    make_location,
)
from skranke.organisation.models import Counter
from skranke.queue.models import Ending, VisitFact, VisitSource

pytestmark = pytest.mark.django_db

WEDNESDAY = dt.date(2025, 3, 12)


def _utc(hour: int, minute: int, second: int = 0) -> dt.datetime:
    return dt.datetime(2025, 3, 12, hour, minute, second, tzinfo=dt.UTC)


def _rows() -> list[list[str]]:
    # The last cell is a column Skranke ignores: Frontdesk's own waiting minutes, wrong on
    # purpose, since the wait is recomputed from the timestamps.
    return [
        # Danish style, served.
        [
            *frontdesk_row(
                "F1",
                "12-03-2025 09:00",
                "12-03-2025 09:10",
                "12-03-2025 09:25:30",
                counter="Skranke 4",
            ),
            "999",
        ],
        # ISO 8601, called but not ended: a no-show; a booked time.
        [
            *frontdesk_row(
                "F2", "2025-03-12T09:05:30", "2025-03-12T09:12:00", ticket_type="Tidsbestilling"
            ),
            "999",
        ],
        # Never called: cancelled; no subject area, counter or employee.
        [
            *frontdesk_row(
                "F3", "2025-03-12 09:07", queue="Borgerservice", area="", counter="", employee=""
            ),
            "999",
        ],
        # Explicit offsets, UTC and local.
        [
            *frontdesk_row(
                "F4",
                "2025-03-12T08:30:00Z",
                "2025-03-12T09:45:00+01:00",
                "2025-03-12T10:05:00+01:00",
                counter="7",
                ticket_type="BOOKING",
            ),
            "999",
        ],
    ]


@pytest.mark.parametrize(
    ("delimiter", "bom"), [(";", False), (";", True), (",", False), (",", True)]
)
def test_a_frontdesk_file_becomes_visit_records(tmp_path: Path, delimiter: str, bom: bool) -> None:
    location = make_location()
    path = frontdesk_file(tmp_path, _rows(), extra=["WaitingTime"], delimiter=delimiter, bom=bom)

    summary = import_frontdesk(path, location)

    assert (summary.rows, summary.imported, summary.already_there) == (4, 4, 0)
    served, no_show, cancelled, offsets = facts_of(location)
    for fact in (served, no_show, cancelled, offsets):
        assert fact.source == VisitSource.IMPORT
        assert fact.ticket_id is None and fact.service_id is None and fact.team_id is None
        assert fact.import_key and fact.import_key.startswith(f"frontdesk:{location.pk}:")
        assert fact.issue_date == WEDNESDAY and fact.issue_weekday == 2
        assert fact.first_queue_id == fact.served_queue_id and not fact.transferred

    # Local time 09:00 in March is 08:00 UTC; the date, hours and weekday are local.
    assert served.issued_at == _utc(8, 0) and served.issue_hour == 9
    assert served.first_called_at == _utc(8, 10) and served.first_call_hour == 9
    assert served.ended_at == _utc(8, 25, 30)
    assert served.ending == Ending.SERVED
    assert served.wait_seconds == 600  # not Frontdesk's 999 minutes
    assert served.service_seconds == served.front_service_seconds == 930
    assert served.back_office_service_seconds == 0 and served.back_office_wait_seconds is None
    assert served.first_queue.name == "Pas og kørekort"
    assert served.subject_area.name == "Pas"
    assert served.counter is not None and served.counter.number == 4
    assert served.staff_name == "Mette Sørensen" and served.staff_id is None
    assert not served.is_appointment and served.outcome == "" and served.cancel_reason == ""

    assert no_show.ending == Ending.NO_SHOW and no_show.is_appointment
    assert no_show.wait_seconds == 390 and no_show.service_seconds is None
    assert no_show.front_service_seconds is None and no_show.back_office_service_seconds is None
    assert no_show.ended_at == no_show.first_called_at == _utc(8, 12)

    assert cancelled.ending == Ending.CANCELLED
    assert cancelled.first_called_at is None and cancelled.first_call_hour is None
    assert cancelled.wait_seconds is None and cancelled.service_seconds is None
    assert cancelled.ended_at == cancelled.issued_at == _utc(8, 7)
    assert cancelled.first_queue.name == "Borgerservice"
    assert cancelled.subject_area.name == "Ikke angivet"
    assert cancelled.counter_id is None and cancelled.staff_name == ""

    assert offsets.issued_at == _utc(8, 30) and offsets.issue_hour == 9
    assert offsets.first_called_at == _utc(8, 45) and offsets.first_call_hour == 9
    assert offsets.wait_seconds == 900 and offsets.service_seconds == 1200
    assert offsets.is_appointment  # "BOOKING", in any case
    assert offsets.counter is not None and offsets.counter.number == 7


def test_names_missing_in_skranke_are_created_inactive_and_listed(tmp_path: Path) -> None:
    location = make_location()
    passports = Queue.objects.create(location=location, prefix="P", name="Pas")
    area = SubjectArea.objects.create(name="Pas og ID", slug="pas-og-id")
    unnamed_four = Counter.objects.create(location=location, number=4)
    path = frontdesk_file(
        tmp_path,
        [
            # Found: by name without regard to case, and "Skranke 4" as the unnamed counter 4.
            frontdesk_row(
                "1", "12-03-2025 09:00", queue="PAS", area="pas og id", counter="Skranke 4"
            ),
            # Missing: a queue whose first letter is taken, a new area and two new counters.
            frontdesk_row(
                "2", "12-03-2025 09:01", queue="Pension", area="Pension", counter="Bord 9"
            ),
            frontdesk_row(
                "3", "12-03-2025 09:02", queue="Pension", area="Pension", counter="Ekspedition"
            ),
            frontdesk_row(
                "4", "12-03-2025 09:03", queue="Ældrebolig", area="Bolig", counter="Bord 9"
            ),
        ],
    )

    summary = import_frontdesk(path, location)

    first, second, third, fourth = facts_of(location)
    assert first.first_queue_id == passports.pk and first.subject_area_id == area.pk
    assert first.counter_id == unnamed_four.pk
    pension = Queue.objects.get(location=location, name="Pension")
    assert pension.prefix == "PE" and not pension.active and pension.kind == QueueKind.FRONT
    assert Queue.objects.get(location=location, name="Ældrebolig").prefix == "Æ"
    new_area = SubjectArea.objects.get(name="Pension")
    assert new_area.slug == "pension" and not new_area.active
    assert SubjectArea.objects.get(name="Bolig").slug == "bolig"
    assert second.counter is not None and second.counter.number == 9
    assert second.counter.name == "Bord 9" and not second.counter.active
    assert third.counter is not None and third.counter.number == 10
    assert fourth.counter_id == second.counter_id
    assert summary.created == {
        "queues": ["Pension (PE)", "Ældrebolig (Æ)"],
        "subject_areas": ["Pension", "Bolig"],
        "counters": ["Bord 9 (9)", "Ekspedition (10)"],
        "teams": [],
    }
    lines = "\n".join(summary.lines())
    assert "Pension (PE), Ældrebolig (Æ)" in lines
    assert "Bord 9 (9), Ekspedition (10)" in lines


def test_the_status_column_wins_over_the_times(tmp_path: Path) -> None:
    location = make_location()
    called = ("12-03-2025 09:05", "12-03-2025 09:20")
    path = frontdesk_file(
        tmp_path,
        [
            [*frontdesk_row("1", "12-03-2025 09:00", *called), "cancelled"],
            [*frontdesk_row("2", "12-03-2025 09:01", *called), "NO_SHOW"],
            [*frontdesk_row("3", "12-03-2025 09:02", *called), "served"],
            [*frontdesk_row("4", "12-03-2025 09:03", called[0]), ""],
            [*frontdesk_row("5", "12-03-2025 09:04"), "cancelled"],
        ],
        extra=["Status"],
    )

    import_frontdesk(path, location)

    facts = facts_of(location)
    assert [fact.ending for fact in facts] == [
        Ending.CANCELLED,
        Ending.NO_SHOW,
        Ending.SERVED,
        Ending.NO_SHOW,  # no status: called, never ended
        Ending.CANCELLED,
    ]
    cancelled_after_call, no_show, served = facts[:3]
    # The times stay as they were; only a served visit has a service time.
    assert cancelled_after_call.wait_seconds == 300 and cancelled_after_call.service_seconds is None
    assert no_show.ended_at == no_show.first_called_at + dt.timedelta(minutes=15)
    assert no_show.service_seconds is None
    assert served.service_seconds == 900


def test_imported_visits_count_in_figures_like_live_ones(tmp_path: Path) -> None:
    """The KPI engine reads visit records only; an aggregate over them counts the imported
    visits with the waits their timestamps give."""
    location = make_location()
    path = frontdesk_file(
        tmp_path,
        [
            frontdesk_row("1", "12-03-2025 09:00", "12-03-2025 09:04", "12-03-2025 09:10"),
            frontdesk_row("2", "12-03-2025 09:00", "12-03-2025 09:10", "12-03-2025 09:20"),
            frontdesk_row("3", "12-03-2025 09:30", "12-03-2025 09:42"),
            frontdesk_row("4", "12-03-2025 09:40"),
            frontdesk_row("5", "13-03-2025 10:00", "13-03-2025 10:20", "13-03-2025 10:30"),
        ],
    )
    import_frontdesk(path, location)

    called = Q(ending__in=[Ending.SERVED, Ending.NO_SHOW])
    figures = VisitFact.objects.filter(location=location, issue_date=WEDNESDAY).aggregate(
        total=Count("pk"),
        served=Count("pk", filter=Q(ending=Ending.SERVED)),
        no_show=Count("pk", filter=Q(ending=Ending.NO_SHOW)),
        cancelled=Count("pk", filter=Q(ending=Ending.CANCELLED)),
        mean_wait=Avg("wait_seconds", filter=called),
        mean_service=Avg("service_seconds", filter=Q(ending=Ending.SERVED)),
    )
    assert figures == {
        "total": 4,
        "served": 2,
        "no_show": 1,
        "cancelled": 1,
        "mean_wait": (4 + 10 + 12) * 60 / 3,
        "mean_service": (6 + 10) * 60 / 2,
    }
    by_hour = dict(
        VisitFact.objects.filter(location=location, issue_date=WEDNESDAY)
        .values_list("issue_hour")
        .annotate(Count("pk"))
    )
    assert by_hour == {9: 4}
