"""Small builders for number-system tests: an always-open centre with two queues, staff,
paired devices, opening hours around the present, and JSON calls to the API."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from skranke.access.middleware import DEVICE_COOKIE
from skranke.access.models import DeviceAccount, DevicePurpose
from skranke.access.services import new_pairing_token, pair_device
from skranke.catalogue.models import Queue, QueueKind, Service, SubjectArea
from skranke.lib.localtime import local_date, local_zone
from skranke.organisation.models import (
    MIDNIGHT,
    Counter,
    HoursKind,
    Location,
    OpeningException,
    OpeningHours,
    Role,
    StaffProfile,
)
from skranke.queue import services
from skranke.queue.models import CounterSession, Source, Ticket

_numbers = itertools.count(1)


@dataclass
class Centre:
    location: Location
    passports: Queue
    general: Queue
    back_office: Queue
    passport: Service
    moving: Service
    counters: list[Counter]


def make_centre(counters: int = 3, **location_fields: Any) -> Centre:
    """Return an always-open centre (unless told otherwise) with P, B and BO queues."""
    number = next(_numbers)
    location_fields.setdefault("always_open", True)
    location = Location.objects.create(
        name=f"Borgerservice {number}", slug=f"centre-{number}", **location_fields
    )
    passports_area = SubjectArea.objects.create(
        name=f"Pas {number}", slug=f"pas-{number}", name_en="Passports"
    )
    register_area = SubjectArea.objects.create(
        name=f"Folkeregister {number}", slug=f"folkeregister-{number}"
    )
    passport = Service.objects.create(
        subject_area=passports_area, name="Pas", slug=f"pas-voksen-{number}", typical_duration=15
    )
    moving = Service.objects.create(
        subject_area=register_area, name="Flytning", slug=f"flytning-{number}", typical_duration=8
    )
    passports = Queue.objects.create(location=location, prefix="P", name="Pas")
    passports.services.set([passport])
    general = Queue.objects.create(location=location, prefix="B", name="Borgerservice")
    general.services.set([moving])
    back_office = Queue.objects.create(
        location=location, prefix="BO", name="Back office", kind=QueueKind.BACK
    )
    return Centre(
        location=location,
        passports=passports,
        general=general,
        back_office=back_office,
        passport=passport,
        moving=moving,
        counters=[
            Counter.objects.create(location=location, number=n) for n in range(1, counters + 1)
        ],
    )


def make_staff(
    role: Role = Role.COUNTER_STAFF, locations: list[Location] | None = None, **fields: Any
) -> User:
    """Return a staff member; ``locations`` limits them to those centres (default: all)."""
    fields.setdefault("username", f"staff-{next(_numbers)}")
    user = User.objects.create_user(password="a-long-test-password", **fields)
    profile = StaffProfile.objects.create(user=user, role=role)
    profile.locations.set(locations or [])
    return user


def make_staff_client(user: User) -> Client:
    """Return a test client signed in (by session) as ``user``."""
    client = Client()
    client.force_login(user)
    return client


def make_device_client(
    location: Location, purpose: DevicePurpose = DevicePurpose.KIOSK
) -> tuple[Client, DeviceAccount]:
    """Return a client carrying the sign-in cookie of a newly paired device, and the device."""
    device = DeviceAccount.objects.create(
        location=location, purpose=purpose, name=f"Device {next(_numbers)}"
    )
    paired = pair_device(new_pairing_token(device))
    assert paired is not None
    device, credential = paired
    client = Client()
    client.cookies[DEVICE_COOKIE] = credential
    return client, device


def post_json(client: Client, path: str, data: Any = None) -> HttpResponse:
    """POST ``data`` as a JSON body (no body at all when None)."""
    if data is None:
        return client.post(path)
    return client.post(path, json.dumps(data), content_type="application/json")


def open_today_until(location: Location, closes_in: dt.timedelta) -> None:
    """Make ``location`` open today from midnight until ``closes_in`` from now (whole minutes).

    Hours placed around the real present let a test reach the cut-off without freezing the
    clock; when that would be past local midnight, the centre closes at midnight.
    """
    location.always_open = False
    location.save(update_fields=["always_open"])
    now = timezone.now().astimezone(local_zone())
    closing = (now + closes_in).replace(second=0, microsecond=0)
    closes = closing.time() if closing.date() == now.date() else MIDNIGHT
    OpeningException.objects.create(
        location=location, date=local_date(now), opens=MIDNIGHT, closes=closes
    )


def copenhagen(day: dt.date, hour: int, minute: int = 0, *, fold: int = 0) -> dt.datetime:
    """Return the instant (in UTC) when Copenhagen clocks show ``hour:minute`` on ``day``.

    ``fold=1`` picks the second occurrence of a wall-clock time repeated on the autumn change.
    The result is in UTC because two aware datetimes sharing one ZoneInfo are compared by wall
    clock, which would make the two 02:30s of 2026-10-25 equal.
    """
    wall = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=local_zone())
    return wall.replace(fold=fold).astimezone(dt.UTC)


def set_weekly_hours(
    location: Location, opens: dt.time, closes: dt.time, weekdays: range = range(5)
) -> None:
    """Give a centre the same attendance hours on ``weekdays`` (Monday = 0) and stop it being
    always open."""
    location.always_open = False
    location.save(update_fields=["always_open"])
    for weekday in weekdays:
        OpeningHours.objects.create(
            location=location,
            kind=HoursKind.ATTENDANCE,
            weekday=weekday,
            opens=opens,
            closes=closes,
        )


def issue(
    centre: Centre, service: Service | None = None, *, now: dt.datetime | None = None, **fields: Any
) -> Ticket:
    """Draw a kiosk number for ``service`` (default: a passport) through the service layer."""
    return services.issue_ticket(
        centre.location, service or centre.passport, source=Source.KIOSK, now=now, **fields
    )


def open_counters(
    centre: Centre, queues: list[Queue], *, now: dt.datetime | None = None
) -> list[tuple[User, CounterSession]]:
    """Open every counter of ``centre`` for a staff member of its own, serving ``queues``."""
    opened = []
    for counter in centre.counters:
        staff = make_staff()
        opened.append((staff, services.open_counter(counter, staff, queues, now=now)))
    return opened


def use_api_test_settings(settings: Any) -> None:
    """Adjust pytest-django's ``settings`` for API tests: no anonymous rate limit (every test
    request comes from one address; the limit has a test of its own) and a fast password hash
    (staff are created in nearly every test)."""
    settings.SKRANKE_RATE_LIMITS_ENABLED = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
