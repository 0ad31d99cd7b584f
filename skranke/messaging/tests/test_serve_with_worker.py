"""`skranke serve --with-worker`: the real server process sends messages with its own worker."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from skranke.jobs.tests.commands import (
    PROJECT,
    committed_database_url,
    skranke_environment,
)
from skranke.messaging.models import Channel, Message, MessageStatus
from skranke.messaging.services import send_message
from skranke.messaging.tests.conftest import sms_lines
from skranke.testing.server import RunningServer, free_port
from skranke.testing.waiting import wait_for

# Start-up imports Django; the worker then looks for jobs every second.
WAIT_SECONDS = 30


@pytest.fixture
def sms_path(tmp_path: Path) -> Path:
    return tmp_path / "sms.jsonl"


@pytest.fixture
def server_with_worker(
    transactional_db: None, tmp_path: Path, sms_path: Path
) -> Iterator[RunningServer]:
    """`skranke serve --with-worker` on the test database, sending SMS to ``sms_path``."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "skranke",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--no-collectstatic",
        "--with-worker",
    ]
    environment = skranke_environment(
        tmp_path,
        SKRANKE_DATABASE_URL=committed_database_url(),
        SKRANKE_SMS_BACKEND="file",
        SKRANKE_SMS_FILE=str(sms_path),
        SKRANKE_WORKER_POLL_SECONDS="1",
    )
    process = subprocess.Popen(
        command,
        cwd=PROJECT,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    server = RunningServer(process, command, port, workers=1)
    try:
        server.wait_until_ready()
        yield server
    finally:
        server.stop()
        print(f"--- output of {' '.join(command)} ---\n{server.output}")


def status_of(message: Message) -> str:
    return Message.objects.get(id=message.id).status


def test_server_with_worker_sends_messages_enqueued_before_and_while_it_runs(
    server_with_worker: RunningServer, sms_path: Path
) -> None:
    first = send_message(channel=Channel.SMS, recipient="12345678", body="Første besked")
    wait_for(lambda: status_of(first) == MessageStatus.SENT, WAIT_SECONDS, "first message sent")
    second = send_message(channel=Channel.SMS, recipient="87654321", body="Anden besked")
    wait_for(lambda: status_of(second) == MessageStatus.SENT, WAIT_SECONDS, "second message sent")

    assert [(line["to"], line["text"]) for line in sms_lines(sms_path)] == [
        ("+4512345678", "Første besked"),
        ("+4587654321", "Anden besked"),
    ]
    # SIGTERM, as a service manager stops it: the worker finishes and says so before the
    # process ends the way uvicorn ends it (by the signal, as without --with-worker).
    assert server_with_worker.stop() == -signal.SIGTERM
    output = server_with_worker.output
    assert re.search(r"Worker \S+ stopped", output), output
    assert "Traceback" not in output
