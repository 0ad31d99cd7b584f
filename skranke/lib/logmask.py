"""Masking of secrets in log lines: the tokens in secret links, and CPR numbers.

Some addresses are themselves the key to what they name: a device's one-time pairing link pairs
a kiosk, a citizen's ticket link cancels their number. Whoever reads a log holding them could do
the same, so every handler passes its records through ``MaskSecretsFilter`` first. It keeps a
short prefix of each secret, enough to tell two requests apart when reading the log, and
replaces the rest with "…"; a CPR number is replaced whole; control characters in the values a
message is formatted with are escaped, so a request path cannot forge a log line of its own.

Which paths hold a secret is not decided here: the filter is given the dotted path of a function
that returns regular expressions for the part of a path in front of a secret
(skranke.core.secret_paths derives them from the URL patterns). That function may answer None
while it cannot tell yet (before Django has loaded its apps, when no request has been served);
the filter then asks again at the next record.
"""

from __future__ import annotations

import copy
import logging
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote_plus

from django.utils.module_loading import import_string

from skranke.lib.cpr import contains_cpr_number, find_cpr_numbers

MASK = "…"
# Characters of a secret kept in front of the mask: with the 22 to 43 characters of Skranke's
# tokens, 4 tell requests apart and leave far too many unknown to guess the rest.
KEPT_CHARACTERS = 4
CPR_PLACEHOLDER = "[CPR]"
FILTER_NAME = "mask_secrets"

# A secret runs to the end of its path segment; in a log line the segment may also end at the
# query, a quote or white space.
_SEGMENT = r"[^/?#&;\s\"'<>\\]+"
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_WORD = re.compile(r"\S+")
# What an ASCII text holding a CPR number has at least: separators of any kind and number
# between the date's pairs of digits and the serial (skranke.lib.cpr says exactly which count).
_ASCII_SEPARATORS = r"[\s./\\_\-\x00-\x1f\x7f]*"
_ROUGH_CPR_SHAPE = re.compile(
    "[0-9]{2}"
    + _ASCII_SEPARATORS
    + "[0-9]{2}"
    + _ASCII_SEPARATORS
    + "[0-9]{2}"
    + _ASCII_SEPARATORS
    + "[0-9]{4}"
)

PathPrefixes = Callable[[], "Iterable[str] | None"]


class PathSecretMasker:
    """Masks the path segment that follows any of the given path prefixes (regular expressions)."""

    def __init__(self, prefixes: Iterable[str]) -> None:
        alternatives = "|".join(f"(?:{prefix})" for prefix in sorted(set(prefixes)))
        self._pattern = (
            re.compile(f"(?:{alternatives})(?P<secret>{_SEGMENT})") if alternatives else None
        )

    def mask(self, text: str) -> str:
        """Return ``text`` with each secret cut to its first characters and "…"."""
        if self._pattern is None:
            return text
        return self._pattern.sub(_mask_match, text)


def _mask_match(match: re.Match[str]) -> str:
    secret = match["secret"]
    # A segment of digits only is a record's id (the staff's /api/v1/tickets/<id>/… shares the
    # citizens' /api/v1/tickets/<token> prefix); secrets are random URL-safe text, never that.
    # A masked secret ends with the mask, so a record passed to two handlers is masked once.
    if secret.isdigit() or secret.endswith(MASK):
        return match[0]
    start = match.start("secret") - match.start()
    return match[0][:start] + secret[:KEPT_CHARACTERS] + MASK


def mask_cpr_numbers(text: str) -> str:
    """Return ``text`` with every CPR number replaced by ``[CPR]``, also one percent-encoded
    in an address (``010190%201234``): then the query, or the whole address, is replaced."""
    # Every line is checked, so plain ASCII text without even the rough shape of one skips the
    # detector's character-by-character normalising.
    encoded = "%" in text or "+" in text
    readable = unquote_plus(text) if encoded else text
    if readable.isascii() and not _ROUGH_CPR_SHAPE.search(readable):
        return text
    for number in find_cpr_numbers(text):
        text = text.replace(number, CPR_PLACEHOLDER)
    if encoded:
        text = _WORD.sub(_mask_encoded_cpr, text)
    return text


def _mask_encoded_cpr(match: re.Match[str]) -> str:
    word = match[0]
    if "%" not in word and "+" not in word:
        return word
    path, question_mark, query = word.partition("?")
    if question_mark and contains_cpr_number(unquote_plus(query)):
        query = CPR_PLACEHOLDER
    if contains_cpr_number(unquote_plus(path)):
        path = CPR_PLACEHOLDER
    return path + question_mark + query


def escape_control_characters(text: str) -> str:
    """Return ``text`` with control characters written as escapes (``\\x00``, ``\\n``)."""
    return _CONTROL_CHARACTERS.sub(lambda match: repr(match[0])[1:-1], text)


class MaskSecretsFilter(logging.Filter):
    """A logging filter that masks secrets in a record (it never drops one).

    ``path_prefixes`` is the dotted path of a function returning the regular expressions of the
    path prefixes in front of a secret, or None while it cannot tell yet. The message, the values
    it is formatted with, and the traceback are masked in place, so every formatter (uvicorn's
    access formatter reads the values one by one) writes the masked text.
    """

    def __init__(self, path_prefixes: str = "") -> None:
        super().__init__()
        self._source = path_prefixes
        self._masker: PathSecretMasker | None = None if path_prefixes else PathSecretMasker([])
        self._local = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        masker = self._path_masker()

        def mask(text: str) -> str:
            return mask_cpr_numbers(masker.mask(text))

        def mask_value(value: Any) -> Any:
            # Only text and exceptions: the str() of other objects (a model instance) may query
            # the database, which a log call must not do.
            if isinstance(value, BaseException):
                value = str(value)
            if isinstance(value, str):
                return escape_control_characters(mask(value))
            return value

        if isinstance(record.msg, str):
            record.msg = mask(record.msg)
        if isinstance(record.args, dict):
            record.args = {key: mask_value(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(mask_value(value) for value in record.args)
        if record.exc_info and not record.exc_text:
            # Formatters use exc_text when it is set, so the masked traceback is what they write.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        return True

    def _path_masker(self) -> PathSecretMasker:
        if self._masker is not None:
            return self._masker
        # Finding the prefixes imports the URL configuration, which may log; a record logged
        # meanwhile (in this thread) is masked without them rather than recursing.
        if getattr(self._local, "building", False):
            return PathSecretMasker([])
        self._local.building = True
        try:
            function: PathPrefixes = import_string(self._source)
            prefixes = function()
        finally:
            self._local.building = False
        if prefixes is None:
            return PathSecretMasker([])
        self._masker = PathSecretMasker(prefixes)
        return self._masker


def with_masked_handlers(config: dict[str, Any], path_prefixes: str) -> dict[str, Any]:
    """Return a copy of a ``logging.config.dictConfig`` dictionary whose every handler passes
    its records through ``MaskSecretsFilter`` (first, before the handler's own filters)."""
    masked = copy.deepcopy(config)
    masked.setdefault("filters", {})[FILTER_NAME] = {
        "()": f"{__name__}.MaskSecretsFilter",
        "path_prefixes": path_prefixes,
    }
    for handler in masked.get("handlers", {}).values():
        handler["filters"] = [FILTER_NAME, *handler.get("filters", [])]
    return masked
