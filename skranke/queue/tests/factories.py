"""Small builders for number-system tests: an always-open centre with two queues."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User

from skranke.catalogue.models import Queue, QueueKind, Service, SubjectArea
from skranke.organisation.models import Counter, Location, Role, StaffProfile

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


def make_staff(role: Role = Role.COUNTER_STAFF, **fields: Any) -> User:
    fields.setdefault("username", f"staff-{next(_numbers)}")
    user = User.objects.create_user(password="a-long-test-password", **fields)
    StaffProfile.objects.create(user=user, role=role)
    return user
