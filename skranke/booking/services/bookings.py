"""Booking, moving and cancelling appointments, and finding one by its code.

Every write is one transaction: the centre's lock first (skranke.booking.services.centre_lock),
then the limits' guard rows (skranke.booking.services.limits), then the holds it uses or gives
back, then the calendar's ticks (skranke.booking.capacity), then the appointment, its messages
and, for staff, the audit entry. That fixed order keeps parallel writers from waiting for each
other in a circle; the ticks decide who gets the last place.

A booking, a held booking and a move check the time against the opening hours twice: before the
transaction, for a quick refusal, and inside it, after the centre's lock, against the hours as
committed then (skranke.booking.slots.check_open). A change of hours takes the same lock before
it saves and cancels the bookings it leaves outside, so a booking can never slip into hours
closed at that moment without its citizen being told. The price: the booking writes at one
centre wait for each other on that lock, for the few milliseconds of each transaction.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from skranke.access.permissions import Capability, user_has_capability
from skranke.audit.services import record_action
from skranke.booking.capacity import Ledger
from skranke.booking.errors import BookingError, BookingNotFound, BookingRefused, SlotTaken
from skranke.booking.models import (
    CODE_ALPHABET,
    CODE_LENGTH,
    Appointment,
    AppointmentStatus,
    BookingSource,
    CancelReason,
    Hold,
    secret_digest,
)
from skranke.booking.services.centre_lock import lock_centre
from skranke.booking.services.contact import ContactDetails
from skranke.booking.services.holds import find_hold, give_back_lapsed_holds
from skranke.booking.services.limits import check_contact_limit
from skranke.booking.services.notify import Notice, send_notice
from skranke.booking.slots import booking_setup, check_open, check_slot, next_free_slots
from skranke.catalogue.models import Service
from skranke.organisation.models import Location

CODE_ATTEMPTS = 5
_CODE_SEPARATORS = str.maketrans("", "", " -")


@dataclass(frozen=True)
class Booked:
    """An appointment and its link secret, which exists only here (its digest is stored)."""

    appointment: Appointment
    secret: str


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _n in range(CODE_LENGTH))


def normalise_code(text: str) -> str | None:
    """Return a reference code as stored ("K7QXM2PA") from what someone typed ("k7qx-m2pa"),
    or None when it cannot be one."""
    code = text.translate(_CODE_SEPARATORS).upper()
    if len(code) != CODE_LENGTH or any(character not in CODE_ALPHABET for character in code):
        return None
    return code


def _check_staff(staff: Any, location: Location) -> None:
    if not user_has_capability(staff, Capability.MANAGE_BOOKINGS, location):
        raise PermissionDenied(_("You do not have access to this."))


def book(
    location: Location,
    service: Service,
    start: dt.datetime,
    contact: ContactDetails,
    *,
    people: int = 1,
    staff: Any = None,
    send_confirmation: bool = True,
    site_url: str = "",
    now: dt.datetime | None = None,
) -> Booked:
    """Book ``service`` at ``location`` for ``people`` at ``start`` (a slot start).

    ``contact`` comes from clean_contact. ``staff`` is the employee booking on the phone
    (source "phone"; needs manage_bookings at the centre; not limited per contact); None for a
    citizen online. Sends the confirmation unless told not to. Raises NotBookable,
    BadBookingInput and BookingRefused "closed" (check_slot; with the next free slots when the
    hours changed while booking, check_open), BookingRefused "contact_limit", SlotTaken with the
    next free slots, and PermissionDenied.
    """
    now = now or timezone.now()
    if staff is not None:
        _check_staff(staff, location)
    setup = booking_setup(location, service)
    start, end = check_slot(location, setup, start, people, now)
    return _book(
        location, service, start, end, people, contact, staff, send_confirmation, site_url, now
    )


def book_held(
    token: str,
    contact: ContactDetails,
    *,
    staff: Any = None,
    send_confirmation: bool = True,
    site_url: str = "",
    now: dt.datetime | None = None,
) -> Booked:
    """Book the slot held by ``token`` (hold_slot), keeping the hold's places.

    A hold that has lapsed is booked afresh when its time can still be booked. A live hold's
    time is checked against the hours again (a closure may have been saved since it was held).
    Raises BookingNotFound "hold_gone" when there is no such hold, and otherwise what book
    raises.
    """
    now = now or timezone.now()
    hold = find_hold(token)
    if hold is None:
        raise BookingNotFound(
            "hold_gone", _("The time you held has lapsed. Please choose a time again.")
        )
    if staff is not None:
        _check_staff(staff, hold.location)
    booking_setup(hold.location, hold.service)
    return _book(
        hold.location,
        hold.service,
        hold.starts_at,
        hold.ends_at,
        hold.people,
        contact,
        staff,
        send_confirmation,
        site_url,
        now,
        hold=hold,
    )


def _book(
    location: Location,
    service: Service,
    start: dt.datetime,
    end: dt.datetime,
    people: int,
    contact: ContactDetails,
    staff: Any,
    send_confirmation: bool,
    site_url: str,
    now: dt.datetime,
    hold: Hold | None = None,
) -> Booked:
    secret = secrets.token_urlsafe(16)
    try:
        with transaction.atomic():
            # The centre's lock first, then the hours as committed now (see the module's text).
            # The writes at one centre queue here, a few milliseconds each.
            check_open(lock_centre(location.pk), start, end)
            if staff is None:
                check_contact_limit(service, contact, now)
            if hold is None or not _use_hold(hold, now):
                if hold is not None:
                    # The hold lapsed: the same time, booked afresh, must still be bookable.
                    check_slot(location, booking_setup(location, service), start, people, now)
                ledger = Ledger(location.pk)
                give_back_lapsed_holds(ledger, location.pk, start, end, now)
                ledger.take(start, end)
                ledger.apply()
            appointment = _create(
                code_secret=secret,
                location=location,
                service=service,
                starts_at=start,
                ends_at=end,
                people=people,
                name=contact.name,
                phone=contact.phone,
                email=contact.email,
                language=contact.language,
                source=BookingSource.ONLINE if staff is None else BookingSource.PHONE,
                created_by=staff,
                created_at=now,
            )
            if send_confirmation:
                send_notice(appointment, Notice.BOOKED, secret=secret, site_url=site_url)
            if staff is not None:
                record_action(staff, "appointment_booked", appointment, _audit(appointment))
    except BookingRefused as refused:
        raise _with_next_free(refused, location, service, start, people, now) from None
    return Booked(appointment, secret)


def _with_next_free(
    refused: BookingRefused,
    location: Location,
    service: Service,
    start: dt.datetime,
    people: int,
    now: dt.datetime,
) -> BookingError:
    """Return the refusal of a write's transaction, with the next free slots when it is about
    the time (taken, or closed meanwhile)."""
    if not isinstance(refused, SlotTaken) and refused.code != "closed":
        return refused
    return refused.with_next_free(next_free_slots(location, service, start, people=people, now=now))


def _use_hold(hold: Hold, now: dt.datetime) -> bool:
    """Delete ``hold`` if it is still live; return whether it was (its places carry over)."""
    deleted, _by_model = Hold.objects.filter(pk=hold.pk, expires_at__gt=now).delete()
    return bool(deleted)


def _create(code_secret: str, **fields: Any) -> Appointment:
    """Create the appointment with a fresh reference code, drawing another on a clash."""
    for attempt in range(CODE_ATTEMPTS):
        code = new_code()
        try:
            with transaction.atomic():
                return Appointment.objects.create(
                    code=code, secret_hash=secret_digest(code_secret), **fields
                )
        except IntegrityError:
            clash = Appointment.objects.filter(code=code).exists()
            if not clash or attempt == CODE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _audit(appointment: Appointment) -> dict[str, Any]:
    # Never the citizen's name or contact details: the audit log is kept for good.
    return {
        "service": appointment.service.slug,
        "starts_at": appointment.starts_at,
        "people": appointment.people,
    }


def why_not_changeable(appointment: Appointment, now: dt.datetime) -> BookingRefused | None:
    """Return why ``appointment`` can no longer be moved or cancelled at ``now``, or None when it
    can (booked, not begun). The refusal's code is "cancelled", "checked_in", "no_show" or
    "started". Pages ask it to decide what to offer; moving and cancelling ask it
    again inside their transaction."""
    if appointment.status == AppointmentStatus.CANCELLED:
        return BookingRefused("cancelled", _("This appointment has been cancelled."))
    if appointment.status == AppointmentStatus.CHECKED_IN:
        return BookingRefused(
            "checked_in",
            _("This appointment has been checked in, so it can no longer be moved or cancelled."),
        )
    if appointment.status == AppointmentStatus.NO_SHOW:
        return BookingRefused(
            "no_show",
            _(
                "Nobody checked in for this appointment in time: it is recorded as missed and can "
                "no longer be moved or cancelled. Please book a new time."
            ),
        )
    if appointment.status != AppointmentStatus.BOOKED:
        return BookingRefused("not_booked", _("This appointment can no longer be changed."))
    if appointment.starts_at <= now:
        return BookingRefused(
            "started", _("This appointment has begun and can no longer be changed.")
        )
    return None


def move_appointment(
    appointment: Appointment,
    start: dt.datetime,
    *,
    people: int | None = None,
    staff: Any = None,
    secret: str | None = None,
    send_confirmation: bool = True,
    site_url: str = "",
    now: dt.datetime | None = None,
) -> Booked:
    """Move ``appointment`` to ``start`` (and ``people``, default unchanged); the code stays.

    ``secret`` is the link secret the citizen acted with; staff (``staff``, without it) get the
    secret replaced by a new one, which the "moved" message links with. Raises BookingRefused
    ("cancelled", "started", "changed" when moved or cancelled meanwhile), what check_slot
    raises (and "closed" with the next free slots when the hours changed while moving,
    check_open), SlotTaken with the next free slots, and PermissionDenied.
    """
    now = now or timezone.now()
    location, service = appointment.location, appointment.service
    if staff is not None:
        _check_staff(staff, location)
    refusal = why_not_changeable(appointment, now)
    if refusal is not None:
        raise refusal
    people = people or appointment.people
    setup = booking_setup(location, service)
    start, end = check_slot(location, setup, start, people, now)
    new_secret = secret or secrets.token_urlsafe(16)
    old_start, old_end = appointment.starts_at, appointment.ends_at
    try:
        with transaction.atomic():
            # The centre's lock first, then the hours as committed now (see the module's text).
            # The writes at one centre queue here, a few milliseconds each.
            check_open(lock_centre(location.pk), start, end)
            moved = Appointment.objects.filter(
                pk=appointment.pk,
                status=AppointmentStatus.BOOKED,
                starts_at=old_start,
                ends_at=old_end,
                starts_at__gt=now,
            ).update(
                starts_at=start,
                ends_at=end,
                people=people,
                moved_at=now,
                # A new time gets its own reminder.
                reminder_sent_at=None,
                sequence=F("sequence") + 1,
                secret_hash=secret_digest(new_secret),
            )
            if not moved:
                raise BookingRefused(
                    "changed", _("The appointment was changed meanwhile. Please look again.")
                )
            ledger = Ledger(location.pk)
            give_back_lapsed_holds(ledger, location.pk, start, end, now)
            ledger.give_back(old_start, old_end)
            ledger.take(start, end)
            ledger.apply()
            appointment.refresh_from_db()
            if send_confirmation:
                send_notice(appointment, Notice.MOVED, secret=new_secret, site_url=site_url)
            if staff is not None:
                details = _audit(appointment) | {"moved_from": old_start}
                record_action(staff, "appointment_moved", appointment, details)
    except BookingRefused as refused:
        raise _with_next_free(refused, location, service, start, people, now) from None
    return Booked(appointment, new_secret)


def cancel_appointment(
    appointment: Appointment,
    *,
    staff: Any = None,
    send_confirmation: bool = True,
    now: dt.datetime | None = None,
) -> Appointment:
    """Cancel ``appointment`` and give its places back; return it.

    Raises BookingRefused "cancelled" (already) or "started", and PermissionDenied.
    """
    now = now or timezone.now()
    if staff is not None:
        _check_staff(staff, appointment.location)
    with transaction.atomic():
        cancelled = Appointment.objects.filter(
            pk=appointment.pk, status=AppointmentStatus.BOOKED, starts_at__gt=now
        ).update(
            status=AppointmentStatus.CANCELLED,
            cancelled_at=now,
            cancelled_by=staff,
            cancel_reason=CancelReason.CITIZEN if staff is None else CancelReason.STAFF,
        )
        appointment.refresh_from_db()
        if not cancelled:
            refusal = why_not_changeable(appointment, now)
            raise refusal or BookingRefused("changed", _("Please look again."))
        ledger = Ledger(appointment.location_id)
        ledger.give_back(appointment.starts_at, appointment.ends_at)
        ledger.apply()
        if send_confirmation:
            send_notice(appointment, Notice.CANCELLED, secret=None)
        if staff is not None:
            record_action(staff, "appointment_cancelled", appointment, _audit(appointment))
    return appointment


def _find(code: str) -> Appointment | None:
    normalised = normalise_code(code)
    if normalised is None:
        return None
    return Appointment.objects.select_related("location", "service").filter(code=normalised).first()


def _not_found() -> BookingNotFound:
    return BookingNotFound(
        "booking_not_found", _("No appointment has this reference code and link.")
    )


def appointment_by_secret(code: str, secret: str) -> Appointment:
    """Return the appointment of ``code`` when ``secret`` is its link secret.

    Raises BookingNotFound alike for an unknown code and a wrong secret.
    """
    appointment = _find(code)
    if appointment is None or not appointment.secret_matches(secret):
        raise _not_found()
    return appointment


def appointment_for_staff(code: str, user: Any) -> Appointment:
    """Return the appointment of ``code`` for an employee with manage_bookings at its centre.

    Raises BookingNotFound for an unknown code and PermissionDenied for anyone else.
    """
    appointment = _find(code)
    if appointment is None:
        raise _not_found()
    _check_staff(user, appointment.location)
    return appointment
