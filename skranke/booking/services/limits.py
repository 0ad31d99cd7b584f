"""The limits against a script booking out the calendar, counted by one transaction at a time.

- One client (an address, or its /64 network for IPv6, or a paired device) holds at most
  HOLDS_PER_CLIENT slots at once.
- One phone number, and one e-mail address, has at most FUTURE_BOOKINGS_PER_CONTACT future
  bookings of a service. Staff booking on a citizen's behalf are not limited.

Counting and then writing is only safe when nobody else counts in between, so each limit first
locks a BookingGuard row named by a keyed digest of what it limits (an upsert, which takes the
row lock on PostgreSQL; on SQLite the IMMEDIATE transaction already holds the write lock), then
counts. Parallel requests for one client or contact queue at that row; others pass by.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from skranke.booking.errors import BookingRefused
from skranke.booking.models import Appointment, AppointmentStatus, BookingGuard, Hold
from skranke.booking.services.contact import ContactDetails
from skranke.catalogue.models import Service

HOLDS_PER_CLIENT = 2
FUTURE_BOOKINGS_PER_CONTACT = 2


def keyed_digest(kind: str, value: str) -> str:
    """Return a keyed SHA-256 digest (hex) of ``value``: it names a client or contact without
    the address or number itself, and cannot be reversed without the site's secret key."""
    return salted_hmac("skranke.booking." + kind, value, algorithm="sha256").hexdigest()


def lock_guards(names: Iterable[str], now: dt.datetime) -> None:
    """Lock the guard rows named ``names`` (stored as keyed digests) for the rest of the
    transaction, in sorted order, so two transactions locking the same two cannot wait for each
    other."""
    quote = connection.ops.quote_name
    table = quote(BookingGuard._meta.db_table)
    key, touched = quote("key"), quote("touched_at")
    with connection.cursor() as cursor:
        for value in sorted({keyed_digest("guard", name) for name in names}):
            cursor.execute(
                f"INSERT INTO {table} ({key}, {touched}) VALUES (%s, %s) "  # noqa: S608
                f"ON CONFLICT ({key}) DO UPDATE SET {touched} = excluded.{touched}",
                [value, connection.ops.adapt_datetimefield_value(now)],
            )


def check_hold_limit(client_key: str, now: dt.datetime) -> None:
    """Lock the client's guard and raise BookingRefused "hold_limit" when it already holds
    HOLDS_PER_CLIENT live holds. Call inside the transaction that makes the hold."""
    lock_guards([f"holds:{client_key}"], now)
    live = Hold.objects.filter(client_key=client_key, expires_at__gt=now).count()
    if live >= HOLDS_PER_CLIENT:
        raise BookingRefused(
            "hold_limit",
            ngettext_lazy(
                "You are already holding %(count)d time. Book it, or wait until it lapses, "
                "before you choose another.",
                "You are already holding %(count)d times. Book one of them, or wait until "
                "one lapses, before you choose another.",
                HOLDS_PER_CLIENT,
            )
            % {"count": HOLDS_PER_CLIENT},
        )


def check_contact_limit(service: Service, contact: ContactDetails, now: dt.datetime) -> None:
    """Lock the guards of the contact's phone number and e-mail address for ``service`` and
    raise BookingRefused "contact_limit" when either already has FUTURE_BOOKINGS_PER_CONTACT
    future bookings of it. Call inside the transaction that books."""
    given = [("phone", contact.phone), ("email", contact.email)]
    given = [(kind, value) for kind, value in given if value]
    lock_guards((f"contact:{kind}:{value}:{service.pk}" for kind, value in given), now)
    future = Appointment.objects.filter(
        service=service, status=AppointmentStatus.BOOKED, starts_at__gt=now
    )
    for kind, value in given:
        if future.filter(**{kind: value}).count() >= FUTURE_BOOKINGS_PER_CONTACT:
            message = (
                _(
                    "This phone number already has %(count)d appointments for %(service)s. "
                    "Cancel one first, or call us."
                )
                if kind == "phone"
                else _(
                    "This e-mail address already has %(count)d appointments for %(service)s. "
                    "Cancel one first, or call us."
                )
            )
            raise BookingRefused(
                "contact_limit",
                message % {"count": FUTURE_BOOKINGS_PER_CONTACT, "service": service.display_name()},
            )


def delete_guards_before(instant: dt.datetime) -> int:
    """Delete guard rows last touched before ``instant``; return how many."""
    deleted, _by_model = BookingGuard.objects.filter(touched_at__lt=instant).delete()
    return deleted
