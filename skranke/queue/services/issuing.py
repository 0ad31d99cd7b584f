"""Issuing numbers: which queue takes a service, whether it takes numbers now, and the number
drawn from the day's sequence row (DESIGN.md, Definitions)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from skranke.audit.services import record_action
from skranke.catalogue.models import Queue, QueueKind, Service
from skranke.lib.localtime import local_date
from skranke.lib.validators import validate_no_cpr
from skranke.organisation.hours import current_interval, next_opening
from skranke.organisation.models import Location
from skranke.queue.errors import IssueRefused
from skranke.queue.models import (
    Actor,
    DailySequence,
    EventKind,
    Priority,
    QueueClosure,
    Source,
    Ticket,
)
from skranke.queue.services.events import record_event
from skranke.queue.services.records import (
    resolve_now,
)

# Issuing ----------------------------------------------------------------------------------------


def queue_for_service(location: Location, service: Service) -> Queue:
    """Return the active front-office queue at ``location`` that takes ``service``.

    Raises IssueRefused("no_queue") when no queue there takes it.
    """
    queue = (
        Queue.objects.filter(location=location, services=service, kind=QueueKind.FRONT, active=True)
        .order_by("sort_order", "prefix")
        .first()
    )
    if queue is None:
        raise IssueRefused("no_queue", _("This service cannot be drawn a number for here."))
    queue.location = location  # what check_can_issue reads, without reading it again
    return queue


def drawable_services(location: Location) -> list[Service]:
    """Return the walk-in services some active front queue at ``location`` takes."""
    return list(
        Service.objects.filter(
            active=True,
            walk_in=True,
            subject_area__active=True,
            queues__location=location,
            queues__kind=QueueKind.FRONT,
            queues__active=True,
        )
        .select_related("subject_area")
        .distinct()
        .order_by("subject_area__sort_order", "subject_area__name", "sort_order", "name")
    )


def check_can_issue(queue: Queue, now: dt.datetime) -> None:
    """Return quietly when ``queue`` takes new numbers at ``now``.

    Raises IssueRefused with code "inactive", "closed" (with the next opening), "cut_off" or
    "queue_closed" (with the reason given). The quota is checked when the number is drawn.
    """
    location = queue.location
    if not (location.active and queue.active):
        raise IssueRefused("inactive", _("This queue is not in use."))
    interval = current_interval(location, now)
    if interval is None:
        raise IssueRefused(
            "closed", _("The citizen service centre is closed."), next_opening(location, now)
        )
    if now >= interval.end - dt.timedelta(minutes=queue.cutoff_minutes):
        raise IssueRefused(
            "cut_off",
            _("No more numbers are issued today for this queue."),
            next_opening(location, interval.end),
        )
    closure = QueueClosure.objects.filter(queue=queue, date=local_date(now)).first()
    if closure is not None:
        raise IssueRefused(
            "queue_closed",
            _("This queue is closed for the rest of the day: %(reason)s")
            % {"reason": closure.reason},
            next_opening(location, interval.end),
            reason=closure.reason,
        )


def check_can_issue_for_appointment(queue: Queue) -> None:
    """Return quietly when ``queue`` takes a checked-in appointment's number.

    The time was promised, so none of the walk-in rules apply: not the opening hours (check-in
    may open before the doors do), the cut-off, a closure of the queue for the day, nor the
    quota. Raises IssueRefused("inactive") when the centre or the queue is not in use.
    """
    if not (queue.location.active and queue.active):
        raise IssueRefused("inactive", _("This queue is not in use."))


def takes_walk_ins_now(location: Location, service: Service, now: dt.datetime) -> bool:
    """Return True when a citizen could draw a walk-in number for ``service`` at ``location`` at
    ``now``: the service takes walk-ins, its queue issues numbers (hours, cut-off, no closure
    for the day) and the day's quota is not used up. Only reads; the drawing decides for good.
    """
    if not (service.active and service.walk_in):
        return False
    try:
        queue = queue_for_service(location, service)
        check_can_issue(queue, now)
    except IssueRefused:
        return False
    if queue.daily_quota is None:
        return True
    issued = (
        DailySequence.objects.filter(queue=queue, date=local_date(now))
        .values_list("last_number", flat=True)
        .first()
    )
    return (issued or 0) < queue.daily_quota


def _draw_number(queue: Queue, day: dt.date, *, within_quota: bool = True) -> int:
    """Return the next number of ``queue`` on ``day``, inside the caller's transaction.

    Raises IssueRefused("quota") when ``within_quota`` and the daily quota is used up. The
    sequence row is created if missing (a concurrent creator is ignored by the unique
    constraint) and incremented by one UPDATE, whose row lock on PostgreSQL (and the write lock
    on SQLite) makes the numbers gap-free and unique.
    """
    # The row exists after the day's first number, so it is created only when nothing was
    # updated (no row yet, or the quota used up).
    number = _increment_sequence(queue, day, within_quota=within_quota)
    if number is None:
        DailySequence.objects.bulk_create(
            [DailySequence(queue=queue, date=day)], ignore_conflicts=True
        )
        number = _increment_sequence(queue, day, within_quota=within_quota)
        if number is None:
            raise IssueRefused("quota", _("Today's numbers for this queue have all been issued."))
    return number


def _increment_sequence(queue: Queue, day: dt.date, *, within_quota: bool = True) -> int | None:
    """Add one to the day's sequence row (below the quota, when ``within_quota``) and return the
    new last number, or None when no row was updated.

    One statement, UPDATE … RETURNING (PostgreSQL; SQLite since 3.35), which Django's ORM does
    not offer: the row stays locked until the issuing transaction commits, so every statement
    between this one and the commit holds up every other citizen drawing a number in the queue.
    """
    quote = connection.ops.quote_name
    # The columns of DailySequence's fields last_number, queue and date.
    last, queue_column, date_column = (quote(name) for name in ("last_number", "queue_id", "date"))
    below_quota = ""
    params: list[Any] = [queue.pk, connection.ops.adapt_datefield_value(day)]
    if within_quota and queue.daily_quota is not None:
        below_quota = f" AND {last} < %s"
        params.append(queue.daily_quota)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(DailySequence._meta.db_table)} SET {last} = {last} + 1 "  # noqa: S608
            f"WHERE {queue_column} = %s AND {date_column} = %s{below_quota} RETURNING {last}",
            params,
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def issue_ticket(
    location: Location,
    service: Service,
    *,
    source: Source,
    priority: Priority = Priority.NORMAL,
    note: str = "",
    staff: Actor = None,
    waiting_since: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """Issue a number for ``service`` at ``location`` and return the new ticket.

    ``waiting_since`` is for checked-in appointments: max(check-in, booked time). Raises
    IssueRefused when the centre is closed, after the cut-off, when the quota is used up, the
    queue is closed, or the service is not drawn a number for here;
    django.core.exceptions.ValidationError (code "cpr") when ``note`` holds a CPR number.

    A checked-in appointment (``source`` APPOINTMENT; skranke.booking.services.check_in) is
    refused only when the service is not in use or no active queue at an active centre takes
    it: the walk-in rules (hours, cut-off, queue closed for the day, quota) do not apply to a
    promised time. Its number comes from the same daily sequence, so it uses up one of the
    quota's numbers: walk-ins are issued while fewer than the quota have been issued in all,
    appointments always. More numbers than the quota are thus only ever issued to appointments.
    """
    validate_no_cpr(note)
    now = resolve_now(now)
    appointment = source == Source.APPOINTMENT
    if appointment and not service.active:
        raise IssueRefused("inactive", _("This service is not in use."))
    if not appointment and not (service.active and service.walk_in):
        raise IssueRefused("not_walk_in", _("This service needs an appointment."))
    queue = queue_for_service(location, service)
    if appointment:
        check_can_issue_for_appointment(queue)
    else:
        check_can_issue(queue, now)
    day = local_date(now)
    with transaction.atomic():
        try:
            number = _draw_number(queue, day, within_quota=not appointment)
        except IssueRefused as refused:
            # The quota is per day, so the citizen's next chance is the next opening after today.
            interval = current_interval(location, now)
            refused.next_opening = next_opening(location, interval.end if interval else now)
            raise
        ticket = Ticket.objects.create(
            location=location,
            queue=queue,
            first_queue=queue,
            service=service,
            issue_date=day,
            number=number,
            display_number=f"{queue.prefix}{number:03d}",
            token=secrets.token_urlsafe(16),
            priority=priority,
            source=source,
            note=note,
            issued_at=now,
            waiting_since=waiting_since or now,
        )
        record_event(
            EventKind.ISSUED,
            location_id=location.pk,
            at=now,
            ticket=ticket,
            queue_id=queue.pk,
            staff=staff,
            data={"number": ticket.display_number},
        )
        if priority == Priority.URGENT:
            # Jumping the line is a staff decision the manager may want to see afterwards.
            record_action(
                staff,
                "ticket_issued_urgent",
                ticket,
                {"number": ticket.display_number, "source": source},
            )
    return ticket


def find_ticket(location: Location, display_number: str, day: dt.date) -> Ticket | None:
    """Return the ticket with this number (e.g. "P012") at ``location`` on ``day``, or None."""
    return (
        Ticket.objects.filter(
            location=location, issue_date=day, display_number=display_number.upper()
        )
        .order_by("-id")
        .first()
    )
