"""`skranke report`: one JSON object on stdout; a bad argument gives one line on stderr and a
non-zero exit status, never a traceback."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from skranke.jobs.tests.commands import committed_database_url, run_skranke
from skranke.reports.management.commands.report import Command
from skranke.reports.tests.report_data import History, make_history

KEYS = {
    "visits": {
        "total",
        "served",
        "no_show",
        "cancelled",
        "by_subject_area",
        "by_queue",
        "by_team",
        "by_hour",
        "by_weekday",
        "by_month",
    },
    "wait_minutes": {"mean", "median", "p90", "max", "within_goal_share"},
    "service_minutes": {"mean", "median", "p90", "max"},
}


@pytest.fixture
def history(db: None) -> History:
    return make_history()


def report(*arguments: str) -> tuple[str, dict[str, Any]]:
    output = io.StringIO()
    call_command("report", *arguments, stdout=output)
    return output.getvalue(), json.loads(output.getvalue())


def run_from_command_line(
    capsys: pytest.CaptureFixture[str], *arguments: str
) -> tuple[int | str | None, str]:
    """Run the command as the console script does (Django's run_from_argv) and return its exit
    status and what it wrote to stderr."""
    with pytest.raises(SystemExit) as exited:
        Command().run_from_argv(["skranke", "report", *arguments])
    return exited.value.code, capsys.readouterr().err


def test_prints_one_json_object_with_the_issues_keys(history: History) -> None:
    day = history.today.isoformat()
    text, found = report("--location", history.first.location.slug, "--from", day, "--to", day)

    assert text.startswith("{\n  ")  # indented by two spaces, as --help says
    for section, keys in KEYS.items():
        assert keys <= set(found[section]), section
    assert set(found["visits"]["by_hour"]) == {f"{hour:02d}" for hour in range(24)}
    assert list(found["visits"]["by_weekday"]) == [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ]
    assert found["visits"]["by_month"] == {day[:7]: 4}
    assert {"name", "target", "value", "met"} <= set(found["goals"][0])
    assert found["previous_year"]["visits"]["total"] == 0
    # No visits a year earlier: the change is null, not a division by zero.
    assert found["change_percent"]["visits"] is None
    assert found["visits"]["by_queue"] == {"Pas": 4}
    assert found["visits"]["by_team"] == {"Front Nord": 4}


def test_all_keys_queues_by_centre_slug_and_name(history: History) -> None:
    day = history.today.isoformat()
    _text, found = report("--location", "all", "--from", day, "--to", day, "--format", "json")
    first, second = history.first.location.slug, history.second.location.slug
    assert found["visits"]["by_queue"] == {f"{first}/Pas": 4, f"{second}/Pas": 2}
    assert found["visits"]["total"] == 6


def test_names_are_printed_as_they_are_not_escaped(history: History) -> None:
    day = history.today.isoformat()
    history.first.location.name = "Borgerservice Ærø"
    history.first.location.save()
    text, found = report("--location", history.first.location.slug, "--from", day, "--to", day)
    assert "Ærø" in text
    assert found["centres"][0]["name"] == "Borgerservice Ærø"


@pytest.mark.parametrize(
    ("arguments", "status"),
    [
        (["--location", "vest", "--from", "2025-01-01", "--to", "2025-01-31"], 1),
        (["--location", "all", "--from", "2025-02-01", "--to", "2025-01-31"], 1),
        (["--location", "all", "--from", "2025-1-1", "--to", "2025-01-31"], 1),
        (["--location", "all", "--from", "2025-01-01", "--to", "2025-02-30"], 1),
        (["--location", "all", "--from", "2010-01-01", "--to", "2025-01-31"], 1),
        (
            [
                "--location",
                "all",
                "--from",
                "2025-01-01",
                "--to",
                "2025-01-31",
                "--goal-minutes",
                "0",
            ],
            1,
        ),
        (
            [
                "--location",
                "all",
                "--from",
                "2025-01-01",
                "--to",
                "2025-01-31",
                "--goal-minutes",
                "x",
            ],
            1,
        ),
        (["--location", "all", "--from", "2025-01-01"], 2),
        (["--from", "2025-01-01", "--to", "2025-01-31"], 2),
        (["--location", "all", "--from", "2025-01-01", "--to", "2025-01-31", "--format", "xml"], 2),
        (["--location", "all", "--from", "2025-01-01", "--to", "2025-01-31", "--centre", "x"], 2),
    ],
)
def test_a_bad_argument_gives_one_line_and_a_non_zero_exit(
    history: History, capsys: pytest.CaptureFixture[str], arguments: list[str], status: int
) -> None:
    code, stderr = run_from_command_line(capsys, *arguments)

    assert code == status
    assert stderr.count("\n") == 1 and stderr.strip(), stderr
    assert "Traceback" not in stderr and "usage:" not in stderr
    assert capsys.readouterr().out == ""


def test_call_command_raises_the_refusal(history: History) -> None:
    with pytest.raises(CommandError, match="vest"):
        report("--location", "vest", "--from", "2025-01-01", "--to", "2025-01-31")


def test_the_console_script_refuses_without_a_traceback(
    transactional_db: None, tmp_path: Path
) -> None:
    result = run_skranke(
        tmp_path,
        "report",
        "--location",
        "all",
        "--from",
        "2025-02-01",
        "--to",
        "2025-01-31",
        env={"SKRANKE_DATABASE_URL": committed_database_url(), "SKRANKE_LANGUAGE": "en"},
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "CommandError: The end date (to) 2025-01-31 is before the start date (from) 2025-02-01."
    ]
