"""Writing imported visit records a batch at a time, in the import's transaction, leaving out every
key a record already has (from an earlier import, or earlier in the same file).

On PostgreSQL a batch goes by COPY into a table of the session, then on with one INSERT … ON
CONFLICT DO NOTHING, on a thread of its own: while the database inserts one batch, maintains the
table's indexes and checks the rows' references, the next batch is read from the file. The
unique index decides what is already there, so an import of the same visits running at the same
time makes this one wait for it and then add nothing. The thread uses the import's own
connection, inside its transaction (psycopg's connection lock keeps the two threads' statements
apart), and at most two batches wait for it, so memory stays bounded. Other databases take each
batch by one INSERT, in turn. Either way the rows are those the ORM would write.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

from django.db import DatabaseError, connection, models

from skranke.history.visits import WRITTEN
from skranke.queue.models import VisitFact

Batch = dict[str, tuple[Any, ...]]
# Batches read ahead of the COPY thread; each is at most batch_size rows.
PENDING_BATCHES = 2
STAGING_TABLE = "skranke_imported_visits"


def _columns() -> tuple[str, list[str]]:
    """Return WRITTEN's columns, quoted and comma-separated, and each column's PostgreSQL type
    (COPY's binary format, which psycopg encodes in C, needs them)."""
    fields = {field.attname: field for field in VisitFact._meta.concrete_fields}
    columns = ", ".join(connection.ops.quote_name(fields[name].column) for name in WRITTEN)
    types = [
        # "varchar(200)" is a varchar to COPY; psycopg names timestamptz by its short name.
        str(fields[name].db_type(connection))
        .split("(")[0]
        .replace("timestamp with time zone", "timestamptz")
        for name in WRITTEN
    ]
    return columns, types


class _InsertSink:
    """Writes each batch as it comes, by one executemany INSERT (SQLite).

    Each value is adapted as the ORM adapts it for this database: dates and times by the
    backend's own adapters, everything else as it is.
    """

    def __init__(self) -> None:
        self.written = 0
        self.already_there = 0
        columns, _types = _columns()
        table = connection.ops.quote_name(VisitFact._meta.db_table)
        placeholders = ", ".join(["%s"] * len(WRITTEN))
        self.insert = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
        fields = {field.attname: field for field in VisitFact._meta.concrete_fields}
        self.adapters: list[tuple[int, Callable[[Any], Any]]] = []
        for index, name in enumerate(WRITTEN):
            field = fields[name]
            if isinstance(field, models.DateTimeField):
                self.adapters.append((index, connection.ops.adapt_datetimefield_value))
            elif isinstance(field, models.DateField):
                self.adapters.append((index, connection.ops.adapt_datefield_value))

    def _adapted(self, row: tuple[Any, ...]) -> list[Any]:
        values = list(row)
        for index, adapt in self.adapters:
            if values[index] is not None:
                values[index] = adapt(values[index])
        return values

    def write(self, batch: Batch) -> None:
        there = set(
            VisitFact.objects.filter(import_key__in=list(batch)).values_list(
                "import_key", flat=True
            )
        )
        rows = [self._adapted(row) for key, row in batch.items() if key not in there]
        if rows:
            with connection.cursor() as cursor:
                cursor.executemany(self.insert, rows)
        self.written += len(rows)
        self.already_there += len(there)

    def drain(self) -> None:
        pass

    def close(self) -> None:
        pass

    def abandon(self) -> None:
        pass


class _CopySink:
    """Writes batches by COPY on a thread of its own (PostgreSQL)."""

    def __init__(self) -> None:
        self.written = 0
        self.already_there = 0
        columns, self.types = _columns()
        table = connection.ops.quote_name(VisitFact._meta.db_table)
        staging = connection.ops.quote_name(STAGING_TABLE)
        with connection.cursor() as cursor:
            # Check each batch's references as it is written, while the next is read, rather
            # than all of them at commit, after the whole file.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            # A batch goes by COPY into a table of this session without indexes, then on with
            # one INSERT that leaves out every key the visit records already have (earlier in
            # the file, an earlier import, or a concurrent one once it commits), by the unique
            # index itself rather than a query the planner could misjudge on a table growing
            # inside this transaction.
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ON COMMIT DROP AS "  # noqa: S608
                f"SELECT {columns} FROM {table} WITH NO DATA"
            )
            cursor.execute(f"TRUNCATE {staging}")
        self.copy = f"COPY {staging} ({columns}) FROM STDIN (FORMAT BINARY)"
        self.insert = (
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {staging} "  # noqa: S608
            "ON CONFLICT (import_key) DO NOTHING"
        )
        self.truncate = f"TRUNCATE {staging}"
        # The psycopg connection under Django's (BaseDatabaseWrapper.connection), inside the
        # transaction Django opened: the COPYs commit or roll back with the rest of the import.
        self.raw: Any = connection.connection
        self.batches: queue.Queue[Batch | None] = queue.Queue(maxsize=PENDING_BATCHES)
        self.error: BaseException | None = None
        self.stopping = False
        self.thread = threading.Thread(target=self._run, name="skranke-import-copy", daemon=True)
        self.thread.start()

    def write(self, batch: Batch) -> None:
        self._raise()
        self.batches.put(batch)

    def drain(self) -> None:
        """Wait until every batch handed over is written; raises what the thread met."""
        self.batches.join()
        self._raise()

    def close(self) -> None:
        """Wait until every batch is written; raises what the thread met."""
        self.batches.put(None)
        self.thread.join()
        self._raise()

    def abandon(self) -> None:
        """Stop after the batch being written; the transaction is about to be rolled back."""
        self.stopping = True
        self.batches.put(None)
        self.thread.join()

    def _raise(self) -> None:
        error = self.error
        if error is None:
            return
        # As Django reports database errors, so callers handle them alike on every database.
        import psycopg

        if isinstance(error, psycopg.Error):
            raise DatabaseError(str(error)) from error
        raise error

    def _run(self) -> None:
        while (batch := self.batches.get()) is not None:
            # After an error, or when abandoned, the rest is only taken off the queue, so that
            # a write() waiting for room never blocks.
            if self.error is None and not self.stopping:
                try:
                    self._write(batch)
                except BaseException as error:
                    self.error = error
            self.batches.task_done()

    def _write(self, batch: Batch) -> None:
        with self.raw.cursor() as cursor:
            with cursor.copy(self.copy) as copy:
                copy.set_types(self.types)
                for row in batch.values():
                    copy.write_row(row)
            cursor.execute(self.insert)
            written = cursor.rowcount
            cursor.execute(self.truncate)
        self.written += written
        self.already_there += len(batch) - written


class VisitWriter:
    """Collects visit records by key and writes them a batch at a time; a context manager whose
    exit waits for the last batch (or, after an error, stops writing).

    ``written`` and ``already_there`` count the records written and those left out, once it has
    exited without an error.
    """

    def __init__(self, batch_size: int) -> None:
        self.batch_size = batch_size
        self.sink: _InsertSink | _CopySink = (
            _CopySink() if connection.vendor == "postgresql" else _InsertSink()
        )
        self.batch: Batch = {}
        self.repeated = 0

    def add(self, key: str, row: tuple[Any, ...]) -> None:
        if key in self.batch:
            self.repeated += 1
            return
        self.batch[key] = row
        if len(self.batch) >= self.batch_size:
            self.sink.write(self.batch)
            self.batch = {}

    def drain(self) -> None:
        """Wait until every full batch handed to the database is written."""
        self.sink.drain()

    @property
    def written(self) -> int:
        return self.sink.written

    @property
    def already_there(self) -> int:
        return self.sink.already_there + self.repeated

    def __enter__(self) -> VisitWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if error is not None:
            self.sink.abandon()
            return
        if self.batch:
            self.sink.write(self.batch)
            self.batch = {}
        self.sink.close()
