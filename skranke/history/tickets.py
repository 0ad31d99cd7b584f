"""The `tickets` kind: visits imported from a file into one centre, or exported from centres.

An import is one transaction: a bad row stops it with its line and nothing of the file stays,
queues and counters it would have created included. A dry run does all of it, reports what it
did, and rolls the transaction back, so its summary is exactly what the import would do.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Protocol

from django.db import transaction
from django.utils.translation import gettext as _

from skranke.history.csvfile import CsvRows
from skranke.history.errors import BadValue, ImportRefused
from skranke.history.frontdesk import FrontdeskRows
from skranke.history.names import CentreCatalogue
from skranke.history.skranke_format import SkrankeRows, TextOut, export_visits
from skranke.history.summary import ImportSummary, Progress
from skranke.history.timestamps import TimestampReader
from skranke.history.visits import ImportContext
from skranke.history.writers import VisitWriter
from skranke.lib.localtime import local_zone
from skranke.lib.validators import CprInImport
from skranke.organisation.models import Location

# Rows written per statement; the file is read as it is written, so memory stays bounded.
BATCH_SIZE = 5000
# How often (in rows) a progress bar hears how far the import has come.
PROGRESS_EVERY = 5000


class RowFormat(Protocol):
    """A file format: its columns, and a reader of one row into a visit record."""

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]

    def __init__(self, context: ImportContext) -> None: ...

    def visit(self, line: int, cells: list[str]) -> tuple[str, tuple[object, ...]]: ...


FORMATS: dict[str, type[RowFormat]] = {
    FrontdeskRows.name: FrontdeskRows,
    SkrankeRows.name: SkrankeRows,
}


def import_tickets(
    path: Path,
    location: Location,
    format_name: str,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportSummary:
    """Import the visits in the CSV file at ``path`` into ``location``; returns the summary.

    ``progress`` is told (bytes read, file size) as the file is read. Raises ImportRefused, with
    nothing imported, for a file that cannot be read or a row that cannot be imported.
    """
    row_format = FORMATS[format_name]
    summary = ImportSummary(path.name, location.name, format_name, dry_run)
    try:
        binary = path.open("rb")
    except OSError as error:
        raise ImportRefused(
            _("Cannot read %(file)s: %(reason)s.") % {"file": path, "reason": error.strerror}
        ) from None
    with binary:
        size = os.fstat(binary.fileno()).st_size
        rows = CsvRows(binary, row_format.required, row_format.optional)
        with transaction.atomic():
            _import_rows(rows, location, format_name, summary, progress, size, batch_size)
            if dry_run:
                transaction.set_rollback(True)
    return summary


def _import_rows(
    rows: CsvRows,
    location: Location,
    format_name: str,
    summary: ImportSummary,
    progress: Progress | None,
    size: int,
    batch_size: int,
) -> None:
    times = TimestampReader(local_zone())
    count = 0
    with VisitWriter(batch_size) as writer:
        catalogue = CentreCatalogue(location, before_creating=writer.drain)
        reader = FORMATS[format_name](ImportContext(format_name, location, catalogue, times))
        for line, cells in rows:
            try:
                key, row = reader.visit(line, cells)
            except BadValue as error:
                raise ImportRefused.at(line, error.message, error.column) from None
            except CprInImport as error:
                raise ImportRefused(str(error)) from None
            writer.add(key, row)
            count += 1
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(rows.bytes_read(), size)
    if progress is not None:
        progress(size, size)
    summary.rows = count
    summary.imported = writer.written
    summary.already_there = writer.already_there
    summary.created = catalogue.created
    summary.ambiguous_times = times.ambiguous
    summary.second_occurrences = times.second_occurrence


def export_tickets(
    out: TextOut, locations: list[Location], date_from: dt.date, date_to: dt.date
) -> int:
    """Write the visits of ``locations`` issued from ``date_from`` to ``date_to`` (local dates,
    both included) in Skranke's format to ``out``; returns how many."""
    return export_visits(out, [location.pk for location in locations], date_from, date_to)
