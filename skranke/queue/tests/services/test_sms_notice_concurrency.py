"""Counters calling at once, and workers sending notices at once, still send each citizen's
"your turn is coming" SMS exactly once (skranke.queue.services.notices; DESIGN.md, Targets: a
concurrency test proves itself).

The racers start together at a barrier, each thread on its own database connection. The guard
was removed once, in a copy of the code (the ``notice_sent_at__isnull=True`` condition in
``notices._send_notice``'s UPDATE), and both tests run on PostgreSQL: both failed, with
citizens sent the same SMS two to eight times. On SQLite the IMMEDIATE transactions serialise
the sending jobs, so the workers' race passed there even without the guard.
"""

from __future__ import annotations

import json
import time
from collections import Counter as Tally
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from skranke.jobs.worker import Worker
from skranke.messaging.models import Message
from skranke.queue import services
from skranke.queue.models import Ticket, TicketStatus
from skranke.queue.services.notices import send_due_notices
from skranke.queue.tests.factories import Centre, make_centre, open_counters
from skranke.queue.tests.services.test_concurrency import (  # noqa: F401 (room_for_racers is a fixture)
    issue_waiting,
    race,
    room_for_racers,
)

# Generous, for a loaded machine; a notice that never goes out still ends the test.
DEADLINE_SECONDS = 60.0


@pytest.fixture(autouse=True)
def _sms_settings(settings: Any, tmp_path: Path) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SKRANKE_SMS_BACKEND = "file"
    settings.SKRANKE_SMS_FILE = tmp_path / "sms.jsonl"


def sent_to(settings: Any) -> Tally[str]:
    """Return how many SMS the file backend wrote to each number."""
    path = Path(settings.SKRANKE_SMS_FILE)
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return Tally(json.loads(line)["to"] for line in lines)


def opt_in_everyone(centre: Centre, ticket_ids: list[int]) -> dict[int, str]:
    """Give every ticket a phone number of its own; return the numbers by ticket id."""
    phones = {ticket_id: f"+452000{index:04d}" for index, ticket_id in enumerate(ticket_ids)}
    for ticket_id, phone in phones.items():
        Ticket.objects.filter(pk=ticket_id).update(notify_phone=phone, notify_language="da")
    return phones


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_counters_calling_at_once_send_each_citizen_one_sms(
    settings: Any,
    room_for_racers: None,  # noqa: F811 (the fixture imported above)
) -> None:
    settings.SKRANKE_SMS_NOTICE_PLACES_AHEAD = 3
    centre = make_centre(counters=8)
    ticket_ids = issue_waiting(centre, 48)
    phones = opt_in_everyone(centre, ticket_ids)
    desks = open_counters(centre, [centre.passports])

    def call_send_and_park(index: int, _round: int) -> int:
        staff, session = desks[index]
        # Each call commits on this thread's connection, so its check runs and enqueues a
        # notice job; every racer is also a worker, so the jobs race each other as well.
        ticket = services.call_next(session, staff)
        assert ticket is not None
        worker = Worker(name=f"racer-{index}")
        deadline = time.monotonic() + DEADLINE_SECONDS
        # A citizen parked before their notice went out gets none until called back, so the
        # counter waits for it, as the citizen's walk to the counter would. Another racer's
        # worker may be sending it right now; this one runs whatever is left.
        while not Ticket.objects.filter(pk=ticket.pk, notice_sent_at__isnull=False).exists():
            assert time.monotonic() < deadline, f"no notice for {ticket} in time"
            worker.run_once()
        # Parking frees the counter but keeps the visit (and its number) going.
        services.park(ticket, staff)
        return ticket.pk

    called = race(len(desks), call_send_and_park, rounds=6)
    Worker(name="last").run_once()

    assert sorted(pk for calls in called for pk in calls) == sorted(ticket_ids)
    assert Ticket.objects.filter(pk__in=ticket_ids, status=TicketStatus.PARKED).count() == 48
    assert sent_to(settings) == Tally(phones.values())
    assert Message.objects.count() == 48
    assert not Ticket.objects.filter(pk__in=ticket_ids, notice_sent_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_workers_sending_the_same_notices_at_once_send_each_once(
    settings: Any,
    room_for_racers: None,  # noqa: F811 (the fixture imported above)
) -> None:
    # Everyone in line is due at once, and eight jobs for the queue run at the same moment.
    settings.SKRANKE_SMS_NOTICE_PLACES_AHEAD = 50
    centre = make_centre()
    ticket_ids = issue_waiting(centre, 30)
    opt_in_everyone(centre, ticket_ids)

    def send(_index: int, _round: int) -> int:
        with transaction.atomic():
            return send_due_notices(centre.passports.pk)

    sent = [count for counts in race(8, send) for count in counts]

    assert sum(sent) == 30
    assert Message.objects.count() == 30
    notice_messages = Ticket.objects.filter(pk__in=ticket_ids).values_list(
        "notice_message", flat=True
    )
    assert len(set(notice_messages)) == 30 and None not in notice_messages
