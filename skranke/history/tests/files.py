"""Small builders for the history tests: a centre to import into, and CSV files written the way
other systems write them (either delimiter, with or without a byte order mark)."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from skranke.history.summary import ImportSummary
from skranke.history.tickets import import_tickets
from skranke.organisation.models import Location
from skranke.queue.models import VisitFact

FRONTDESK_COLUMNS = [
    "TicketId",
    "CreatedAt",
    "CalledAt",
    "EndedAt",
    "QueueName",
    "QueueCategoryName",
    "CounterName",
    "EmployeeName",
    "Tickettype",
]
_numbers = itertools.count(1)


def make_location(name: str = "") -> Location:
    number = next(_numbers)
    return Location.objects.create(
        name=name or f"Borgerservice Import {number}", slug=f"import-{number}"
    )


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    delimiter: str = ";",
    bom: bool = False,
) -> Path:
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.getvalue().encode("utf-8"))
    return path


def frontdesk_row(
    ticket_id: str,
    created: str,
    called: str = "",
    ended: str = "",
    queue: str = "Pas og kørekort",
    area: str = "Pas",
    counter: str = "Skranke 1",
    employee: str = "Mette Sørensen",
    ticket_type: str = "Walk-in",
) -> list[str]:
    return [ticket_id, created, called, ended, queue, area, counter, employee, ticket_type]


def frontdesk_file(
    directory: Path,
    rows: Sequence[Sequence[str]],
    *,
    extra: Sequence[str] = (),
    delimiter: str = ";",
    bom: bool = False,
    name: str = "frontdesk.csv",
) -> Path:
    """Write a Frontdesk export: its columns, then ``extra`` ones (each row's cells after the
    nine, in order)."""
    return write_csv(
        directory / name, [*FRONTDESK_COLUMNS, *extra], rows, delimiter=delimiter, bom=bom
    )


def import_frontdesk(path: Path, location: Location, **options: Any) -> ImportSummary:
    return import_tickets(path, location, "frontdesk", **options)


def facts_of(location: Location) -> list[VisitFact]:
    return list(
        VisitFact.objects.filter(location=location)
        .select_related("first_queue", "served_queue", "subject_area", "counter", "team")
        .order_by("issued_at", "pk")
    )
