"""`skranke import KIND FILE --location SLUG --format FORMAT [--dry-run]`: another system's history
(or Skranke's own export) into a centre. What each kind and format means is in
skranke/history (kinds.py lists the kinds)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from skranke.core.commandline import OneLineErrorCommand
from skranke.history.errors import ImportRefused
from skranke.history.kinds import KINDS
from skranke.history.management.progress import file_progress
from skranke.organisation.models import Location


class Command(OneLineErrorCommand):
    help = (
        "Import a history from a CSV file into one centre, as one transaction: a bad row stops "
        "the import with its line number and nothing is imported. Importing a file again adds "
        "nothing. Kinds: "
        + "; ".join(f"{kind.name} ({', '.join(kind.import_formats)})" for kind in KINDS.values())
        + "."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(KINDS), help="What the file holds.")
        parser.add_argument("file", type=Path, help="The CSV file (UTF-8, ; or , separated).")
        parser.add_argument(
            "--location", required=True, metavar="SLUG", help="The centre to import into."
        )
        parser.add_argument(
            "--format",
            dest="file_format",
            required=True,
            choices=sorted({name for kind in KINDS.values() for name in kind.import_formats}),
            help="The file's format: frontdesk (a Frontdesk export) or skranke (skranke export).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the whole file and report what would be imported and created; "
            "write nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kind = KINDS[options["kind"]]
        if options["file_format"] not in kind.import_formats:
            raise CommandError(
                _("%(kind)s are imported in the formats %(formats)s.")
                % {"kind": kind.name, "formats": ", ".join(kind.import_formats)}
            )
        location = Location.objects.filter(slug=options["location"]).first()
        if location is None:
            raise CommandError(
                _("No centre has the short name “%(slug)s”.") % {"slug": options["location"]}
            )
        path: Path = options["file"]
        try:
            with file_progress(path.name) as progress:
                summary = kind.import_file(
                    path,
                    location,
                    options["file_format"],
                    dry_run=options["dry_run"],
                    progress=progress,
                )
        except ImportRefused as refusal:
            raise CommandError(
                _("%(file)s: %(reason)s Nothing was imported.")
                % {"file": path.name, "reason": refusal.message}
            ) from None
        self.stdout.write("\n".join(summary.lines()))
