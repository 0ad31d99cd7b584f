"""Who may do what: the one permission matrix, and the helpers every view and endpoint uses.

Actors are staff (by their profile's role; superusers count as administrators), paired devices
(by their purpose) and anonymous citizens. Citizens' pages and endpoints (kiosk ticket, mobile
ticket, booking, survey) need no capability; everything else names one. The matrix is written
out for people in docs/permissions.md, and a test keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from skranke.organisation.models import Location, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from skranke.access.models import DeviceAccount


class DeviceRole(StrEnum):
    """The roles of paired devices; they mirror DevicePurpose's values."""

    KIOSK = "kiosk"
    DISPLAY = "display"
    COUNTER_SCREEN = "counter_screen"


class Capability(StrEnum):
    USE_KIOSK = "use_kiosk"
    SHOW_DISPLAY = "show_display"
    SHOW_COUNTER_SCREEN = "show_counter_screen"
    ISSUE_TICKET_FOR_CITIZEN = "issue_ticket_for_citizen"
    SERVE_AT_COUNTER = "serve_at_counter"
    REGISTER_CONTACT = "register_contact"
    MANAGE_BOOKINGS = "manage_bookings"
    MANAGE_QUEUES = "manage_queues"
    VIEW_LIVE_FLOOR = "view_live_floor"
    VIEW_STATISTICS = "view_statistics"
    PUBLISH_REPORTS = "publish_reports"
    PLAN_STAFFING = "plan_staffing"
    VIEW_AUDIT_LOG = "view_audit_log"
    MANAGE_DEVICES = "manage_devices"
    ADMINISTER = "administer"


CAPABILITY_LABELS: dict[Capability, Any] = {
    Capability.USE_KIOSK: _("draw numbers and check in at a kiosk"),
    Capability.SHOW_DISPLAY: _("show the public display screen"),
    Capability.SHOW_COUNTER_SCREEN: _("show the screen at one counter"),
    Capability.ISSUE_TICKET_FOR_CITIZEN: _("issue a number on a citizen's behalf (floor guide)"),
    Capability.SERVE_AT_COUNTER: _("open a counter and serve citizens"),
    Capability.REGISTER_CONTACT: _("register phone, e-mail and other contacts"),
    Capability.MANAGE_BOOKINGS: _("book, move and cancel appointments on a citizen's behalf"),
    Capability.MANAGE_QUEUES: _("close a queue, mark a case urgent"),
    Capability.VIEW_LIVE_FLOOR: _("watch the live floor"),
    Capability.VIEW_STATISTICS: _("read statistics"),
    Capability.PUBLISH_REPORTS: _("publish the annual service report"),
    Capability.PLAN_STAFFING: _("plan staffing and opening hours"),
    Capability.VIEW_AUDIT_LOG: _("read the audit log"),
    Capability.MANAGE_DEVICES: _("pair and revoke devices, issue API tokens"),
    Capability.ADMINISTER: _("set up centres, services, queues, staff and goals"),
}

ActorRole = Role | DeviceRole

_STAFF_AT_COUNTER = {
    Capability.ISSUE_TICKET_FOR_CITIZEN,
    Capability.SERVE_AT_COUNTER,
    Capability.REGISTER_CONTACT,
    Capability.MANAGE_BOOKINGS,
}
_LEADING = {
    Capability.MANAGE_QUEUES,
    Capability.VIEW_LIVE_FLOOR,
    Capability.VIEW_STATISTICS,
    Capability.PLAN_STAFFING,
}

MATRIX: dict[ActorRole, frozenset[Capability]] = {
    Role.COUNTER_STAFF: frozenset(_STAFF_AT_COUNTER),
    Role.TEAM_LEAD: frozenset(_STAFF_AT_COUNTER | _LEADING),
    Role.MANAGER: frozenset(
        _STAFF_AT_COUNTER | _LEADING | {Capability.PUBLISH_REPORTS, Capability.VIEW_AUDIT_LOG}
    ),
    Role.ADMINISTRATOR: frozenset(
        set(Capability)
        - {Capability.USE_KIOSK, Capability.SHOW_DISPLAY, Capability.SHOW_COUNTER_SCREEN}
    ),
    DeviceRole.KIOSK: frozenset({Capability.USE_KIOSK}),
    DeviceRole.DISPLAY: frozenset({Capability.SHOW_DISPLAY}),
    DeviceRole.COUNTER_SCREEN: frozenset({Capability.SHOW_COUNTER_SCREEN}),
}


def staff_role(user: AbstractBaseUser | AnonymousUser | None) -> Role | None:
    """Return an active signed-in user's role (superusers are administrators), else None."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if getattr(user, "is_superuser", False):
        return Role.ADMINISTRATOR
    profile = getattr(user, "staff_profile", None)
    return Role(profile.role) if profile is not None else None


def user_has_capability(
    user: AbstractBaseUser | AnonymousUser | None,
    capability: Capability,
    location: Location | None = None,
) -> bool:
    """Return True when ``user``'s role grants ``capability`` (at ``location``, if given).

    Staff whose profile lists centres may act only at those; an empty list means all centres.
    """
    role = staff_role(user)
    if role is None or capability not in MATRIX[role]:
        return False
    if location is None:
        return True
    allowed = allowed_location_ids(user)
    return allowed is None or location.pk in allowed


def allowed_location_ids(user: AbstractBaseUser | AnonymousUser | None) -> frozenset[int] | None:
    """Return the ids of the centres ``user`` may act at, or None for every centre.

    Superusers and staff whose profile lists no centre may act everywhere; anyone else who is
    not active staff with a profile, nowhere (an empty set).
    """
    if staff_role(user) is None:
        return frozenset()
    if getattr(user, "is_superuser", False):
        return None
    profile = user.staff_profile  # type: ignore[union-attr]
    allowed = frozenset(profile.locations.values_list("id", flat=True))
    return allowed or None


def device_has_capability(
    device: DeviceAccount | None, capability: Capability, location: Location | None = None
) -> bool:
    """Return True when an active paired ``device`` may use ``capability`` (at ``location``)."""
    if device is None or not device.is_active:
        return False
    if capability not in MATRIX[DeviceRole(device.purpose)]:
        return False
    return location is None or device.location_id == location.pk


def has_capability(
    request: HttpRequest, capability: Capability, location: Location | None = None
) -> bool:
    """Return True when the request's staff user or paired device may use ``capability``."""
    return user_has_capability(
        getattr(request, "user", None), capability, location
    ) or device_has_capability(getattr(request, "device", None), capability, location)


class NotSignedIn(Exception):
    """Nobody is signed in (no staff session, token or paired device): answer 401."""


def check_capability(
    request: HttpRequest, capability: Capability, location: Location | None = None
) -> None:
    """Return quietly when the request may use ``capability``.

    Raises NotSignedIn when no staff member or device is signed in, and PermissionDenied when
    the one signed in lacks the capability (or the centre).
    """
    if has_capability(request, capability, location):
        return
    user = getattr(request, "user", None)
    signed_in = (user is not None and user.is_authenticated) or getattr(request, "device", None)
    if not signed_in:
        raise NotSignedIn
    raise PermissionDenied(_("You do not have access to this."))


ViewFunction = TypeVar("ViewFunction", bound=Callable[..., HttpResponse])


def requires(
    capability: Capability, location_from: Callable[..., Location | None] | None = None
) -> Callable[[ViewFunction], ViewFunction]:
    """Decorate a page view: anonymous visitors go to the login page, others without the
    capability get 403. ``location_from(request, **kwargs)`` names the centre acted at."""

    def decorate(view: ViewFunction) -> ViewFunction:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            location = location_from(request, **kwargs) if location_from else None
            try:
                check_capability(request, capability, location)
            except NotSignedIn:
                return redirect_to_login(request.get_full_path())
            return view(request, *args, **kwargs)

        return cast(ViewFunction, guarded)

    return decorate
