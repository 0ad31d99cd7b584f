"""Detection of Danish CPR numbers (personnumre) in free text.

Skranke must never store a CPR number (DESIGN.md), so every place that takes free text (forms,
the JSON API, CSV imports) asks this module whether the text holds something shaped like one,
and refuses it. The detector errs on the side of refusing: a citizen service centre loses
little when a staff member has to rewrite a note, and a great deal when a CPR number leaks.

What counts as a CPR number here:

* Ten ASCII digits ``ddmmyy`` + ``xxxx``: day, month, two-digit year, then four serial digits.
* Between the date and the serial: nothing, one space (also a no-break space or a tab), or one of
  hyphen, en dash, em dash, minus sign, slash or full stop, optionally with one space either
  side (``010190-1234``, ``010190 1234``, ``010190 – 1234``, ``010190/1234``, ``010190.1234``).
* Inside the date: nothing, or one separator used in both places, one of full stop, hyphen,
  en dash, slash or space (``01.01.90-1234``, ``01-01-90 1234``, ``01 01 90 1234``). Mixed
  separators (``01.01-90``) are not a date. The serial is never split (``01 01 90 12 34`` is
  not matched), because that is how 8-digit phone numbers are grouped.
* Not preceded or followed by another digit, so ``0101901234`` inside a 12-digit reference is
  not matched. Letters may touch it (``CPR:0101901234`` is matched).
* A date written in groups (``01 01 90``) is not matched when the character before it is a
  digit followed by that same separator: it is then the tail of a longer grouped number, such
  as the phone number in ``20 01 01 90 / 1234 5678``.
* The date must exist in the century that the seventh digit (the first serial digit) gives,
  by the CPR office's rule: 0-3 means 1900s; 4 and 9 mean 2000s when the year is 00-36 and
  1900s otherwise; 5-8 mean 2000s when the year is 00-57 and 1800s otherwise. So ``290200-4xxx``
  (29 February 2000) is matched while ``290200-1xxx`` (1900 was no leap year) is not. That
  day is in fact the only one where the century changes the answer; the rule is followed in
  full so that the code says what the CPR office says.

Deliberately not checked: the modulus-11 check digit, because numbers issued since 2007 need
not satisfy it, and whether the birth date lies in the future, which would make the answer
depend on today's date. Phone numbers do not match: they have 8 digits, with the country code
in front the "day" is 45, and two grouped numbers side by side are caught by the rule above.

Known false alarms, accepted because they cannot be told apart from a CPR number by shape: a
10-digit bank account number whose first six digits form a date, a short date followed by a
4-digit time (``24.12.26 1430``; ``24.12.26 14.30`` is fine), and a decimal number with six
digits before the point and four after whose first six digits form a date.
"""

from __future__ import annotations

import datetime as dt
import re

_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2212"  # hyphens, figure dash, en/em dash, minus
_SPACES = " \u00a0\u202f\t"  # space, no-break space, narrow no-break space, tab


def _one_of(characters: str) -> str:
    return "[" + re.escape(characters) + "]"


_DATE_SEPARATOR = _one_of(".-\u2013/ \u00a0")
_SPACE = _one_of(_SPACES)
_SERIAL_PUNCTUATION = _one_of(_DASHES + "/.")

# The pattern finds every place that has the shape of a CPR number; the date check happens in
# Python because the century depends on the seventh digit.
_CANDIDATE = re.compile(
    rf"""
    (?<![0-9])
    (?P<day>[0-9]{{2}})
    (?P<date_separator>{_DATE_SEPARATOR}?)
    (?P<month>[0-9]{{2}})
    (?P=date_separator)
    (?P<year>[0-9]{{2}})
    (?:{_SPACE}?{_SERIAL_PUNCTUATION}{_SPACE}? | {_SPACE})?
    (?P<serial>[0-9]{{4}})
    (?![0-9])
    """,
    re.VERBOSE,
)


def _century(year: int, seventh_digit: int) -> int:
    """Return the century (1800, 1900 or 2000) of a CPR number's two-digit birth year."""
    if seventh_digit <= 3:
        return 1900
    if seventh_digit in (4, 9):
        return 2000 if year <= 36 else 1900
    return 2000 if year <= 57 else 1800


def _is_cpr(match: re.Match[str]) -> bool:
    """Return True when a candidate has a real birth date and is not part of a longer number."""
    separator = match["date_separator"]
    start = match.start()
    if separator and start >= 2:
        before = match.string[start - 2 : start]
        if before[0] in "0123456789" and before[1] == separator:
            return False
    year = int(match["year"])
    century = _century(year, int(match["serial"][0]))
    try:
        dt.date(century + year, int(match["month"]), int(match["day"]))
    except ValueError:
        return False
    return True


def find_cpr_numbers(text: str) -> list[str]:
    """Return every CPR number in ``text``, as written there (separators included), in order.

    Returns an empty list when there is none. See the module docstring for the exact shapes.
    """
    # Scanning on past a rejected candidate misses nothing: the only runs of digits that start
    # inside a candidate are its month, year or serial, and none of them is followed by the rest
    # of a CPR shape (a test checks this against trying every position).
    return [match[0] for match in _CANDIDATE.finditer(text) if _is_cpr(match)]


def contains_cpr_number(text: str) -> bool:
    """Return True when ``text`` holds at least one CPR number (see ``find_cpr_numbers``)."""
    return any(_is_cpr(match) for match in _CANDIDATE.finditer(text))
