"""Fixtures shared by the number system's tests. Models are imported inside the fixtures:
pytest reads this file before Django is set up."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from django.test import Client

    from skranke.booking.tests.factories import BookingCentre
    from skranke.queue.tests.factories import Centre


@pytest.fixture
def api_settings(settings: Any) -> Any:
    """The settings the API and page tests run with (skranke.queue.tests.factories)."""
    from skranke.queue.tests.factories import use_api_test_settings

    use_api_test_settings(settings)
    return settings


@pytest.fixture
def centre() -> Centre:
    """A centre open now, with its queues, services and counters."""
    from skranke.queue.tests.factories import make_centre

    return make_centre()


@pytest.fixture
def kiosk(centre: Centre) -> Client:
    """A browser signed in as the centre's paired kiosk."""
    from skranke.access.models import DevicePurpose
    from skranke.queue.tests.factories import make_device_client

    client, _device = make_device_client(centre.location, DevicePurpose.KIOSK)
    return client


@pytest.fixture
def booking(centre: Centre) -> BookingCentre:
    """The centre's appointment calendar, booking passports five at a time."""
    from skranke.booking.tests.factories import book_passports_at

    return book_passports_at(centre, capacity=5)
