"""`skranke report`: the statistics of centres and dates as one JSON object on stdout."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError, CommandParser

from skranke.core.commandline import OneLineErrorCommand
from skranke.reports.query import (
    GOAL_MINUTES_RANGE,
    MAX_PERIOD_YEARS,
    ReportQueryRefused,
    parse_report_query,
)
from skranke.reports.report import build_report

FORMATS = ["json"]


class Command(OneLineErrorCommand):
    help = (
        "Print the statistics of one centre, or of all active centres, for a period as one JSON "
        "object (UTF-8, indented by two spaces; the same object as GET /api/v1/reports). "
        f"The period is at most {MAX_PERIOD_YEARS} years, both dates included. A bad argument "
        "gives one line on stderr and a non-zero exit status (1; 2 for a missing or unknown "
        "option)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--location",
            required=True,
            metavar="SLUG|all",
            help='A centre\'s slug, or "all" for every active centre (queues keyed "slug/name").',
        )
        parser.add_argument(
            "--from",
            dest="date_from",
            required=True,
            metavar="YYYY-MM-DD",
            help="The first day of the period (local date).",
        )
        parser.add_argument(
            "--to",
            dest="date_to",
            required=True,
            metavar="YYYY-MM-DD",
            help="The last day of the period, included.",
        )
        parser.add_argument(
            "--format",
            choices=FORMATS,
            default="json",
            help="Output format (default json).",
        )
        low, high = GOAL_MINUTES_RANGE
        parser.add_argument(
            "--goal-minutes",
            metavar="N",
            help=(
                f"Count waits of at most N minutes ({low} to {high}) as within goal, instead of "
                "the service goals in force on each day."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            query = parse_report_query(
                options["location"],
                options["date_from"],
                options["date_to"],
                options["goal_minutes"],
            )
        except ReportQueryRefused as refused:
            raise CommandError(refused.message) from None
        report = build_report(query)
        self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
