"""The reminder a citizen gets before their appointment, by SMS and/or e-mail as the centre's
calendar says (``reminder_hours`` before the start; 0 sends none), with the link to move or
cancel it.

A booking is due once the reminder's time has come and while the appointment is still booked
and ahead. One booked (or last moved) after that moment gets none: its confirmation has just
told the citizen everything. A move clears ``reminder_sent_at``, so the new time gets a reminder
of its own.

Exactly once: the candidates are read in bounded batches, then each reminder is claimed by one
conditional UPDATE (``reminder_sent_at`` still empty, still booked, the start unchanged) in the
same transaction as its messages, as the queue's SMS notice does
(skranke.queue.services.notices). However many sweeps run at once, on however many workers, the
database lets one of them win; an appointment moved or cancelled meanwhile is left alone.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from skranke.booking.models import Appointment, AppointmentStatus, BookingCalendar
from skranke.booking.services.notify import Notice, send_notice

logger = logging.getLogger("skranke.booking")

REMINDER_BATCH = 200


def due_reminders(calendar: BookingCalendar, now: dt.datetime) -> QuerySet[Appointment]:
    """Return the appointments at ``calendar``'s centre whose reminder is due at ``now``.

    Only those the calendar's channels can reach: an SMS-only centre skips bookings with just an
    e-mail address, and the other way round. Empty when the centre sends no reminders.
    """
    lead = dt.timedelta(hours=calendar.reminder_hours)
    if not lead or not (calendar.reminder_by_sms or calendar.reminder_by_email):
        return Appointment.objects.none()
    reminder_time = F("starts_at") - lead
    due = Appointment.objects.filter(
        location_id=calendar.location_id,
        status=AppointmentStatus.BOOKED,
        reminder_sent_at__isnull=True,
        starts_at__gt=now,
        starts_at__lte=now + lead,
    ).filter(
        # Booked, or last moved, before the reminder's time; otherwise the confirmation just sent
        # stands in for it.
        Q(moved_at__isnull=True, created_at__lt=reminder_time) | Q(moved_at__lt=reminder_time)
    )
    reachable = Q()
    if not calendar.reminder_by_sms:
        reachable &= ~Q(email="")
    if not calendar.reminder_by_email:
        reachable &= ~Q(phone="")
    return due.filter(reachable)


def send_due_reminders(now: dt.datetime | None = None) -> int:
    """Send every reminder due at ``now`` (default: the current time); return how many
    appointments this call reminded. Each is one transaction; run outside one."""
    now = now or timezone.now()
    reminded = 0
    for calendar in BookingCalendar.objects.filter(reminder_hours__gt=0):
        after_pk = 0
        while True:
            batch = list(
                due_reminders(calendar, now)
                .filter(pk__gt=after_pk)
                .order_by("pk")
                .values_list("pk", "starts_at")[:REMINDER_BATCH]
            )
            if not batch:
                break
            for pk, starts_at in batch:
                reminded += _remind(pk, starts_at, calendar, now)
            after_pk = batch[-1][0]
    if reminded:
        logger.info("Sent reminders of %d appointments", reminded)
    return reminded


def _claim(pk: int, starts_at: dt.datetime, now: dt.datetime) -> bool:
    """Claim the reminder of appointment ``pk``; True for the one caller that wins it.

    The start read with the candidates is part of the condition: an appointment moved since then
    is due at its new time instead, when a later sweep finds it.
    """
    won = Appointment.objects.filter(
        pk=pk,
        status=AppointmentStatus.BOOKED,
        reminder_sent_at__isnull=True,
        starts_at=starts_at,
    ).update(reminder_sent_at=now)
    return won == 1


def _remind(pk: int, starts_at: dt.datetime, calendar: BookingCalendar, now: dt.datetime) -> int:
    """Claim and send one reminder; return 1 when this call sent it, else 0."""
    with transaction.atomic():
        if not _claim(pk, starts_at, now):
            return 0
        # Read after the claim, which holds the row until commit: the contact details and the
        # link secret are the ones kept now.
        appointment = Appointment.objects.select_related("location", "service").get(pk=pk)
        send_notice(
            appointment,
            Notice.REMINDER,
            secret=appointment.derived_secret(),
            by_sms=calendar.reminder_by_sms,
            by_email=calendar.reminder_by_email,
        )
    return 1
