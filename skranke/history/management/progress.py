"""A progress bar for a command reading a file: shown on stderr when that is a terminal, nothing
otherwise (a pipe, a log file, a test)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from skranke.history.summary import Progress as ProgressCallback


@contextmanager
def file_progress(description: str) -> Iterator[ProgressCallback | None]:
    """Yield a callback taking (bytes read, file size), or None when stderr is no terminal."""
    console = Console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance
