"""Send e-mails and text messages to citizens exactly once, and forget them in time.

``send_message`` stores a Message and enqueues one ``messaging.send`` job in one transaction.
The job's handler, ``deliver_message``, claims the message with a conditional update
``pending → sending`` that is committed *before* the gateway is called, then marks it ``sent``.
A gateway error puts the message back to ``pending`` and raises, so the job retries it later.

The one case this cannot settle is a worker that dies between handing the message to the
gateway and recording the outcome: the message stays ``sending``, and whether the citizen got
it is unknown. Sending it again could send it twice (two reminders, two codes), not sending it
could lose it; Skranke chooses not to guess. The retry that finds it ``sending`` marks it
``failed`` with OUTCOME_UNKNOWN, and a person checks the gateway's log before using "send
again" in the admin (``resend_message``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from skranke.jobs.services import PermanentJobError, enqueue
from skranke.messaging.models import Channel, Message, MessageStatus, default_language
from skranke.messaging.phone import normalise_danish_phone
from skranke.messaging.sms import send_sms

logger = logging.getLogger("skranke.messaging")

SEND_JOB = "messaging.send"
PURGE_JOB = "messaging.purge_personal_data"

# Stored on the message for an administrator; English like the gateways' own error texts.
OUTCOME_UNKNOWN = "Outcome unknown after a crash; check before resending."
PURGED_BEFORE_SENDING = "Its personal data was deleted before it could be sent."
ERROR_TEXT_LIMIT = 2000


def clean_recipient(channel: Channel, recipient: str) -> str:
    """Return the recipient in stored form: an e-mail address, or +45 and eight digits.

    Raises ValidationError with a message for the person who typed it.
    """
    if channel == Channel.SMS:
        return normalise_danish_phone(recipient)
    address = recipient.strip()
    validate_email(address)
    return address


def send_message(
    *,
    channel: Channel | str,
    recipient: str,
    body: str,
    subject: str = "",
    language: str | None = None,
) -> Message:
    """Store a message to ``recipient`` and enqueue its sending; return the pending Message.

    Call it inside the transaction of the change the message is about: if that rolls back, no
    message is stored and none is sent. ``body`` (and an e-mail's ``subject``) are already in
    the citizen's ``language`` (default: the site's), which is recorded with the message.

    Raises ValidationError, keyed by argument name, for an unknown channel, a bad e-mail
    address or Danish phone number, an empty text, or an e-mail without a one-line subject.
    """
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Choose e-mail or SMS.")})
    channel = Channel(channel)
    errors: dict[str, list[ValidationError]] = {}
    try:
        recipient = clean_recipient(channel, recipient)
    except ValidationError as error:
        errors["recipient"] = error.error_list
    if not body.strip():
        errors["body"] = [ValidationError(_("A message needs a text."))]
    subject = subject.strip()
    if channel == Channel.EMAIL and not subject:
        errors["subject"] = [ValidationError(_("An e-mail needs a subject."))]
    elif "\n" in subject or "\r" in subject:
        errors["subject"] = [ValidationError(_("The subject must be a single line."))]
    language = language or default_language()
    if language not in dict(settings.LANGUAGES):
        errors["language"] = [ValidationError(_("Choose Danish or English."))]
    if errors:
        raise ValidationError(errors)

    now = timezone.now()
    with transaction.atomic():
        message = Message.objects.create(
            channel=channel,
            recipient=recipient,
            subject=subject,
            body=body,
            language=language,
            created_at=now,
            purge_after=now + dt.timedelta(days=settings.SKRANKE_MESSAGE_RETENTION_DAYS),
        )
        enqueue(SEND_JOB, {"message_id": message.id})
    return message


def _send_now(message: Message) -> None:
    """Hand ``message`` to its channel's backend; raises whatever the backend raises."""
    if message.channel == Channel.SMS:
        send_sms(message.recipient, message.body)
        return
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        to=[message.recipient],
        headers={"Content-Language": message.language},
    )
    if email.send() != 1:
        raise RuntimeError("The e-mail backend sent nothing.")


def deliver_message(message_id: int) -> None:
    """Send message ``message_id`` unless it was sent already (the ``messaging.send`` job).

    Returns when the message is sent, now or by an earlier attempt. Raises the backend's error
    after putting the message back to ``pending``, so the job retries it. Raises
    PermanentJobError (the job fails at once, nothing is sent) when the message is gone, was
    purged, has failed, or is found ``sending``: an earlier attempt died mid-send, so it is
    marked ``failed`` with OUTCOME_UNKNOWN rather than possibly sent twice (module docstring).
    """
    claimed = Message.objects.filter(
        id=message_id, status=MessageStatus.PENDING, purged_at__isnull=True
    ).update(status=MessageStatus.SENDING, attempts=F("attempts") + 1)
    if not claimed:
        _explain_unclaimed(message_id)
        return
    message = Message.objects.get(id=message_id)
    try:
        _send_now(message)
    except Exception as error:
        Message.objects.filter(id=message_id, status=MessageStatus.SENDING).update(
            status=MessageStatus.PENDING,
            last_error=f"{type(error).__name__}: {error}"[:ERROR_TEXT_LIMIT],
        )
        raise
    # FAILED too: an attempt that overran the jobs' visibility timeout may have been declared
    # unknown by a retry meanwhile, and it did get through after all.
    Message.objects.filter(
        id=message_id, status__in=[MessageStatus.SENDING, MessageStatus.FAILED]
    ).update(status=MessageStatus.SENT, sent_at=timezone.now(), last_error="")


def _explain_unclaimed(message_id: int) -> None:
    """Return when the message was sent already; otherwise raise PermanentJobError why not."""
    message = Message.objects.filter(id=message_id).first()
    if message is None:
        raise PermanentJobError(f"Message {message_id} no longer exists.")
    if message.status == MessageStatus.SENT:
        return
    if message.status == MessageStatus.SENDING:
        Message.objects.filter(id=message_id, status=MessageStatus.SENDING).update(
            status=MessageStatus.FAILED, last_error=OUTCOME_UNKNOWN
        )
        logger.error("Message %s was found being sent by an attempt that died", message_id)
        raise PermanentJobError(f"Message {message_id}: {OUTCOME_UNKNOWN}")
    if message.purged_at is not None:
        Message.objects.filter(id=message_id, status=MessageStatus.PENDING).update(
            status=MessageStatus.FAILED, last_error=PURGED_BEFORE_SENDING
        )
        raise PermanentJobError(f"Message {message_id}: {PURGED_BEFORE_SENDING}")
    raise PermanentJobError(
        f"Message {message_id} has failed ({message.last_error}); "
        "only 'send again' in the messages admin sends it again."
    )


def resend_message(message_id: int) -> bool:
    """Send a ``failed`` message again (after a person checked it did not arrive).

    Returns True when it was put back to ``pending`` with a new job; False when it is not
    failed or its personal data is gone.
    """
    with transaction.atomic():
        reopened = Message.objects.filter(
            id=message_id, status=MessageStatus.FAILED, purged_at__isnull=True
        ).update(status=MessageStatus.PENDING)
        if reopened:
            enqueue(SEND_JOB, {"message_id": message_id})
    return bool(reopened)


def _purge(messages: QuerySet[Message], now: dt.datetime) -> int:
    return messages.filter(purged_at__isnull=True).update(
        # A gateway's error text may quote the number or the text, so it goes too.
        recipient="",
        subject="",
        body="",
        last_error="",
        purged_at=now,
    )


def purge_messages(message_ids: Iterable[int], now: dt.datetime | None = None) -> int:
    """Blank the personal data of these messages now, before their retention period ends.

    For messages whose purpose has ended (the visit an SMS was about is over). One still
    ``pending`` is then never sent: its job finds it purged and fails with
    PURGED_BEFORE_SENDING. Returns how many were purged.
    """
    return _purge(Message.objects.filter(id__in=list(message_ids)), now or timezone.now())


def purge_personal_data(now: dt.datetime | None = None) -> int:
    """Blank recipient, subject, text and error of messages past ``purge_after``.

    The rows stay (channel, language, status and times are statistics). Returns how many
    messages were purged.
    """
    now = now or timezone.now()
    purged = _purge(Message.objects.filter(purge_after__lte=now), now)
    if purged:
        logger.info("Deleted the personal data of %d messages", purged)
    return purged
