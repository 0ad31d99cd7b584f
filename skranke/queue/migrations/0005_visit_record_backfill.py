"""Fill the visit record's new fields from each record's ticket (DESIGN.md, Definitions)."""

from django.db import migrations
from django.utils import timezone


def backfill(apps, schema_editor):
    VisitFact = apps.get_model("queue", "VisitFact")
    zone = timezone.get_default_timezone()
    facts = VisitFact.objects.select_related("ticket", "ticket__session").order_by("pk")
    batch = []
    for fact in facts.iterator(chunk_size=2000):
        ticket = fact.ticket
        fact.source = ticket.source
        fact.served_queue_id = ticket.queue_id
        fact.issued_at = ticket.issued_at
        fact.ended_at = ticket.ended_at or ticket.issued_at
        fact.first_called_at = ticket.first_called_at
        if ticket.first_called_at is not None:
            fact.first_call_hour = ticket.first_called_at.astimezone(zone).hour
        if fact.service_seconds is not None:
            fact.front_service_seconds = fact.service_seconds
            fact.back_office_service_seconds = 0
        batch.append(fact)
        if len(batch) == 2000:
            _save(VisitFact, batch)
            batch = []
    _save(VisitFact, batch)


def _save(VisitFact, batch):
    VisitFact.objects.bulk_update(
        batch,
        [
            "source",
            "served_queue",
            "issued_at",
            "ended_at",
            "first_called_at",
            "first_call_hour",
            "front_service_seconds",
            "back_office_service_seconds",
        ],
    )


class Migration(migrations.Migration):
    dependencies = [("queue", "0004_visit_record_completed")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
