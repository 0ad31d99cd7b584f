"""Counter sessions: opening, pausing, resuming and closing a counter, and finding "my session
at this counter" (DESIGN.md, Definitions).

Each public function is one transition: a conditional UPDATE whose row count says whether it
happened, with its TicketEvent in the same transaction.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import Case, Q, When
from django.utils.translation import gettext_lazy as _

from skranke.audit.services import record_action
from skranke.catalogue.models import Queue, QueueKind
from skranke.organisation.models import Counter, Team, TeamKind
from skranke.queue.errors import CounterConflict, IllegalTransition, NotYours
from skranke.queue.models import (
    AT_COUNTER,
    Actor,
    CounterSession,
    EventKind,
    Ticket,
    TicketStatus,
)
from skranke.queue.services.events import record_event
from skranke.queue.services.records import (
    end_leg,
    move_ticket_if,
    record_ticket_event,
    reread,
    resolve_now,
)

# Counter sessions -------------------------------------------------------------------------------


def default_queues(staff: Actor, counter: Counter) -> list[Queue]:
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
    if any(team.kind == TeamKind.BACK for team in teams):
        chosen |= Q(kind=QueueKind.BACK)
    return list(queues.filter(chosen).distinct())


def default_team(staff: Actor) -> Team | None:
    """Return the team a staff member's counter session counts under unless they choose one: a
    front team of theirs before a back-office one, by name; None for staff in no team."""
    profile = getattr(staff, "staff_profile", None)
    if profile is None:
        return None
    return profile.teams.order_by(
        Case(When(kind=TeamKind.FRONT, then=0), default=1), "name"
    ).first()


def staff_teams(staff: Actor) -> list[Team]:
    """Return the teams ``staff`` may count a counter session under: their own."""
    profile = getattr(staff, "staff_profile", None)
    return list(profile.teams.order_by("kind", "name")) if profile is not None else []


def open_session(counter: Counter | int) -> CounterSession | None:
    """Return the open session at ``counter`` (at most one), with its counter, centre and
    employee, or None."""
    return (
        CounterSession.objects.filter(counter=counter, closed_at__isnull=True)
        .select_related("counter__location", "staff", "team")
        .first()
    )


def session_at(counter: Counter | int, staff: Actor) -> CounterSession:
    """Return ``staff``'s open session at ``counter``, with its counter and centre.

    Every caller that acts "at my counter" (the counter page, the API) finds the session here.
    Raises IllegalTransition("not_open") when the counter is not open, NotYours when it is
    open for someone else.
    """
    return own_session(open_session(counter), staff)


def own_session(session: CounterSession | None, staff: Actor) -> CounterSession:
    """Return ``session`` (a counter's open session, as open_session read it) if it is
    ``staff``'s; raises as session_at does."""
    if session is None:
        raise IllegalTransition("not_open", _("The counter is not open."))
    check_own_session(session, staff)
    return session


def check_own_session(session: CounterSession, staff: Actor) -> None:
    # A session's employee never changes, so this needs no lock.
    if staff is None or session.staff_id != staff.pk:
        raise NotYours("not_your_session", _("This counter is open for someone else."))


def open_counter(
    counter: Counter,
    staff: Actor,
    queues: list[Queue] | None = None,
    *,
    team: Team | None = None,
    longest_waiting_first: bool = True,
    now: dt.datetime | None = None,
) -> CounterSession:
    """Open ``counter`` for ``staff`` serving ``queues`` (default: from their teams), counting
    its visits under ``team`` (default: default_team; it must be one of theirs).

    Returns the session; opening a counter one already holds returns (and resumes) that
    session. Raises CounterConflict when someone else sits there or the staff member has
    another counter open, IllegalTransition for an inactive counter, foreign queues or a team
    not theirs.
    """
    now = resolve_now(now)
    if staff is None or isinstance(staff, AnonymousUser):
        # Only a signed-in employee sits at a counter; pages and the API let nobody else here.
        raise NotYours("not_signed_in", _("You do not have access to this."))
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
    if team is None:
        team = default_team(staff)
    elif team not in staff_teams(staff):
        raise IllegalTransition("foreign_team", _("Choose one of your own teams."))
    try:
        with transaction.atomic():
            session = CounterSession.objects.create(
                counter=counter,
                staff=staff,
                team=team,
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


def _session_event(
    session: CounterSession, kind: EventKind, staff: Actor, now: dt.datetime
) -> None:
    record_event(
        kind,
        location_id=session.counter.location_id,
        at=now,
        counter_id=session.counter_id,
        staff=staff,
    )


def pause_counter(
    session: CounterSession, staff: Actor, now: dt.datetime | None = None
) -> CounterSession:
    """Pause an open counter: it calls nobody until resumed.

    Raises NotYours for another employee's session, IllegalTransition when it is not open.
    """
    now = resolve_now(now)
    check_own_session(session, staff)
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
    session: CounterSession, staff: Actor, now: dt.datetime | None = None
) -> CounterSession:
    """Resume a paused counter.

    Raises NotYours for another employee's session, IllegalTransition when it is not paused.
    """
    now = resolve_now(now)
    check_own_session(session, staff)
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
    session: CounterSession, staff: Actor, now: dt.datetime | None = None
) -> CounterSession:
    """Close a counter.

    Raises NotYours for another employee's session (a team lead uses close_abandoned_session),
    IllegalTransition while it holds a ticket or is closed.
    """
    now = resolve_now(now)
    check_own_session(session, staff)
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
    session: CounterSession, lead: Actor, now: dt.datetime | None = None
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
        at_counter = Ticket.objects.filter(counter=session.counter_id, status__in=AT_COUNTER)
        for ticket in at_counter.select_related("queue"):
            if move_ticket_if(
                ticket.pk,
                AT_COUNTER,
                lead,
                anywhere=True,
                status=TicketStatus.PARKED,
                counter=None,
                **end_leg(ticket, now),
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
