"""Pairing devices, recognising them and watching that they are alive, and issuing and checking
API tokens.

Every state change is a conditional UPDATE whose row count says whether it happened, so a
pairing link works once even when two devices open it at the same moment, a device's return is
announced once, and an outage is e-mailed once.

Devices are watched like this. A paired kiosk, display or counter tablet reports a heartbeat
every SKRANKE_DEVICE_HEARTBEAT_SECONDS (and every request it makes counts as one);
``last_seen_at`` is written at most every DEVICE_TOUCH_INTERVAL. A device not heard from for
SKRANKE_DEVICE_SILENT_SECONDS is *silent* (``is_silent``, ``device_states``; the live floor
flags it). The heartbeat that finds it silent brings it back: one writes the ``device_back``
event for the centre's staff stream and clears the outage's alert marker. A device silent for
SKRANKE_DEVICE_OFFLINE_ALERT_MINUTES while its centre was open all that time is e-mailed once to
the centre's team leads (``alert_offline_devices``, run every minute by the worker).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from skranke.access.models import ApiToken, DeviceAccount
from skranke.audit.services import record_action
from skranke.lib.validators import validate_no_cpr
from skranke.messaging.models import Channel, default_language
from skranke.messaging.services import send_message
from skranke.organisation.hours import current_interval
from skranke.organisation.models import Location, Role
from skranke.queue.models import EventKind
from skranke.queue.services.events import record_event

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

API_TOKEN_PREFIX = "skr_"  # noqa: S105 - a recognisable marker, not a secret
# Token use is written at most this often, so busy integrations don't write on every request.
TOUCH_INTERVAL = dt.timedelta(seconds=30)
# A device's heartbeat is written at most this often: below the 20 s beat, so each beat is
# stored, while the page loads and API calls between beats write nothing. With it the stored
# time is never more than a beat and this interval old on a device that is alive.
DEVICE_TOUCH_INTERVAL = dt.timedelta(seconds=15)
# Opening intervals looked back through to see that a centre was open for the whole alert time
# (an always-open centre's days, or hours kept as several rows that meet).
_OPEN_INTERVALS_LOOKED_BACK = 8


def digest(secret: str) -> str:
    """Return the SHA-256 hex digest under which a secret is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_pairing_token(device: DeviceAccount) -> str:
    """Return a new one-time pairing token for ``device``; earlier unused links stop working."""
    token = secrets.token_urlsafe(32)
    expires = timezone.now() + dt.timedelta(hours=settings.SKRANKE_DEVICE_PAIRING_HOURS)
    DeviceAccount.objects.filter(pk=device.pk).update(
        pairing_token_hash=digest(token), pairing_expires_at=expires
    )
    device.pairing_token_hash, device.pairing_expires_at = digest(token), expires
    return token


def device_for_pairing_token(token: str) -> DeviceAccount | None:
    """Return the unrevoked device whose unexpired pairing link holds ``token``, or None."""
    if not token:
        return None
    return (
        DeviceAccount.objects.select_related("location")
        .filter(
            pairing_token_hash=digest(token),
            pairing_expires_at__gt=timezone.now(),
            revoked_at__isnull=True,
        )
        .first()
    )


def pair_device(token: str) -> tuple[DeviceAccount, str] | None:
    """Use a pairing token: return the device and its new sign-in credential, or None.

    Returns None when the link is unknown, expired, revoked or was used already. A device
    paired again (e.g. a replaced tablet) gets a new credential and the old one stops working.
    """
    device = device_for_pairing_token(token)
    if device is None:
        return None
    credential = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        if not _use_pairing_token(device, token, credential, now):
            return None
        device.refresh_from_db()
        # Who paired it, and from which address, is filled in from the request.
        record_action(
            None, "device_paired", device, {"name": device.name, "purpose": device.purpose}
        )
    return device, credential


def _use_pairing_token(
    device: DeviceAccount, token: str, credential: str, now: dt.datetime
) -> bool:
    """Spend ``token`` on ``device``; True when this request won it (a link is used once)."""
    won = DeviceAccount.objects.filter(
        pk=device.pk,
        pairing_token_hash=digest(token),
        pairing_expires_at__gt=now,
        revoked_at__isnull=True,
    ).update(
        pairing_token_hash="",
        pairing_expires_at=None,
        credential_hash=digest(credential),
        paired_at=now,
        last_seen_at=now,
    )
    return won == 1


def device_for_credential(credential: str) -> DeviceAccount | None:
    """Return the active device signed in with ``credential``, or None."""
    if not credential:
        return None
    return (
        DeviceAccount.objects.select_related("location", "counter")
        .filter(credential_hash=digest(credential), revoked_at__isnull=True)
        .exclude(credential_hash="")
        .first()
    )


def silent_after() -> dt.timedelta:
    """Return how long a device may go unheard before it counts as silent."""
    return dt.timedelta(seconds=settings.SKRANKE_DEVICE_SILENT_SECONDS)


def is_silent(last_seen_at: dt.datetime | None, now: dt.datetime) -> bool:
    """Return True when a device last seen at ``last_seen_at`` (None: never) is silent at ``now``.

    The same rule as the conditional UPDATE in ``record_heartbeat``: silent from
    SKRANKE_DEVICE_SILENT_SECONDS on.
    """
    return last_seen_at is None or last_seen_at <= now - silent_after()


def record_heartbeat(device: DeviceAccount, now: dt.datetime | None = None) -> bool:
    """Note that ``device`` was seen at ``now``; return True when this beat brought it back.

    ``last_seen_at`` is written at most every DEVICE_TOUCH_INTERVAL. When the row as read was
    silent (or never seen), one conditional UPDATE writes the new time only where the stored one
    is still silent, so of concurrent requests exactly one wins; the winner records the
    ``device_back`` event for the centre's staff stream and clears the outage's alert marker in
    the same transaction. ``device`` is the row as the request read it.
    """
    now = now or timezone.now()
    seen = device.last_seen_at
    # As for API tokens: only a due write reaches the database, once across concurrent requests.
    if seen is not None and seen > now - DEVICE_TOUCH_INTERVAL:
        return False
    if not is_silent(seen, now):
        DeviceAccount.objects.filter(
            pk=device.pk, last_seen_at__lte=now - DEVICE_TOUCH_INTERVAL
        ).update(last_seen_at=now)
        device.last_seen_at = now
        return False
    with transaction.atomic():
        came_back = DeviceAccount.objects.filter(
            Q(last_seen_at__isnull=True) | Q(last_seen_at__lte=now - silent_after()),
            pk=device.pk,
            revoked_at__isnull=True,
        ).update(last_seen_at=now, offline_alert_sent_at=None)
        if came_back:
            record_event(
                EventKind.DEVICE_BACK,
                location_id=device.location_id,
                at=now,
                data={"device": device.pk},
            )
    if came_back:
        device.last_seen_at, device.offline_alert_sent_at = now, None
    return came_back == 1


@dataclass(frozen=True)
class DeviceState:
    """A device as the live floor shows it: whether it is paired yet, when it was last heard
    from, and whether it is silent (``is_silent``) now. One waiting for pairing is never silent:
    nobody has switched it on yet."""

    device: DeviceAccount
    last_seen_at: dt.datetime | None
    silent: bool
    paired: bool = True


def device_states(location: Location, now: dt.datetime | None = None) -> list[DeviceState]:
    """Return the unrevoked devices of ``location`` by purpose and name, each with whether it
    is paired and silent at ``now``: one statement."""
    now = now or timezone.now()
    devices = (
        DeviceAccount.objects.filter(location=location, revoked_at__isnull=True)
        .select_related("counter")
        .order_by("purpose", "name")
    )
    return [
        DeviceState(
            device,
            device.last_seen_at,
            bool(device.credential_hash) and is_silent(device.last_seen_at, now),
            paired=bool(device.credential_hash),
        )
        for device in devices
    ]


def _silent_since_before(instant: dt.datetime) -> Q:
    """Devices not heard from since before ``instant``. A paired device's last_seen_at is set
    when it pairs; one without (paired before heartbeats were kept) counts from pairing."""
    return Q(last_seen_at__lt=instant) | Q(last_seen_at__isnull=True, paired_at__lt=instant)


def alert_offline_devices(now: dt.datetime | None = None) -> int:
    """E-mail the team leads about each device offline too long; return how many were reported.

    A paired, unrevoked device of an active centre is reported when it has not been heard from
    for SKRANKE_DEVICE_OFFLINE_ALERT_MINUTES and its centre has been open (attendance hours)
    all that time, so devices switched on at opening time are not reported for the night. Each
    outage is reported once: a conditional UPDATE sets ``offline_alert_sent_at`` where it is
    still empty, and only the sweep that wins it sends, in the same transaction; the device's
    return empties it again (``record_heartbeat``).
    """
    now = now or timezone.now()
    since = now - dt.timedelta(minutes=settings.SKRANKE_DEVICE_OFFLINE_ALERT_MINUTES)
    candidates = (
        DeviceAccount.objects.filter(
            _silent_since_before(since),
            revoked_at__isnull=True,
            offline_alert_sent_at__isnull=True,
            location__active=True,
        )
        .exclude(credential_hash="")
        .select_related("location")
        .order_by("location_id", "purpose", "name")
    )
    open_throughout: dict[int, bool] = {}
    reported = 0
    for device in candidates:
        if device.location_id not in open_throughout:
            open_throughout[device.location_id] = _open_throughout(device.location, since, now)
        if open_throughout[device.location_id] and _report_offline(device, since, now):
            reported += 1
    return reported


def _open_throughout(location: Location, start: dt.datetime, end: dt.datetime) -> bool:
    """Return True when ``location`` is open for attendance at every instant of [start, end]."""
    moment = end
    for _step in range(_OPEN_INTERVALS_LOOKED_BACK):
        interval = current_interval(location, moment)
        if interval is None:
            return False
        if interval.start <= start:
            return True
        # Intervals are half-open: the instant before this one opened belongs to the one before.
        moment = interval.start - dt.timedelta(microseconds=1)
    return False


def _report_offline(device: DeviceAccount, since: dt.datetime, now: dt.datetime) -> bool:
    """Claim this outage of ``device`` and e-mail its centre's team leads; False when another
    sweep claimed it first or the device was heard from meanwhile."""
    with transaction.atomic():
        claimed = DeviceAccount.objects.filter(
            _silent_since_before(since),
            pk=device.pk,
            revoked_at__isnull=True,
            offline_alert_sent_at__isnull=True,
        ).update(offline_alert_sent_at=now)
        if not claimed:
            return False
        addresses = team_lead_addresses(device.location)
        if not addresses:
            logger.warning(
                "Device %s is offline, and its centre has no team lead to tell", device.pk
            )
        language = default_language()
        with translation.override(language):
            subject, body = _offline_message(device)
        for address in addresses:
            try:
                send_message(
                    channel=Channel.EMAIL,
                    recipient=address,
                    subject=subject,
                    body=body,
                    language=language,
                )
            except ValidationError:
                # One unusable address must not keep the others from hearing of it.
                logger.warning("A team lead's e-mail address was refused; not sent there")
    return True


def team_lead_addresses(location: Location) -> list[str]:
    """Return the e-mail addresses of the active team leads of ``location``: those whose
    profile lists it, or lists no centre (they work at all)."""
    users = (
        get_user_model()
        .objects.filter(is_active=True, staff_profile__role=Role.TEAM_LEAD)
        .filter(Q(staff_profile__locations=location) | Q(staff_profile__locations__isnull=True))
        .exclude(email="")
    )
    return sorted(set(users.values_list("email", flat=True)))


def _offline_message(device: DeviceAccount) -> tuple[str, str]:
    """Return the subject and text of the e-mail about ``device``, in the active language."""
    last_seen = device.last_seen_at or device.paired_at
    assert last_seen is not None  # A paired device (_silent_since_before).
    values = {
        "purpose": device.get_purpose_display(),
        "device": device.name,
        "centre": device.location.name,
        "since": formats.date_format(timezone.localtime(last_seen), "DATETIME_FORMAT"),
    }
    subject = _("Skranke: %(device)s at %(centre)s is offline") % values
    body = (
        _(
            "The %(purpose)s “%(device)s” at %(centre)s has not been heard from since %(since)s, "
            "while the centre is open.\n\n"
            "Check that it is switched on, connected to the network and showing its page. "
            "This e-mail is sent once per outage; the live floor shows when the device is back."
        )
        % values
    )
    return subject, body


def revoke_device(device: DeviceAccount) -> bool:
    """Sign ``device`` out for good; returns False when it was revoked already."""
    now = timezone.now()
    revoked = DeviceAccount.objects.filter(pk=device.pk, revoked_at__isnull=True).update(
        revoked_at=now, pairing_token_hash="", pairing_expires_at=None
    )
    device.revoked_at = device.revoked_at or now
    return revoked == 1


def create_api_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns it with the secret, which is shown only now.

    Raises django.core.exceptions.ValidationError (code "cpr") when ``name`` holds a CPR number.
    """
    validate_no_cpr(name)
    secret = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=secret[:12], token_hash=digest(secret)
    )
    return token, secret


def user_for_api_token(secret: str) -> User | None:
    """Return the active user of an unrevoked token, noting its use; None otherwise."""
    if not secret.startswith(API_TOKEN_PREFIX):
        return None
    # get(), not first(): the hash is unique, and an ORDER BY over the joined columns would cost
    # more to build than the statement takes to run.
    try:
        token = ApiToken.objects.select_related("user", "user__staff_profile").get(
            token_hash=digest(secret), revoked_at__isnull=True, user__is_active=True
        )
    except ApiToken.DoesNotExist:
        return None
    now = timezone.now()
    # The row just read says whether a write is due, so most requests write nothing; the
    # condition in the UPDATE still keeps concurrent requests from writing it twice.
    if token.last_used_at is None or token.last_used_at < now - TOUCH_INTERVAL:
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - TOUCH_INTERVAL)
        ).update(last_used_at=now)
    return token.user


def revoke_api_token(token: ApiToken) -> bool:
    """Revoke ``token``; returns False when it was revoked already."""
    now = timezone.now()
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
    token.revoked_at = token.revoked_at or now
    return revoked == 1
