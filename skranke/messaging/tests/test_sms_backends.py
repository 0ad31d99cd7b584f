"""The SMS backends: console, file, and the HTTP gateway's request and failures."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from django.core.exceptions import ValidationError

from skranke.messaging.sms import (
    ConsoleSmsBackend,
    FileSmsBackend,
    HttpSmsBackend,
    SmsError,
    send_sms,
)
from skranke.messaging.tests.conftest import sms_lines


@pytest.fixture
def http_settings(settings: Any) -> Any:
    settings.SKRANKE_SMS_HTTP_URL = "https://sms.example.dk/api/send"
    settings.SKRANKE_SMS_HTTP_AUTH_HEADER = "Authorization: Bearer abc123"
    settings.SKRANKE_SMS_HTTP_BODY = "json"
    settings.SKRANKE_SMS_HTTP_RECIPIENT_FIELD = "to"
    settings.SKRANKE_SMS_HTTP_TEXT_FIELD = "text"
    settings.SKRANKE_SMS_HTTP_SENDER_FIELD = "from"
    settings.SKRANKE_SMS_SENDER = "Kommunen"
    return settings


def recording_transport(requests: list[httpx.Request], status: int = 200) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(status, text="ok" if status < 400 else "quota exceeded")

    return httpx.MockTransport(answer)


def test_http_gateway_gets_json_with_its_field_names_and_auth_header(http_settings: Any) -> None:
    requests: list[httpx.Request] = []

    HttpSmsBackend(recording_transport(requests)).send("+4512345678", "Det er din tur")

    [request] = requests
    assert request.method == "POST"
    assert str(request.url) == "https://sms.example.dk/api/send"
    assert request.headers["Authorization"] == "Bearer abc123"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {
        "to": "+4512345678",
        "text": "Det er din tur",
        "from": "Kommunen",
    }


def test_http_gateway_gets_a_form_with_other_field_names(http_settings: Any) -> None:
    http_settings.SKRANKE_SMS_HTTP_BODY = "form"
    http_settings.SKRANKE_SMS_HTTP_RECIPIENT_FIELD = "recipient"
    http_settings.SKRANKE_SMS_HTTP_TEXT_FIELD = "message"
    http_settings.SKRANKE_SMS_HTTP_SENDER_FIELD = "originator"
    http_settings.SKRANKE_SMS_HTTP_AUTH_HEADER = "X-Api-Key: k"
    requests: list[httpx.Request] = []

    HttpSmsBackend(recording_transport(requests)).send("+4512345678", "Æbler & pærer")

    [request] = requests
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.headers["X-Api-Key"] == "k"
    assert parse_qs(request.content.decode()) == {
        "recipient": ["+4512345678"],
        "message": ["Æbler & pærer"],
        "originator": ["Kommunen"],
    }


def test_http_gateway_without_sender_gets_no_sender_field(http_settings: Any) -> None:
    http_settings.SKRANKE_SMS_SENDER = ""
    http_settings.SKRANKE_SMS_HTTP_AUTH_HEADER = ""
    requests: list[httpx.Request] = []

    HttpSmsBackend(recording_transport(requests)).send("+4512345678", "Hej")

    assert json.loads(requests[0].content) == {"to": "+4512345678", "text": "Hej"}
    assert "Authorization" not in requests[0].headers


@pytest.mark.parametrize("status", [301, 400, 401, 500, 503])
def test_http_gateway_answer_other_than_2xx_is_an_error(http_settings: Any, status: int) -> None:
    with pytest.raises(SmsError, match=f"answered {status}"):
        HttpSmsBackend(recording_transport([], status)).send("+4512345678", "Hej")


def test_unreachable_http_gateway_is_an_error(http_settings: Any) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(SmsError, match="could not be reached"):
        HttpSmsBackend(httpx.MockTransport(refuse)).send("+4512345678", "Hej")


def test_file_backend_appends_one_json_line_per_message(sms_file: Path) -> None:
    send_sms("12 34 56 78", "Første")
    send_sms("+45 87 65 43 21", "Anden")

    lines = sms_lines(sms_file)
    assert [(line["to"], line["text"]) for line in lines] == [
        ("+4512345678", "Første"),
        ("+4587654321", "Anden"),
    ]
    assert "Første" in sms_file.read_text(encoding="utf-8")  # UTF-8, not \u escapes


def test_file_backend_that_cannot_write_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")

    with pytest.raises(SmsError, match="Cannot write"):
        FileSmsBackend(tmp_path / "a-file" / "sms.jsonl").send("+4512345678", "Hej")


def test_console_backend_prints_the_message(settings: Any) -> None:
    settings.SKRANKE_SMS_SENDER = "Kommunen"
    output = StringIO()

    ConsoleSmsBackend(output).send("+4512345678", "Det er din tur")

    assert output.getvalue().startswith("SMS to +4512345678 from Kommunen:\nDet er din tur\n")


def test_send_sms_refuses_a_number_that_is_not_danish(sms_file: Path) -> None:
    with pytest.raises(ValidationError):
        send_sms("+46 701234567", "Hej")

    assert sms_lines(sms_file) == []
