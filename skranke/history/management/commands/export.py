"""`skranke export KIND --location SLUG|all --from YYYY-MM-DD --to YYYY-MM-DD [--output FILE]`:
a history in Skranke's own format, which `skranke import KIND FILE --format skranke` reads."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from skranke.core.commandline import OneLineErrorCommand
from skranke.history.kinds import KINDS
from skranke.organisation.models import Location

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date(text: str, option: str) -> dt.date:
    try:
        if _DATE.fullmatch(text):
            return dt.date.fromisoformat(text)
    except ValueError:
        pass
    raise CommandError(
        _("%(option)s %(value)s is not a date (write YYYY-MM-DD).")
        % {"option": option, "value": text[:20]}
    )


class Command(OneLineErrorCommand):
    help = (
        "Export a history in Skranke's own format (CSV, ; separated, UTF-8) for the days from "
        "--from to --to (both included, local dates), to --output or stdout. Kinds: "
        + "; ".join(f"{kind.name}: {kind.description}" for kind in KINDS.values())
        + "."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(KINDS), help="What to export.")
        parser.add_argument(
            "--location",
            required=True,
            metavar="SLUG|all",
            help='A centre\'s short name, or "all" for every centre.',
        )
        parser.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD")
        parser.add_argument(
            "--output", type=Path, metavar="FILE", help="Write here instead of to stdout."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kind = KINDS[options["kind"]]
        date_from = _date(options["date_from"], "--from")
        date_to = _date(options["date_to"], "--to")
        if date_to < date_from:
            raise CommandError(_("--to is before --from."))
        if options["location"] == "all":
            locations = list(Location.objects.order_by("pk"))
        else:
            locations = list(Location.objects.filter(slug=options["location"]))
            if not locations:
                raise CommandError(
                    _("No centre has the short name “%(slug)s”.") % {"slug": options["location"]}
                )
        output: Path | None = options["output"]
        if output is None:
            count = kind.export(self.stdout, locations, date_from, date_to)
            # Beside the CSV on stdout, a note on stderr, not styled as an error.
            self.stderr.write(_("Exported %(count)d rows.") % {"count": count}, str)
            return
        # Written beside the target and moved into place when complete, so a failed export
        # leaves no half-written file under the name asked for.
        partial = output.with_name(output.name + ".partial")
        try:
            with partial.open("w", encoding="utf-8", newline="") as out:
                count = kind.export(out, locations, date_from, date_to)
            os.replace(partial, output)
        except OSError as error:
            raise CommandError(
                _("Cannot write %(file)s: %(reason)s.") % {"file": output, "reason": error.strerror}
            ) from None
        finally:
            partial.unlink(missing_ok=True)
        self.stdout.write(
            _("Exported %(count)d rows to %(file)s.") % {"count": count, "file": output}
        )
