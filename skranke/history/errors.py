"""Why an import stops: one bad value, named by its line and column, and nothing written."""

from __future__ import annotations

from django.utils.translation import gettext as _

from skranke.lib.cpr import contains_cpr_number

# A refused value is quoted back in the message, cut to this length.
SHOWN_LENGTH = 40


def shown(value: str) -> str:
    """Return ``value`` as a refusal message quotes it: cut short, and never a CPR number (a
    message reaches the terminal and perhaps a log, where one must not appear either)."""
    if contains_cpr_number(value):
        return _("(a value not shown)")
    if len(value) > SHOWN_LENGTH:
        value = value[: SHOWN_LENGTH - 1] + "…"
    return f"“{value}”"


class BadValue(ValueError):
    """A value in a row is refused; the reader of the file adds the line it is on."""

    def __init__(self, column: str, message: str) -> None:
        self.column = column
        self.message = message
        super().__init__(message)


class ImportRefused(Exception):
    """The file cannot be imported, and nothing of it was: the message names the line (1 is the
    header) and, where there is one, the column."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)

    @classmethod
    def at(cls, line: int, message: str, column: str = "") -> ImportRefused:
        if column:
            return cls(
                _("Line %(line)d, column “%(column)s”: %(message)s")
                % {"line": line, "column": column, "message": message}
            )
        return cls(_("Line %(line)d: %(message)s") % {"line": line, "message": message})
