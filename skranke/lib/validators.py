"""Validators that refuse free text holding a CPR number, for forms, API schemas and imports.

Skranke must not store CPR numbers (DESIGN.md). All three front doors ask one detector
(``skranke.lib.cpr``) and answer with the same explanation, so staff learn why their note was
refused wherever they typed it. No message repeats the number itself: messages end up in logs,
API responses and import reports, where a CPR number must not appear either.

Use ``validate_no_cpr`` in a model field's ``validators`` (so every ModelForm, the admin's
included, checks it) or a form field's, ``NoCprStr`` as the type of a free-text field in a
django-ninja ``Schema``, ``check_import_text`` on every free-text cell a CSV reader takes in,
and ``validate_no_cpr_in_data`` on JSON-like data such as audit log details.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from skranke.lib.cpr import contains_cpr_number

CPR_MESSAGE = _(
    "This looks like a CPR number. Skranke must not store CPR numbers; please leave it out."
)
CPR_ERROR_CODE = "cpr"


class CprInImport(ValueError):
    """A cell in an imported file holds a CPR number; the message names its line and column."""

    def __init__(self, line: int, column: str) -> None:
        self.line = line
        self.column = column
        super().__init__(
            str(
                _(
                    "Line %(line)d, column “%(column)s”: this looks like a CPR number. Skranke "
                    "must not store CPR numbers; remove it from the file and import again."
                )
                % {"line": line, "column": column}
            )
        )


def validate_no_cpr(value: str) -> None:
    """Return None when ``value`` holds no CPR number.

    Raises django.core.exceptions.ValidationError with code "cpr" when it holds one.
    """
    if contains_cpr_number(value):
        raise ValidationError(CPR_MESSAGE, code=CPR_ERROR_CODE)


def texts_in(value: Any) -> Iterator[str]:
    """Yield every string in JSON-like data: the value itself, list items, dict keys and values."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from texts_in(key)
            yield from texts_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from texts_in(item)


def validate_no_cpr_in_data(value: Any) -> None:
    """Return None when no string in JSON-like ``value`` holds a CPR number (see texts_in).

    Raises django.core.exceptions.ValidationError with code "cpr" when one does.
    """
    for text in texts_in(value):
        validate_no_cpr(text)


def _refuse_cpr(value: str) -> str:
    """Return ``value`` unchanged when it holds no CPR number.

    Raises PydanticCustomError (a ValueError) of type "cpr" when it holds one.
    """
    if contains_cpr_number(value):
        # A plain ValueError would reach the API client as "Value error, This looks like …";
        # a custom error keeps the message as written and gives clients the type "cpr". The
        # message is translated here, at validation time, into the request's language.
        raise PydanticCustomError(CPR_ERROR_CODE, str(CPR_MESSAGE))
    return value


NoCprStr = Annotated[str, AfterValidator(_refuse_cpr)]
"""A string that holds no CPR number; a django-ninja schema answers 422 with CPR_MESSAGE."""


def check_import_text(value: str, line: int, column: str) -> None:
    """Return None when an imported cell holds no CPR number.

    ``line`` is the line number in the file as a person would count it, ``column`` the column's
    heading. Raises CprInImport naming both when the cell holds a CPR number.
    """
    if contains_cpr_number(value):
        raise CprInImport(line, column)
