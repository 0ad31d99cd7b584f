"""One opening day at one centre, simulated: citizens draw numbers, counters call them in the
engine's call order, serve, transfer to the back office, mark no-shows, and close; the result is
the day's script (script.py).

Waits are not drawn but follow from the queue: a counter calls the next citizen when it is free,
so they grow when more citizens arrive than the open counters serve. The call order is the
engine's (TicketQuerySet.next_in_line): checked-in appointments whose time has come, then
everyone by arrival (a transfer keeps it), then by number; appointments booked for later only
when nobody else waits. The day's clock counts whole seconds from the first opening instant;
everything happens in the order of that clock, so the script lists steps in the order the
engine takes them.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import random
from collections.abc import Callable
from typing import Any

from django.conf import settings

from skranke.core.demo_history import profile
from skranke.core.demo_history.bookings import draw_bookings
from skranke.core.demo_history.context import CentreContext, StaffInfo
from skranke.core.demo_history.demand import Arrival, ArrivalCurve, Window, draw_arrivals
from skranke.core.demo_history.script import (
    Booking,
    Call,
    CitizenCancel,
    CloseCounter,
    Finish,
    Issue,
    NoShow,
    OpenCounter,
    Recall,
    Step,
    Transfer,
)
from skranke.core.demo_history.staffing import PlannedSession, choose, plan_sessions
from skranke.lib.intervals import Interval
from skranke.lib.localtime import local_zone
from skranke.queue.models import Outcome, Priority

WAITING, AT_COUNTER, ENDED = "waiting", "at counter", "ended"
IDLE, PENDING, BUSY, CLOSING, CLOSED = "idle", "pending", "busy", "closing", "closed"


class _Visit:
    __slots__ = (
        "appointment",
        "arrival",
        "called",
        "cancels",
        "issue",
        "left",
        "order",
        "queue_id",
        "state",
        "to_back_office",
        "waiting_since",
    )

    def __init__(self, arrival: Arrival, issue: Issue, order: int) -> None:
        self.arrival = arrival
        self.issue = issue
        self.order = order
        self.queue_id = arrival.service.queue_id
        self.waiting_since = arrival.waiting_since
        self.appointment = arrival.appointment
        self.state = WAITING
        self.called = False
        self.left = False
        self.cancels = False
        self.to_back_office = False


class _Desk:
    __slots__ = ("idle_since", "plan", "queue_ids", "session", "state")

    def __init__(self, plan: PlannedSession) -> None:
        self.plan = plan
        self.queue_ids = plan.serves
        self.session: OpenCounter | None = None
        self.state = PENDING
        self.idle_since = 0


class DaySimulation:
    """Simulates ``day`` at ``context``'s centre open in ``intervals``; run() returns the steps."""

    def __init__(
        self,
        context: CentreContext,
        day: dt.date,
        intervals: list[Interval[dt.datetime]],
        rng: random.Random,
    ) -> None:
        self.context = context
        self.day = day
        self.rng = rng
        self.base = intervals[0].start
        zone = local_zone()
        self.windows = [
            Window(
                start=int((interval.start - self.base).total_seconds()),
                end=int((interval.end - self.base).total_seconds()),
                local_minute=_minute_of_day(interval.start.astimezone(zone)),
            )
            for interval in intervals
        ]
        self.last_call = self.windows[-1].end + int(profile.SERVE_AFTER_CLOSING.total_seconds())
        self.steps: list[Step] = []
        self._heap: list[tuple[int, int, Callable[..., None], tuple[Any, ...]]] = []
        self._sequence = itertools.count()
        self._waiting: dict[int, list[_Visit]] = {queue_id: [] for queue_id in context.queues}
        self._desks: list[_Desk] = []
        self._counters_in_use: set[int] = set()
        self._recalls_before_no_show = settings.SKRANKE_NO_SHOW_AFTER_RECALLS
        self._back_office = context.back_office_queue_id
        self._bookings: dict[int, Booking] = {}
        self._reserve: list[StaffInfo] = []
        # Reinforcements decided but not yet at their counter.
        self._opening = 0

    def run(self) -> list[Step]:
        curve = ArrivalCurve(self.context, self.windows)
        plans, self._reserve = plan_sessions(self.context, self.day, self.windows, curve, self.rng)
        for plan in plans:
            self._at(plan.opens, self._open, _Desk(plan))
        self._at(self.windows[0].start + profile.FLOOR_CHECK_MINUTES * 60, self._floor_check)
        arrivals = draw_arrivals(self.context, self.day, self.windows, self.rng)
        self._bookings, missed = draw_bookings(
            self.context, self.day, arrivals, self.windows, self._time
        )
        for order, arrival in enumerate(arrivals):
            self._at(arrival.at, self._arrive, arrival, order)
        while self._heap:
            now, _sequence, handler, arguments = heapq.heappop(self._heap)
            handler(now, *arguments)
        missed_steps: list[Step] = list(missed)
        return list(heapq.merge(self.steps, missed_steps, key=lambda step: step.at))

    # The clock -------------------------------------------------------------------------------

    def _at(self, second: int, handler: Callable[..., None], *arguments: Any) -> None:
        heapq.heappush(self._heap, (second, next(self._sequence), handler, arguments))

    def _time(self, second: int) -> dt.datetime:
        return self.base + dt.timedelta(seconds=second)

    def _emit(self, _now: int, step: Step) -> None:
        self.steps.append(step)

    # Citizens --------------------------------------------------------------------------------

    def _arrive(self, now: int, arrival: Arrival, order: int) -> None:
        priority = Priority.APPOINTMENT if arrival.appointment else Priority.NORMAL
        issue = Issue(
            at=self._time(now),
            location_id=self.context.location.pk,
            service_id=arrival.service.id,
            source=arrival.source,
            priority=priority.value,
            waiting_since=self._time(arrival.waiting_since),
            staff_id=arrival.staff_id,
            booking=self._bookings.get(order),
        )
        self.steps.append(issue)
        visit = _Visit(arrival, issue, order)
        prefix = self.context.queues[visit.queue_id].prefix
        transfers = self.context.shape.back_office_transfers.get(prefix, 0.0)
        visit.to_back_office = self._back_office is not None and self.rng.random() < transfers
        self._waiting[visit.queue_id].append(visit)
        if not visit.appointment:
            patience = self.rng.expovariate(1 / (profile.MEAN_PATIENCE_MINUTES * 60))
            if now + patience < self.last_call:
                self._at(now + int(patience), self._give_up, visit)
        self._wake(now, visit.queue_id)

    def _give_up(self, now: int, visit: _Visit) -> None:
        """A citizen tired of waiting cancels on their phone, or just leaves (a no-show later)."""
        if visit.state != WAITING or visit.called:
            return
        if self.rng.random() < profile.CANCELS_WHEN_GIVING_UP:
            self._waiting[visit.queue_id].remove(visit)
            visit.state = ENDED
            self.steps.append(CitizenCancel(at=self._time(now), visit=visit.issue))
        else:
            visit.left = True

    # Counters --------------------------------------------------------------------------------

    def _open(self, now: int, desk: _Desk, reinforcement: bool = False) -> None:
        if reinforcement:
            self._opening -= 1
        free = [
            counter for counter in self.context.counter_ids if counter not in self._counters_in_use
        ]
        if not free:
            # Every counter is still taken (a colleague finishing late): try again shortly.
            if now + 300 < desk.plan.planned_end:
                self._at(now + 300, self._open, desk)
            return
        staff = desk.plan.staff
        desk.session = OpenCounter(
            at=self._time(now),
            location_id=self.context.location.pk,
            counter_id=free[0],
            staff_id=staff.user_id,
            team_id=staff.team_id,
            queue_ids=desk.queue_ids,
        )
        self._counters_in_use.add(free[0])
        self._desks.append(desk)
        self.steps.append(desk.session)
        desk.state = PENDING
        self._at(now + self.rng.randrange(10, 60), self._try_call, desk)
        self._at(max(now, desk.plan.planned_end), self._planned_end, desk)

    def _floor_check(self, now: int) -> None:
        """The team lead opens one more counter for each queue whose longest wait is too long,
        if a counter is free and someone is in and at none: one who serves the queue, else any
        colleague, to serve that queue only."""
        limit = int(profile.REINFORCE_AFTER.total_seconds())
        closing = self.windows[-1].end
        for queue_id, line in self._waiting.items():
            if queue_id == self._back_office:
                continue
            longest = max((now - visit.waiting_since for visit in line), default=0)
            in_use = len(self._counters_in_use) + self._opening
            if longest < limit or not self._reserve or in_use >= len(self.context.counter_ids):
                continue
            person = choose(self._reserve, queue_id) or self._reserve[0]
            self._reserve.remove(person)
            ends = min(now + int(profile.REINFORCEMENT.total_seconds()), closing)
            plan = PlannedSession(person, now, ends, ends == closing, queue_ids=(queue_id,))
            self._opening += 1
            self._at(now + self.rng.randrange(60, 180), self._open, _Desk(plan), True)
        if now + profile.FLOOR_CHECK_MINUTES * 60 < closing:
            self._at(now + profile.FLOOR_CHECK_MINUTES * 60, self._floor_check)

    def _wake(self, now: int, queue_id: int) -> None:
        """Let the counter idle longest that serves ``queue_id`` call (after a moment)."""
        idle = [desk for desk in self._desks if desk.state == IDLE and queue_id in desk.queue_ids]
        if idle:
            desk = min(idle, key=lambda desk: desk.idle_since)
            desk.state = PENDING
            self._at(now + self.rng.randrange(5, 40), self._try_call, desk)

    def _planned_end(self, now: int, desk: _Desk) -> None:
        if desk.state == IDLE:
            self._close(now + self.rng.randrange(0, 120), desk)

    def _close(self, second: int, desk: _Desk) -> None:
        desk.state = CLOSING
        self._at(second, self._closed, desk)

    def _closed(self, now: int, desk: _Desk) -> None:
        assert desk.session is not None
        desk.state = CLOSED
        self._counters_in_use.discard(desk.session.counter_id)
        # Back from the counter, and available to the team lead again.
        self._reserve.append(desk.plan.staff)
        self.steps.append(CloseCounter(at=self._time(now), session=desk.session))

    def _try_call(self, now: int, desk: _Desk) -> None:
        if desk.state in (CLOSING, CLOSED):
            return
        if now >= desk.plan.planned_end:
            line = any(self._waiting[queue_id] for queue_id in desk.queue_ids)
            if not (desk.plan.until_empty and line and now < self.last_call):
                self._close(now + self.rng.randrange(20, 120), desk)
                return
        visit = self._next_in_line(desk, now)
        if visit is None:
            desk.state = IDLE
            desk.idle_since = now
            if now >= desk.plan.planned_end:
                self._close(now + self.rng.randrange(0, 120), desk)
            return
        self._call(now, desk, visit)

    def _next_in_line(self, desk: _Desk, now: int) -> _Visit | None:
        """Return who the engine calls next at ``now`` (TicketQuerySet.next_in_line)."""
        arrived: tuple[int, int, int] | None = None
        first: _Visit | None = None
        later: tuple[int, int] | None = None
        first_later: _Visit | None = None
        for queue_id in desk.queue_ids:
            for visit in self._waiting[queue_id]:
                if visit.waiting_since <= now:
                    key = (1 if visit.appointment else 2, visit.waiting_since, visit.order)
                    if arrived is None or key < arrived:
                        arrived, first = key, visit
                else:
                    late_key = (visit.waiting_since, visit.order)
                    if later is None or late_key < later:
                        later, first_later = late_key, visit
        return first if first is not None else first_later

    # At the counter --------------------------------------------------------------------------

    def _call(self, now: int, desk: _Desk, visit: _Visit) -> None:
        session = desk.session
        assert session is not None
        self._waiting[visit.queue_id].remove(visit)
        first_call = not visit.called
        visit.called = True
        visit.state = AT_COUNTER
        desk.state = BUSY
        self.steps.append(Call(at=self._time(now), visit=visit.issue, session=session))
        wait_minutes = (now - visit.waiting_since) / 60
        no_show = profile.APPOINTMENT_NO_SHOW if visit.appointment else profile.NO_SHOW_BASE
        no_show += 0 if visit.appointment else profile.NO_SHOW_PER_WAIT_MINUTE * wait_minutes
        if first_call and (visit.left or self.rng.random() < min(no_show, 0.3)):
            self._no_show(now, desk, visit)
        else:
            self._serve(now, desk, visit, first_call)

    def _no_show(self, now: int, desk: _Desk, visit: _Visit) -> None:
        session = desk.session
        assert session is not None
        moment = now
        for _recall in range(self._recalls_before_no_show):
            moment += self.rng.randrange(45, 75)
            self._at(moment, self._emit, Recall(self._time(moment), visit.issue, session))
        moment += self.rng.randrange(40, 90)
        self._at(moment, self._emit, NoShow(self._time(moment), visit.issue, session))
        self._at(moment + self.rng.randrange(10, 40), self._try_call, desk)

    def _serve(self, now: int, desk: _Desk, visit: _Visit, first_call: bool) -> None:
        session = desk.session
        assert session is not None
        service = visit.arrival.service
        moment = now
        if self.rng.random() < profile.SLOW_TO_COME:
            moment += self.rng.randrange(40, 70)
            self._at(moment, self._emit, Recall(self._time(moment), visit.issue, session))
        # The citizen walks up to the counter before anything can be done.
        serving = moment + self.rng.randrange(15, 75)
        back_office_leg = visit.queue_id == self._back_office
        minutes = service.minutes * (0.8 if back_office_leg else 1.0)
        seconds = profile.service_seconds(round(minutes) or 1, self.rng.gauss(0.0, 1.0))
        if first_call and visit.to_back_office and self._back_office is not None:
            ends = max(now + int(seconds * self.rng.uniform(0.4, 0.7)), serving + 30)
            self._at(ends, self._transfer, visit, session)
        else:
            ends = max(now + seconds, serving + 30)
            outcomes = profile.BACK_OFFICE_OUTCOMES if back_office_leg else None
            self._at(ends, self._emit, self._finish(ends, visit, session, outcomes))
        self._at(ends + self.rng.randrange(20, 90), self._try_call, desk)

    def _transfer(self, now: int, visit: _Visit, session: OpenCounter) -> None:
        assert self._back_office is not None
        self.steps.append(Transfer(self._time(now), visit.issue, session, self._back_office))
        visit.queue_id = self._back_office
        visit.state = WAITING
        self._waiting[self._back_office].append(visit)
        self._wake(now, self._back_office)

    def _finish(
        self, second: int, visit: _Visit, session: OpenCounter, outcomes: profile.Outcomes | None
    ) -> Finish:
        service = visit.arrival.service
        shares = outcomes or profile.AREA_OUTCOMES.get(service.area_slug, profile.DEFAULT_OUTCOMES)
        draw = self.rng.random()
        referred_to = ""
        if draw < shares.resolved:
            outcome = Outcome.RESOLVED_FIRST_CONTACT
        elif draw < shares.resolved + shares.back_office:
            outcome = Outcome.PASSED_TO_BACK_OFFICE
        elif draw < shares.resolved + shares.back_office + shares.referred:
            outcome, referred_to = Outcome.REFERRED, shares.referred_to
        else:
            outcome = Outcome.NOT_RESOLVED
        area = service.area_id
        if self.rng.random() < profile.OTHER_SUBJECT_AREA:
            # The citizen came about something else too, and that is what the visit was about.
            area = self.rng.choice(self.context.areas_of_queue(service.queue_id))
        return Finish(
            at=self._time(second),
            visit=visit.issue,
            session=session,
            outcome=outcome.value,
            subject_area_id=area,
            referred_to=referred_to,
        )


def _minute_of_day(local: dt.datetime) -> int:
    return local.hour * 60 + local.minute


def simulate_day(
    context: CentreContext,
    day: dt.date,
    intervals: list[Interval[dt.datetime]],
) -> list[Step]:
    """Return the script of ``day`` at ``context``'s centre, open in ``intervals`` (from
    organisation.hours.day_hours); the same centre and day always give the same script."""
    if not intervals:
        return []
    rng = random.Random(f"{context.location.slug}:{day.isoformat()}")  # noqa: S311 - reproducible
    return DaySimulation(context, day, intervals, rng).run()
