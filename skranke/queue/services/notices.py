"""The SMS "your turn is coming" that a citizen can ask for on the mobile ticket page.

A locked phone drops the page's live stream, and iOS cannot vibrate, so a citizen may leave a
Danish phone number on their ticket. One SMS is sent when SKRANKE_SMS_NOTICE_PLACES_AHEAD or
fewer people are ahead of them, or when they are called before that happened (a counter called
their number directly, or they asked late). It is one SMS per visit: a citizen transferred to
another queue waits there without a second one. The number is erased when the visit ends
(forget_sms_notice) or when the citizen withdraws it.

When the notices go out: every call and cancellation registers, on commit, a check whether
anyone in that queue is still owed a notice (enqueue_due_notices); only then
is one ``queue.send_sms_notices`` job enqueued, and the worker runs ``send_due_notices``. So
calling the next citizen never waits for positions to be worked out or a message to be stored,
and a quiet installation enqueues no jobs at all. A periodic job would have worked too, but it
would add a job row every few seconds all day and still be late by up to its interval. People
only move forward in a line when someone is called or cancels, so those events are enough.

Exactly once: a notice goes out only through the conditional UPDATE that sets
``notice_sent_at`` where it is still empty (and the ticket is still in the state that was
read), in the same transaction as the message and its sending job. However many jobs run at
once, on however many workers, the database lets one of them win.
"""

from __future__ import annotations

import datetime as dt
import functools

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from skranke.catalogue.models import Queue
from skranke.jobs.services import enqueue
from skranke.lib.validators import validate_no_cpr
from skranke.messaging.models import Channel
from skranke.messaging.phone import mask_danish_phone, normalise_danish_phone
from skranke.messaging.services import purge_messages, send_message
from skranke.queue.models import AT_COUNTER, Ticket, TicketStatus


class NoticeRefused(Exception):
    """The ticket no longer takes an SMS request (it was called, ended, or already notified)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


NOT_WAITING_MESSAGE = gettext_lazy(
    "An SMS can only be asked for while you are waiting in line, before it has been sent."
)


SMS_NOTICE_JOB = "queue.send_sms_notices"


def enqueue_due_notices(queue_id: int) -> None:
    """Have the worker send the SMS notices now due in ``queue_id`` (send_due_notices), if anyone
    there is still owed one.

    The transitions that move a line (a call, a resumed citizen, a cancellation) run this once
    their transaction commits (transaction.on_commit), so calling a citizen never waits for it;
    and only queues where someone is still owed a notice get a job, so a call costs one read of a
    small partial index.
    """
    owed = Ticket.objects.filter(queue_id=queue_id, notice_sent_at__isnull=True).exclude(
        notify_phone=""
    )
    if owed.exists():
        enqueue(SMS_NOTICE_JOB, {"queue_id": queue_id})


def forget_sms_notice(ticket: Ticket, now: dt.datetime) -> None:
    """Erase the phone number from the notice message of a visit that has just ended.

    Every transition that ends a visit blanks ``notify_phone`` in its own conditional UPDATE;
    this helper, called in the same transaction, purges the message made from it, if any (a
    notice still waiting for the gateway is then never sent: the visit it was about is over).
    Tickets without a notice cost no query.
    """
    if ticket.notice_message_id is not None:
        purge_messages([ticket.notice_message_id], now)


def clean_phone(value: str) -> str:
    """Return a typed Danish phone number as stored: +45 and eight digits.

    Raises ValidationError when it looks like a CPR number (which must never be stored) or is
    not eight digits, optionally after +45 or 0045 and with spaces.
    """
    validate_no_cpr(value)
    return normalise_danish_phone(value)


def opt_in(ticket: Ticket, phone: str, language: str) -> Ticket:
    """Keep ``phone`` on a waiting ticket for its notice, to be written in ``language``.

    Asking again replaces the number. If the citizen is already near enough, the notice goes
    out at once. Returns the ticket. Raises ValidationError for a bad number and
    NoticeRefused when the ticket is no longer waiting or its notice has been sent.
    """
    number = clean_phone(phone)
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    with transaction.atomic():
        taken = Ticket.objects.filter(
            pk=ticket.pk, status=TicketStatus.WAITING, notice_sent_at__isnull=True
        ).update(notify_phone=number, notify_language=language)
        if taken != 1:
            raise NoticeRefused(str(NOT_WAITING_MESSAGE))
        transaction.on_commit(functools.partial(enqueue_due_notices, ticket.queue_id))
    ticket.refresh_from_db()
    return ticket


def withdraw(ticket: Ticket, now: dt.datetime | None = None) -> Ticket:
    """Forget the ticket's phone number, and purge its notice message if one was made.

    Returns the ticket; withdrawing when no number is kept changes nothing.
    """
    now = now or timezone.now()
    with transaction.atomic():
        Ticket.objects.filter(pk=ticket.pk).exclude(notify_phone="").update(notify_phone="")
        ticket.refresh_from_db()
        if ticket.notice_message_id is not None:
            purge_messages([ticket.notice_message_id], now)
    return ticket


def notice_text(ticket: Ticket, ahead: int | None) -> str:
    """Return the SMS text in the active language: "almost your turn" with ``ahead`` people in
    front, or, with ``ahead`` None, "your turn now" naming the counter."""
    values = {"number": ticket.display_number, "centre": ticket.location.name}
    if ahead is None:
        if ticket.counter is None:
            return _("Skranke: No. %(number)s — it is your turn now at %(centre)s.") % values
        return _(
            "Skranke: No. %(number)s — it is your turn now at %(centre)s. "
            "Go to counter %(counter)s."
        ) % {**values, "counter": ticket.counter.number}
    if ahead == 0:
        return (
            _("Skranke: No. %(number)s — it is almost your turn at %(centre)s. You are next.")
            % values
        )
    return ngettext(
        "Skranke: No. %(number)s — it is almost your turn at %(centre)s. "
        "There is %(ahead)d ahead of you.",
        "Skranke: No. %(number)s — it is almost your turn at %(centre)s. "
        "There are %(ahead)d ahead of you.",
        ahead,
    ) % {**values, "ahead": ahead}


def send_due_notices(queue_id: int, now: dt.datetime | None = None) -> int:
    """Send the notices now due in queue ``queue_id``; return how many this call sent.

    Run by the ``queue.send_sms_notices`` job, inside its transaction. A waiting ticket is due
    with SKRANKE_SMS_NOTICE_PLACES_AHEAD or fewer people ahead of it (in call order); a called
    or served one is due at once. Each notice is claimed by a conditional UPDATE before its
    message is stored, so it goes once however many of these run at the same time.
    """
    now = now or timezone.now()
    owed = list(
        Ticket.objects.filter(
            queue_id=queue_id,
            notice_sent_at__isnull=True,
            status__in=[TicketStatus.WAITING, *AT_COUNTER],
        )
        .exclude(notify_phone="")
        .values_list("id", "status")
    )
    if not owed:
        return 0
    queue = Queue.objects.get(pk=queue_id)
    in_line = Ticket.objects.waiting().filter(queue=queue).in_call_order(now)
    ahead_of = {
        ticket_id: ahead for ahead, ticket_id in enumerate(in_line.values_list("id", flat=True))
    }
    places = settings.SKRANKE_SMS_NOTICE_PLACES_AHEAD
    sent = 0
    for ticket_id, status in owed:
        ahead = None
        if status == TicketStatus.WAITING:
            # Missing from the line read a moment later: called or cancelled meanwhile, which
            # registered a check of its own.
            ahead = ahead_of.get(ticket_id)
            if ahead is None or ahead > places:
                continue
        if _send_notice(ticket_id, status, ahead, now):
            sent += 1
    return sent


def _send_notice(ticket_id: int, status: str, ahead: int | None, now: dt.datetime) -> bool:
    """Claim and send one ticket's notice; False when it was sent, moved on or withdrawn meanwhile.

    The status read by the caller is part of the condition: a ticket called since then gets
    its "your turn now" text from the check that its call registered, not a stale count.
    """
    with transaction.atomic():
        won = (
            Ticket.objects.filter(pk=ticket_id, status=status, notice_sent_at__isnull=True)
            .exclude(notify_phone="")
            .update(notice_sent_at=now)
        )
        if won != 1:
            return False
        # Read after the claim, which holds the row until commit: the number and language are
        # the ones kept now, not ones withdrawn or replaced a moment ago.
        ticket = Ticket.objects.select_related("location", "counter").get(pk=ticket_id)
        language = ticket.notify_language or settings.LANGUAGE_CODE
        with translation.override(language):
            body = notice_text(ticket, ahead)
        message = send_message(
            channel=Channel.SMS, recipient=ticket.notify_phone, body=body, language=language
        )
        Ticket.objects.filter(pk=ticket_id).update(notice_message=message)
    return True


def masked_phone(ticket: Ticket) -> str:
    """Return the kept number with all but its last two digits hidden, or "" when none is kept."""
    return mask_danish_phone(ticket.notify_phone) if ticket.notify_phone else ""


def phone_error(error: ValidationError) -> str:
    """Return the message of a refused phone number, for the page."""
    return " ".join(str(message) for message in error.messages)
