"""Issuing numbers, counter sessions and calling citizens (DESIGN.md, Definitions); the changes
at and after the counter are in skranke.queue.transitions and re-exported here, so callers use
this one module for every change a ticket goes through.

Each public function is one transition. It checks the state with a conditional UPDATE whose
row count says whether it happened (two counters can never both take a ticket), writes the
TicketEvent in the same transaction, and writes the VisitFact when a visit ends.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Case, DateTimeField, F, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from skranke.audit.services import record_action
from skranke.catalogue.models import Queue, QueueKind, Service
from skranke.lib.localtime import local_date
from skranke.lib.validators import validate_no_cpr
from skranke.organisation.hours import current_interval, next_opening
from skranke.organisation.models import Counter, Location
from skranke.queue.errors import CounterConflict, IllegalTransition, IssueRefused, NotYours
from skranke.queue.events import record_event
from skranke.queue.ledger import (
    leg_seconds,
    record_ticket_event,
    refuse,
    reread,
    resolve_now,
    take,
)
from skranke.queue.models import (
    AT_COUNTER,
    CounterSession,
    DailySequence,
    EventKind,
    Priority,
    QueueClosure,
    Source,
    Ticket,
    TicketStatus,
    priority_rank,
)

# The transitions at and after the counter live in their own module; callers find them here.
from skranke.queue.transitions import (
    cancel as cancel,
)
from skranke.queue.transitions import (
    close_days_before as close_days_before,
)
from skranke.queue.transitions import (
    close_queue_now as close_queue_now,
)
from skranke.queue.transitions import (
    finish as finish,
)
from skranke.queue.transitions import (
    mark_no_show as mark_no_show,
)
from skranke.queue.transitions import (
    park as park,
)
from skranke.queue.transitions import (
    recall as recall,
)
from skranke.queue.transitions import (
    reinstate as reinstate,
)
from skranke.queue.transitions import (
    start_serving as start_serving,
)
from skranke.queue.transitions import (
    transfer as transfer,
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


def _draw_number(queue: Queue, day: dt.date) -> int:
    """Return the next number of ``queue`` on ``day``, inside the caller's transaction.

    Raises IssueRefused("quota") when the daily quota is used up. The sequence row is created
    if missing (a concurrent creator is ignored by the unique constraint) and incremented by one
    UPDATE, whose row lock on PostgreSQL (and the write lock on SQLite) makes the numbers
    gap-free and unique.
    """
    # The row exists after the day's first number, so it is created only when nothing was
    # updated (no row yet, or the quota used up).
    number = _increment_sequence(queue, day)
    if number is None:
        DailySequence.objects.bulk_create(
            [DailySequence(queue=queue, date=day)], ignore_conflicts=True
        )
        number = _increment_sequence(queue, day)
        if number is None:
            raise IssueRefused("quota", _("Today's numbers for this queue have all been issued."))
    return number


def _increment_sequence(queue: Queue, day: dt.date) -> int | None:
    """Add one to the day's sequence row (below the quota) and return the new last number, or
    None when no row was updated.

    One statement, UPDATE … RETURNING (PostgreSQL; SQLite since 3.35), which Django's ORM does
    not offer: the row stays locked until the issuing transaction commits, so every statement
    between this one and the commit holds up every other citizen drawing a number in the queue.
    """
    quote = connection.ops.quote_name
    # The columns of DailySequence's fields last_number, queue and date.
    last, queue_column, date_column = (quote(name) for name in ("last_number", "queue_id", "date"))
    below_quota = ""
    params: list[Any] = [queue.pk, connection.ops.adapt_datefield_value(day)]
    if queue.daily_quota is not None:
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
    staff: Any = None,
    waiting_since: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """Issue a number for ``service`` at ``location`` and return the new ticket.

    ``waiting_since`` is for checked-in appointments: max(check-in, booked time). Raises
    IssueRefused when the centre is closed, after the cut-off, when the quota is used up, the
    queue is closed, or the service is not drawn a number for here;
    django.core.exceptions.ValidationError (code "cpr") when ``note`` holds a CPR number.
    """
    validate_no_cpr(note)
    now = resolve_now(now)
    if not service.active or (not service.walk_in and source != Source.APPOINTMENT):
        raise IssueRefused("not_walk_in", _("This service needs an appointment."))
    queue = queue_for_service(location, service)
    check_can_issue(queue, now)
    day = local_date(now)
    with transaction.atomic():
        try:
            number = _draw_number(queue, day)
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


# Counter sessions -------------------------------------------------------------------------------


def default_queues(staff: Any, counter: Counter) -> list[Queue]:
    """Return the queues a staff member serves at ``counter``, from their teams.

    Front teams serve the front queues holding services of their subject areas; back teams serve
    the back-office queues. Staff without teams serve every front queue at the centre.
    """
    queues = Queue.objects.filter(location=counter.location_id, active=True)
    profile = getattr(staff, "staff_profile", None)
    teams = list(profile.teams.prefetch_related("subject_areas")) if profile else []
    if not teams:
        return list(queues.filter(kind=QueueKind.FRONT))
    areas = {area.pk for team in teams for area in team.subject_areas.all()}
    chosen = Q(kind=QueueKind.FRONT, services__subject_area__in=areas)
    if any(team.kind == "back" for team in teams):
        chosen |= Q(kind=QueueKind.BACK)
    return list(queues.filter(chosen).distinct())


def open_session(counter: Counter | int) -> CounterSession | None:
    """Return the open session at ``counter`` (at most one), with its counter, centre and
    employee, or None."""
    return (
        CounterSession.objects.filter(counter=counter, closed_at__isnull=True)
        .select_related("counter__location", "staff")
        .first()
    )


def session_at(counter: Counter | int, staff: Any) -> CounterSession:
    """Return ``staff``'s open session at ``counter``, with its counter and centre.

    Every caller that acts "at my counter" (the counter page, the API) finds the session here.
    Raises IllegalTransition("not_open") when the counter is not open, NotYours when it is
    open for someone else.
    """
    return own_session(open_session(counter), staff)


def own_session(session: CounterSession | None, staff: Any) -> CounterSession:
    """Return ``session`` (a counter's open session, as open_session read it) if it is
    ``staff``'s; raises as session_at does."""
    if session is None:
        raise IllegalTransition("not_open", _("The counter is not open."))
    _check_own(session, staff)
    return session


def _check_own(session: CounterSession, staff: Any) -> None:
    # A session's employee never changes, so this needs no lock.
    if staff is None or session.staff_id != staff.pk:
        raise NotYours("not_your_session", _("This counter is open for someone else."))


def open_counter(
    counter: Counter,
    staff: Any,
    queues: list[Queue] | None = None,
    *,
    longest_waiting_first: bool = True,
    now: dt.datetime | None = None,
) -> CounterSession:
    """Open ``counter`` for ``staff`` serving ``queues`` (default: from their teams).

    Returns the session; opening a counter one already holds returns (and resumes) that
    session. Raises CounterConflict when someone else sits there or the staff member has
    another counter open, IllegalTransition for an inactive counter or foreign queues.
    """
    now = resolve_now(now)
    if not counter.active:
        raise IllegalTransition("counter_inactive", _("This counter is not in use."))
    existing = CounterSession.objects.filter(closed_at__isnull=True).filter(
        Q(counter=counter) | Q(staff=staff)
    )
    for session in existing:
        if session.counter_id == counter.pk and session.staff_id == staff.pk:
            return resume_counter(session, staff, now=now) if session.is_paused else session
    chosen = queues if queues is not None else default_queues(staff, counter)
    if not chosen:
        raise IllegalTransition("no_queues", _("Choose at least one queue to serve."))
    if any(queue.location_id != counter.location_id for queue in chosen):
        raise IllegalTransition("foreign_queue", _("The queues must belong to this centre."))
    try:
        with transaction.atomic():
            session = CounterSession.objects.create(
                counter=counter,
                staff=staff,
                longest_waiting_first=longest_waiting_first,
                opened_at=now,
            )
            session.queues.set(chosen)
            record_event(
                EventKind.COUNTER_OPENED,
                location_id=counter.location_id,
                at=now,
                counter_id=counter.pk,
                staff=staff,
                data={"queues": sorted(queue.pk for queue in chosen)},
            )
    except IntegrityError:
        # The partial unique constraints decided: the counter or the person is taken.
        if CounterSession.objects.filter(counter=counter, closed_at__isnull=True).exists():
            raise CounterConflict(
                "counter_taken", _("Someone else has this counter open.")
            ) from None
        raise CounterConflict(
            "staff_elsewhere", _("You have another counter open; close it first.")
        ) from None
    return session


def _session_event(session: CounterSession, kind: EventKind, staff: Any, now: dt.datetime) -> None:
    record_event(
        kind,
        location_id=session.counter.location_id,
        at=now,
        counter_id=session.counter_id,
        staff=staff,
    )


def pause_counter(
    session: CounterSession, staff: Any, now: dt.datetime | None = None
) -> CounterSession:
    """Pause an open counter: it calls nobody until resumed.

    Raises NotYours for another employee's session, IllegalTransition when it is not open.
    """
    now = resolve_now(now)
    _check_own(session, staff)
    with transaction.atomic():
        changed = CounterSession.objects.filter(
            pk=session.pk, closed_at__isnull=True, paused_at__isnull=True
        ).update(paused_at=now)
        if changed != 1:
            raise IllegalTransition("not_open", _("The counter is not open."))
        _session_event(session, EventKind.COUNTER_PAUSED, staff, now)
    session.refresh_from_db()
    return session


def resume_counter(
    session: CounterSession, staff: Any, now: dt.datetime | None = None
) -> CounterSession:
    """Resume a paused counter.

    Raises NotYours for another employee's session, IllegalTransition when it is not paused.
    """
    now = resolve_now(now)
    _check_own(session, staff)
    with transaction.atomic():
        changed = CounterSession.objects.filter(
            pk=session.pk, closed_at__isnull=True, paused_at__isnull=False
        ).update(paused_at=None)
        if changed != 1:
            raise IllegalTransition("not_paused", _("The counter is not paused."))
        _session_event(session, EventKind.COUNTER_RESUMED, staff, now)
    session.refresh_from_db()
    return session


def close_counter(
    session: CounterSession, staff: Any, now: dt.datetime | None = None
) -> CounterSession:
    """Close a counter.

    Raises NotYours for another employee's session (a team lead uses close_abandoned_session),
    IllegalTransition while it holds a ticket or is closed.
    """
    now = resolve_now(now)
    _check_own(session, staff)
    with transaction.atomic():
        # Lock the session before looking for a ticket: a call at this counter (which locks it
        # too) has then either committed and is seen here, or waits and finds the counter closed.
        CounterSession.objects.select_for_update().get(pk=session.pk)
        if Ticket.objects.filter(counter=session.counter_id, status__in=AT_COUNTER).exists():
            raise IllegalTransition(
                "holding_ticket", _("Finish, park or transfer the current number first.")
            )
        changed = CounterSession.objects.filter(pk=session.pk, closed_at__isnull=True).update(
            closed_at=now, paused_at=None
        )
        if changed != 1:
            raise IllegalTransition("not_open", _("The counter is not open."))
        _session_event(session, EventKind.COUNTER_CLOSED, staff, now)
    session.refresh_from_db()
    return session


def close_abandoned_session(
    session: CounterSession, lead: Any, now: dt.datetime | None = None
) -> CounterSession:
    """Close a colleague's counter session left open (they went home, their tablet died).

    For team leads (the caller checks MANAGE_QUEUES at the centre; docs/permissions.md). A
    citizen still at the counter is parked, not lost: any counter can call them back. Written to
    the audit log. Raises IllegalTransition when the session is already closed.
    """
    now = resolve_now(now)
    with transaction.atomic():
        # The same lock a call at this counter takes, so no citizen is called to it meanwhile.
        CounterSession.objects.select_for_update().get(pk=session.pk)
        parked = []
        for ticket in Ticket.objects.filter(counter=session.counter_id, status__in=AT_COUNTER):
            if take(
                ticket.pk,
                AT_COUNTER,
                lead,
                anywhere=True,
                status=TicketStatus.PARKED,
                counter=None,
                service_seconds=F("service_seconds") + leg_seconds(ticket, now),
                leg_started_at=None,
            ):
                reread(ticket)
                record_ticket_event(
                    ticket, EventKind.PARKED, lead, now, counter_id=session.counter_id
                )
                parked.append(ticket.display_number)
        changed = CounterSession.objects.filter(pk=session.pk, closed_at__isnull=True).update(
            closed_at=now, paused_at=None
        )
        if changed != 1:
            raise IllegalTransition("not_open", _("The counter is not open."))
        session.refresh_from_db()
        _session_event(session, EventKind.COUNTER_CLOSED, lead, now)
        record_action(
            lead,
            "counter_session_closed_for_colleague",
            session,
            {"counter": session.counter.number, "staff": session.staff_id, "parked": parked},
        )
    return session


def save_note(ticket: Ticket, staff: Any, text: str) -> Ticket:
    """Replace the staff note of the ticket at ``staff``'s counter; returns the ticket.

    A note is not a step of the visit, so it writes no event. Raises
    django.core.exceptions.ValidationError (code "cpr") for text holding a CPR number, NotYours
    when the ticket is at another employee's counter, IllegalTransition when at no counter.
    """
    validate_no_cpr(text)
    with transaction.atomic():
        if not take(ticket.pk, AT_COUNTER, staff, note=text):
            refuse(
                ticket,
                AT_COUNTER,
                staff,
                IllegalTransition(
                    "not_at_counter", _("Only a number at a counter can have a note.")
                ),
            )
    ticket.note = text
    return ticket


# Calling ----------------------------------------------------------------------------------------


def call_rank(now: dt.datetime) -> Case:
    """The first key of the call order at ``now``: urgent cases 0, checked-in appointments whose
    time has come 1, everyone else 2 (then by arrival, then by id)."""
    return Case(
        When(priority=Priority.URGENT, then=Value(0)),
        When(priority=Priority.APPOINTMENT, waiting_since__lte=now, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )


def call_order(tickets: QuerySet[Ticket], now: dt.datetime) -> QuerySet[Ticket]:
    """Order waiting tickets as they are called: urgent cases, then checked-in appointments
    whose time has come, then everyone by arrival (a transfer keeps the original arrival)."""
    return tickets.annotate(call_rank=call_rank(now)).order_by("call_rank", "waiting_since", "id")


def next_in_line(
    waiting: QuerySet[Ticket], now: dt.datetime
) -> tuple[QuerySet[Ticket], QuerySet[Ticket]]:
    """Return ``waiting`` in call order as two parts, each read in an order an index serves.

    The first read holds the tickets that arrived by ``now`` and every urgent case, ordered by
    priority_rank (which needs no clock, so ticket_call_order_idx holds it), arrival and id:
    for them that is the call order. The second holds the rest, appointments booked for later
    (and anything else dated after ``now``), which call_order puts last, by arrival. Take the
    first ticket of the first read, else of the second.
    """
    arrived = Q(priority=Priority.URGENT) | Q(waiting_since__lte=now)
    return (
        waiting.filter(arrived).order_by(priority_rank(), "waiting_since", "id"),
        waiting.exclude(arrived).order_by("waiting_since", "id"),
    )


def _active_session(session: CounterSession, staff: Any) -> CounterSession:
    """Lock ``session``'s row in the caller's transaction, refresh it and return it.

    Calling checks the session under this lock, and closing or pausing the counter takes the same
    lock, so no citizen is called to a counter closed at the same moment. (On SQLite the IMMEDIATE
    transaction serialises them instead.) Raises NotYours for another employee's session,
    IllegalTransition when closed or paused.
    """
    _check_own(session, staff)
    session.refresh_from_db(from_queryset=CounterSession.objects.select_for_update())
    if session.closed_at is not None:
        raise IllegalTransition("not_open", _("The counter is not open."))
    if session.paused_at is not None:
        raise IllegalTransition("paused", _("The counter is paused; resume it first."))
    return session


def _to_counter(
    ticket_id: int,
    from_statuses: tuple[str, ...],
    session: CounterSession,
    staff: Any,
    now: dt.datetime,
) -> bool:
    # No savepoint: a refusal ends the caller's transaction (rolled back), and the conditional
    # UPDATE's row count, not an exception, tells a lost race.
    try:
        return take(
            ticket_id,
            from_statuses,
            staff,
            # Waiting and parked numbers are at no counter; _active_session checked the session.
            anywhere=True,
            status=TicketStatus.CALLED,
            counter=session.counter_id,
            last_counter=session.counter_id,
            served_by=staff,
            first_called_at=Case(
                When(first_called_at__isnull=True, then=Value(now)),
                default=F("first_called_at"),
                output_field=DateTimeField(),
            ),
            leg_started_at=now,
            recall_count=0,
        )
    except IntegrityError:
        # The constraint "one ticket at each counter" decided: this counter already holds one.
        raise _counter_busy() from None


def _counter_busy() -> CounterConflict:
    return CounterConflict("counter_busy", _("This counter already has a number; finish it first."))


def _ordered_queue_ids(session: CounterSession) -> list[int]:
    return list(session.queues.order_by("sort_order", "prefix").values_list("id", flat=True))


def call_next(session: CounterSession, staff: Any, now: dt.datetime | None = None) -> Ticket | None:
    """Call the next citizen to ``session``'s counter; returns the ticket, or None if nobody
    waits. Raises IllegalTransition when the counter is not open or is paused, CounterConflict
    when it already holds a ticket."""
    now = resolve_now(now)
    # Read before the lock below refreshes the session, which drops its cached counter.
    counter = session.counter
    with transaction.atomic():
        session = _active_session(session, staff)
        queue_ids = _ordered_queue_ids(session)
        groups = (
            [queue_ids] if session.longest_waiting_first else [[queue_id] for queue_id in queue_ids]
        )
        for group in groups:
            ticket = _call_first_waiting(group, counter, session, staff, now)
            if ticket is not None:
                return ticket
        # A busy counter calling someone is refused by the constraint "one ticket at each
        # counter" (in _to_counter); with nobody to call it is refused here all the same.
        if Ticket.objects.filter(counter=session.counter_id, status__in=AT_COUNTER).exists():
            raise _counter_busy()
    return None


def _call_first_waiting(
    queue_ids: list[int], counter: Counter, session: CounterSession, staff: Any, now: dt.datetime
) -> Ticket | None:
    # Only today's numbers: yesterday's leftovers wait for the end-of-day job to close them, and
    # calling one in the minutes before it runs would serve a citizen who went home long ago.
    waiting = (
        Ticket.objects.waiting()
        .in_queues(queue_ids)
        .filter(location=counter.location_id, issue_date=local_date(now))
    )
    # A bounded number of attempts: each lost race means another counter took that ticket.
    for _attempt in range(20):
        ticket = None
        for part in next_in_line(waiting.select_related("service"), now):
            if connection.features.has_select_for_update_skip_locked:
                # PostgreSQL: skip rows other counters are taking right now instead of waiting.
                part = part.select_for_update(skip_locked=True, of=("self",))
            ticket = part.first()
            if ticket is not None:
                break
        if ticket is None:
            return None
        if _to_counter(ticket.pk, (TicketStatus.WAITING,), session, staff, now):
            # The row was read under its lock (PostgreSQL) or in the write transaction (SQLite),
            # so the UPDATE's changes are applied here rather than read back.
            ticket.status = TicketStatus.CALLED
            ticket.counter = ticket.last_counter = counter
            ticket.served_by = staff
            ticket.first_called_at = ticket.first_called_at or now
            ticket.leg_started_at = now
            ticket.recall_count = 0
            record_ticket_event(ticket, EventKind.CALLED, staff, now, counter_id=session.counter_id)
            return ticket
    return None


def call_ticket(
    session: CounterSession, ticket: Ticket, staff: Any, now: dt.datetime | None = None
) -> Ticket:
    """Call a specific waiting (or parked: resume) ticket of today to the counter; returns it.

    Raises IllegalTransition when it is not waiting or parked, is from another day or belongs to
    another centre.
    """
    now = resolve_now(now)
    was_parked = ticket.status == TicketStatus.PARKED
    with transaction.atomic():
        session = _active_session(session, staff)
        if ticket.location_id != session.counter.location_id:
            raise IllegalTransition("other_centre", _("This number belongs to another centre."))
        if ticket.issue_date != local_date(now):
            raise IllegalTransition("not_today", _("Only today's numbers can be called."))
        if not _to_counter(
            ticket.pk, (TicketStatus.WAITING, TicketStatus.PARKED), session, staff, now
        ):
            raise IllegalTransition("not_waiting", _("This number is not waiting."))
        reread(ticket)
        kind = EventKind.RESUMED if was_parked else EventKind.CALLED
        record_ticket_event(ticket, kind, staff, now, counter_id=session.counter_id)
    return ticket


def resume(
    ticket: Ticket, session: CounterSession, staff: Any, now: dt.datetime | None = None
) -> Ticket:
    """Call a parked citizen back to ``session``'s counter. Raises IllegalTransition."""
    if ticket.status != TicketStatus.PARKED:
        raise IllegalTransition("not_parked", _("Only a parked number can be resumed."))
    return call_ticket(session, ticket, staff, now)


def find_ticket(location: Location, display_number: str, day: dt.date) -> Ticket | None:
    """Return the ticket with this number (e.g. "P012") at ``location`` on ``day``, or None."""
    return (
        Ticket.objects.filter(
            location=location, issue_date=day, display_number=display_number.upper()
        )
        .order_by("-id")
        .first()
    )
