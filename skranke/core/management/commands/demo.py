"""`skranke demo`: prepare a demo municipality on SQLite and serve it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from skranke.access.models import DevicePurpose
from skranke.access.views import device_home
from skranke.core.demo import DEMO_PASSWORD, DEMO_USERS, DemoAccess, load_demo
from skranke.core.demo_history import HistoryReport, default_first_day
from skranke.core.management.commands.serve import run_server, uses_sqlite
from skranke.lib.localtime import local_date


class Command(BaseCommand):
    help = "Create (or reuse) the demo database, load a demo municipality and serve it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on.")
        parser.add_argument(
            "--no-serve", action="store_true", help="Prepare the database, then stop."
        )
        parser.add_argument(
            "--history-from",
            metavar="YYYY-MM-DD",
            help="First day of the demo's history (default: 1 January two years ago); "
            "days already there are kept.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not uses_sqlite():
            raise CommandError(
                "The demo runs on the embedded SQLite database only; unset SKRANKE_DATABASE_URL "
                "so demo data never reaches a production database."
            )
        if not 0 < options["port"] < 65536:
            raise CommandError("--port must be between 1 and 65535.")
        history_from = _history_from(options["history_from"])
        self.stdout.write(f"Database: {settings.DATABASES['default']['NAME']}")
        call_command("migrate", interactive=False, verbosity=0)
        access = load_demo(history_from=history_from)
        call_command("collectstatic", interactive=False, verbosity=0)
        if access.history is not None:
            self.stdout.write(_history_line(access.history))
        self.stdout.write(self.style.SUCCESS("Demo municipality ready."))
        base = f"http://{options['host']}:{options['port']}"
        self.stdout.write(
            "\n".join(
                [
                    "",
                    f"  Start page        {base}/",
                    f"  Administration    {base}/admin/",
                    f"  API documentation {base}/api/v1/docs",
                    "",
                    f"  Demo logins (password '{DEMO_PASSWORD}' for all):",
                    *(f"    {user.username:<12} {user.role.label}" for user in DEMO_USERS),
                    "",
                    *_number_system_lines(base, access),
                    "",
                    "  API token for the manager 'leder' (new on every run):",
                    f"    curl -H 'Authorization: Bearer {access.manager_token}' {base}/api/v1/me",
                    "",
                ]
            )
        )
        if options["no_serve"]:
            return
        self.stdout.write(f"Serving on {base}/ — press Ctrl+C to stop.")
        self.stdout.flush()
        run_server(options["host"], options["port"], workers=1, with_worker=True)


def _history_from(text: str | None) -> dt.date:
    today = local_date(timezone.now())
    if text is None:
        return default_first_day(today)
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"--history-from must be a date written YYYY-MM-DD, not {text[:40]!r}."
        ) from None
    if not dt.date(today.year - 10, 1, 1) <= day <= today:
        raise CommandError("--history-from must be a day in the last ten years, not in the future.")
    return day


def _history_line(history: HistoryReport) -> str:
    """One line: how much history was made, for which days, and how long it took."""
    return (
        f"Demo history {history.first_day} to {history.last_day}: "
        f"{history.visits:,} visits generated in {history.seconds:.1f} s."
    )


def _number_system_lines(base: str, access: DemoAccess) -> list[str]:
    """The kiosk, display and counter addresses of the around-the-clock centre, then the rest.

    A kiosk or display is a paired device: its one-time link pairs the browser that opens it and
    then shows the page (the address after the arrow), which works in that browser from then on.
    """
    screens = (DevicePurpose.KIOSK, DevicePurpose.DISPLAY)
    live = [
        (device, path)
        for device, path in access.pairing_paths
        if device.location.slug == "demo" and device.purpose in screens
    ]
    others = [pair for pair in access.pairing_paths if pair not in live]
    lines = ["  Number system at the demo centre (one browser window each):"]
    for device, path in live:
        label = "Kiosk:" if device.purpose == DevicePurpose.KIOSK else "Display:"
        lines.append(f"    {label:<16} {base}{path}  → {base}{device_home(device)}")
    lines += [
        f"    {'Counter:':<16} {base}/counter/  (log in as medarbejder)",
        f"    {'Floor guide:':<16} {base}/floor/demo/  (log in as medarbejder)",
        "",
        "  Other device pairing links (open one on the kiosk, screen or counter tablet):",
        *(
            f"    {device.location.name} · {device.get_purpose_display()}: {base}{path}"
            for device, path in others
        ),
    ]
    return lines
