"""Write three reports over the report data to a JSON file, to compare two engines' output.

`python -m bench.report_dump OUT.json` (Django settings from the environment, the data of
bench.report_data in place): the year 2024 at every centre, the second quarter of 2024 at the
first centre, and March 2023 at three centres with a goal of 7 minutes given. Run it from a
checkout of each revision against the same database and compare the files with `cmp`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "skranke.settings")
django.setup()

from skranke.organisation.models import Location  # noqa: E402
from skranke.reports.query import ReportQuery  # noqa: E402
from skranke.reports.report import build_report  # noqa: E402


def main(path: str) -> None:
    ids = tuple(Location.objects.order_by("pk").values_list("pk", flat=True))
    queries = {
        "year_2024_all": ReportQuery(ids, True, dt.date(2024, 1, 1), dt.date(2024, 12, 31)),
        "q2_2024_one": ReportQuery(ids[:1], False, dt.date(2024, 4, 1), dt.date(2024, 6, 30)),
        "march_2023_three_goal_7": ReportQuery(
            ids[2:5], False, dt.date(2023, 3, 1), dt.date(2023, 3, 31), goal_minutes=7
        ),
    }
    reports = {name: build_report(query) for name, query in queries.items()}
    with open(path, "w", encoding="utf-8") as out:
        json.dump(reports, out, indent=1, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1])
