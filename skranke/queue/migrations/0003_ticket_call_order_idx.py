from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("queue", "0002_sms_notice"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                models.F("queue"),
                models.Case(
                    models.When(priority="urgent", then=models.Value(0)),
                    models.When(priority="appointment", then=models.Value(1)),
                    default=models.Value(2),
                    output_field=models.IntegerField(),
                ),
                models.F("waiting_since"),
                models.F("id"),
                condition=models.Q(("status", "waiting")),
                name="ticket_call_order_idx",
            ),
        ),
    ]
