"""Sending one SMS through the configured gateway: console, file or a generic HTTP gateway.

``send_sms(phone, text)`` is the whole interface; SKRANKE_SMS_BACKEND chooses the backend:

- ``console`` writes the message to standard output (the demo);
- ``file`` appends one JSON line per message to SKRANKE_SMS_FILE (tests, or a hand-off to
  another system);
- ``http`` posts it to SKRANKE_SMS_HTTP_URL as JSON or a form, with the field names and the
  authentication header the gateway expects. Any answer but 2xx is a failure.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Protocol, TextIO

import httpx
from django.conf import settings
from django.utils import timezone

from skranke.messaging.phone import normalise_danish_phone

# Start of a gateway's error answer kept in the error message (some answer with a whole page).
ANSWER_EXCERPT_LENGTH = 200


class SmsError(Exception):
    """The gateway did not take the message; sending it again later may succeed."""


class SmsBackend(Protocol):
    def send(self, phone: str, text: str) -> None:
        """Send ``text`` to ``phone`` (+45 and eight digits); raise SmsError on failure."""


# One lock for the console and file backends: lines of two messages sent at once by two
# threads of one process must not interleave.
_write_lock = threading.Lock()


class ConsoleSmsBackend:
    """Writes each message to standard output, for the demo and development."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, phone: str, text: str) -> None:
        stream = self.stream or sys.stdout
        sender = f" from {settings.SKRANKE_SMS_SENDER}" if settings.SKRANKE_SMS_SENDER else ""
        with _write_lock:
            stream.write(f"SMS to {phone}{sender}:\n{text}\n{'-' * 40}\n")
            stream.flush()


class FileSmsBackend:
    """Appends each message as one JSON line {"to", "from", "text", "at"} to a file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(settings.SKRANKE_SMS_FILE) if path is None else path

    def send(self, phone: str, text: str) -> None:
        line = json.dumps(
            {
                "to": phone,
                "from": settings.SKRANKE_SMS_SENDER,
                "text": text,
                "at": timezone.now().isoformat(),
            },
            ensure_ascii=False,
        )
        try:
            with _write_lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as file:
                    file.write(line + "\n")
        except OSError as error:
            raise SmsError(f"Cannot write to {self.path}: {error.strerror}") from error


class HttpSmsBackend:
    """Posts each message to an HTTP gateway configured by the SKRANKE_SMS_HTTP_* settings."""

    def __init__(self, transport: httpx.BaseTransport | None = None) -> None:
        # Tests pass httpx.MockTransport; production uses httpx's own.
        self.transport = transport

    def fields(self, phone: str, text: str) -> dict[str, str]:
        """Return the request's fields under the gateway's names."""
        fields = {
            settings.SKRANKE_SMS_HTTP_RECIPIENT_FIELD: phone,
            settings.SKRANKE_SMS_HTTP_TEXT_FIELD: text,
        }
        if settings.SKRANKE_SMS_SENDER and settings.SKRANKE_SMS_HTTP_SENDER_FIELD:
            fields[settings.SKRANKE_SMS_HTTP_SENDER_FIELD] = settings.SKRANKE_SMS_SENDER
        return fields

    def headers(self) -> dict[str, str]:
        """Return the authentication header of SKRANKE_SMS_HTTP_AUTH_HEADER, if one is set."""
        name, _colon, value = settings.SKRANKE_SMS_HTTP_AUTH_HEADER.partition(":")
        return {name.strip(): value.strip()} if name.strip() else {}

    def send(self, phone: str, text: str) -> None:
        fields = self.fields(phone, text)
        as_json = settings.SKRANKE_SMS_HTTP_BODY == "json"
        try:
            with httpx.Client(
                timeout=settings.SKRANKE_SMS_HTTP_TIMEOUT, transport=self.transport
            ) as client:
                response = client.post(
                    settings.SKRANKE_SMS_HTTP_URL,
                    headers=self.headers(),
                    json=fields if as_json else None,
                    data=None if as_json else fields,
                )
        except httpx.HTTPError as error:
            raise SmsError(f"The SMS gateway could not be reached: {error}") from error
        if not response.is_success:
            excerpt = response.text[:ANSWER_EXCERPT_LENGTH]
            raise SmsError(f"The SMS gateway answered {response.status_code}: {excerpt}")


BACKENDS: dict[str, type[ConsoleSmsBackend] | type[FileSmsBackend] | type[HttpSmsBackend]] = {
    "console": ConsoleSmsBackend,
    "file": FileSmsBackend,
    "http": HttpSmsBackend,
}


def get_sms_backend() -> SmsBackend:
    """Return a backend of the kind SKRANKE_SMS_BACKEND names."""
    return BACKENDS[settings.SKRANKE_SMS_BACKEND]()


def send_sms(phone: str, text: str) -> None:
    """Send ``text`` to the Danish number ``phone`` now, through the configured backend.

    Returns once the gateway took the message. Raises ValidationError for a number that is not
    Danish, and SmsError when the gateway fails or refuses (worth retrying later). Citizens'
    messages go through skranke.messaging.services.send_message instead, which retries.
    """
    get_sms_backend().send(normalise_danish_phone(phone), text)
