"""Bad job, e-mail or SMS settings stop start-up with one line naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from skranke.jobs.tests.commands import run_skranke


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"SKRANKE_WORKER_POLL_SECONDS": "0"}, "SKRANKE_WORKER_POLL_SECONDS"),
        ({"SKRANKE_JOB_MAX_ATTEMPTS": "many"}, "SKRANKE_JOB_MAX_ATTEMPTS"),
        ({"SKRANKE_JOB_VISIBILITY_TIMEOUT": "5"}, "SKRANKE_JOB_VISIBILITY_TIMEOUT"),
        ({"SKRANKE_MESSAGE_RETENTION_DAYS": "0"}, "SKRANKE_MESSAGE_RETENTION_DAYS"),
        ({"SKRANKE_EMAIL_BACKEND": "sendmail"}, "SKRANKE_EMAIL_BACKEND"),
        ({"SKRANKE_EMAIL_FROM": "Borgerservice"}, "SKRANKE_EMAIL_FROM"),
        ({"SKRANKE_SMTP_SECURITY": "tls"}, "SKRANKE_SMTP_SECURITY"),
        ({"SKRANKE_SMTP_PORT": "70000"}, "SKRANKE_SMTP_PORT"),
        ({"SKRANKE_SMS_BACKEND": "pigeon"}, "SKRANKE_SMS_BACKEND"),
        ({"SKRANKE_SMS_BACKEND": "http"}, "SKRANKE_SMS_HTTP_URL"),
        (
            {"SKRANKE_SMS_BACKEND": "http", "SKRANKE_SMS_HTTP_URL": "sms.example.dk"},
            "SKRANKE_SMS_HTTP_URL",
        ),
        ({"SKRANKE_SMS_HTTP_AUTH_HEADER": "Bearer abc"}, "SKRANKE_SMS_HTTP_AUTH_HEADER"),
        ({"SKRANKE_SMS_HTTP_BODY": "xml"}, "SKRANKE_SMS_HTTP_BODY"),
        ({"SKRANKE_SMS_HTTP_TIMEOUT": "0"}, "SKRANKE_SMS_HTTP_TIMEOUT"),
        ({"SKRANKE_SMS_NOTICE_PLACES_AHEAD": "0"}, "SKRANKE_SMS_NOTICE_PLACES_AHEAD"),
        ({"SKRANKE_SMS_NOTICE_PLACES_AHEAD": "51"}, "SKRANKE_SMS_NOTICE_PLACES_AHEAD"),
    ],
)
def test_bad_setting_stops_start_up_with_one_line(
    tmp_path: Path, variables: dict[str, str], named: str
) -> None:
    result = run_skranke(tmp_path, "check", env=variables)

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert named in lines[0]


def test_a_complete_http_gateway_configuration_passes_the_check(tmp_path: Path) -> None:
    result = run_skranke(
        tmp_path,
        "check",
        env={
            "SKRANKE_SMS_BACKEND": "http",
            "SKRANKE_SMS_HTTP_URL": "https://sms.example.dk/send",
            "SKRANKE_SMS_HTTP_AUTH_HEADER": "Authorization: Bearer abc",
            "SKRANKE_SMS_HTTP_BODY": "form",
            "SKRANKE_EMAIL_BACKEND": "smtp",
            "SKRANKE_SMTP_SECURITY": "ssl",
            "SKRANKE_SMS_NOTICE_PLACES_AHEAD": "50",
        },
    )

    assert result.returncode == 0, result.stderr
