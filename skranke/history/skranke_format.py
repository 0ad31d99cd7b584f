"""Skranke's own history format: what `skranke export tickets` writes and `skranke import tickets
--format skranke` reads back, so a history moves between installations losing nothing a report
uses.

One row per visit record, ``;``-separated UTF-8 with a header. Times are local with their offset
(``2025-10-26T02:30:00+01:00``), so no row is doubtful; the local date, hour and weekday are
taken from them again on import. Queues, subject areas, counters and teams go by name (with the
prefix, short name, number and kind a missing one is created with); the service by its short
name, kept only where the importing installation has it. ``visit_id`` names the visit in the
exporting installation (its ticket, or the key it was imported with), and ``location`` its
centre there; on import every row goes to the centre given on the command line. The source is
kept (a kiosk visit stays one), so reports by source read the same on both sides.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from typing import Any, Protocol

from django.utils.translation import gettext as _

from skranke.catalogue.models import QueueKind
from skranke.history.errors import BadValue, shown
from skranke.history.timestamps import Stamp
from skranke.history.visits import (
    KEY_LENGTH,
    STAFF_NAME_LENGTH,
    ImportContext,
    check_text,
    import_key,
    staff_name,
    visit_row,
)
from skranke.lib.localtime import local_zone
from skranke.organisation.models import TeamKind
from skranke.queue.models import CancelReason, Ending, Outcome, ReferredTo, VisitFact, VisitSource

COLUMNS = (
    "visit_id",
    "location",
    "issued_at",
    "first_called_at",
    "ended_at",
    "ending",
    "cancel_reason",
    "outcome",
    "referred_to",
    "wait_seconds",
    "service_seconds",
    "front_service_seconds",
    "back_office_service_seconds",
    "back_office_wait_seconds",
    "first_queue",
    "first_queue_prefix",
    "first_queue_kind",
    "served_queue",
    "served_queue_prefix",
    "served_queue_kind",
    "subject_area",
    "subject_area_slug",
    "service",
    "counter_number",
    "counter_name",
    "team",
    "team_kind",
    "staff_name",
    "source",
    "is_appointment",
    "transferred",
)
DELIMITER = ";"
TEXT_COLUMNS = (
    "first_queue",
    "served_queue",
    "subject_area",
    "subject_area_slug",
    "service",
    "counter_name",
    "team",
    "staff_name",
)
# What the export reads of each visit record, in this order.
_EXPORTED = (
    "pk",
    "import_key",
    "ticket_id",
    "location__slug",
    "issued_at",
    "first_called_at",
    "ended_at",
    "ending",
    "cancel_reason",
    "outcome",
    "referred_to",
    "wait_seconds",
    "service_seconds",
    "front_service_seconds",
    "back_office_service_seconds",
    "back_office_wait_seconds",
    "first_queue__name",
    "first_queue__prefix",
    "first_queue__kind",
    "served_queue__name",
    "served_queue__prefix",
    "served_queue__kind",
    "subject_area__name",
    "subject_area__slug",
    "service__slug",
    "counter__number",
    "counter__name",
    "team__name",
    "team__kind",
    "staff_name",
    "staff__first_name",
    "staff__last_name",
    "staff__username",
    "source",
    "is_appointment",
    "transferred",
)
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


class TextOut(Protocol):
    """Where an export is written: a text file, or a command's stdout."""

    def write(self, text: str, /) -> object: ...


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def export_rows(visits: Iterable[tuple[Any, ...]]) -> Iterable[list[str]]:
    """Yield the file's rows (after the header) for visit records read as _EXPORTED."""
    zone = local_zone()
    for (
        pk,
        key,
        ticket_id,
        location,
        issued_at,
        first_called_at,
        ended_at,
        *middle,
        name,
        first_name,
        last_name,
        username,
        source,
        is_appointment,
        transferred,
    ) in visits:
        visit_id = key or (f"ticket-{ticket_id}" if ticket_id else f"visit-{pk}")
        # A visit nobody served has no employee: the joined names are then NULL.
        full_name = f"{first_name or ''} {last_name or ''}".strip()
        employee = (name or full_name or username or "")[:STAFF_NAME_LENGTH]
        yield [
            visit_id,
            location,
            issued_at.astimezone(zone).isoformat(),
            first_called_at.astimezone(zone).isoformat() if first_called_at else "",
            ended_at.astimezone(zone).isoformat(),
            *(_text(value) for value in middle),
            employee,
            source,
            _text(is_appointment),
            _text(transferred),
        ]


def export_visits(
    out: TextOut, location_ids: list[int], date_from: dt.date, date_to: dt.date
) -> int:
    """Write the visit records of the centres ``location_ids`` issued on local dates from
    ``date_from`` to ``date_to`` (both included) to ``out``, in issue order; returns how many."""
    writer = csv.writer(out, delimiter=DELIMITER, lineterminator="\n")
    writer.writerow(COLUMNS)
    visits = (
        VisitFact.objects.filter(
            location_id__in=location_ids, issue_date__range=(date_from, date_to)
        )
        .order_by("issued_at", "pk")
        .values_list(*_EXPORTED)
    )
    count = 0
    for row in export_rows(visits.iterator(chunk_size=5000)):
        writer.writerow(row)
        count += 1
    return count


def _choice(value: str, column: str, allowed: set[str], empty: bool = True) -> str:
    if (value == "" and empty) or value in allowed:
        return value
    raise BadValue(
        column,
        _("%(value)s is not one of %(allowed)s.")
        % {"value": shown(value), "allowed": ", ".join(sorted(allowed))},
    )


def _number(value: str, column: str) -> int | None:
    if not value:
        return None
    if value.isascii() and value.isdigit() and len(value) <= 9:
        return int(value)
    raise BadValue(column, _("%(value)s is not a whole number.") % {"value": shown(value)})


def _boolean(value: str, column: str) -> bool:
    answer = _BOOLEANS.get(value.casefold())
    if answer is None:
        raise BadValue(column, _("%(value)s is neither true nor false.") % {"value": shown(value)})
    return answer


class SkrankeRows:
    """Reads rows of Skranke's own export into visit records."""

    name: str = "skranke"
    required: tuple[str, ...] = COLUMNS
    optional: tuple[str, ...] = ()

    def __init__(self, context: ImportContext) -> None:
        self.context = context
        self.previous_issued: dt.datetime | None = None

    def _stamp(self, value: str, column: str, not_before: dt.datetime | None) -> Stamp | None:
        return self.context.times.read(value, column, not_before) if value else None

    def visit(self, line: int, cells: list[str]) -> tuple[str, tuple[Any, ...]]:
        """Return the import key and the visit record of one row.

        Raises BadValue or CprInImport for a value that cannot be imported.
        """
        value = {column: cell.strip() for column, cell in zip(COLUMNS, cells, strict=True)}
        # The free text a visit record keeps; the other columns are read as times, numbers and
        # choices, which refuse anything else.
        for column in TEXT_COLUMNS:
            check_text(value[column], line, column)
        visit_id = check_text(value["visit_id"], line, "visit_id", repeated=False)
        if not visit_id or len(visit_id) > KEY_LENGTH:
            raise BadValue(
                "visit_id", _("every row needs its visit id, of at most 200 characters.")
            )
        issued = self._stamp(value["issued_at"], "issued_at", self.previous_issued)
        if issued is None:
            raise BadValue("issued_at", _("every row needs the time its visit began."))
        self.previous_issued = issued.instant
        called = self._stamp(value["first_called_at"], "first_called_at", issued.instant)
        if called is not None and called.instant < issued.instant:
            raise BadValue("first_called_at", _("the visit was called before it began."))
        start = called or issued
        ended = self._stamp(value["ended_at"], "ended_at", start.instant)
        if ended is None:
            raise BadValue("ended_at", _("every row needs the time its visit ended."))
        if ended.instant < start.instant:
            raise BadValue("ended_at", _("the visit ended before it was called or began."))
        catalogue = self.context.catalogue
        queue_kinds = set(QueueKind.values)
        first_queue = catalogue.queue(
            value["first_queue"],
            "first_queue",
            value["first_queue_prefix"],
            _choice(value["first_queue_kind"], "first_queue_kind", queue_kinds),
        )
        served_queue = catalogue.queue(
            value["served_queue"] or value["first_queue"],
            "served_queue",
            value["served_queue_prefix"],
            _choice(value["served_queue_kind"], "served_queue_kind", queue_kinds),
        )
        if not value["subject_area"]:
            raise BadValue("subject_area", _("every row needs its subject area."))
        location_id = self.context.location.pk
        row = visit_row(
            key=(key := import_key(self.name, location_id, visit_id, issued)),
            source=_choice(value["source"], "source", set(VisitSource.values), empty=False),
            location_id=location_id,
            first_queue_id=first_queue,
            served_queue_id=served_queue,
            subject_area_id=catalogue.subject_area(
                value["subject_area"], "subject_area", value["subject_area_slug"]
            ),
            service_id=catalogue.service(value["service"]),
            issued=issued,
            called=called,
            ended=ended,
            wait_seconds=_number(value["wait_seconds"], "wait_seconds"),
            service_seconds=_number(value["service_seconds"], "service_seconds"),
            front_service_seconds=_number(value["front_service_seconds"], "front_service_seconds"),
            back_office_service_seconds=_number(
                value["back_office_service_seconds"], "back_office_service_seconds"
            ),
            back_office_wait_seconds=_number(
                value["back_office_wait_seconds"], "back_office_wait_seconds"
            ),
            outcome=_choice(value["outcome"], "outcome", set(Outcome.values)),
            referred_to=_choice(value["referred_to"], "referred_to", set(ReferredTo.values)),
            ending=_choice(value["ending"], "ending", set(Ending.values), empty=False),
            cancel_reason=_choice(
                value["cancel_reason"], "cancel_reason", set(CancelReason.values)
            ),
            is_appointment=_boolean(value["is_appointment"], "is_appointment"),
            transferred=_boolean(value["transferred"], "transferred"),
            counter_id=catalogue.counter(
                value["counter_name"],
                "counter_name",
                _number(value["counter_number"], "counter_number"),
            ),
            team_id=catalogue.team(
                value["team"],
                "team",
                _choice(value["team_kind"], "team_kind", set(TeamKind.values)),
            ),
            staff_name=staff_name(value["staff_name"], "staff_name"),
        )
        return key, row
