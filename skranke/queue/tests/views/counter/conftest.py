"""Fixtures of the counter page's tests: a centre, a signed-in staff member, fast settings.

Models are imported inside the fixtures: pytest reads this file before Django is set up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.test import Client


@pytest.fixture(autouse=True)
def _fast_settings(api_settings: Any) -> None:
    api_settings.SKRANKE_NO_SHOW_AFTER_RECALLS = 1


@pytest.fixture
def staff() -> User:
    from skranke.queue.tests.factories import make_staff

    return make_staff(username="anna", first_name="Anna", last_name="Andersen")


@pytest.fixture
def client(staff: User) -> Client:
    from skranke.queue.tests.factories import make_staff_client
    from skranke.queue.tests.views.counter.support import english

    return english(make_staff_client(staff))
