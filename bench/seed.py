"""Seed the benchmark database: `python -m bench.seed` (Django settings from the environment).

Prints one JSON object: the centres' slugs, a service to draw numbers for, the counters with
their staff members' API tokens, and tokens of waiting tickets for the simulated citizens.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import sys
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "skranke.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from skranke.access.services import create_api_token  # noqa: E402
from skranke.catalogue.models import Queue, QueueKind, Service  # noqa: E402
from skranke.core.demo import load_demo  # noqa: E402
from skranke.lib.localtime import local_date  # noqa: E402
from skranke.organisation.models import Counter, Location, Role, StaffProfile  # noqa: E402
from skranke.queue import services  # noqa: E402
from skranke.queue.models import DailySequence, Priority, Source, Ticket  # noqa: E402

COUNTERS = 50


def _centre(slug: str, name: str) -> Location:
    location = Location.objects.create(
        slug=slug,
        name=name,
        address="Benchvej 1",
        postal_code="9999",
        city="Benchby",
        always_open=True,
    )
    Counter.objects.bulk_create(
        Counter(location=location, number=number, name="", active=True)
        for number in range(1, COUNTERS + 1)
    )
    return location


def _queue(location: Location, service: Service) -> Queue:
    queue = Queue.objects.create(
        location=location,
        prefix="B",
        name="Borgerservice",
        name_en="Citizen service",
        kind=QueueKind.FRONT,
        daily_quota=None,
        cutoff_minutes=0,
    )
    queue.services.set([service])
    return queue


def _waiting(location: Location, queue: Queue, service: Service, count: int) -> list[str]:
    """Put ``count`` citizens in line as if they drew numbers over the last hour."""
    now = timezone.now()
    day = local_date(now)
    sequence, _created = DailySequence.objects.get_or_create(queue=queue, date=day)
    first = sequence.last_number + 1
    tickets = []
    for offset in range(count):
        number = first + offset
        arrived = now - dt.timedelta(seconds=3600 * (count - offset) / count)
        tickets.append(
            Ticket(
                location=location,
                queue=queue,
                first_queue=queue,
                service=service,
                issue_date=day,
                number=number,
                display_number=f"{queue.prefix}{number:03d}",
                token=secrets.token_urlsafe(16),
                priority=Priority.NORMAL,
                source=Source.KIOSK,
                issued_at=arrived,
                waiting_since=arrived,
            )
        )
    Ticket.objects.bulk_create(tickets, batch_size=2000)
    DailySequence.objects.filter(pk=sequence.pk).update(last_number=first + count - 1)
    return [ticket.token for ticket in tickets]


def _counters(location: Location, queue: Queue, tag: str) -> list[dict[str, Any]]:
    """Open every counter at ``location`` for its own staff member; returns ids and tokens."""
    User = get_user_model()
    opened = []
    for counter in location.counters.order_by("number"):
        user = User.objects.create(username=f"bench-{tag}-{counter.number}", is_staff=True)
        profile = StaffProfile.objects.create(user=user, role=Role.COUNTER_STAFF)
        profile.locations.set([location])
        _token, secret = create_api_token(user, "Benchmark")
        services.open_counter(counter, user, [queue])
        opened.append({"id": counter.pk, "number": counter.number, "token": secret})
    return opened


def seed(waiting: int, deep: int) -> dict[str, Any]:
    with transaction.atomic():
        load_demo()  # the municipality, subject areas and services
        service = Service.objects.get(slug="sundhedskort")
        mixed = _centre("bench", "Benchmark-center")
        mixed_queue = _queue(mixed, service)
        deep_centre = _centre("bench-deep", "Benchmark-center med lang kø")
        deep_queue = _queue(deep_centre, service)
        return {
            "location": mixed.slug,
            "service": service.slug,
            "counters": _counters(mixed, mixed_queue, "m"),
            "citizen_tokens": _waiting(mixed, mixed_queue, service, waiting),
            "deep_location": deep_centre.slug,
            "deep_counters": _counters(deep_centre, deep_queue, "d"),
            "deep_waiting": len(_waiting(deep_centre, deep_queue, service, deep)),
        }


if __name__ == "__main__":
    waiting = int(sys.argv[1]) if len(sys.argv) > 1 else 600
    deep = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    json.dump(seed(waiting, deep), sys.stdout)
