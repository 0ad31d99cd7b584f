"""Unplanned closures: the future bookings a change of opening hours leaves outside them, and
cancelling those with a message that links to the free times.

A booking must lie within one attendance opening interval of its local day, as it had to when it
was booked (skranke.booking.slots.check_slot). When an administrator closes a day or shortens
the hours, the bookings that no longer do are hit: the admin lists them before saving
(skranke.booking.closure_admin) and, once confirmed, cancels them here in the transaction that
saves the new hours, so the hours and the cancellations stand or fall together. That transaction
holds the centre's lock from before it saves, which every booking write takes too before it
checks its time against the hours again (skranke.booking.services.centre_lock), so no booking
slips in between the new hours and the reading of the bookings they hit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from skranke.audit.services import record_action
from skranke.booking.capacity import Ledger
from skranke.booking.models import Appointment, AppointmentStatus, CancelReason
from skranke.booking.services.notify import Notice, send_notice
from skranke.booking.slots import lies_within
from skranke.lib.intervals import Interval
from skranke.lib.localtime import local_date
from skranke.organisation.hours import opening_intervals
from skranke.organisation.models import Location


def bookings_hit(location: Location, *, now: dt.datetime | None = None) -> list[Appointment]:
    """Return the future bookings at ``location`` that its opening hours no longer cover.

    Future bookings are those still booked (not checked in, cancelled or no-show) that start
    after ``now``. One is hit when its [start, end) does not lie within one attendance opening
    interval of its local day, as the rows in the database say now (weekly hours, dated
    exceptions, public holidays and the centre's choice for the optional days; ``location``'s
    own fields as given). Ordered by start; service and centre are loaded with them.
    """
    now = now or timezone.now()
    future = (
        Appointment.objects.filter(
            location=location, status=AppointmentStatus.BOOKED, starts_at__gt=now
        )
        .select_related("service", "location")
        .order_by("starts_at", "id")
    )
    intervals_on: dict[dt.date, list[Interval[dt.datetime]]] = {}
    hit = []
    for appointment in future:
        day = local_date(appointment.starts_at)
        if day not in intervals_on:
            intervals_on[day] = opening_intervals(location, day)
        if not lies_within(appointment.starts_at, appointment.ends_at, intervals_on[day]):
            hit.append(appointment)
    return hit


def cancel_for_closure(
    appointments: Iterable[Appointment],
    *,
    staff: Any,
    now: dt.datetime | None = None,
    site_url: str = "",
) -> list[Appointment]:
    """Cancel ``appointments`` because the centre closed over them; return those cancelled.

    Each is cancelled by one conditional UPDATE that needs it still booked, not begun and at the
    time it was read, so one cancelled, checked in or moved meanwhile is left alone (and not
    returned). Those
    cancelled get reason "closure" and ``staff`` as who cancelled; their places are given back,
    their citizens are sent the closure notice (linking to the service's free times at the
    centre, ``site_url`` as in send_notice) and the audit log records it. Call it inside the
    transaction that saves the hours; it joins that transaction.
    """
    now = now or timezone.now()
    cancelled: list[Appointment] = []
    ledgers: dict[int, Ledger] = {}
    with transaction.atomic():
        for appointment in appointments:
            changes = {
                "status": AppointmentStatus.CANCELLED,
                "cancelled_at": now,
                "cancelled_by": staff,
                "cancel_reason": CancelReason.CLOSURE,
            }
            updated = Appointment.objects.filter(
                pk=appointment.pk,
                status=AppointmentStatus.BOOKED,
                starts_at=appointment.starts_at,
                ends_at=appointment.ends_at,
                starts_at__gt=now,
            ).update(**changes)
            if not updated:
                continue
            for name, value in changes.items():
                setattr(appointment, name, value)
            ledger = ledgers.setdefault(appointment.location_id, Ledger(appointment.location_id))
            ledger.give_back(appointment.starts_at, appointment.ends_at)
            cancelled.append(appointment)
        # Each centre's ticks in ascending order, as every writer takes them.
        for location_id in sorted(ledgers):
            ledgers[location_id].apply()
        for appointment in cancelled:
            send_notice(appointment, Notice.CLOSURE, secret=None, site_url=site_url)
            record_action(
                staff,
                "appointment_cancelled",
                appointment,
                {
                    # Never the citizen's name or contact details: the log is kept for good.
                    "service": appointment.service.slug,
                    "starts_at": appointment.starts_at,
                    "people": appointment.people,
                    "reason": CancelReason.CLOSURE.value,
                },
            )
    return cancelled
