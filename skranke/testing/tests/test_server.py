"""`skranke.testing.server`: database URLs for the server process, and failed start-ups."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
import pytest

from skranke.testing.server import ServerDidNotStart, database_url, start_server


def test_sqlite_file_database_becomes_an_absolute_url(tmp_path: Path) -> None:
    name = tmp_path / "test-skranke.sqlite3"

    url = database_url({"ENGINE": "django.db.backends.sqlite3", "NAME": str(name)})

    assert url == f"sqlite:///{name}"
    assert dj_database_url.parse(url)["NAME"] == str(name)


def test_in_memory_sqlite_database_is_refused() -> None:
    with pytest.raises(ValueError, match="in memory"):
        database_url({"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"})


def test_postgresql_settings_survive_the_round_trip_through_a_url() -> None:
    settings = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "test_skranke",
        "USER": "skranke",
        "PASSWORD": "p@ss/word:æ",
        "HOST": "db.example.org",
        "PORT": "5433",
    }

    parsed = dj_database_url.parse(database_url(settings))

    assert {key: str(parsed[key]) for key in settings if key != "ENGINE"} == {
        key: value for key, value in settings.items() if key != "ENGINE"
    }
    assert parsed["ENGINE"] == "django.db.backends.postgresql"


def test_postgresql_without_host_or_password_uses_the_local_socket() -> None:
    url = database_url(
        {"ENGINE": "django.db.backends.postgresql", "NAME": "test", "USER": "", "HOST": ""}
    )

    assert url == "postgres:///test"


def test_server_that_exits_during_start_up_fails_with_its_output(tmp_path: Path) -> None:
    with pytest.raises(ServerDidNotStart) as failure:
        start_server(
            f"sqlite:///{tmp_path / 'db.sqlite3'}",
            extra_env={"SKRANKE_SECRET_KEY": "too-short"},
        )

    message = str(failure.value)
    assert "exited with status 2 during start-up" in message
    assert "SKRANKE_SECRET_KEY is shorter than 32 characters" in message


def test_server_that_does_not_answer_in_time_fails_and_is_stopped(tmp_path: Path) -> None:
    # No Python process can import Django and bind a port within a millisecond.
    with pytest.raises(ServerDidNotStart, match=r"did not start within 0\.001 s"):
        start_server(f"sqlite:///{tmp_path / 'db.sqlite3'}", timeout=0.001)
