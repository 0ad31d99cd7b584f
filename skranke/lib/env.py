"""Typed readers for environment variables.

Each reader returns the parsed value or the default, and raises ``BadSetting`` with a one-line
message naming the variable when the value cannot be understood. Settings are read once at
start-up, so a bad value stops the process before it serves anything.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class BadSetting(ImproperlyConfigured):
    """An environment variable holds a value that cannot be used."""


def _raw(name: str, environ: Mapping[str, str] | None) -> str | None:
    value = (os.environ if environ is None else environ).get(name)
    return None if value is None else value.strip()


def env_str(name: str, default: str, environ: Mapping[str, str] | None = None) -> str:
    """Return the variable as a string, or ``default`` when it is unset or empty."""
    value = _raw(name, environ)
    return value if value else default


def env_bool(name: str, default: bool, environ: Mapping[str, str] | None = None) -> bool:
    """Return the variable as a boolean (1/0, true/false, yes/no, on/off); empty means unset.

    Raises BadSetting for any other value.
    """
    value = _raw(name, environ)
    if not value:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise BadSetting(
        f"{name}={value!r} is not a yes/no value; use 1/0, true/false, yes/no or on/off"
    )


def env_int(
    name: str,
    default: int,
    environ: Mapping[str, str] | None = None,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    """Return the variable as an integer within [minimum, maximum].

    Raises BadSetting when it is not a whole number or lies outside the bounds.
    """
    value = _raw(name, environ)
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise BadSetting(f"{name}={value!r} is not a whole number") from None
    if minimum is not None and number < minimum:
        raise BadSetting(f"{name}={number} is below the minimum {minimum}")
    if maximum is not None and number > maximum:
        raise BadSetting(f"{name}={number} is above the maximum {maximum}")
    return number


def env_list(name: str, default: list[str], environ: Mapping[str, str] | None = None) -> list[str]:
    """Return a comma-separated variable as a list of non-empty, stripped items."""
    value = _raw(name, environ)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_choice(
    name: str, default: str, choices: tuple[str, ...], environ: Mapping[str, str] | None = None
) -> str:
    """Return the variable when it is one of ``choices``; raises BadSetting otherwise."""
    value = env_str(name, default, environ)
    if value not in choices:
        raise BadSetting(f"{name}={value!r} is not one of: {', '.join(choices)}")
    return value


def env_time_zone(name: str, default: str, environ: Mapping[str, str] | None = None) -> str:
    """Return an IANA time zone name such as Europe/Copenhagen; raises BadSetting otherwise."""
    value = env_str(name, default, environ)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadSetting(
            f"{name}={value!r} is not a known time zone (e.g. Europe/Copenhagen)"
        ) from None
    return value
