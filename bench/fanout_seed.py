"""Seeding the fan-out benchmark's database: a centre with counters and waiting tickets, made in a
subprocess (`python -m bench.fanout --setup`) with Django set up on the benchmark database."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

SETUP_MARKER = "FANOUT-SETUP "


def _seed(counters: int, tickets: int) -> dict[str, Any]:
    """Migrate, then create a centre with ``counters`` open counters (each its own staff member
    and API token) and ``tickets`` waiting numbers; return what the load generator needs."""
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from skranke.access.services import create_api_token
    from skranke.catalogue.models import Queue, Service, SubjectArea
    from skranke.organisation.models import Counter, Location, Role, StaffProfile
    from skranke.queue import services
    from skranke.queue.models import Source

    call_command("migrate", verbosity=0, interactive=False)
    suffix = secrets.token_hex(4)
    location = Location.objects.create(
        name=f"Fan-out benchmark {suffix}", slug=f"fanout-{suffix}", always_open=True
    )
    area = SubjectArea.objects.create(name=f"Pas {suffix}", slug=f"pas-{suffix}")
    service = Service.objects.create(
        subject_area=area, name="Pas", slug=f"pas-{suffix}", typical_duration=10
    )
    queue = Queue.objects.create(location=location, prefix="P", name="Pas")
    queue.services.set([service])
    staff_tokens = []
    for number in range(1, counters + 1):
        counter = Counter.objects.create(location=location, number=number)
        # A fast hash: the password is never used, only the API token.
        user = User.objects.create(username=f"fanout-{suffix}-{number}")
        user.set_unusable_password()
        user.save(update_fields=["password"])
        StaffProfile.objects.create(user=user, role=Role.COUNTER_STAFF)
        services.open_counter(counter, user, [queue])
        _token, secret = create_api_token(user, "fan-out benchmark")
        staff_tokens.append({"counter": counter.pk, "token": secret})
    for _ in range(tickets):
        services.issue_ticket(location, service, source=Source.KIOSK)
    return {"slug": location.slug, "counters": staff_tokens}


def setup_main(counters: int, tickets: int) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "skranke.settings")
    django.setup()
    print(SETUP_MARKER + json.dumps(_seed(counters, tickets)), flush=True)


def seed_database(database_url: str, environment: dict[str, str], counters: int) -> dict[str, Any]:
    """Run the seeding in a subprocess; return its result. Raises RuntimeError on failure."""
    result = subprocess.run(
        [sys.executable, "-m", "bench.fanout", "--setup", "--counters", str(counters)],
        env={**environment, "SKRANKE_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parent.parent,
        check=False,
    )
    for line in result.stdout.splitlines():
        if line.startswith(SETUP_MARKER):
            return dict(json.loads(line[len(SETUP_MARKER) :]))
    raise RuntimeError(f"seeding the fan-out benchmark failed:\n{result.stdout}\n{result.stderr}")
