"""The link between a spot exam and its attempt moves to the spot exam (``SpotCheck.attempt``),
so that training knows nothing of inspections. The links are copied from the attempt's old
``spot_check`` column, which training 0007 then drops. Row-level security on the table stays."""

import django.db.models.deletion
from django.db import migrations, models


def _check_now(schema_editor):
    # Django's foreign keys are deferred: check them now, so the column change that follows in
    # the same transaction finds no pending trigger events (PostgreSQL refuses ALTER TABLE then).
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def copy_links(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # Every group's rows: row-level security is forced on these tables, even for their owner.
        schema_editor.execute("SELECT set_config('app.all_tenants', 'on', true)")
    schema_editor.execute(
        "UPDATE training_spotcheck SET attempt_id = ("
        " SELECT a.id FROM training_attempt a WHERE a.spot_check_id = training_spotcheck.id"
        ") WHERE EXISTS (SELECT 1 FROM training_attempt a WHERE a.spot_check_id = training_spotcheck.id)"
    )
    _check_now(schema_editor)


def copy_back(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SELECT set_config('app.all_tenants', 'on', true)")
    schema_editor.execute(
        "UPDATE training_attempt SET spot_check_id = ("
        " SELECT s.id FROM training_spotcheck s WHERE s.attempt_id = training_attempt.id"
        ") WHERE EXISTS (SELECT 1 FROM training_spotcheck s WHERE s.attempt_id = training_attempt.id)"
    )
    _check_now(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("inspections", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="spotcheck",
            name="attempt",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="spot_check",
                to="training.attempt",
            ),
        ),
        migrations.RunPython(copy_links, copy_back),
    ]
