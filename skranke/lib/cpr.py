"""Detection of Danish CPR numbers (personnumre) in free text.

Skranke must never store a CPR number (DESIGN.md), so every place that takes free text (forms,
the JSON API, CSV imports) asks this module whether the text holds something shaped like one,
and refuses it. The detector errs on the side of refusing: a citizen service centre loses
little when a staff member has to rewrite a note, and a great deal when a CPR number leaks.

The text is first brought to one spelling (``normalise``), so that what a reader sees as a CPR
number is found however it was typed or pasted:

* Unicode compatibility form (NFKC): full-width ``０１０１９０－１２３４``, superscripts and the
  like become ASCII digits and punctuation.
* Every Unicode decimal digit becomes its ASCII digit. NFKC leaves Arabic-Indic ``٠١٠١٩٠``,
  Devanagari and other scripts' digits alone, so this is a step of its own.
* Invisible characters are removed: format characters (Unicode category Cf: zero-width space,
  word joiner, soft hyphen, direction marks …), combining marks, control characters other than
  whitespace, and the Hangul fillers. ``0101\u200b901234`` is ``0101901234``.
* Separators are sorted into five kinds, each written as one character: whitespace (any) as a
  space; dashes (Unicode category Pd and the minus sign) as ``-``; slashes as ``/``; dots as
  ``.``; underscores (category Pc) as ``_``. A run of separators, with invisible characters
  in it, counts as one: of its kind when it holds only one kind besides whitespace (``" - "``
  is ``-``, ``"  "`` a space), and as ``-`` when it mixes several.

Normalising twice gives the same text. Letters and other characters are kept (after NFKC).

What counts as a CPR number in the normalised text:

* Ten digits ``ddmmyy`` + ``xxxx``: day, month, two-digit year, then four serial digits.
* Between the date and the serial: nothing or one separator (``010190-1234``,
  ``010190 1234``, ``010190 – 1234``, ``010190/1234``, ``010190.1234``, ``010190_1234``).
* Inside the date: nothing, or one separator of the same kind in both places
  (``01.01.90-1234``, ``01-01-90 1234``, ``01 01 90 1234``). Mixed separators (``01.01-90``) are
  not a date. The serial is never split (``01 01 90 12 34`` is not matched), because that is
  how 8-digit phone numbers are grouped.
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
import unicodedata
from functools import lru_cache

# The one character each kind of separator is written as in the normalised text.
_SPACE = " "
_DASH = "-"
_SLASH = "/"
_DOT = "."
_UNDERSCORE = "_"
_SEPARATORS = frozenset(_SPACE + _DASH + _SLASH + _DOT + _UNDERSCORE)

# Look-alikes that NFKC leaves as they are. Dashes are found by category (Pd) besides these.
_MINUS_SIGNS = frozenset("\u2212\u2796\u2043")  # minus sign, heavy minus, hyphen bullet
_SLASHES = frozenset("/\\\u2044\u2215\u2216\u29f8\u29f9")  # fraction, division, big solidus …
_DOTS = frozenset(".\u00b7\u2027\u2219\u22c5\u30fb")  # middle dot, hyphenation point …
# Default-ignorable letters: they render as nothing (Hangul fillers, after NFKC).
_INVISIBLE_LETTERS = frozenset("\u115f\u1160")
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Mn", "Me"})


@lru_cache(maxsize=4096)
def _fold(character: str) -> str:
    """Return what one character of the text stands for in the normalised text.

    Digits come back as ASCII digits, separators as their kind's character (a run is joined
    later), invisible characters as the empty string, anything else as its NFKC form.
    """
    folded = []
    # NFKC character by character, so each output can be traced to the character it came from
    # (find_cpr_numbers answers with the text as written). It differs from NFKC of the whole
    # text only in composing a character with the ones after it (a letter and its accent,
    # Hangul jamo), and no digit or separator is ever the result of a composition.
    for part in unicodedata.normalize("NFKC", character):
        digit = unicodedata.decimal(part, None)
        category = unicodedata.category(part)
        if digit is not None:
            folded.append(str(digit))
        elif part.isspace():
            folded.append(_SPACE)
        elif category == "Pd" or part in _MINUS_SIGNS:
            folded.append(_DASH)
        elif part in _SLASHES:
            folded.append(_SLASH)
        elif part in _DOTS:
            folded.append(_DOT)
        elif category == "Pc":
            folded.append(_UNDERSCORE)
        elif category in _INVISIBLE_CATEGORIES or part in _INVISIBLE_LETTERS:
            continue
        else:
            folded.append(part)
    return "".join(folded)


def _run_separator(kinds: set[str]) -> str:
    """Return the one separator a run of separators of these kinds counts as."""
    marks = kinds - {_SPACE}
    if not marks:
        return _SPACE
    if len(marks) == 1:
        return next(iter(marks))
    return _DASH


def _normalise_with_positions(text: str) -> tuple[str, list[int], list[int]]:
    """Return the normalised text and, for each of its characters, where it came from in
    ``text``: the start index and the end index (exclusive) of the original characters."""
    normalised: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    run_kinds: set[str] = set()
    for index, character in enumerate(text):
        for part in _fold(character):
            if part in _SEPARATORS:
                if run_kinds:
                    run_kinds.add(part)
                    ends[-1] = index + 1
                    continue
                run_kinds = {part}
            elif run_kinds:
                normalised[-1] = _run_separator(run_kinds)
                run_kinds = set()
            normalised.append(part)
            starts.append(index)
            ends.append(index + 1)
    if run_kinds:
        normalised[-1] = _run_separator(run_kinds)
    return "".join(normalised), starts, ends


def normalise(text: str) -> str:
    """Return ``text`` as the detector reads it (see the module docstring); idempotent."""
    return _normalise_with_positions(text)[0]


_SEPARATOR = "[" + re.escape("".join(sorted(_SEPARATORS))) + "]"

# The pattern finds every place in the normalised text that has the shape of a CPR number; the
# date check happens in Python because the century depends on the seventh digit.
_CANDIDATE = re.compile(
    rf"""
    (?<![0-9])
    (?P<day>[0-9]{{2}})
    (?P<date_separator>{_SEPARATOR}?)
    (?P<month>[0-9]{{2}})
    (?P=date_separator)
    (?P<year>[0-9]{{2}})
    {_SEPARATOR}?
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


def _cpr_matches(normalised: str) -> list[re.Match[str]]:
    """Return the CPR numbers in normalised text, in order, none overlapping another."""
    found = []
    position = 0
    while match := _CANDIDATE.search(normalised, position):
        if _is_cpr(match):
            found.append(match)
            position = match.end()
        else:
            # A rejected candidate may hide a CPR number that starts inside it: in
            # "01 29 011234 0101" the year and serial of the impossible date 01.29.01 begin the
            # real "011234 0101". (At most one candidate starts at each position.)
            position = match.start() + 1
    return found


def _too_few_digits(text: str) -> bool:
    """Return True for ASCII text with fewer than ten digits, which cannot hold a CPR number.

    NFKC leaves ASCII as it is, so its digits are all there will be; this spares the common
    short note and audit detail the character-by-character normalisation.
    """
    return text.isascii() and sum(map(text.count, "0123456789")) < 10


def find_cpr_numbers(text: str) -> list[str]:
    """Return every CPR number in ``text``, as written there (separators included), in order.

    Returns an empty list when there is none. See the module docstring for the exact shapes.
    """
    if _too_few_digits(text):
        return []
    normalised, starts, ends = _normalise_with_positions(text)
    return [
        text[starts[match.start()] : ends[match.end() - 1]] for match in _cpr_matches(normalised)
    ]


def contains_cpr_number(text: str) -> bool:
    """Return True when ``text`` holds at least one CPR number (see ``find_cpr_numbers``)."""
    return not _too_few_digits(text) and bool(_cpr_matches(normalise(text)))
