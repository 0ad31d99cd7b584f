"""Reading a database id from untrusted text (a form field, a query string, a path segment)."""

from __future__ import annotations

# 18 digits always fit a signed 64-bit column; a longer number could not be an id and would make
# PostgreSQL refuse the query.
LONGEST_ID = 18


def parse_id(raw: str) -> int | None:
    """Return ``raw`` as a non-negative id, or None when it is not one.

    ``str.isdigit`` alone also accepts characters such as "²" that ``int`` refuses, so the text
    must be plain ASCII digits.
    """
    if raw and raw.isascii() and raw.isdigit() and len(raw) <= LONGEST_ID:
        return int(raw)
    return None
