"""Danish phone numbers: eight digits, written with or without +45 / 0045 in front."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

PHONE_MESSAGE = _(
    "Enter a Danish phone number of 8 digits, optionally starting with +45 or 0045, "
    "e.g. 12 34 56 78."
)
# People write numbers in groups ("12 34 56 78", "1234-5678"); the separators carry nothing.
_SEPARATORS = re.compile(r"[ \t\-.]")
_EIGHT_DIGITS = re.compile(r"[0-9]{8}")
_COUNTRY_PREFIXES = ("+45", "0045")


def normalise_danish_phone(value: str) -> str:
    """Return ``value`` as +45 and eight digits, e.g. "+4512345678".

    Raises django.core.exceptions.ValidationError (code "phone") when it is not eight digits,
    optionally preceded by +45 or 0045 and grouped with spaces, hyphens or dots.
    """
    compact = _SEPARATORS.sub("", value.strip())
    for prefix in _COUNTRY_PREFIXES:
        if compact.startswith(prefix):
            compact = compact.removeprefix(prefix)
            break
    if not _EIGHT_DIGITS.fullmatch(compact):
        raise ValidationError(PHONE_MESSAGE, code="phone")
    return f"+45{compact}"


def validate_danish_phone(value: str) -> None:
    """Validator for form and model fields; raises ValidationError like normalise_danish_phone."""
    normalise_danish_phone(value)


def mask_danish_phone(value: str) -> str:
    """Return a stored number (+45 and eight digits) with all but its last two digits hidden,
    e.g. "•••• •• 78", so a page can confirm it without showing it."""
    return f"•••• •• {value[-2:]}"
