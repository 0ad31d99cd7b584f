"""Counters and kiosks racing for the same tickets and numbers never call a ticket twice, never
draw a number twice, and never call a citizen to a counter that is closing (DESIGN.md, Targets:
a concurrency test proves itself).

Every race starts its threads together at a barrier, each thread on its own database connection
which it closes at the end. Each guard was removed once, in a copy of the code, and the tests
run on both databases (then the copy was thrown away):

- ``status__in=from_statuses`` in ``records.move_ticket_if`` removed: the same-number race (every
  counter "won") and the racing finishes (IntegrityError: a second visit fact) failed on both
  databases. The call-next races still passed: on SQLite IMMEDIATE transactions serialise
  call-next, on PostgreSQL ``FOR UPDATE SKIP LOCKED`` alone keeps counters apart.
- That condition and SKIP LOCKED both removed: on PostgreSQL the 50-counter race, the HTTP race
  across two server processes (500s from tickets finished twice) and the 8-counter race failed
  too. SKIP LOCKED alone removed: everything passed, so either guard is enough for call-next.
- The double-press race (one counter pressing call-next eight times at once) is guarded by the
  session's row lock, which every call takes first (``_active_session``): with the status
  condition and SKIP LOCKED both removed it still passed on PostgreSQL, since the presses wait for
  each other on that lock and the later ones find the counter busy; with the session lock removed
  as well, one ticket was called twice. On SQLite the IMMEDIATE transaction serialises them.
- The sequence UPDATE replaced by "count today's tickets + 1": every kiosk race failed on
  PostgreSQL (IntegrityError on ticket_number_unique). On SQLite the numbers stayed right,
  since IMMEDIATE serialises the count as well; only the sequence check failed.
- The quota checked by reading the sequence before an unconditional UPDATE, instead of
  ``last_number__lt`` in the UPDATE: both quota races issued more than the quota on
  PostgreSQL, while the single-threaded quota test still passed.
- SQLite without ``"transaction_mode": "IMMEDIATE"``: the call-next races failed with
  "database is locked".
- The constraint one_ticket_at_each_counter removed: the double-press race put 8 (SQLite) and
  5 (PostgreSQL) citizens at one counter.
- Closing while calling: before the fix in services (the session checked and locked inside
  the calling transaction, and locked first by close_counter) both succeeded on both databases,
  leaving a citizen called to a closed counter. Without either of the two locks it still
  failed on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections import Counter as Tally
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx
import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from skranke.access.services import create_api_token
from skranke.queue import services
from skranke.queue.errors import CounterConflict, IllegalTransition, IssueRefused
from skranke.queue.models import (
    DailySequence,
    EventKind,
    Outcome,
    Source,
    Ticket,
    TicketEvent,
    TicketStatus,
    VisitFact,
)
from skranke.queue.tests.factories import Centre, issue, make_centre, make_staff, open_counters
from skranke.testing.fixtures import ServerFactory, asgi_server_factory  # noqa: F401

T = TypeVar("T")

# Generous: a loaded CI machine may take long to start 50 threads; a hang still ends the test.
JOIN_TIMEOUT_SECONDS = 300.0


def race(racers: int, racer: Callable[[int, int], T], rounds: int = 1) -> list[list[T]]:
    """Run racer(index, round) in ``racers`` threads, every round released by one barrier.

    Returns each thread's results by round. Each thread closes its database connection at the
    end. Raises the first exception a racer raised (not the broken barrier it left behind).
    """
    barrier = threading.Barrier(racers)
    results: list[list[T]] = [[] for _ in range(racers)]
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            for round_number in range(rounds):
                barrier.wait(timeout=JOIN_TIMEOUT_SECONDS)
                results[index].append(racer(index, round_number))
        except BaseException as error:
            errors.append(error)
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a racer hung"
    real = [error for error in errors if not isinstance(error, threading.BrokenBarrierError)]
    if real or errors:
        raise (real or errors)[0]
    return results


@pytest.fixture
def room_for_racers() -> Iterator[None]:
    """Let every racing thread hold a pooled PostgreSQL connection at once.

    The pool's default maximum (20) is sized for server processes; 50 racers would otherwise
    queue for connections and fewer of them would really race. The pool is rebuilt with room
    for them and rebuilt as configured afterwards. Nothing to do on SQLite.
    """
    pool = connection.settings_dict.get("OPTIONS", {}).get("pool")
    if connection.vendor != "postgresql" or not pool:
        yield
        return
    configured = dict(pool)
    connection.close()
    # close_pool() came with Django 5.1's pool and is not in django-stubs yet.
    connection.close_pool()  # type: ignore[attr-defined]
    pool["max_size"] = max(configured.get("max_size", 0), 60)
    try:
        yield
    finally:
        connection.close()
        connection.close_pool()  # type: ignore[attr-defined]
        pool.clear()
        pool.update(configured)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    # Dozens of staff accounts per test; the production hasher would take most of the time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def issue_waiting(centre: Centre, count: int) -> list[int]:
    """Return the ids of ``count`` passport numbers waiting in line, oldest first.

    The first one is issued through the service layer; the rest are written in one go as the
    service layer writes them (numbers, tokens, arrival order), which is all calling needs.
    """
    first = issue(centre)
    now = timezone.now()
    rest = [
        Ticket(
            location=centre.location,
            queue=centre.passports,
            first_queue=centre.passports,
            service=centre.passport,
            issue_date=first.issue_date,
            number=number,
            display_number=f"P{number:03d}",
            token=secrets.token_urlsafe(16),
            source=Source.KIOSK,
            issued_at=now,
            waiting_since=now + dt.timedelta(milliseconds=number),
        )
        for number in range(2, count + 1)
    ]
    Ticket.objects.bulk_create(rest)
    DailySequence.objects.filter(queue=centre.passports).update(last_number=count)
    return list(
        Ticket.objects.filter(queue=centre.passports)
        .order_by("waiting_since")
        .values_list("id", flat=True)
    )


def assert_each_called_once(ticket_ids: list[int], called_ids: list[int]) -> None:
    """Check the racers' calls and the events: every ticket called, finished and counted once."""
    twice = {ticket: times for ticket, times in Tally(called_ids).items() if times > 1}
    assert twice == {}, f"tickets called more than once: {twice}"
    assert sorted(called_ids) == sorted(ticket_ids)
    for kind in (EventKind.CALLED, EventKind.FINISHED):
        per_ticket = (
            TicketEvent.objects.filter(kind=kind, ticket__in=ticket_ids)
            .values("ticket")
            .annotate(times=Count("id"))
        )
        assert {row["times"] for row in per_ticket} == {1}, kind
        assert len(per_ticket) == len(ticket_ids), kind
    finished = Ticket.objects.filter(pk__in=ticket_ids, status=TicketStatus.FINISHED)
    assert finished.count() == len(ticket_ids)
    assert VisitFact.objects.filter(ticket__in=ticket_ids).count() == len(ticket_ids)


def counters_call_and_finish(centre: Centre, tickets: int, rounds: int) -> None:
    """Every counter of ``centre`` calls next and finishes, ``rounds`` times, all at once."""
    ticket_ids = issue_waiting(centre, tickets)
    desks = open_counters(centre, [centre.passports])

    def call_and_finish(index: int, _round: int) -> int:
        staff, session = desks[index]
        ticket = services.call_next(session, staff)
        assert ticket is not None, "a counter found nobody waiting while tickets were left"
        services.finish(ticket, staff, outcome=Outcome.RESOLVED_FIRST_CONTACT)
        return ticket.pk

    called = race(len(desks), call_and_finish, rounds=rounds)

    assert_each_called_once(ticket_ids, [ticket for calls in called for ticket in calls])
    # The race was real: every counter took part in every round.
    assert all(len(calls) == rounds for calls in called)


def kiosks_draw_numbers(centre: Centre, racers: int) -> tuple[list[int], list[str]]:
    """``racers`` kiosks draw a passport number at once; returns the numbers and refusals."""

    def draw(_index: int, _round: int) -> int | str:
        try:
            return issue(centre).number
        except IssueRefused as refusal:
            return refusal.code

    outcomes = [result for results in race(racers, draw) for result in results]
    numbers = sorted(outcome for outcome in outcomes if isinstance(outcome, int))
    refusals = [outcome for outcome in outcomes if isinstance(outcome, str)]
    return numbers, refusals


# PostgreSQL, many racers --------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_counters_call_a_thousand_tickets_each_exactly_once(room_for_racers: None) -> None:
    counters_call_and_finish(make_centre(counters=50), tickets=1000, rounds=20)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_kiosks_draw_fifty_consecutive_numbers(room_for_racers: None) -> None:
    centre = make_centre()

    numbers, refusals = kiosks_draw_numbers(centre, 50)

    assert numbers == list(range(1, 51)) and refusals == []
    stored = Ticket.objects.filter(first_queue=centre.passports).values_list("number", flat=True)
    assert sorted(stored) == list(range(1, 51))
    assert DailySequence.objects.get(queue=centre.passports).last_number == 50


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_kiosks_racing_for_a_quota_of_thirty(room_for_racers: None) -> None:
    centre = make_centre()
    centre.passports.daily_quota = 30
    centre.passports.save(update_fields=["daily_quota"])

    numbers, refusals = kiosks_draw_numbers(centre, 50)

    assert numbers == list(range(1, 31))
    assert refusals == ["quota"] * 20
    assert Ticket.objects.filter(first_queue=centre.passports).count() == 30
    assert TicketEvent.objects.filter(kind=EventKind.ISSUED).count() == 30
    assert DailySequence.objects.get(queue=centre.passports).last_number == 30


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_counters_on_two_server_processes_never_call_a_ticket_twice(
    asgi_server_factory: ServerFactory,  # noqa: F811 (the fixture imported above)
) -> None:
    centre = make_centre(counters=20)
    ticket_ids = issue_waiting(centre, 200)
    tokens = []
    for _counter in centre.counters:
        staff = make_staff()
        tokens.append(create_api_token(staff, "race")[1])
    servers = [asgi_server_factory(), asgi_server_factory()]
    clients = [
        httpx.Client(
            base_url=f"{servers[index % 2].url}/api/v1",
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        for index, token in enumerate(tokens)
    ]
    for client, counter in zip(clients, centre.counters, strict=True):
        opened = client.post(f"/counters/{counter.pk}/open", json={"queues": [centre.passports.pk]})
        assert opened.status_code == 200, opened.text

    def call_until_nobody_waits(index: int, _round: int) -> list[int]:
        client, counter = clients[index], centre.counters[index]
        called: list[int] = []
        while True:
            response = client.post(f"/counters/{counter.pk}/call-next")
            assert response.status_code == 200, response.text
            ticket = response.json()["ticket"]
            if ticket is None:
                return called
            called.append(ticket["id"])
            finished = client.post(
                f"/tickets/{ticket['id']}/finish", json={"outcome": "resolved_first_contact"}
            )
            assert finished.status_code == 200, finished.text

    try:
        calls = race(len(clients), call_until_nobody_waits)
    finally:
        for client in clients:
            client.close()

    per_counter = [calls_of_counter[0] for calls_of_counter in calls]
    assert_each_called_once(ticket_ids, [ticket for called in per_counter for ticket in called])
    # The race was real: both processes' counters called citizens.
    assert all(per_counter[index] for index in (0, 1)), [len(called) for called in per_counter]


# Any database, including SQLite ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_counters_calling_next_at_once_call_each_ticket_once(room_for_racers: None) -> None:
    counters_call_and_finish(make_centre(counters=8), tickets=80, rounds=10)


@pytest.mark.django_db(transaction=True)
def test_kiosks_drawing_at_once_get_unique_gap_free_numbers(room_for_racers: None) -> None:
    centre = make_centre()

    numbers, refusals = kiosks_draw_numbers(centre, 20)

    assert numbers == list(range(1, 21)) and refusals == []
    assert DailySequence.objects.get(queue=centre.passports).last_number == 20


@pytest.mark.django_db(transaction=True)
def test_kiosks_racing_for_the_last_numbers_of_a_quota(room_for_racers: None) -> None:
    centre = make_centre()
    centre.passports.daily_quota = 12
    centre.passports.save(update_fields=["daily_quota"])

    numbers, refusals = kiosks_draw_numbers(centre, 20)

    assert numbers == list(range(1, 13))
    assert refusals == ["quota"] * 8


@pytest.mark.django_db(transaction=True)
def test_counters_calling_the_same_number_have_one_winner(room_for_racers: None) -> None:
    centre = make_centre(counters=8)
    wanted = issue(centre)
    desks = open_counters(centre, [centre.passports])

    def call_it(index: int, _round: int) -> int | str:
        staff, session = desks[index]
        try:
            return services.call_ticket(session, Ticket.objects.get(pk=wanted.pk), staff).pk
        except IllegalTransition as refusal:
            return refusal.code

    outcomes = [outcome for results in race(len(desks), call_it) for outcome in results]

    assert sorted(outcomes, key=str) == sorted([wanted.pk] + ["not_waiting"] * 7, key=str)
    assert TicketEvent.objects.filter(ticket=wanted, kind=EventKind.CALLED).count() == 1
    wanted.refresh_from_db()
    winner = desks[outcomes.index(wanted.pk)][1]
    assert wanted.status == TicketStatus.CALLED and wanted.counter_id == winner.counter_id


@pytest.mark.django_db(transaction=True)
def test_racing_finishes_end_a_visit_once(room_for_racers: None) -> None:
    centre = make_centre(counters=1)
    issue(centre)
    [(staff, session)] = open_counters(centre, [centre.passports])
    called = services.call_next(session, staff)
    assert called is not None
    ticket_id = called.pk

    def finish_it(_index: int, _round: int) -> str:
        try:
            services.finish(
                Ticket.objects.get(pk=ticket_id), staff, outcome=Outcome.RESOLVED_FIRST_CONTACT
            )
        except IllegalTransition as refusal:
            return refusal.code
        return "finished"

    outcomes = [outcome for results in race(8, finish_it) for outcome in results]

    assert sorted(outcomes) == ["finished"] + ["not_at_counter"] * 7
    assert TicketEvent.objects.filter(ticket=called, kind=EventKind.FINISHED).count() == 1
    assert VisitFact.objects.filter(ticket=called).count() == 1


@pytest.mark.django_db(transaction=True)
def test_call_next_pressed_many_times_at_once_calls_one_citizen(room_for_racers: None) -> None:
    centre = make_centre(counters=1)
    ticket_ids = [issue(centre).pk for _ in range(8)]
    [(staff, session)] = open_counters(centre, [centre.passports])

    def press(_index: int, _round: int) -> int | str:
        try:
            ticket = services.call_next(session, staff)
        except CounterConflict as refusal:
            return refusal.code
        assert ticket is not None
        return ticket.pk

    outcomes = [outcome for results in race(8, press) for outcome in results]

    called = [outcome for outcome in outcomes if isinstance(outcome, int)]
    assert len(called) == 1 and called[0] in ticket_ids
    assert (
        sorted(outcome for outcome in outcomes if isinstance(outcome, str)) == ["counter_busy"] * 7
    )
    at_counter = Ticket.objects.filter(counter=centre.counters[0], status=TicketStatus.CALLED)
    assert list(at_counter.values_list("id", flat=True)) == called
    assert TicketEvent.objects.filter(kind=EventKind.CALLED).count() == 1


def call_while_closing(centre: Centre, staff: User) -> tuple[str, str]:
    """Open the counter, then call next and close it at once; return both outcomes."""
    issue(centre)
    session = services.open_counter(centre.counters[0], staff, [centre.passports])

    def call_or_close(index: int, _round: int) -> str:
        try:
            if index == 0:
                return "called" if services.call_next(session, staff) else "nobody"
            services.close_counter(session, staff)
            return "closed"
        except IllegalTransition as refusal:
            return refusal.code

    [[call], [close]] = race(2, call_or_close)
    held = Ticket.objects.filter(counter=centre.counters[0], status=TicketStatus.CALLED)
    for ticket in held:
        services.finish(ticket, staff, outcome=Outcome.RESOLVED_FIRST_CONTACT)
    session.refresh_from_db()
    if session.closed_at is None:
        services.close_counter(session, staff)
    return call, close


@pytest.mark.django_db(transaction=True)
def test_closing_a_counter_while_it_calls_never_leaves_a_citizen_at_a_closed_counter(
    room_for_racers: None,
) -> None:
    centre = make_centre(counters=1)
    staff = make_staff()

    outcomes = {call_while_closing(centre, staff) for _attempt in range(40)}

    # Either the call came first and the counter stays open with its citizen, or the counter
    # closed first and the call was refused; never both.
    assert outcomes <= {("called", "holding_ticket"), ("not_open", "closed")}, outcomes
