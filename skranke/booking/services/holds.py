"""Holds: a slot kept for SKRANKE_BOOKING_HOLD_MINUTES while a citizen fills in the form.

A hold takes its places in the calendar like a booking (skranke.booking.capacity). When it
lapses the reads count it as free at once; its places are given back, and the row deleted, by
whichever comes first: a write whose time overlaps it (``give_back_lapsed_holds``, inside that
write's transaction) or the periodic job (``release_expired_holds``). Each is one conditional
DELETE of the hold whose row count decides who gives its places back, so they go back once.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from skranke.booking.capacity import Ledger
from skranke.booking.errors import SlotTaken
from skranke.booking.models import Hold, secret_digest
from skranke.booking.services.limits import check_hold_limit, keyed_digest
from skranke.booking.slots import booking_setup, check_slot, next_free_slots
from skranke.catalogue.models import Service
from skranke.organisation.models import Location


@dataclass(frozen=True)
class HeldSlot:
    """A new hold and its token, which is shown once (only its digest is stored)."""

    hold: Hold
    token: str


def client_key(client: str) -> str:
    """Return the stored form of a client (skranke.access.ratelimit.requester_key)."""
    return keyed_digest("client", client)


def hold_slot(
    location: Location,
    service: Service,
    start: dt.datetime,
    *,
    people: int = 1,
    client: str | None,
    now: dt.datetime | None = None,
) -> HeldSlot:
    """Hold the slot for ``people`` at ``start`` for SKRANKE_BOOKING_HOLD_MINUTES.

    ``client`` names who asks (skranke.access.ratelimit.requester_key: a device, or a client
    address); None for staff, who are not limited. Raises what check_slot raises, NotBookable,
    BookingRefused "hold_limit" when the client already holds HOLDS_PER_CLIENT slots, and
    SlotTaken (with the next free slots) when the time has no place left.
    """
    now = now or timezone.now()
    setup = booking_setup(location, service)
    start, end = check_slot(location, setup, start, people, now)
    token = secrets.token_urlsafe(16)
    key = client_key(client) if client is not None else ""
    try:
        with transaction.atomic():
            if key:
                check_hold_limit(key, now)
            ledger = Ledger(location.pk)
            give_back_lapsed_holds(ledger, location.pk, start, end, now)
            ledger.take(start, end)
            ledger.apply()
            hold = Hold.objects.create(
                token_hash=secret_digest(token),
                location=location,
                service=service,
                starts_at=start,
                ends_at=end,
                people=people,
                client_key=key,
                created_at=now,
                expires_at=now + dt.timedelta(minutes=settings.SKRANKE_BOOKING_HOLD_MINUTES),
            )
    except SlotTaken as taken:
        raise taken.with_next_free(
            next_free_slots(location, service, start, people=people, now=now)
        ) from None
    return HeldSlot(hold, token)


def find_hold(token: str) -> Hold | None:
    """Return the hold of ``token`` (live or lapsed), or None."""
    return (
        Hold.objects.select_related("location", "service")
        .filter(token_hash=secret_digest(token))
        .first()
    )


def give_back_lapsed_holds(
    ledger: Ledger, location_id: int, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> None:
    """Delete the lapsed holds at the centre that overlap ``start``–``end`` and add their
    places to ``ledger`` to give back. Call inside the write's transaction, before ``apply``."""
    lapsed = (
        Hold.objects.filter(
            location_id=location_id, expires_at__lte=now, starts_at__lt=end, ends_at__gt=start
        )
        .order_by("pk")
        .values_list("pk", "starts_at", "ends_at")
    )
    for pk, hold_start, hold_end in lapsed:
        if _delete_lapsed(pk, now):
            ledger.give_back(hold_start, hold_end)


def _delete_lapsed(pk: int, now: dt.datetime) -> bool:
    deleted, _by_model = Hold.objects.filter(pk=pk, expires_at__lte=now).delete()
    return bool(deleted)


def release_expired_holds(now: dt.datetime | None = None, batch: int = 500) -> int:
    """Give back the places of lapsed holds and delete them, each in a transaction of its own;
    return how many (at most ``batch``; the periodic job comes round again)."""
    now = now or timezone.now()
    released = 0
    lapsed = Hold.objects.filter(expires_at__lte=now).order_by("expires_at", "pk")
    for pk, location_id, start, end in lapsed.values_list(
        "pk", "location_id", "starts_at", "ends_at"
    )[:batch]:
        with transaction.atomic():
            if _delete_lapsed(pk, now):
                ledger = Ledger(location_id)
                ledger.give_back(start, end)
                ledger.apply()
                released += 1
    return released
