"""Fuzzing the JSON API (issue 11, "Proofs"): schemathesis generates requests from
/api/v1/openapi.json for every operation except the live streams, and sends them in-process to
the WSGI application as three callers: an anonymous citizen, a team lead with an API token and a
paired kiosk. Every answer must be no 5xx, a status code the operation declares, the declared
content type, and a body that matches the declared schema; and every operation must once be
answered with something other than a refusal (401, 403, 429) to a caller it is meant for.

Generated ids and tokens rarely name a real object, so a case often swaps a path parameter or a
body field for a real one from the seeded centre (tickets in every state, its queues, counters
and services), and before each operation the floor is restocked (an open counter, citizens
waiting, one at the counter for the ticket actions), so that call-next, finish or cancel get
past 404 and 409 too.
"""

from __future__ import annotations

import collections
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.middleware.csrf import CSRF_SECRET_LENGTH
from django.utils import timezone
from django.utils.crypto import get_random_string
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from skranke.access.middleware import DEVICE_COOKIE
from skranke.access.services import create_api_token
from skranke.booking.models import Appointment
from skranke.booking.services import book, clean_contact, first_free_slot, next_free_slots
from skranke.booking.tests.factories import book_passports_at
from skranke.catalogue.models import Queue, Service, SubjectArea
from skranke.organisation.models import Counter, Role
from skranke.queue import services
from skranke.queue.models import (
    AT_COUNTER,
    CancelReason,
    CounterSession,
    Outcome,
    QueueClosure,
    Ticket,
    TicketStatus,
)
from skranke.queue.tests.factories import (
    Centre,
    issue,
    make_centre,
    make_device_client,
    make_staff,
    use_api_test_settings,
)

SCHEMA_PATH = "/api/v1/openapi.json"
# A fixed seed: the same cases every run, so that a finding can be reproduced.
SEED = 20260611
# Cases per operation, caller and mode (data that fits the schema, and data that breaks it); a
# caller the operation is not meant for gets fewer, as each of its cases only meets the refusal.
EXAMPLES = {GenerationMode.POSITIVE: 18, GenerationMode.NEGATIVE: 9}
REFUSED_EXAMPLES = {GenerationMode.POSITIVE: 4, GenerationMode.NEGATIVE: 2}
MINIMUM_CASES = 1_000
# Answers that say the caller may not do this (or not now): an operation only ever answered
# with these was never really exercised.
REFUSALS = {401, 403, 429}
# Whether to swap a generated value for a real one: three times in four.
REAL = st.integers(min_value=1, max_value=4).map(lambda draw: draw > 1)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass
class Caller:
    name: str
    # The security schemes of the OpenAPI document this caller satisfies.
    schemes: frozenset[str]
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)

    def may_call(self, operation: schemathesis.APIOperation) -> bool:
        """Whether the document lets this caller use ``operation``."""
        requirements = operation.definition.raw.get("security") or []
        if not requirements:
            return True
        return any(set(requirement) <= self.schemes for requirement in requirements)


@dataclass
class Tally:
    """What the fuzzing saw: every answer, and every failed check."""

    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    by_caller: dict[str, collections.Counter[int]] = field(
        default_factory=lambda: collections.defaultdict(collections.Counter)
    )
    by_operation: dict[str, collections.Counter[str]] = field(
        default_factory=lambda: collections.defaultdict(collections.Counter)
    )
    # Operations answered with something other than a refusal, to a caller allowed to use them.
    reached: set[str] = field(default_factory=set)
    failures: dict[tuple[str, str, int], str] = field(default_factory=dict)

    @property
    def cases(self) -> int:
        return sum(self.statuses.values())

    def record(self, operation: schemathesis.APIOperation, caller: Caller, status: int) -> None:
        self.statuses[status] += 1
        self.by_caller[caller.name][status] += 1
        self.by_operation[operation.label][f"{status // 100}xx"] += 1
        if status not in REFUSALS and caller.may_call(operation):
            self.reached.add(operation.label)

    def report(self) -> str:
        lines = [f"{self.cases} cases fuzzed; share of each status code:"]
        for status, count in sorted(self.statuses.items()):
            lines.append(f"  {status}: {count:5d}  {count / self.cases:6.1%}")
        for caller, counts in self.by_caller.items():
            spread = ", ".join(f"{status}: {count}" for status, count in sorted(counts.items()))
            lines.append(f"  as {caller}: {spread}")
        lines.append("by operation:")
        for label, classes in self.by_operation.items():
            spread = ", ".join(f"{name}: {count}" for name, count in sorted(classes.items()))
            lines.append(f"  {label}: {spread}")
        return "\n".join(lines)


@dataclass
class World:
    """The seeded centre, its team lead (who fuzzes with a token) and a colleague."""

    centre: Centre
    lead: User
    colleague: User
    callers: list[Caller] = field(default_factory=list)

    @property
    def queues(self) -> list[Queue]:
        return [self.centre.passports, self.centre.general]

    def values(self) -> dict[str, list[Any]]:
        """Return, by parameter or body field name, values that name real objects right now."""
        location = self.centre.location
        here = Ticket.objects.filter(location=location)
        # Every ticket at a counter and the newest in each other state: a few, so that the one
        # a ticket action needs (the citizen at the lead's counter) comes up often.
        picked = set(here.filter(status__in=AT_COUNTER).values_list("pk", flat=True))
        for status in TicketStatus:
            newest = here.filter(status=status).order_by("-pk").values_list("pk", flat=True)
            picked.update(newest[:1])
        tickets = list(
            here.filter(pk__in=picked).order_by("pk").values_list("pk", "token", "display_number")
        )
        queues = list(Queue.objects.filter(location=location).values_list("pk", flat=True))
        services_here = list(Service.objects.filter(queues__location=location).distinct())
        counters = list(Counter.objects.filter(location=location).values_list("pk", flat=True))
        free = next_free_slots(location, self.centre.passport, timezone.now(), limit=3)
        return {
            # Path parameters.
            "slug": [location.slug],
            "code": list(Appointment.objects.values_list("code", flat=True)),
            "token": [token for _pk, token, _number in tickets],
            "ticket_id": [pk for pk, _token, _number in tickets],
            "counter_id": counters,
            "queue_id": queues,
            # Body fields and query parameters.
            "location": [location.slug],
            "service": [service.slug for service in services_here]
            + [str(service.pk) for service in services_here],
            "number": [number for _pk, _token, number in tickets],
            "queue": queues,
            "queues": [queues, queues[:1]],
            "counter": counters,
            "subject_area": list(SubjectArea.objects.values_list("pk", flat=True)),
            "outcome": list(Outcome),
            # Appointments: a free time to hold, book or move to, and its day.
            "start": [slot.start.isoformat() for slot in free],
            "date": [timezone.localdate().isoformat()],
        }

    def seed_floor(self) -> None:
        """Put tickets in every state: waiting, called, serving, parked, no-show, finished and
        cancelled, at the team lead's counter and at the colleague's."""
        centre, lead = self.centre, self.lead
        session = services.open_counter(centre.counters[0], lead, self.queues)
        for _waiting in range(4):
            issue(centre)
            issue(centre, centre.moving)

        finished = services.call_next(session, lead)
        assert finished is not None
        services.start_serving(finished, lead)
        services.finish(finished, lead, outcome=Outcome.RESOLVED_FIRST_CONTACT)

        parked = services.call_next(session, lead)
        assert parked is not None
        services.park(parked, lead)

        absent = services.call_next(session, lead)
        assert absent is not None
        services.recall(absent, lead)
        services.mark_no_show(absent, lead)

        services.cancel(issue(centre), CancelReason.CITIZEN)

        serving = services.call_next(session, lead)
        assert serving is not None
        services.start_serving(serving, lead)

        # Acting on the colleague's citizen is refused (403), never a 5xx.
        other = services.open_counter(centre.counters[1], self.colleague, self.queues)
        assert services.call_next(other, self.colleague) is not None

    def restock(self, ticket_at_counter: bool) -> None:
        """Put back what earlier cases used up: open queues, the team lead's counter open and
        unpaused, citizens waiting, the colleague's counter open; with ``ticket_at_counter`` a
        citizen at the lead's counter, otherwise that counter free."""
        centre, lead = self.centre, self.lead
        QueueClosure.objects.filter(queue__location=centre.location).delete()
        # Cases may have opened the lead at another counter; one session per person.
        open_sessions = CounterSession.objects.filter(staff=lead, closed_at__isnull=True)
        for elsewhere in open_sessions.exclude(counter=centre.counters[0]):
            services.close_abandoned_session(elsewhere, lead)
        session = services.open_counter(centre.counters[0], lead, self.queues)
        waiting = Ticket.objects.filter(location=centre.location, status=TicketStatus.WAITING)
        for _missing in range(3 - waiting.count()):
            issue(centre)
        at_counter = Ticket.objects.filter(counter=centre.counters[0], status__in=AT_COUNTER)
        if ticket_at_counter and not at_counter.exists():
            services.call_next(session, lead)
        elif not ticket_at_counter:
            for ticket in at_counter:
                services.park(ticket, lead)
        if services.open_session(centre.counters[1]) is None:
            services.open_counter(centre.counters[1], self.colleague, self.queues)


@pytest.fixture
def world(transactional_db: None, settings: Any) -> World:
    # Committed rows and autocommit requests, as in production: a request that fails on the
    # database cannot leave an aborted test transaction behind for the cases after it.
    use_api_test_settings(settings)
    world = World(
        centre=make_centre(),
        lead=make_staff(Role.TEAM_LEAD),
        colleague=make_staff(Role.COUNTER_STAFF),
    )
    world.seed_floor()
    booking = book_passports_at(world.centre, capacity=3)
    book(
        world.centre.location,
        world.centre.passport,
        first_free_slot(world.centre.location, world.centre.passport).start,  # type: ignore[union-attr]
        clean_contact("Anna Jensen", phone="20304050"),
        send_confirmation=False,
    )
    assert booking.setup.pk is not None
    _token, secret = create_api_token(world.lead, "fuzzing")
    kiosk, _device = make_device_client(world.centre.location)
    csrf_token = get_random_string(CSRF_SECRET_LENGTH)
    world.callers = [
        Caller("anonymous", frozenset()),
        Caller(
            "staff token",
            frozenset({"ApiTokenAuth"}),
            headers={"Authorization": f"Bearer {secret}"},
        ),
        # A kiosk is a browser: its page sends the CSRF token along with its cookies.
        Caller(
            "kiosk",
            frozenset({"DeviceAuth"}),
            headers={"X-CSRFToken": csrf_token},
            cookies={
                DEVICE_COOKIE: kiosk.cookies[DEVICE_COOKIE].value,
                django_settings.CSRF_COOKIE_NAME: csrf_token,
            },
        ),
    ]
    return world


def _is_stream(operation: schemathesis.APIOperation) -> bool:
    responses = operation.definition.raw.get("responses", {})
    return any(
        "text/event-stream" in (answer.get("content") or {}) for answer in responses.values()
    )


def _operations(schema: schemathesis.BaseSchema) -> Iterator[schemathesis.APIOperation]:
    for result in schema.get_all_operations():
        operation = result.ok()
        if not _is_stream(operation):
            yield operation


def _modes(operation: schemathesis.APIOperation) -> list[GenerationMode]:
    """Data that fits the schema always; data that breaks it where some input can be broken
    (a string in the path cannot be: whatever is sent there is a string; nor an optional
    header that is any string, such as X-Booking-Secret)."""
    raw = operation.definition.raw
    breakable = raw.get("requestBody") or any(
        _breakable(parameter) for parameter in raw.get("parameters", [])
    )
    return list(GenerationMode) if breakable else [GenerationMode.POSITIVE]


def _breakable(parameter: dict[str, Any]) -> bool:
    schema = parameter.get("schema", {})
    if parameter.get("in") == "path":
        return bool(schema.get("type") != "string")
    if parameter.get("in") == "header" and not parameter.get("required"):
        kinds = [option.get("type") for option in schema.get("anyOf", [schema])]
        return set(kinds) - {"string", "null"} != set() or "maxLength" in schema
    return True


def _with_real_values(
    case: schemathesis.Case, data: st.DataObject, values: dict[str, list[Any]]
) -> None:
    """Swap some of ``case``'s path and query parameters and body fields for values naming real
    objects."""
    for name in list(case.path_parameters or {}):
        if values.get(name) and data.draw(REAL, label=f"real {name}"):
            case.path_parameters[name] = data.draw(st.sampled_from(values[name]))
    for name in list(case.query or {}):
        if values.get(name) and data.draw(REAL, label=f"real {name}"):
            case.query[name] = data.draw(st.sampled_from(values[name]))
    if isinstance(case.body, dict):
        for name in list(case.body):
            if values.get(name) and data.draw(REAL, label=f"real {name}"):
                case.body[name] = data.draw(st.sampled_from(values[name]))


def _fuzz(
    operation: schemathesis.APIOperation,
    caller: Caller,
    mode: GenerationMode,
    world: World,
    tally: Tally,
) -> None:
    strategy = operation.as_strategy(generation_mode=mode)
    values = world.values()
    budget = EXAMPLES if caller.may_call(operation) else REFUSED_EXAMPLES

    @seed(SEED)
    @settings(
        max_examples=budget[mode],
        database=None,
        deadline=None,
        # Failed checks are collected rather than raised, so there is nothing to shrink.
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        case = data.draw(strategy, label="case")
        _with_real_values(case, data, values)
        response = case.call(headers=caller.headers, cookies=caller.cookies)
        tally.record(operation, caller, response.status_code)
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as group:
            for failure in group.exceptions:
                key = (operation.label, failure.title, response.status_code)
                tally.failures.setdefault(key, f"as {caller.name} ({mode.value}): {group}")

    run()


def test_every_operation_answers_as_documented_to_every_caller(world: World) -> None:
    from skranke.wsgi import application

    schema = schemathesis.openapi.from_wsgi(SCHEMA_PATH, application)
    operations = list(_operations(schema))
    assert len(operations) >= 20, [operation.label for operation in operations]
    tally = Tally()
    for operation in operations:
        for caller in world.callers:
            world.restock(ticket_at_counter="{ticket_id}" in operation.path)
            for mode in _modes(operation):
                _fuzz(operation, caller, mode, world, tally)

    print(tally.report())
    assert not tally.failures, "\n\n".join(
        f"{label}: {title} [{status}]\n{detail}"
        for (label, title, status), detail in tally.failures.items()
    )
    unreached = sorted({operation.label for operation in operations} - tally.reached)
    assert not unreached, f"only refused (401, 403, 429) to callers meant to use: {unreached}"
    assert tally.cases >= MINIMUM_CASES, tally.cases
