"""The SKRANKE_* variables for sessions, sign-in lockout, rate limits and the cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

PROJECT = Path(__file__).resolve().parents[3]

SHOW_SETTINGS = """
import json
from django.conf import settings
print(json.dumps({
    "session_age": settings.SESSION_COOKIE_AGE,
    "save_every_request": settings.SESSION_SAVE_EVERY_REQUEST,
    "lockout": settings.AXES_ENABLED,
    "failure_limit": settings.AXES_FAILURE_LIMIT,
    "cool_off": settings.AXES_COOLOFF_TIME.total_seconds(),
    "lockout_by": settings.AXES_LOCKOUT_PARAMETERS,
    "rate_limits": settings.SKRANKE_RATE_LIMITS_ENABLED,
    "anonymous_rate": settings.SKRANKE_RATE_LIMIT_ANONYMOUS,
    "trusted_proxies": settings.SKRANKE_TRUSTED_PROXIES,
    "cache": settings.CACHES["default"],
}))
"""


def run_skranke(
    tmp_path: Path, *arguments: str, **variables: str
) -> subprocess.CompletedProcess[str]:
    """Run `python -m skranke …` with a fresh data folder and only the given SKRANKE_* variables."""
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


def shown_settings(tmp_path: Path, **variables: str) -> dict[str, Any]:
    result = run_skranke(tmp_path, "shell", "-c", SHOW_SETTINGS, **variables)
    assert result.returncode == 0, result.stderr
    shown: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return shown


def test_the_defaults(tmp_path: Path) -> None:
    shown = shown_settings(tmp_path)

    assert shown == {
        "session_age": 3600,
        "save_every_request": True,
        "lockout": True,
        "failure_limit": 5,
        "cool_off": 900.0,
        "lockout_by": [["username", "ip_address"]],
        "rate_limits": True,
        "anonymous_rate": "60/min",
        "trusted_proxies": [],
        "cache": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "skranke_cache",
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        },
    }


def test_the_variables_are_read(tmp_path: Path) -> None:
    shown = shown_settings(
        tmp_path,
        SKRANKE_SESSION_IDLE_MINUTES="15",
        SKRANKE_LOGIN_LOCKOUT="0",
        SKRANKE_LOGIN_FAILURE_LIMIT="10",
        SKRANKE_LOGIN_COOLOFF_MINUTES="30",
        SKRANKE_RATE_LIMITS="off",
        SKRANKE_RATE_LIMIT_ANONYMOUS="1000/hour",
        SKRANKE_TRUSTED_PROXIES="10.0.0.0/8, 2001:db8::1",
        SKRANKE_CACHE_URL="redis://127.0.0.1:6379/1",
    )

    assert shown["session_age"] == 15 * 60
    assert (shown["lockout"], shown["failure_limit"], shown["cool_off"]) == (False, 10, 1800.0)
    assert (shown["rate_limits"], shown["anonymous_rate"]) == (False, "1000/hour")
    assert shown["trusted_proxies"] == ["10.0.0.0/8", "2001:db8::1"]
    assert shown["cache"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/1",
    }


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SKRANKE_SESSION_IDLE_MINUTES", "0"),
        ("SKRANKE_SESSION_IDLE_MINUTES", "an hour"),
        ("SKRANKE_LOGIN_LOCKOUT", "sometimes"),
        ("SKRANKE_LOGIN_FAILURE_LIMIT", "0"),
        ("SKRANKE_LOGIN_COOLOFF_MINUTES", "soon"),
        ("SKRANKE_RATE_LIMITS", "maybe"),
        ("SKRANKE_RATE_LIMIT_ANONYMOUS", "lots"),
        ("SKRANKE_RATE_LIMIT_ANONYMOUS", "0/min"),
        ("SKRANKE_RATE_LIMIT_ANONYMOUS", "60/fortnight"),
        ("SKRANKE_TRUSTED_PROXIES", "10.0.0.0/8,proxy.example.dk"),
        ("SKRANKE_CACHE_URL", "memcached://127.0.0.1:11211"),
    ],
)
def test_a_bad_value_stops_start_up_with_one_line(
    tmp_path: Path, variable: str, value: str
) -> None:
    result = run_skranke(tmp_path, "check", **{variable: value})

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("skranke: configuration error:")
    assert variable in lines[0]
