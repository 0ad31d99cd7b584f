"""Fixtures for the messaging tests: the file SMS backend and a local HTTP SMS gateway."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def sms_file(settings: Any, tmp_path: Path) -> Path:
    """Send SMS through the file backend; return the file its JSON lines go to."""
    settings.SKRANKE_SMS_BACKEND = "file"
    settings.SKRANKE_SMS_FILE = tmp_path / "sms.jsonl"
    return Path(settings.SKRANKE_SMS_FILE)


def sms_lines(path: Path) -> list[dict[str, Any]]:
    """Return the messages the file backend wrote, oldest first (none if no file yet)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@dataclass
class GatewayRequest:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Gateway:
    """An SMS gateway on 127.0.0.1 that answers with the statuses in ``answers`` in turn."""

    url: str
    answers: list[int]
    requests: list[GatewayRequest] = field(default_factory=list)

    def next_status(self) -> int:
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


@pytest.fixture
def gateway(settings: Any) -> Iterator[Gateway]:
    """A local HTTP gateway, configured as the SMS backend; it answers 200 unless told to."""
    state = Gateway(url="", answers=[200])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            state.requests.append(
                GatewayRequest(self.path, dict(self.headers.items()), self.rfile.read(length))
            )
            status = state.next_status()
            answer = b'{"ok": true}' if status < 400 else b"gateway trouble"
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, name="test-sms-gateway", daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/sms/send"
    settings.SKRANKE_SMS_BACKEND = "http"
    settings.SKRANKE_SMS_HTTP_URL = state.url
    settings.SKRANKE_SMS_HTTP_AUTH_HEADER = "X-Api-Key: secret-key"
    settings.SKRANKE_SMS_SENDER = "Kommunen"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
