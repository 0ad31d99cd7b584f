"""The kinds of history `skranke import` and `skranke export` move: one entry per kind, each with
its import formats, its importer and its exporter. Tickets (visits) now; contacts and others
join as entries here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from skranke.history import tickets
from skranke.history.skranke_format import TextOut
from skranke.history.summary import ImportSummary, Progress
from skranke.organisation.models import Location


class Importer(Protocol):
    def __call__(
        self,
        path: Path,
        location: Location,
        format_name: str,
        *,
        dry_run: bool = False,
        progress: Progress | None = None,
    ) -> ImportSummary: ...


Exporter = Callable[[TextOut, list[Location], dt.date, dt.date], int]


@dataclass(frozen=True)
class HistoryKind:
    """One kind of history: what it holds, the formats it imports, how it moves.

    ``import_file`` raises skranke.history.errors.ImportRefused, with nothing imported, for a
    file it cannot import; ``export`` writes Skranke's own format and returns how many rows.
    """

    name: str
    description: str | Promise
    import_formats: tuple[str, ...]
    import_file: Importer
    export: Exporter


KINDS: dict[str, HistoryKind] = {
    "tickets": HistoryKind(
        name="tickets",
        description=_("visits to the centres, one per ticket"),
        import_formats=tuple(tickets.FORMATS),
        import_file=tickets.import_tickets,
        export=tickets.export_tickets,
    ),
}
