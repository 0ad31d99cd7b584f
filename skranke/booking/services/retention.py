"""Personal data in appointments is kept only as long as it is needed: name, phone number and
e-mail address are erased SKRANKE_BOOKING_RETENTION_DAYS after the appointment's start, and the
messages sent about it are purged at the same time. The row stays (centre, service, time,
status, source) for statistics. Also the housekeeping of the calendar's own rows."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from skranke.booking.capacity import delete_ticks_before
from skranke.booking.models import Appointment
from skranke.booking.services.limits import delete_guards_before
from skranke.messaging.services import purge_messages

logger = logging.getLogger("skranke.booking")

# Tick and guard rows of the past are of no further use; a day's margin covers appointments
# that part 2 still acts on today.
HOUSEKEEPING_MARGIN = dt.timedelta(days=1)
ERASE_BATCH = 500


def erase_personal_data(now: dt.datetime | None = None) -> int:
    """Erase name, phone and e-mail of appointments that started more than
    SKRANKE_BOOKING_RETENTION_DAYS ago, and purge their messages; return how many."""
    now = now or timezone.now()
    due_before = now - dt.timedelta(days=settings.SKRANKE_BOOKING_RETENTION_DAYS)
    erased = 0
    while True:
        with transaction.atomic():
            ids = list(
                Appointment.objects.filter(starts_at__lt=due_before, erased_at__isnull=True)
                .order_by("pk")
                .values_list("pk", flat=True)[:ERASE_BATCH]
            )
            if not ids:
                break
            message_ids = Appointment.messages.through.objects.filter(
                appointment_id__in=ids
            ).values_list("message_id", flat=True)
            purge_messages(list(message_ids), now)
            erased += Appointment.objects.filter(pk__in=ids, erased_at__isnull=True).update(
                name="", phone="", email="", erased_at=now
            )
    if erased:
        logger.info("Erased the personal data of %d appointments", erased)
    return erased


def delete_old_rows(now: dt.datetime | None = None) -> int:
    """Delete the calendar's tick rows and the limits' guard rows of the past; return how many."""
    now = now or timezone.now()
    return delete_ticks_before(now - HOUSEKEEPING_MARGIN) + delete_guards_before(
        now - HOUSEKEEPING_MARGIN
    )
