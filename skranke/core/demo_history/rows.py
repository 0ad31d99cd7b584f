"""Inserting many rows of a model quickly: one prepared INSERT run over all of them.

Django's bulk_create builds a model instance per row and prepares it field by field, which for
the demo's hundreds of thousands of events costs most of a minute. Here each row is a list of
the model's column values (attnames, every column given); only dates, times and JSON are
prepared for the database, with the backend's own adapters (what Field.get_db_prep_save calls
for an aware datetime, a date and a JSON value); numbers, text, booleans and None go as they are,
which is what that preparation returns for them too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models


class RowInserter:
    """INSERTs rows of ``model``, given as lists of ``field_names``' values (attnames)."""

    def __init__(
        self,
        model: type[models.Model],
        field_names: Sequence[str],
        prepared: dict[Any, Any] | None = None,
    ) -> None:
        # The connection itself rather than django.db.connection, whose every attribute is
        # looked up per thread: that lookup alone would double the time spent here.
        self.connection = connections[DEFAULT_DB_ALIAS]
        meta = model._meta
        by_attname = {field.attname: field for field in meta.concrete_fields}
        expected = {field.attname for field in meta.concrete_fields if not field.primary_key}
        if set(field_names) != expected or len(field_names) != len(expected):
            # Every column is written, so no row depends on a default of the database.
            raise ValueError(f"{meta.label}: give each column once, not {sorted(field_names)}")
        fields = [by_attname[name] for name in field_names]
        # Dates and times prepared already, shared by the inserters of one writer: a visit's
        # times recur in its ticket, its events and its visit record.
        self.prepared_values = {} if prepared is None else prepared
        quote = self.connection.ops.quote_name
        columns = ", ".join(quote(field.column) for field in fields)
        marks = ", ".join(["%s"] * len(fields))
        self.sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
        self.copy_sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
        self.prepare = [
            (index, preparer)
            for index, field in enumerate(fields)
            if (preparer := self._preparer(field)) is not None
        ]

    def insert(self, rows: Iterable[list[Any]]) -> int:
        """Insert ``rows`` (prepared in place) in the caller's transaction; returns how many."""
        prepared = list(rows)
        for row in prepared:
            for index, prepare in self.prepare:
                row[index] = prepare(row[index])
        if not prepared:
            return 0
        with self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql":
                # COPY streams the rows in one command, several times faster than one INSERT
                # each; psycopg adapts the values as it does for the INSERT.
                with cursor.cursor.copy(self.copy_sql) as copy:
                    for row in prepared:
                        copy.write_row(row)
            else:
                cursor.executemany(self.sql, prepared)
        return len(prepared)

    def _preparer(self, field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
        ops = self.connection.ops
        if isinstance(field, models.DateTimeField):
            return self._remembered(ops.adapt_datetimefield_value)
        if isinstance(field, models.DateField):
            return self._remembered(ops.adapt_datefield_value)
        if isinstance(field, models.JSONField):
            connection = self.connection

            def prepare_json(value: Any) -> Any:
                return field.get_db_prep_save(value, connection)

            return prepare_json
        return None

    def _remembered(self, adapt: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """Return ``adapt`` computed once per value. A date and a datetime never compare equal,
        so the two kinds share the memory safely."""
        seen = self.prepared_values

        def prepare(value: dt.date | None) -> Any:
            if value is None:
                return None
            if value not in seen:
                seen[value] = adapt(value)
            return seen[value]

        return prepare
