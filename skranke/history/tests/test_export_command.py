"""`skranke export tickets`: the visits of the centres and local dates asked for, to a file or
stdout; bad arguments refused with one line."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from skranke.history.skranke_format import COLUMNS
from skranke.history.tests.files import (
    frontdesk_file,
    frontdesk_row,
    import_frontdesk,
    make_location,
)
from skranke.organisation.models import Location

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _centre_with_visits(tmp_path: Path, name: str) -> Location:
    """A centre with visits just either side of midnight around 1 and 2 March 2025."""
    location = make_location()
    rows = [
        frontdesk_row(f"{name}-1", "28-02-2025 23:59"),
        frontdesk_row(f"{name}-2", "01-03-2025 00:30"),  # 23:30 UTC on 28 February
        frontdesk_row(f"{name}-3", "02-03-2025 23:30"),
        frontdesk_row(f"{name}-4", "03-03-2025 00:01"),
    ]
    import_frontdesk(frontdesk_file(tmp_path, rows, name=f"{name}.csv"), location)
    return location


def _exported(text: str) -> list[dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert rows == [] or list(rows[0]) == list(COLUMNS)
    return rows


def test_the_local_dates_asked_for_both_included(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    location = _centre_with_visits(tmp_path, "a")
    _centre_with_visits(tmp_path, "b")

    call_command(
        "export", "tickets", location=location.slug, date_from="2025-03-01", date_to="2025-03-02"
    )

    captured = capsys.readouterr()
    rows = _exported(captured.out)
    assert [row["issued_at"] for row in rows] == [
        "2025-03-01T00:30:00+01:00",
        "2025-03-02T23:30:00+01:00",
    ]
    assert {row["location"] for row in rows} == {location.slug}
    assert captured.err == "Exported 2 rows.\n"


def test_all_centres(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = _centre_with_visits(tmp_path, "a")
    second = _centre_with_visits(tmp_path, "b")
    call_command("export", "tickets", location="all", date_from="2025-02-01", date_to="2025-03-31")
    rows = _exported(capsys.readouterr().out)
    assert len(rows) == 8
    assert {row["location"] for row in rows} == {first.slug, second.slug}


def test_to_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    location = _centre_with_visits(tmp_path, "a")
    target = tmp_path / "out" / "visits.csv"
    target.parent.mkdir()
    call_command(
        "export",
        "tickets",
        location=location.slug,
        date_from="2025-03-01",
        date_to="2025-03-01",
        output=target,
    )
    assert capsys.readouterr().out == f"Exported 1 rows to {target}.\n"
    assert len(_exported(target.read_text(encoding="utf-8"))) == 1
    assert [path.name for path in target.parent.iterdir()] == ["visits.csv"]


def test_a_file_that_cannot_be_written_leaves_nothing(tmp_path: Path) -> None:
    location = make_location()
    target = tmp_path / "missing-folder" / "visits.csv"
    with pytest.raises(CommandError, match=r"^Cannot write .*visits.csv: No such file"):
        call_command(
            "export",
            "tickets",
            location=location.slug,
            date_from="2025-03-01",
            date_to="2025-03-01",
            output=target,
        )
    assert not target.parent.exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"location": "nowhere"}, "No centre has the short name “nowhere”."),
        ({"date_from": "2025-3-1"}, "--from 2025-3-1 is not a date (write YYYY-MM-DD)."),
        ({"date_to": "2025-02-30"}, "--to 2025-02-30 is not a date (write YYYY-MM-DD)."),
        ({"date_to": "2025-02-28"}, "--to is before --from."),
    ],
)
def test_bad_arguments_are_refused(arguments: dict[str, str], message: str) -> None:
    location = make_location()
    options = {"location": location.slug, "date_from": "2025-03-01", "date_to": "2025-03-31"}
    with pytest.raises(CommandError) as refused:
        call_command("export", "tickets", **{**options, **arguments})
    assert str(refused.value) == message
