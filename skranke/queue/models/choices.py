"""The number system's vocabularies: ticket states, priorities, sources, outcomes and endings,
counter session states and event kinds (DESIGN.md, Definitions)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

# Who acts on the floor, as a request has it: a signed-in employee, or nobody signed in (a
# citizen, a kiosk). The engine's functions take None too, for the end-of-day job.
Actor: TypeAlias = "User | AnonymousUser | None"


class TicketStatus(models.TextChoices):
    WAITING = "waiting", _("waiting")
    CALLED = "called", _("called")
    SERVING = "serving", _("being served")
    PARKED = "parked", _("parked")
    FINISHED = "finished", _("finished")
    NO_SHOW = "no_show", _("did not show up")
    CANCELLED = "cancelled", _("cancelled")


# A counter holds at most one ticket in these states (a database constraint says so).
AT_COUNTER = (TicketStatus.CALLED, TicketStatus.SERVING)
ENDED = (TicketStatus.FINISHED, TicketStatus.NO_SHOW, TicketStatus.CANCELLED)


class Priority(models.TextChoices):
    NORMAL = "normal", _("normal")
    URGENT = "urgent", _("urgent")
    APPOINTMENT = "appointment", _("checked-in appointment")


class Source(models.TextChoices):
    KIOSK = "kiosk", _("kiosk")
    MOBILE = "mobile", _("mobile")
    FLOOR_GUIDE = "floor_guide", _("floor guide")
    STAFF = "staff", _("staff")
    APPOINTMENT = "appointment", _("appointment")


class VisitSource(models.TextChoices):
    """Where a visit record came from: a ticket's source, or an import of another system's
    history (skranke import)."""

    KIOSK = "kiosk", _("kiosk")
    MOBILE = "mobile", _("mobile")
    FLOOR_GUIDE = "floor_guide", _("floor guide")
    STAFF = "staff", _("staff")
    APPOINTMENT = "appointment", _("appointment")
    IMPORT = "import", _("import")


class Outcome(models.TextChoices):
    RESOLVED_FIRST_CONTACT = "resolved_first_contact", _("solved on the spot")
    PASSED_TO_BACK_OFFICE = "passed_to_back_office", _("passed to back office")
    REFERRED = "referred", _("referred to another authority")
    NOT_RESOLVED = "not_resolved", _("not solved")


class ReferredTo(models.TextChoices):
    UDBETALING_DANMARK = "udbetaling_danmark", _("Udbetaling Danmark")
    SKAT = "skat", _("SKAT (the tax agency)")
    POLICE = "police", _("the police")
    OTHER = "other", _("another authority")


class CancelReason(models.TextChoices):
    CITIZEN = "citizen", _("cancelled by the citizen")
    STAFF = "staff", _("cancelled by staff")
    CLOSED = "closed", _("not called before closing")


class Ending(models.TextChoices):
    SERVED = "served", _("served")
    NO_SHOW = "no_show", _("no-show")
    CANCELLED = "cancelled", _("cancelled")


class SessionState(models.TextChoices):
    """Where a counter stands: open (calling), paused (calling nobody) or closed."""

    OPEN = "open", _("Open")
    PAUSED = "paused", _("Paused")
    CLOSED = "closed", _("Closed")


class EventKind(models.TextChoices):
    ISSUED = "issued", _("issued")
    CALLED = "called", _("called")
    RECALLED = "recalled", _("recalled")
    SERVING = "serving", _("serving")
    PARKED = "parked", _("parked")
    RESUMED = "resumed", _("resumed")
    TRANSFERRED = "transferred", _("transferred")
    NO_SHOW = "no_show", _("no-show")
    REINSTATED = "reinstated", _("reinstated")
    CANCELLED = "cancelled", _("cancelled")
    FINISHED = "finished", _("finished")
    COUNTER_OPENED = "counter_opened", _("counter opened")
    COUNTER_PAUSED = "counter_paused", _("counter paused")
    COUNTER_RESUMED = "counter_resumed", _("counter resumed")
    COUNTER_CLOSED = "counter_closed", _("counter closed")
    QUEUE_CLOSED = "queue_closed", _("queue closed")
    # A kiosk or screen heard from again after it fell silent: for the staff stream only.
    DEVICE_BACK = "device_back", _("device back online")


# Kinds about the centre's equipment rather than its line: no public stream (display, kiosk,
# counter, a citizen's phone) carries them in any form (skranke.queue.live.hub).
STAFF_ONLY_KINDS = frozenset({EventKind.DEVICE_BACK})
