"""Which addresses hold a secret, read from the URL patterns, so the logs can mask them.

A route parameter named in ``SECRET_URL_PARAMETERS`` is a secret wherever it appears: whoever
knows its value may act on what it names (pair a device, cancel a citizen's number). A new route
with a secret in its path names its parameter so (or adds the name to that list), and every log
line masks it (skranke.lib.logmask). ``secret`` is the link secret of a booked appointment
(``/booking/manage/<code>/<secret>/…``, skranke.booking).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver

SECRET_URL_PARAMETERS = ("token", "secret")

_ANCHORS = re.compile(r"^\^|(?:\\Z|\$)$")
_NAMED_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>")


def secret_path_prefixes() -> list[str] | None:
    """Return regular expressions for the part of an address in front of each secret parameter,
    e.g. ``/t/`` and ``/kiosk/(?:[-a-zA-Z0-9_]+)/number/``; None while Django's apps are not
    loaded yet (the URL patterns cannot be imported then)."""
    if not apps.ready:
        return None
    prefixes: set[str] = set()
    for route in _route_regexes(get_resolver().url_patterns, ""):
        for group in _NAMED_GROUP.finditer(route):
            if group["name"] in SECRET_URL_PARAMETERS:
                # Other parameters in front stay as their converters match, without their names
                # (several prefixes are joined into one expression, where names must be unique).
                prefixes.add("/" + _NAMED_GROUP.sub("(?:", route[: group.start()]))
    return sorted(prefixes)


def _route_regexes(patterns: Iterable[URLPattern | URLResolver], prefix: str) -> Iterator[str]:
    """Yield the regular expression of every route below ``patterns``, without anchors."""
    for entry in patterns:
        part = prefix + _ANCHORS.sub("", entry.pattern.regex.pattern)
        if isinstance(entry, URLResolver):
            yield from _route_regexes(entry.url_patterns, part)
        else:
            yield part
