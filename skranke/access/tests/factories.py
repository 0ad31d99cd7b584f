"""Small builders for access tests."""

from __future__ import annotations

import itertools
from typing import Any

from django.contrib.auth.models import User

from skranke.access.models import DeviceAccount, DevicePurpose
from skranke.organisation.models import Location, Role, StaffProfile

_numbers = itertools.count(1)


def make_location(**fields: Any) -> Location:
    number = next(_numbers)
    fields.setdefault("name", f"Borgerservice {number}")
    fields.setdefault("slug", f"centre-{number}")
    return Location.objects.create(**fields)


def make_staff(role: Role, locations: list[Location] | None = None, **fields: Any) -> User:
    fields.setdefault("username", f"staff-{next(_numbers)}")
    user = User.objects.create_user(password="a-long-test-password", **fields)
    profile = StaffProfile.objects.create(user=user, role=role)
    profile.locations.set(locations or [])
    return user


def make_device(
    location: Location | None = None, purpose: DevicePurpose = DevicePurpose.KIOSK
) -> DeviceAccount:
    return DeviceAccount.objects.create(
        location=location or make_location(), purpose=purpose, name=f"Device {next(_numbers)}"
    )
