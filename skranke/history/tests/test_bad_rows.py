"""A row that cannot be imported stops the import with its line and column, and nothing of the
file stays: not the visits before it (even batches already written), not the queues, subject
areas and counters it created."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError
from django.utils import translation

from skranke.catalogue.models import Queue, SubjectArea
from skranke.history.errors import ImportRefused
from skranke.history.tests.files import (
    FRONTDESK_COLUMNS,
    frontdesk_file,
    frontdesk_row,
    import_frontdesk,
    make_location,
    write_csv,
)
from skranke.organisation.models import Counter, Location
from skranke.queue.models import VisitFact

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


CPR = "010190-1234"

# Three good rows that create a queue, a subject area and a counter; the bad one is line 5.
GOOD = [
    frontdesk_row("1", "12-03-2025 09:00", "12-03-2025 09:05", "12-03-2025 09:10"),
    frontdesk_row("2", "12-03-2025 09:01", queue="Ny kø", area="Nyt område", counter="Bord 12"),
    frontdesk_row("3", "12-03-2025 09:02", "12-03-2025 09:06"),
]

BAD_ROWS = {
    "unparseable CreatedAt": (
        frontdesk_row("4", "12-13-2025 09:00"),
        "CreatedAt",
        "“12-13-2025 09:00” is not a time",
    ),
    "unparseable CalledAt": (
        frontdesk_row("4", "12-03-2025 09:00", "kl. 9"),
        "CalledAt",
        "is not a time",
    ),
    "a date without a time": (
        frontdesk_row("4", "2025-03-12"),
        "CreatedAt",
        "is not a time",
    ),
    "EndedAt before CalledAt": (
        frontdesk_row("4", "12-03-2025 09:00", "12-03-2025 09:10", "12-03-2025 09:09"),
        "EndedAt",
        "ended before it was called",
    ),
    "CalledAt before CreatedAt": (
        frontdesk_row("4", "12-03-2025 09:00", "12-03-2025 08:59"),
        "CalledAt",
        "called before it was created",
    ),
    "EndedAt before CreatedAt": (
        frontdesk_row("4", "12-03-2025 09:00", "", "12-03-2025 08:00"),
        "EndedAt",
        "ended before its ticket was created",
    ),
    "the spring gap": (
        frontdesk_row("4", "30-03-2025 02:30"),
        "CreatedAt",
        "never happened in local time",
    ),
    "no ticket id": (frontdesk_row("", "12-03-2025 09:00"), "TicketId", "ticket id"),
    "no creation time": (frontdesk_row("4", ""), "CreatedAt", "created"),
    "no queue": (frontdesk_row("4", "12-03-2025 09:00", queue=""), "QueueName", "named"),
    "a CPR number as employee": (
        frontdesk_row("4", "12-03-2025 09:00", employee=f"Hans {CPR}"),
        "EmployeeName",
        "looks like a CPR number",
    ),
    "a CPR number as queue": (
        frontdesk_row("4", "12-03-2025 09:00", queue=f"Pas {CPR}"),
        "QueueName",
        "looks like a CPR number",
    ),
    "a CPR number as ticket id": (
        frontdesk_row("0101901234", "12-03-2025 09:00"),
        "TicketId",
        "looks like a CPR number",
    ),
    "a CPR number in full-width digits": (
        frontdesk_row("4", "12-03-2025 09:00", area="０１０１９０－１２３４"),
        "QueueCategoryName",
        "looks like a CPR number",
    ),
    "a name too long for a queue": (
        frontdesk_row("4", "12-03-2025 09:00", queue="K" * 101),
        "QueueName",
        "at most 100 fit",
    ),
}


def _counts() -> tuple[int, int, int, int]:
    return (
        VisitFact.objects.count(),
        Queue.objects.count(),
        SubjectArea.objects.count(),
        Counter.objects.count(),
    )


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_a_bad_row_stops_the_import_naming_its_line(tmp_path: Path, case: str) -> None:
    location = make_location()
    bad, column, reason = BAD_ROWS[case]
    path = frontdesk_file(tmp_path, [*GOOD, bad])
    before = _counts()

    # Batches of two: the first two rows are written before the bad one is read.
    with pytest.raises(ImportRefused) as refused:
        import_frontdesk(path, location, batch_size=2)

    message = refused.value.message
    assert message.startswith(f"Line 5, column “{column}”: ")
    assert reason in message
    assert CPR not in message and "\n" not in message
    assert _counts() == before


def test_an_unknown_status_is_a_bad_row(tmp_path: Path) -> None:
    location = make_location()
    path = frontdesk_file(
        tmp_path,
        [
            *(
                [*row, status]
                for row, status in zip(GOOD, ["served", "cancelled", "no_show"], strict=True)
            ),
            [*frontdesk_row("4", "12-03-2025 09:00"), "done"],
        ],
        extra=["Status"],
    )
    with pytest.raises(ImportRefused, match="Line 5, column “Status”: “done” is no status"):
        import_frontdesk(path, location, batch_size=2)
    assert VisitFact.objects.count() == 0


def test_a_served_status_needs_its_times(tmp_path: Path) -> None:
    location = make_location()
    path = frontdesk_file(
        tmp_path,
        [[*frontdesk_row("1", "12-03-2025 09:00", "12-03-2025 09:05"), "served"]],
        extra=["Status"],
    )
    with pytest.raises(ImportRefused, match="Line 2, column “EndedAt”: a served visit needs"):
        import_frontdesk(path, location)


def test_a_missing_column_is_named_on_line_one(tmp_path: Path) -> None:
    location = make_location()
    header = [column for column in FRONTDESK_COLUMNS if column != "CalledAt"]
    path = write_csv(tmp_path / "f.csv", header, [["1"] * len(header)])
    with pytest.raises(ImportRefused, match=r"^Line 1: the column “CalledAt” is missing"):
        import_frontdesk(path, location)


def test_a_short_row_is_refused(tmp_path: Path) -> None:
    location = make_location()
    path = frontdesk_file(tmp_path, [GOOD[0], ["2", "12-03-2025 09:00", "", ""]])
    with pytest.raises(ImportRefused, match=r"^Line 3: the row has 4 fields"):
        import_frontdesk(path, location)


def test_a_file_not_in_utf8_is_refused_with_its_line(tmp_path: Path) -> None:
    location = make_location()
    path = frontdesk_file(tmp_path, GOOD)
    # A Latin-1 "ø" on line 5.
    path.write_bytes(path.read_bytes() + b"4;12-03-2025 09:00;;;Pas;Pas;;S\xf8ren;\r\n")
    with pytest.raises(ImportRefused, match=r"^Line 5: the file is not UTF-8 text"):
        import_frontdesk(path, location)
    assert VisitFact.objects.count() == 0


def test_the_command_refuses_with_one_line_and_nothing_imported(tmp_path: Path) -> None:
    location = make_location()
    path = frontdesk_file(tmp_path, [*GOOD, BAD_ROWS["EndedAt before CalledAt"][0]])
    with pytest.raises(CommandError) as refused:
        call_command(
            "import", "tickets", str(path), location=location.slug, file_format="frontdesk"
        )
    assert str(refused.value) == (
        "frontdesk.csv: Line 5, column “EndedAt”: the visit ended before it was called. "
        "Nothing was imported."
    )
    assert VisitFact.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_command_line_gets_one_line_on_stderr_and_a_non_zero_exit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As the `skranke` script runs it: no traceback, one line, exit status 1."""
    location = Location.objects.create(name="Kommandolinjen", slug="kommandolinjen")
    path = frontdesk_file(tmp_path, [*GOOD, BAD_ROWS["a CPR number as employee"][0]])
    argv = ["skranke", "import", "tickets", str(path), "--location", location.slug]
    with pytest.raises(SystemExit) as exited:
        load_command_class("skranke.history", "import").run_from_argv(
            [*argv, "--format", "frontdesk"]
        )
    assert exited.value.code == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "Traceback" not in error
    assert "Line 5, column “EmployeeName”: this looks like a CPR number" in error
    assert CPR not in error
    assert VisitFact.objects.count() == 0

    with pytest.raises(SystemExit) as exited:
        load_command_class("skranke.history", "import").run_from_argv([*argv, "--format", "excel"])
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "invalid choice: 'excel'" in error
