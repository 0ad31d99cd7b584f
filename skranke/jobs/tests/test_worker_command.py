"""`skranke worker`: --once exits 0 after doing what is due; bad arguments fail clearly."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from skranke.jobs.jobs import DELETE_FINISHED_JOB
from skranke.jobs.models import Job, JobStatus
from skranke.jobs.services import enqueue
from skranke.jobs.tests.commands import (
    COMMAND_TIMEOUT_SECONDS,
    PROJECT,
    committed_database_url,
    run_skranke,
    skranke_environment,
)
from skranke.testing.waiting import wait_for


def make_old_finished_job() -> Job:
    long_ago = timezone.now() - dt.timedelta(days=400)
    return Job.objects.create(
        kind="test.long-gone",
        status=JobStatus.DONE,
        max_attempts=1,
        attempts=1,
        created_at=long_ago,
        finished_at=long_ago,
    )


def test_worker_once_runs_due_jobs_and_exits_0(transactional_db: None, tmp_path: Path) -> None:
    old = make_old_finished_job()
    job = enqueue(DELETE_FINISHED_JOB)

    result = run_skranke(
        tmp_path, "worker", "--once", env={"SKRANKE_DATABASE_URL": committed_database_url()}
    )

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.startswith("Ran ")
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert not Job.objects.filter(id=old.id).exists()


def test_worker_stops_after_sigterm_with_exit_0(transactional_db: None, tmp_path: Path) -> None:
    job = enqueue(DELETE_FINISHED_JOB)
    process = subprocess.Popen(
        [sys.executable, "-m", "skranke", "worker", "--poll-seconds", "1", "--name", "cron-1"],
        cwd=PROJECT,
        env=skranke_environment(tmp_path, SKRANKE_DATABASE_URL=committed_database_url()),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(
            lambda: Job.objects.filter(id=job.id, status=JobStatus.DONE).exists(),
            COMMAND_TIMEOUT_SECONDS,
            "the worker process ran the job",
        )
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=COMMAND_TIMEOUT_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == 0, output
    assert "Traceback" not in output
    assert "Worker cron-1 stopped" in output
    assert Job.objects.get(id=job.id).claimed_by == "cron-1"


@pytest.mark.parametrize(
    ("arguments", "exit_code", "message"),
    [
        (["--poll-seconds", "0"], 1, "--poll-seconds must be between 1 and 300."),
        (["--poll-seconds", "soon"], 2, "invalid int value: 'soon'"),
        (["--name", "x" * 201], 1, "--name is too long"),
        (["--every", "5"], 2, "unrecognized arguments: --every 5"),
    ],
)
def test_bad_arguments_fail_with_one_clear_message(
    tmp_path: Path, arguments: list[str], exit_code: int, message: str
) -> None:
    result = run_skranke(tmp_path, "worker", "--once", *arguments)

    assert result.returncode == exit_code
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_worker_on_a_database_without_tables_says_to_migrate(tmp_path: Path) -> None:
    result = run_skranke(tmp_path, "worker", "--once")

    assert result.returncode == 1
    assert "run `skranke migrate` first" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_poll_interval_is_a_command_error_in_process(db: None) -> None:
    with pytest.raises(CommandError, match="between 1 and 300"):
        call_command("worker", "--once", "--poll-seconds", "301")
