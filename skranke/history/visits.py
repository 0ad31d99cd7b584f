"""Imported visits as `VisitFact` rows, written in batches that skip what is already there.

A row means what a live visit's record means (DESIGN.md, Definitions; the live writer is
skranke.queue.services.records.write_visit_fact): the issue date, hour and weekday and the hour
of the first call in local time, the wait over called visits, the service time over served ones.
Each imported row carries an ``import_key`` made of the format, the centre, the visit's id in
the file and its issue instant, unique in the table, so importing a file again adds nothing.

Rows are tuples in the order of WRITTEN; skranke.history.writers writes them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.utils.translation import gettext as _

from skranke.history.errors import BadValue
from skranke.history.names import CentreCatalogue
from skranke.history.timestamps import Stamp, TimestampReader
from skranke.lib.cpr import contains_cpr_number
from skranke.lib.validators import CprInImport
from skranke.organisation.models import Location
from skranke.queue.models import VisitFact

# The VisitFact columns an import writes, in the order of the tuples below. Every concrete field
# but the id is here (a test holds them to the model), so a new field needs a decision here too.
WRITTEN = (
    "import_key",
    "source",
    "location_id",
    "first_queue_id",
    "served_queue_id",
    "subject_area_id",
    "service_id",
    "issued_at",
    "issue_date",
    "issue_hour",
    "issue_weekday",
    "first_called_at",
    "first_call_hour",
    "ended_at",
    "wait_seconds",
    "service_seconds",
    "front_service_seconds",
    "back_office_service_seconds",
    "back_office_wait_seconds",
    "outcome",
    "referred_to",
    "ending",
    "cancel_reason",
    "is_appointment",
    "transferred",
    "counter_id",
    "team_id",
    "staff_name",
    "staff_id",
    "ticket_id",
)
KEY_LENGTH = VisitFact._meta.get_field("import_key").max_length or 200
SOURCE_ID_LENGTH = 120
STAFF_NAME_LENGTH = VisitFact._meta.get_field("staff_name").max_length or 150


@lru_cache(maxsize=1 << 16)
def _holds_cpr(text: str) -> bool:
    # Queue, counter and employee names repeat on every row; each is examined once.
    return contains_cpr_number(text)


def check_text(value: str, line: int, column: str, *, repeated: bool = True) -> str:
    """Return ``value`` stripped, for a text cell Skranke keeps; ``repeated`` for a column whose
    values recur from row to row (names), not one with a value per row (ids).

    Raises CprInImport (naming the line and column) when it holds a CPR number.
    """
    # Fewer than ten ASCII characters cannot spell ten digits (other characters may, after
    # normalisation: "⑽" is "(10)").
    if len(value) < 10 and value.isascii():
        return value.strip()
    if _holds_cpr(value) if repeated else contains_cpr_number(value):
        raise CprInImport(line, column)
    return value.strip()


def staff_name(value: str, column: str) -> str:
    """Return an employee's name as a visit record keeps it.

    Raises BadValue when it is longer than the record holds.
    """
    if len(value) > STAFF_NAME_LENGTH:
        raise BadValue(
            column, _("a name of at most %(most)d characters.") % {"most": STAFF_NAME_LENGTH}
        )
    return value


def import_key(format_name: str, location_id: int, source_id: str, issued: Stamp) -> str:
    """Return the key that makes a visit's second import add nothing: the format, the centre,
    the visit's id in the file and its issue instant (UTC)."""
    key = f"{format_name}:{location_id}:{issued.instant.isoformat()}:{source_id}"
    if len(key) > KEY_LENGTH:
        digest = hashlib.sha256(source_id.encode()).hexdigest()
        key = f"{format_name}:{location_id}:{issued.instant.isoformat()}:sha256:{digest}"
    return key


@dataclass
class ImportContext:
    """What a format's row reader needs besides the row: where the visits go, the names found
    and created there, and the timestamps read so far."""

    format_name: str
    location: Location
    catalogue: CentreCatalogue
    times: TimestampReader


def visit_row(
    *,
    key: str,
    source: str,
    location_id: int,
    first_queue_id: int,
    served_queue_id: int,
    subject_area_id: int,
    service_id: int | None,
    issued: Stamp,
    called: Stamp | None,
    ended: Stamp,
    wait_seconds: int | None,
    service_seconds: int | None,
    front_service_seconds: int | None,
    back_office_service_seconds: int | None,
    back_office_wait_seconds: int | None,
    outcome: str,
    referred_to: str,
    ending: str,
    cancel_reason: str,
    is_appointment: bool,
    transferred: bool,
    counter_id: int | None,
    team_id: int | None,
    staff_name: str,
) -> tuple[Any, ...]:
    """Return one visit record as a tuple in the order of WRITTEN, its local date, hour and
    weekday and its first call's local hour taken from the timestamps' local readings."""
    return (
        key,
        source,
        location_id,
        first_queue_id,
        served_queue_id,
        subject_area_id,
        service_id,
        issued.instant,
        issued.local.date(),
        issued.local.hour,
        issued.local.weekday(),
        called.instant if called else None,
        called.local.hour if called else None,
        ended.instant,
        wait_seconds,
        service_seconds,
        front_service_seconds,
        back_office_service_seconds,
        back_office_wait_seconds,
        outcome,
        referred_to,
        ending,
        cancel_reason,
        is_appointment,
        transferred,
        counter_id,
        team_id,
        staff_name,
        None,  # staff: a history names its employees, it has no accounts for them
        None,  # ticket: an imported visit has none
    )
