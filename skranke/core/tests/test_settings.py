"""Start-up with a bad setting stops with one line naming the variable, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[3]


def run_skranke(
    tmp_path: Path, *arguments: str, **variables: str
) -> subprocess.CompletedProcess[str]:
    """Run `python -m skranke …` with a fresh data folder and the given SKRANKE_* variables."""
    environ = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SKRANKE_", "DJANGO_"))
    }
    environ["SKRANKE_DATA_DIR"] = str(tmp_path / "data")
    environ.update(variables)
    return subprocess.run(
        [sys.executable, "-m", "skranke", *arguments],
        cwd=PROJECT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_good_settings_pass_the_check(tmp_path: Path) -> None:
    result = run_skranke(tmp_path, "check")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    # Without SKRANKE_SECRET_KEY a key is generated once and kept private in the data folder.
    key_file = tmp_path / "data" / "secret_key"
    assert len(key_file.read_text()) >= 32
    assert key_file.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SKRANKE_DEBUG", "maybe"),
        ("SKRANKE_HTTPS", "2"),
        ("SKRANKE_TIME_ZONE", "Mars/Olympus"),
        ("SKRANKE_DATABASE_URL", "mysql://x"),
        ("SKRANKE_DATABASE_URL", "nonsense"),
        ("SKRANKE_LANGUAGE", "fr"),
        ("SKRANKE_SECRET_KEY", "short"),
        ("SKRANKE_SQLITE_TIMEOUT", "0"),
        ("SKRANKE_SQLITE_TIMEOUT", "soon"),
        ("SKRANKE_LOG_LEVEL", "loud"),
    ],
)
def test_a_bad_setting_stops_start_up_with_one_line(
    tmp_path: Path, variable: str, value: str
) -> None:
    result = run_skranke(tmp_path, "check", **{variable: value})
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0]
    assert lines[0].startswith("skranke: configuration error:")


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"SKRANKE_DB_POOL_MAX": "lots"}, "SKRANKE_DB_POOL_MAX"),
        ({"SKRANKE_DB_POOL_MIN": "-1"}, "SKRANKE_DB_POOL_MIN"),
        ({"SKRANKE_DB_POOL_MIN": "30", "SKRANKE_DB_POOL_MAX": "10"}, "SKRANKE_DB_POOL_MAX"),
        ({"SKRANKE_DB_POOL_TIMEOUT": "0"}, "SKRANKE_DB_POOL_TIMEOUT"),
    ],
)
def test_bad_postgresql_pool_settings_stop_start_up(
    tmp_path: Path, variables: dict[str, str], named: str
) -> None:
    # `check` reads the settings without connecting, so no server is needed at this address.
    database = "postgres://skranke@127.0.0.1:1/skranke"
    result = run_skranke(tmp_path, "check", SKRANKE_DATABASE_URL=database, **variables)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert named in result.stderr


def test_a_postgresql_pool_with_a_large_minimum_grows_its_maximum(tmp_path: Path) -> None:
    database = "postgres://skranke@127.0.0.1:1/skranke"
    result = run_skranke(tmp_path, "check", SKRANKE_DATABASE_URL=database, SKRANKE_DB_POOL_MIN="30")
    assert result.returncode == 0, result.stderr


def test_an_unusable_data_folder_stops_start_up_with_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    result = run_skranke(tmp_path, "check", SKRANKE_DATA_DIR=str(blocker / "data"))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "SKRANKE_DATA_DIR" in result.stderr


def test_an_unusable_data_folder_is_named_even_with_a_secret_key(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    result = run_skranke(
        tmp_path,
        "check",
        SKRANKE_DATA_DIR=str(blocker / "data"),
        SKRANKE_SECRET_KEY="a-secret-key-that-is-long-enough-for-the-check",
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "SKRANKE_DATA_DIR" in result.stderr


def test_the_message_does_not_echo_the_secret_key(tmp_path: Path) -> None:
    result = run_skranke(tmp_path, "check", SKRANKE_SECRET_KEY="hunter2")
    assert result.returncode != 0
    assert "hunter2" not in result.stderr
