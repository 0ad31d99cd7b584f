"""The `skranke` console script: Django's management commands plus Skranke's own.

A bad setting stops it with one line naming the variable, never a traceback.
"""

from __future__ import annotations

import os
import sys

from django.core.exceptions import ImproperlyConfigured


def main(argv: list[str] | None = None) -> None:
    """Run a management command, e.g. `skranke migrate` or `skranke demo`."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "skranke.settings")
    arguments = list(sys.argv if argv is None else argv)
    arguments[0] = "skranke"
    try:
        import django

        django.setup()
    except ImproperlyConfigured as error:
        sys.stderr.write(f"skranke: configuration error: {error}\n")
        raise SystemExit(2) from None

    from django.core.management import execute_from_command_line
    from django.db import DatabaseError

    try:
        execute_from_command_line(arguments)
    except DatabaseError as error:
        # Typically a database that was never migrated, or one that cannot be reached.
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        sys.stderr.write(
            f"skranke: database error: {first_line} (is the database reachable, and has "
            "`skranke migrate` been run?)\n"
        )
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
