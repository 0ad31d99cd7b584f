"""Reading an imported CSV file as a stream of rows, each with the line it starts on.

UTF-8 with or without a byte order mark; the delimiter (``;`` or ``,``) is whichever of the two
the header line holds more of. Column headings are matched without regard to case or surrounding
space, and columns the format does not name are ignored. The file is read a buffer at a time,
never held in memory.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from typing import BinaryIO

from django.utils.translation import gettext as _

from skranke.history.errors import ImportRefused


def _heading(text: str) -> str:
    return text.strip().casefold()


def _is_text(text: str) -> bool:
    """Return False when ``text`` holds bytes that were not UTF-8 (as lone surrogates)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class CsvRows:
    """The rows of one CSV file. Iterating yields (line number, cells in the order of
    ``columns``), a missing optional column's cell as the empty string."""

    def __init__(
        self, binary: BinaryIO, required: Sequence[str], optional: Sequence[str] = ()
    ) -> None:
        self.binary = binary
        # Bytes that are not UTF-8 are kept as lone surrogates and refused where they are used:
        # the decoder reads ahead a buffer at a time, so only the row can tell its line.
        self.text = io.TextIOWrapper(
            binary, encoding="utf-8-sig", errors="surrogateescape", newline=""
        )
        self.columns = (*required, *optional)
        header = self._header_line()
        self.delimiter = ";" if header.count(";") > header.count(",") else ","
        headings = [_heading(cell) for cell in next(csv.reader([header], delimiter=self.delimiter))]
        positions: list[int | None] = []
        for column in self.columns:
            found = [index for index, heading in enumerate(headings) if heading == _heading(column)]
            if len(found) > 1:
                raise ImportRefused.at(
                    1, _("the column “%(column)s” appears twice.") % {"column": column}
                )
            if not found and column in required:
                raise ImportRefused.at(
                    1,
                    _("the column “%(column)s” is missing (the header names %(count)d columns).")
                    % {"column": column, "count": len(headings)},
                )
            positions.append(found[0] if found else None)
        self.positions = positions
        self.width = max((index for index in positions if index is not None), default=-1) + 1

    def _header_line(self) -> str:
        header = self.text.readline()
        if not _is_text(header):
            raise ImportRefused.at(1, _("the file is not UTF-8 text."))
        if not header.strip():
            raise ImportRefused.at(1, _("the file has no header line."))
        return header

    def bytes_read(self) -> int:
        """Return how far into the file reading has come, for a progress bar."""
        return self.binary.tell()

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        reader = csv.reader(self.text, delimiter=self.delimiter)
        positions = self.positions
        width = self.width
        # The header is line 1; a row starts on the line after the previous row ended.
        ended = 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise ImportRefused.at(
                    ended + 1, _("not readable as CSV (%(error)s).") % {"error": error}
                ) from None
            line = ended + 1
            ended = 1 + reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # An empty line.
            if len(row) < width:
                raise ImportRefused.at(
                    line,
                    _("the row has %(count)d fields, fewer than the header's columns.")
                    % {"count": len(row)},
                )
            cells = [row[index] if index is not None else "" for index in positions]
            if not _is_text("".join(cells)):
                raise ImportRefused.at(line, _("the file is not UTF-8 text."))
            yield line, cells
