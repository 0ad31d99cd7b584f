"""What an import reports: rows read, visits written and skipped, names created, doubtful times."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# Told (bytes read, file size) as a file is read, for a progress bar.
Progress = Callable[[int, int], None]


@dataclass
class ImportSummary:
    """What an import did (or, in a dry run, would do)."""

    file_name: str
    location: str
    format_name: str
    dry_run: bool
    rows: int = 0
    imported: int = 0
    already_there: int = 0
    created: dict[str, list[str]] = field(default_factory=dict)
    ambiguous_times: int = 0
    second_occurrences: int = 0

    def lines(self) -> list[str]:
        """Return the summary as lines for a person to read."""
        values = {
            "count": self.imported,
            "rows": self.rows,
            "file": self.file_name,
            "location": self.location,
            "format": self.format_name,
        }
        if self.dry_run:
            first = ngettext(
                "Dry run: %(count)d visit of %(rows)d rows in %(file)s would be imported into "
                "%(location)s (format %(format)s); nothing was written.",
                "Dry run: %(count)d visits of %(rows)d rows in %(file)s would be imported into "
                "%(location)s (format %(format)s); nothing was written.",
                self.imported,
            )
        else:
            first = ngettext(
                "Imported %(count)d visit of %(rows)d rows in %(file)s into %(location)s "
                "(format %(format)s).",
                "Imported %(count)d visits of %(rows)d rows in %(file)s into %(location)s "
                "(format %(format)s).",
                self.imported,
            )
        lines = [first % values]
        if self.already_there:
            lines.append(
                _("Already imported before (or twice in the file), skipped: %(count)d.")
                % {"count": self.already_there}
            )
        headings = {
            "queues": _("Queues created (inactive; prefix in brackets)"),
            "subject_areas": _("Subject areas created (inactive)"),
            "counters": _("Counters created (inactive; number in brackets)"),
            "teams": _("Teams created"),
        }
        for kind, heading in headings.items():
            if names := self.created.get(kind):
                lines.append(f"{heading}: {', '.join(names)}.")
        if self.ambiguous_times:
            lines.append(
                _(
                    "Local times on the night the clocks went back, which happened twice, decided "
                    "by the order of the rows: %(count)d (%(second)d of them taken as the second "
                    "time)."
                )
                % {"count": self.ambiguous_times, "second": self.second_occurrences}
            )
        return lines
