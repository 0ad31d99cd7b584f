"""Random days on the floor: every action of the number system, in any order, at a clock that
only moves forward, keeps the floor in a legal state, refuses what is not allowed without
changing anything, and writes each ended visit's statistics row exactly as its events tell it
(DESIGN.md, Definitions: wait, service time, ends of a visit).

Hypothesis drives a model of the floor (which ticket is where, which counter is open) next to
the real service layer and compares the two after every step; each example runs inside a
savepoint that is rolled back afterwards.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter as Tally
from collections import defaultdict
from typing import Any

import hypothesis
import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from skranke.lib.localtime import local_date
from skranke.organisation.models import Role
from skranke.queue import services
from skranke.queue.errors import CounterConflict, IllegalTransition, IssueRefused
from skranke.queue.models import (
    AT_COUNTER,
    ENDED,
    CancelReason,
    CounterSession,
    Outcome,
    Priority,
    ReferredTo,
    Source,
    Ticket,
    TicketEvent,
    TicketStatus,
    VisitFact,
)
from skranke.queue.tests.factories import make_centre, make_staff
from skranke.queue.tests.floor_model import (
    QUEUE_SETS,
    Desk,
    ExpectedTicket,
    FloorModel,
    check_against_events,
    check_legal_state,
)

pytestmark = pytest.mark.django_db


class FloorMachine(FloorModel, RuleBasedStateMachine):
    """One centre with three counters and three staff members; the test sets both."""

    tickets = Bundle("tickets")

    @initialize(queue_sets=st.lists(st.sampled_from(QUEUE_SETS), min_size=1, max_size=3))
    def counters_open(self, queue_sets: list[tuple[int, ...]]) -> None:
        for counter_index, queue_set in enumerate(queue_sets):
            self.open_counter(counter_index, counter_index, queue_set, True)

    @initialize(target=tickets, moving=st.lists(st.booleans(), min_size=1, max_size=8))
    def first_citizens_arrive(self, moving: list[bool]) -> Any:
        return multiple(*(self.issue(service, "walk_in", 0) for service in moving))

    # The clock -----------------------------------------------------------------------------------

    @rule(seconds=st.integers(0, 20 * 60))
    def time_passes(self, seconds: int) -> None:
        self.now += dt.timedelta(seconds=seconds)

    # Issuing and closing -------------------------------------------------------------------------

    @rule(
        target=tickets,
        moving=st.booleans(),
        kind=st.sampled_from(["walk_in", "urgent", "appointment"]),
        booked_in_seconds=st.integers(0, 30 * 60),
    )
    def issue(self, moving: bool, kind: str, booked_in_seconds: int) -> Any:
        self.tick()
        service = self.centre.moving if moving else self.centre.passport
        queue = self.centre.general if moving else self.centre.passports
        day = local_date(self.now)
        arguments: dict[str, Any] = {"source": Source.KIOSK, "now": self.now}
        if kind == "urgent":
            arguments |= {"source": Source.STAFF, "priority": Priority.URGENT}
        elif kind == "appointment":
            # A checked-in appointment waits from max(check-in, booked time).
            booked = self.now + dt.timedelta(seconds=booked_in_seconds)
            arguments |= {
                "source": Source.APPOINTMENT,
                "priority": Priority.APPOINTMENT,
                "waiting_since": booked,
            }

        def draw() -> Ticket:
            return services.issue_ticket(self.centre.location, service, **arguments)

        # A queue closed for the day takes no walk-ins, but a checked-in appointment still gets
        # its number: the time was promised.
        if (queue.pk, day) in self.closures and kind != "appointment":
            self.refused(IssueRefused, "queue_closed", draw)
            return multiple()
        ticket = draw()
        number = self.numbers[queue.pk, day] = self.numbers.get((queue.pk, day), 0) + 1
        assert (ticket.number, ticket.issue_date) == (number, day)
        assert ticket.display_number == f"{queue.prefix}{number:03d}"
        self.expected[ticket.pk] = ExpectedTicket(
            pk=ticket.pk,
            queue=queue.pk,
            priority=ticket.priority,
            waiting_since=ticket.waiting_since,
            issue_date=day,
            subject_area=service.subject_area_id,
        )
        return ticket.pk

    @rule(target=tickets, moving=st.booleans())
    def walk_in(self, moving: bool) -> Any:
        # The commonest event of all, so it has a rule of its own.
        return self.issue(moving, "walk_in", 0)

    # A queue is closed now and then, once the day has got going.
    @precondition(lambda self: len(self.expected) >= 6 and not self.closures)
    @rule(queue_index=st.integers(0, 2))
    def close_queue(self, queue_index: int) -> None:
        self.tick()
        queue = self.queues[queue_index]
        services.close_queue_now(queue, "Systemet er nede", self.staff[0], now=self.now)
        self.closures.add((queue.pk, local_date(self.now)))

    @rule()
    def close_earlier_days(self) -> None:
        self.tick()
        today = local_date(self.now)
        left = [
            ticket
            for ticket in self.expected.values()
            if ticket.issue_date < today and ticket.status not in ENDED
        ]
        assert services.close_days_before(today, now=self.now) == len(left)
        for ticket in left:
            self.leaves_counter(ticket.pk, TicketStatus.CANCELLED)

    # Counters ------------------------------------------------------------------------------------

    @rule(
        staff_index=st.integers(0, 2),
        counter_index=st.integers(0, 2),
        queue_set=st.sampled_from(QUEUE_SETS),
        longest_waiting_first=st.booleans(),
    )
    def open_counter(
        self,
        staff_index: int,
        counter_index: int,
        queue_set: tuple[int, ...],
        longest_waiting_first: bool,
    ) -> None:
        self.tick()
        counter, staff = self.centre.counters[counter_index], self.staff[staff_index]
        queues = [self.queues[index] for index in queue_set]

        def open_it() -> CounterSession:
            return services.open_counter(
                counter, staff, queues, longest_waiting_first=longest_waiting_first, now=self.now
            )

        desk = self.desks.get(counter_index)
        here = desk if desk is not None and not desk.closed else None
        if here is not None and here.staff == staff:
            # Opening one's own counter again resumes it and keeps its queues.
            assert open_it().pk == here.session.pk
            here.paused = False
        elif here is not None:
            self.refused(CounterConflict, "counter_taken", open_it)
        elif any(other.staff == staff and not other.closed for other in self.desks.values()):
            self.refused(CounterConflict, "staff_elsewhere", open_it)
        else:
            self.desks[counter_index] = Desk(open_it(), staff, queues, longest_waiting_first)

    @rule(
        counter_index=st.integers(0, 2),
        queue_set=st.sampled_from(QUEUE_SETS),
        longest_waiting_first=st.booleans(),
    )
    def open_own_counter(
        self, counter_index: int, queue_set: tuple[int, ...], longest_waiting_first: bool
    ) -> None:
        # Most of the day each staff member sits at a counter of their own.
        self.open_counter(counter_index, counter_index, queue_set, longest_waiting_first)

    def pause_counter(self, counter_index: int) -> None:
        self.tick()
        desk = self.desks.get(counter_index)
        if desk is None:
            return

        staff = self.acting(desk.staff)

        def pause() -> object:
            return services.pause_counter(desk.session, staff, now=self.now)

        if self.refused_as_not_yours(desk, staff, pause):
            return
        if desk.closed or desk.paused:
            self.refused(IllegalTransition, "not_open", pause)
        else:
            pause()
            desk.paused = True

    def resume_counter(self, counter_index: int) -> None:
        self.tick()
        desk = self.desks.get(counter_index)
        if desk is None:
            return

        staff = self.acting(desk.staff)

        def resume() -> object:
            return services.resume_counter(desk.session, staff, now=self.now)

        if self.refused_as_not_yours(desk, staff, resume):
            return
        if desk.closed or not desk.paused:
            self.refused(IllegalTransition, "not_paused", resume)
        else:
            resume()
            desk.paused = False

    def close_counter(self, counter_index: int) -> None:
        self.tick()
        desk = self.desks.get(counter_index)
        if desk is None:
            return

        staff = self.acting(desk.staff)

        def close() -> object:
            return services.close_counter(desk.session, staff, now=self.now)

        if self.refused_as_not_yours(desk, staff, close):
            return
        if self.holding(desk.session.counter_id):
            self.refused(IllegalTransition, "holding_ticket", close)
        elif desk.closed:
            self.refused(IllegalTransition, "not_open", close)
        else:
            close()
            desk.closed, desk.paused = True, False

    @rule(counter_index=st.integers(0, 2))
    def call_next(self, counter_index: int) -> None:
        self.tick()
        desk = self.desks.get(counter_index)
        if desk is None:
            return

        staff = self.acting(desk.staff)

        def call() -> Ticket | None:
            return services.call_next(desk.session, staff, now=self.now)

        if self.refused_as_not_yours(desk, staff, call):
            return
        if self.refused_by_desk(desk, call):
            return
        if self.holding(desk.session.counter_id):
            self.refused(CounterConflict, "counter_busy", call)
            return
        expected = self.next_in_line(desk)
        if expected is None:
            before = self.snapshot()
            assert call() is None
            assert self.snapshot() == before
            return
        ticket = call()
        assert ticket is not None and ticket.pk == expected
        self.called_to(expected, desk.session.counter_id)

    # Hypothesis picks rules evenly; the everyday work of a counter gets rules of its own so
    # that it makes up most of a day, as it does on a real floor.

    @rule(which=st.integers(0, 2))
    def an_open_counter_calls_next(self, which: int) -> None:
        ready = sorted(index for index, desk in self.desks.items() if not desk.closed)
        if ready:
            self.call_next(ready[which % len(ready)])

    @rule(which=st.integers(0, 2))
    def a_paused_counter_resumes(self, which: int) -> None:
        paused = sorted(index for index, desk in self.desks.items() if desk.paused)
        if paused:
            self.resume_counter(paused[which % len(paused)])

    def call_number(self, counter_index: int, pk: int) -> None:
        self.tick()
        desk = self.desks.get(counter_index)
        if desk is None:
            return

        staff = self.acting(desk.staff)

        def call() -> Ticket:
            return services.call_ticket(desk.session, self.fresh(pk), staff, now=self.now)

        if self.refused_as_not_yours(desk, staff, call):
            return
        if self.refused_by_desk(desk, call):
            return
        if self.expected[pk].issue_date != local_date(self.now):
            self.refused(IllegalTransition, "not_today", call)
        elif self.expected[pk].status not in (TicketStatus.WAITING, TicketStatus.PARKED):
            self.refused(IllegalTransition, "not_waiting", call)
        elif self.holding(desk.session.counter_id):
            self.refused(CounterConflict, "counter_busy", call)
        else:
            call()
            self.called_to(pk, desk.session.counter_id)

    def resume_parked(self, counter_index: int, pk: int) -> None:
        self.tick()
        desk = self.desks.get(counter_index)
        if desk is None:
            return

        staff = self.acting(desk.staff)

        def resume() -> Ticket:
            return services.resume_parked_ticket(self.fresh(pk), desk.session, staff, now=self.now)

        if self.expected[pk].status != TicketStatus.PARKED:
            self.refused(IllegalTransition, "not_parked", resume)
        elif self.refused_as_not_yours(desk, staff, resume) or self.refused_by_desk(desk, resume):
            return
        elif self.expected[pk].issue_date != local_date(self.now):
            self.refused(IllegalTransition, "not_today", resume)
        elif self.holding(desk.session.counter_id):
            self.refused(CounterConflict, "counter_busy", resume)
        else:
            resume()
            self.called_to(pk, desk.session.counter_id)

    # At the counter ------------------------------------------------------------------------------

    def recall(self, pk: int) -> bool:
        """Recall the number; True when it was recalled (not refused)."""
        self.tick()
        expected = self.expected[pk]
        allowed = expected.status == TicketStatus.CALLED
        if self.act(
            pk,
            allowed,
            "not_called",
            lambda t, s: services.recall(t, s, now=self.now),
            (TicketStatus.CALLED,),
        ):
            expected.recalls += 1
            return True
        return False

    def serve(self, pk: int) -> None:
        self.tick()
        expected = self.expected[pk]
        allowed = expected.status == TicketStatus.CALLED
        if self.act(
            pk,
            allowed,
            "not_called",
            lambda t, s: services.start_serving(t, s, now=self.now),
            (TicketStatus.CALLED,),
        ):
            expected.status = TicketStatus.SERVING

    def no_show(self, pk: int) -> None:
        self.tick()
        expected = self.expected[pk]
        allowed = (
            expected.status == TicketStatus.CALLED
            and expected.recalls >= django_settings.SKRANKE_NO_SHOW_AFTER_RECALLS
        )
        if self.act(
            pk,
            allowed,
            "not_recalled",
            lambda t, s: services.mark_no_show(t, s, now=self.now),
            (TicketStatus.CALLED,),
        ):
            self.leaves_counter(pk, TicketStatus.NO_SHOW)

    def reinstate(self, pk: int) -> None:
        self.tick()
        expected = self.expected[pk]
        allowed = expected.status == TicketStatus.NO_SHOW and expected.issue_date == local_date(
            self.now
        )
        if self.act(
            pk, allowed, "not_no_show", lambda t, s: services.reinstate(t, s, now=self.now)
        ):
            expected.status = TicketStatus.WAITING

    def park(self, pk: int) -> None:
        self.tick()
        allowed = self.expected[pk].status in AT_COUNTER
        if self.act(
            pk,
            allowed,
            "not_at_counter",
            lambda t, s: services.park(t, s, now=self.now),
            AT_COUNTER,
        ):
            self.leaves_counter(pk, TicketStatus.PARKED)

    def transfer(self, pk: int, queue_index: int) -> None:
        self.tick()
        expected = self.expected[pk]
        queue = self.queues[queue_index]
        allowed = expected.status in (*AT_COUNTER, TicketStatus.PARKED)
        if self.act(
            pk,
            allowed,
            "not_at_counter",
            lambda t, s: services.transfer(t, queue, s, now=self.now),
            (*AT_COUNTER, TicketStatus.PARKED),
        ):
            self.leaves_counter(pk, TicketStatus.WAITING)
            expected.queue = queue.pk

    def finish(self, pk: int, outcome: Outcome, wrong_referral: bool, other_area: bool) -> None:
        self.tick()
        expected = self.expected[pk]
        # A referral names the authority, any other outcome none; now and then it is wrong.
        names_authority = (outcome == Outcome.REFERRED) != wrong_referral
        referred_to = ReferredTo.SKAT if names_authority else ""
        area = self.centre.moving.subject_area if other_area else None

        def finish_it(ticket: Ticket, staff: User) -> Ticket:
            return services.finish(
                ticket,
                staff,
                outcome=outcome,
                subject_area=area,
                referred_to=referred_to,
                now=self.now,
            )

        if wrong_referral:
            self.act(pk, False, "referral", finish_it)
        elif self.act(pk, expected.status in AT_COUNTER, "not_at_counter", finish_it, AT_COUNTER):
            self.leaves_counter(pk, TicketStatus.FINISHED)
            if area is not None:
                expected.subject_area = area.pk

    def cancel(self, pk: int, by_citizen: bool) -> None:
        self.tick()
        status = self.expected[pk].status
        cancellable: tuple[str, ...]
        if by_citizen:
            reason, cancellable = CancelReason.CITIZEN, (TicketStatus.WAITING,)
        else:
            reason = CancelReason.STAFF
            cancellable = (TicketStatus.WAITING, TicketStatus.PARKED, *AT_COUNTER)
        if self.act(
            pk,
            status in cancellable,
            "cannot_cancel",
            lambda t, s: services.cancel(t, reason, s, now=self.now),
            cancellable,
        ):
            self.leaves_counter(pk, TicketStatus.CANCELLED)

    @rule(
        which=st.integers(0, 2),
        step=st.sampled_from(
            ["serve", "finish", "finish", "gives_up", "park", "transfer", "cancel", "refer"]
        ),
        queue_index=st.integers(0, 2),
    )
    def work_at_counter(self, which: int, step: str, queue_index: int) -> None:
        """Do the next thing with a citizen at a counter, the way staff mostly work."""
        pk = self.pick(which, AT_COUNTER)
        if pk is None:
            return
        if step == "gives_up":
            # Called again until the no-show may be marked, then marked.
            needed = django_settings.SKRANKE_NO_SHOW_AFTER_RECALLS
            while self.expected[pk].status == TicketStatus.CALLED and (
                self.expected[pk].recalls < needed
            ):
                if not self.recall(pk):
                    break  # Someone else acts, and is refused: no recall will ever count.
            self.no_show(pk)
        elif step == "transfer":
            self.transfer(pk, queue_index)
        elif step == "finish":
            self.finish(pk, Outcome.RESOLVED_FIRST_CONTACT, False, queue_index == 0)
        elif step == "refer":
            self.finish(pk, Outcome.REFERRED, False, False)
        elif step == "cancel":
            self.cancel(pk, False)
        else:
            getattr(self, step)(pk)

    @rule(
        which=st.integers(0, 2),
        step=st.sampled_from(["serve", "finish", "finish", "transfer"]),
        queue_index=st.integers(0, 2),
    )
    def serve_and_finish(self, which: int, step: str, queue_index: int) -> None:
        self.work_at_counter(which, step, queue_index)

    @rule(which=st.integers(0, 4), counter_index=st.integers(0, 2))
    def back_from_the_side(self, which: int, counter_index: int) -> None:
        """A parked citizen is called back, or a no-show turns up after all."""
        parked = self.pick(which, (TicketStatus.PARKED,))
        if parked is not None:
            self.resume_parked(counter_index, parked)
        no_show = self.pick(which, (TicketStatus.NO_SHOW,))
        if no_show is not None:
            self.reinstate(no_show)

    @rule(counter_index=st.integers(0, 2), action=st.sampled_from(["pause", "resume", "close"]))
    def manage_counter(self, counter_index: int, action: str) -> None:
        getattr(self, f"{action}_counter")(counter_index)

    @rule(
        pk=tickets,
        action=st.sampled_from(
            [
                "call",
                "resume",
                "recall",
                "serve",
                "no_show",
                "reinstate",
                "park",
                "transfer",
                "finish",
                "cancel",
            ]
        ),
        counter_index=st.integers(0, 2),
        queue_index=st.integers(0, 2),
        outcome=st.sampled_from(Outcome),
        wrong_referral=st.integers(0, 4).map(lambda draw: draw == 0),
        other_area=st.booleans(),
        by_citizen=st.booleans(),
    )
    def act_on_number(
        self,
        pk: int,
        action: str,
        counter_index: int,
        queue_index: int,
        outcome: Outcome,
        wrong_referral: bool,
        other_area: bool,
        by_citizen: bool,
    ) -> None:
        """Do anything with any number, allowed in its state or not."""
        if action == "call":
            self.call_number(counter_index, pk)
        elif action == "resume":
            self.resume_parked(counter_index, pk)
        elif action == "transfer":
            self.transfer(pk, queue_index)
        elif action == "finish":
            self.finish(pk, outcome, wrong_referral, other_area)
        elif action == "cancel":
            self.cancel(pk, by_citizen)
        else:
            getattr(self, action)(pk)

    # Who acts ------------------------------------------------------------------------------------

    @rule(stranger=st.one_of(st.none(), st.integers(0, 3)))
    def someone_else_acts(self, stranger: int | None) -> None:
        """From now on every action is taken by the rightful employee (None), or by one chosen
        staff member or the team lead whatever the rule says; the engine must refuse exactly
        what the rule forbids and change nothing when it does."""
        self.stranger = stranger

    # After every step ---------------------------------------------------------------------------

    @invariant()
    def the_floor_is_legal_and_every_visit_counts_as_its_events_say(self) -> None:
        location = self.centre.location
        tickets = {ticket.pk: ticket for ticket in Ticket.objects.filter(location=location)}
        assert set(tickets) == set(self.expected)
        events: dict[int, list[TicketEvent]] = defaultdict(list)
        moments = []
        for event in TicketEvent.objects.filter(location=location).order_by("id"):
            moments.append(event.at)
            if event.ticket_id is not None:
                events[event.ticket_id].append(event)
        assert moments == sorted(moments), "events are not in the order of the clock"
        facts = {fact.ticket_id: fact for fact in VisitFact.objects.filter(location=location)}
        sessions = list(CounterSession.objects.filter(counter__location=location))
        open_counters = {session.counter_id for session in sessions if session.closed_at is None}
        for desk in self.desks.values():
            session = next(session for session in sessions if session.pk == desk.session.pk)
            assert (session.closed_at is not None, session.paused_at is not None) == (
                desk.closed,
                desk.paused,
            )
        holders = Tally(
            ticket.counter_id for ticket in tickets.values() if ticket.status in AT_COUNTER
        )
        assert all(count == 1 for count in holders.values()), holders
        for pk, ticket in tickets.items():
            expected = self.expected[pk]
            assert (ticket.status, ticket.counter_id, ticket.queue_id) == (
                expected.status,
                expected.counter,
                expected.queue,
            )
            check_legal_state(ticket, open_counters)
            check_against_events(ticket, events[pk], facts.get(pk), expected)


def test_random_days_on_the_floor_stay_legal_and_count_as_the_events_say(
    settings: Any,
) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    floor = type(
        "Floor",
        (FloorMachine,),
        {
            "centre": make_centre(counters=3),
            "staff": [make_staff() for _ in range(3)],
            "team_lead": make_staff(role=Role.TEAM_LEAD),
        },
    )
    run_state_machine_as_test(
        floor,
        settings=hypothesis.settings(
            max_examples=30,
            stateful_step_count=50,
            deadline=None,
            database=None,
            suppress_health_check=[hypothesis.HealthCheck.too_slow],
        ),
    )
