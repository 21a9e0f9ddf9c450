"""A paper no longer shows its answer key after each submission, only once the taker can no
longer sit it: "after_submit" becomes "after_last_attempt" (the new default), "never" stays."""

from django.db import migrations, models


def _set(old: str, new: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            # Every group's papers: row-level security is forced on this table, even for its owner.
            schema_editor.execute("SELECT set_config('app.all_tenants', 'on', true)")
        schema_editor.execute(
            "UPDATE training_exampaper SET show_answers = %s WHERE show_answers = %s", [new, old]
        )

    return run


class Migration(migrations.Migration):
    dependencies = [("training", "0003_national_rule_pack")]

    operations = [
        migrations.AlterField(
            model_name="exampaper",
            name="show_answers",
            field=models.CharField(
                choices=[("after_last_attempt", "After the last attempt"), ("never", "Never (score only)")],
                default="after_last_attempt",
                max_length=24,
                verbose_name="answer reveal",
            ),
        ),
        migrations.RunPython(
            _set("after_submit", "after_last_attempt"), _set("after_last_attempt", "after_submit")
        ),
    ]
