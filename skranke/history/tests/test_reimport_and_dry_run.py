"""Importing a file again adds nothing; a dry run reports what the import would do and writes
nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation

from skranke.catalogue.models import Queue, SubjectArea
from skranke.history.tests.files import (
    facts_of,
    frontdesk_file,
    frontdesk_row,
    import_frontdesk,
    make_location,
)
from skranke.organisation.models import Counter, Team
from skranke.queue.models import VisitFact

pytestmark = pytest.mark.django_db

ROWS = [
    frontdesk_row("1", "12-03-2025 09:00", "12-03-2025 09:05", "12-03-2025 09:10"),
    frontdesk_row("2", "12-03-2025 09:01", queue="Ny kø", area="Nyt område", counter="Bord 12"),
    frontdesk_row("3", "12-03-2025 09:02", "12-03-2025 09:06"),
    frontdesk_row("4", "12-03-2025 09:03", "12-03-2025 09:07", "12-03-2025 09:30"),
    frontdesk_row("5", "12-03-2025 09:04"),
]


def _everything() -> tuple[int, ...]:
    return (
        VisitFact.objects.count(),
        Queue.objects.count(),
        SubjectArea.objects.count(),
        Counter.objects.count(),
        Team.objects.count(),
    )


def test_importing_a_file_again_adds_nothing(tmp_path: Path) -> None:
    location = make_location()
    path = frontdesk_file(tmp_path, ROWS)
    first = import_frontdesk(path, location, batch_size=2)
    after_first = _everything()
    keys = [fact.import_key for fact in facts_of(location)]

    again = import_frontdesk(path, location, batch_size=2)

    assert (first.imported, first.already_there) == (5, 0)
    assert (again.rows, again.imported, again.already_there) == (5, 0, 5)
    assert again.created == {"queues": [], "subject_areas": [], "counters": [], "teams": []}
    assert _everything() == after_first
    assert [fact.import_key for fact in facts_of(location)] == keys


def test_a_file_with_more_rows_adds_only_those(tmp_path: Path) -> None:
    location = make_location()
    import_frontdesk(frontdesk_file(tmp_path, ROWS[:3], name="march.csv"), location)
    summary = import_frontdesk(frontdesk_file(tmp_path, ROWS, name="all.csv"), location)
    assert (summary.imported, summary.already_there) == (2, 3)
    assert VisitFact.objects.filter(location=location).count() == 5


def test_the_same_ticket_twice_in_one_file_counts_once(tmp_path: Path) -> None:
    location = make_location()
    # Far apart, in different batches, and next to each other in one.
    rows = [*ROWS, ROWS[0], ROWS[4]]
    summary = import_frontdesk(frontdesk_file(tmp_path, rows), location, batch_size=2)
    assert (summary.rows, summary.imported, summary.already_there) == (7, 5, 2)
    assert VisitFact.objects.filter(location=location).count() == 5


def test_the_same_ticket_id_created_at_another_time_is_another_visit(tmp_path: Path) -> None:
    """Frontdesk numbers tickets anew; the key is the id with its creation time."""
    location = make_location()
    rows = [frontdesk_row("1", "12-03-2025 09:00"), frontdesk_row("1", "13-03-2025 09:00")]
    summary = import_frontdesk(frontdesk_file(tmp_path, rows), location)
    assert summary.imported == 2


def test_the_same_file_into_another_centre_is_imported_there(tmp_path: Path) -> None:
    first, second = make_location(), make_location()
    path = frontdesk_file(tmp_path, ROWS)
    import_frontdesk(path, first)
    assert import_frontdesk(path, second).imported == 5
    assert VisitFact.objects.filter(location=second).count() == 5


def test_a_dry_run_writes_nothing_and_says_what_the_import_would_do(tmp_path: Path) -> None:
    location = make_location()
    path = frontdesk_file(tmp_path, [*ROWS, ROWS[0]])
    before = _everything()

    dry = import_frontdesk(path, location, dry_run=True, batch_size=2)

    assert _everything() == before
    assert not Queue.objects.filter(name="Ny kø").exists()
    real = import_frontdesk(path, location, batch_size=2)
    assert (dry.rows, dry.imported, dry.already_there, dry.created) == (
        real.rows,
        real.imported,
        real.already_there,
        real.created,
    )
    assert dry.created["queues"] == ["Pas og kørekort (P)", "Ny kø (N)"]
    with translation.override("en"):
        assert dry.lines()[:2] == [
            "Dry run: 5 visits of 6 rows in frontdesk.csv would be imported into "
            f"{location.name} (format frontdesk); nothing was written.",
            "Already imported before (or twice in the file), skipped: 1.",
        ]


def test_the_dry_run_command_prints_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    location = make_location()
    path = frontdesk_file(tmp_path, ROWS)
    with translation.override("en"):
        call_command(
            "import",
            "tickets",
            str(path),
            location=location.slug,
            file_format="frontdesk",
            dry_run=True,
        )
    output = capsys.readouterr().out
    assert output.startswith("Dry run: 5 visits of 5 rows in frontdesk.csv")
    assert "Ny kø (N)" in output and "Bord 12 (12)" in output
    assert VisitFact.objects.count() == 0
