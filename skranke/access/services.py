"""Pairing devices, recognising them, and issuing and checking API tokens.

Every state change is a conditional UPDATE whose row count says whether it happened, so a
pairing link works once even when two devices open it at the same moment.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from skranke.access.models import ApiToken, DeviceAccount
from skranke.audit.services import record_action
from skranke.lib.validators import validate_no_cpr

if TYPE_CHECKING:
    from django.contrib.auth.models import User

API_TOKEN_PREFIX = "skr_"  # noqa: S105 - a recognisable marker, not a secret
# Heartbeats and token use are written at most this often, so busy devices don't write on
# every request.
TOUCH_INTERVAL = dt.timedelta(seconds=30)


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


def record_heartbeat(device: DeviceAccount) -> None:
    """Note that ``device`` was seen now (written at most every TOUCH_INTERVAL)."""
    now = timezone.now()
    # As for API tokens: only a due write reaches the database, once across concurrent requests.
    if device.last_seen_at is not None and device.last_seen_at >= now - TOUCH_INTERVAL:
        return
    DeviceAccount.objects.filter(pk=device.pk).filter(
        Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=now - TOUCH_INTERVAL)
    ).update(last_seen_at=now)
    device.last_seen_at = now


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
