"""A BRIN index on the visit record's issue date, on PostgreSQL.

Visit records are written as visits end, so the table lies in issue-date order and each range
of blocks holds a few days. A report over a period then reads only that period's blocks
through this index (a few hundred kilobytes for ten million records), where PostgreSQL passed
over the B-tree indexes for a scan of the whole table; autosummarize keeps new blocks
summarised. SQLite has no BRIN index, so there the migration does nothing.
"""

from django.db import migrations

INDEX = "visit_issue_date_brin"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("queue", "VisitFact")._meta.db_table)
    schema_editor.execute(
        f"CREATE INDEX {INDEX} ON {table} USING brin (issue_date) WITH (autosummarize = on)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("queue", "0008_visit_record_cpr_guard"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index),
    ]
