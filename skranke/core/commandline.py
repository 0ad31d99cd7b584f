"""What Skranke's own management commands share: argument errors as one line, not argparse's usage
text followed by the error."""

from __future__ import annotations

from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser


class OneLineErrorParser(CommandParser):
    """Refuses a bad argument with one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        if self.called_from_command_line:
            self.exit(2, f"{self.prog}: {message} (see --help)\n")
        # Called from code (call_command): as Django's own parser does.
        raise CommandError(f"Error: {message}")


class OneLineErrorCommand(BaseCommand):
    """A command whose argument errors are one line (OneLineErrorParser)."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        # Django builds the parser itself; only its error() differs.
        parser.__class__ = OneLineErrorParser
        return parser
