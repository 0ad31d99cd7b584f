"""List the tests a CI run skipped, and fail on a skip whose reason is not allowed in that run.

Usage: python3 .ci/check_skips.py postgresql|sqlite FILE

FILE is what pytest wrote with --record-skips (the root conftest.py): one JSON object a line with
the test, the kind (skip or xfail) and the reason. The reasons allowed are listed here and
nowhere else: a PostgreSQL-only test skipped on SQLite, an SQLite-only test skipped on
PostgreSQL, a test for another platform. Anything else — a missing browser, Redis or gettext, a
new skip, any xfail — fails the run, so it cannot pass unnoticed among the expected ones.
Exits 0 when every skip is allowed, 1 otherwise (or when FILE is missing: pytest did not run).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# The exact reasons, as the tests give them.
_PLATFORM_ONLY = {"reads /proc/<pid>/status"}
ALLOWED_SKIPS: dict[str, set[str]] = {
    "sqlite": {
        "needs PostgreSQL: set SKRANKE_TEST_DATABASE_URL",
        "checks the refusal on PostgreSQL",
        *_PLATFORM_ONLY,
    },
    "postgresql": {
        "the demo command runs on SQLite only",
        *_PLATFORM_ONLY,
    },
}


def disallowed_skips(run: str, lines: list[str]) -> tuple[list[str], int]:
    """Print each recorded skip of ``run``; return the disallowed ones' lines and the count."""
    allowed = ALLOWED_SKIPS[run]
    refused = []
    skips = [json.loads(line) for line in lines if line.strip()]
    for skip in skips:
        verdict = (
            "allowed" if skip["kind"] == "skip" and skip["reason"] in allowed else "NOT ALLOWED"
        )
        line = f"  {verdict:<11} {skip['kind']:<5} {skip['test']}: {skip['reason']}"
        print(line)
        if verdict != "allowed":
            refused.append(line)
    return refused, len(skips)


def main(arguments: list[str]) -> int:
    if len(arguments) != 2 or arguments[0] not in ALLOWED_SKIPS:
        print(f"usage: check_skips.py {'|'.join(ALLOWED_SKIPS)} FILE", file=sys.stderr)
        return 2
    run, path = arguments[0], Path(arguments[1])
    if not path.exists():
        print(f"ci: no skips recorded in {path}: pytest did not run on {run}", file=sys.stderr)
        return 1
    print(f"ci: tests skipped on {run}:")
    refused, count = disallowed_skips(run, path.read_text(encoding="utf-8").splitlines())
    if refused:
        print(
            f"ci: {len(refused)} of {count} skips on {run} have a reason that is not allowed "
            "(allowed reasons: .ci/check_skips.py):",
            file=sys.stderr,
        )
        print("\n".join(refused), file=sys.stderr)
        return 1
    print(f"ci: {count} skips on {run}, each with an allowed reason")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
