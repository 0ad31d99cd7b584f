"""The permission matrix and the helpers that enforce it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from skranke.access.models import DevicePurpose
from skranke.access.permissions import (
    MATRIX,
    Capability,
    DeviceRole,
    device_has_capability,
    requires,
    user_has_capability,
)
from skranke.access.services import new_pairing_token, pair_device, revoke_device
from skranke.access.tests.factories import make_device, make_location, make_staff
from skranke.api import not_signed_in, permission_denied
from skranke.organisation.models import Location, Role

DOCS = Path(__file__).resolve().parents[3] / "docs" / "permissions.md"
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("capability", list(Capability))
def test_each_role_has_exactly_the_capabilities_of_the_matrix(
    role: Role, capability: Capability
) -> None:
    user = make_staff(role)
    assert user_has_capability(user, capability) is (capability in MATRIX[role])


def test_the_matrix_gives_counter_staff_no_leading_or_administration() -> None:
    counter_staff = MATRIX[Role.COUNTER_STAFF]
    assert Capability.SERVE_AT_COUNTER in counter_staff
    assert not counter_staff & {Capability.MANAGE_QUEUES, Capability.ADMINISTER}
    assert Capability.VIEW_AUDIT_LOG not in MATRIX[Role.TEAM_LEAD]
    assert Capability.VIEW_AUDIT_LOG in MATRIX[Role.MANAGER]


def test_superuser_counts_as_administrator_without_a_profile() -> None:
    user = User.objects.create_superuser("root", password="a-long-test-password")
    assert user_has_capability(user, Capability.ADMINISTER)
    assert not user_has_capability(user, Capability.USE_KIOSK)


def test_anonymous_inactive_and_profileless_users_have_nothing() -> None:
    inactive = make_staff(Role.ADMINISTRATOR, is_active=False)
    profileless = User.objects.create_user("plain", password="a-long-test-password")
    for user in (AnonymousUser(), inactive, profileless, None):
        assert not any(user_has_capability(user, capability) for capability in Capability)


def test_staff_limited_to_their_centres() -> None:
    home, elsewhere = make_location(), make_location()
    limited = make_staff(Role.COUNTER_STAFF, locations=[home])
    everywhere = make_staff(Role.COUNTER_STAFF)
    assert user_has_capability(limited, Capability.SERVE_AT_COUNTER, home)
    assert not user_has_capability(limited, Capability.SERVE_AT_COUNTER, elsewhere)
    assert user_has_capability(everywhere, Capability.SERVE_AT_COUNTER, elsewhere)


@pytest.mark.parametrize("purpose", list(DevicePurpose))
def test_devices_have_their_purpose_only_and_only_at_their_centre(purpose: str) -> None:
    device = make_device(purpose=DevicePurpose(purpose))
    pair_device(new_pairing_token(device))
    device.refresh_from_db()
    other = make_location()
    for capability in Capability:
        expected = capability in MATRIX[DeviceRole(purpose)]
        assert device_has_capability(device, capability) is expected
        assert device_has_capability(device, capability, device.location) is expected
        assert device_has_capability(device, capability, other) is False
    assert not MATRIX[DeviceRole(purpose)] & {
        Capability.SERVE_AT_COUNTER,
        Capability.ADMINISTER,
        Capability.VIEW_STATISTICS,
    }


def test_unpaired_and_revoked_devices_have_nothing() -> None:
    unpaired = make_device()
    assert not device_has_capability(unpaired, Capability.USE_KIOSK)
    paired = make_device()
    pair_device(new_pairing_token(paired))
    paired.refresh_from_db()
    assert device_has_capability(paired, Capability.USE_KIOSK)
    revoke_device(paired)
    assert not device_has_capability(paired, Capability.USE_KIOSK)


def _location_from_slug(request: HttpRequest, slug: str) -> Location:
    return Location.objects.get(slug=slug)


@requires(Capability.MANAGE_QUEUES, location_from=_location_from_slug)
def _close_queue_view(request: HttpRequest, slug: str) -> HttpResponse:
    return HttpResponse("closed")


def _request(user: object) -> HttpRequest:
    request = RequestFactory().post("/centres/x/close/")
    request.user = user  # type: ignore[assignment]
    request.device = None  # type: ignore[attr-defined]
    return request


def test_requires_sends_anonymous_visitors_to_the_login_page() -> None:
    location = make_location()
    response = _close_queue_view(_request(AnonymousUser()), slug=location.slug)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=")


def test_requires_refuses_the_wrong_role_and_the_wrong_centre() -> None:
    home, elsewhere = make_location(), make_location()
    with pytest.raises(PermissionDenied):
        _close_queue_view(_request(make_staff(Role.COUNTER_STAFF)), slug=home.slug)
    lead = make_staff(Role.TEAM_LEAD, locations=[home])
    with pytest.raises(PermissionDenied):
        _close_queue_view(_request(lead), slug=elsewhere.slug)
    assert _close_queue_view(_request(lead), slug=home.slug).content == b"closed"


def test_api_answers_401_and_403_as_json() -> None:
    request = RequestFactory().get("/api/v1/")
    unauthorised = not_signed_in(request, Exception())  # type: ignore[arg-type]
    forbidden = permission_denied(request, PermissionDenied())
    assert unauthorised.status_code == 401
    assert forbidden.status_code == 403
    assert json.loads(forbidden.content)["detail"]
    assert json.loads(unauthorised.content)["detail"]


def test_the_written_matrix_matches_the_code() -> None:
    rows = re.findall(r"^\| `(\w+)` \| [^|]+ \|(.*)\|$", DOCS.read_text(), flags=re.MULTILINE)
    header = re.search(r"^\| capability \| what it allows \|(.*)\|$", DOCS.read_text(), re.M)
    assert header is not None
    columns = [cell.strip() for cell in header.group(1).split("|")]
    roles = {**{role.value: role for role in Role}, **{role.value: role for role in DeviceRole}}
    written = {
        capability: {
            roles[column]
            for column, cell in zip(columns, cells.split("|"), strict=True)
            if cell.strip() == "yes"
        }
        for capability, cells in rows
    }
    in_code = {
        capability.value: {role for role, granted in MATRIX.items() if capability in granted}
        for capability in Capability
    }
    assert written == in_code
