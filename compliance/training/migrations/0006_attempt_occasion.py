"""Attempts say why they were sat (``occasion``): the person's own, or a spot exam (逢查必考).

Inspections move to their own app (compliance.inspections) and the link between a spot exam and
its attempt moves to the spot exam's side; training keeps only this field, filled here from the
old link so the attempt counts and answer reveals stay as they were."""

from django.db import migrations, models


def fill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # Every group's attempts: row-level security is forced on this table, even for its owner.
        schema_editor.execute("SELECT set_config('app.all_tenants', 'on', true)")
    schema_editor.execute(
        "UPDATE training_attempt SET occasion = 'spot_exam' WHERE spot_check_id IS NOT NULL"
    )


class Migration(migrations.Migration):
    dependencies = [("training", "0005_row_level_security_audiences")]

    operations = [
        migrations.AddField(
            model_name="attempt",
            name="occasion",
            field=models.CharField(
                blank=True,
                choices=[("", "Own exam"), ("spot_exam", "Spot exam")],
                default="",
                max_length=16,
                verbose_name="occasion",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
