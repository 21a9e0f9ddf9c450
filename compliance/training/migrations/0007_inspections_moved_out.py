"""Inspections, spot exams and suspensions now belong to compliance.inspections.

Their tables stay (inspections 0001 took them over in its state); training forgets them here,
in state only. The attempt's old link to its spot exam is dropped: inspections 0002 copied it to
the spot exam's own ``attempt`` column first."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("training", "0006_attempt_occasion"),
        ("inspections", "0002_spotcheck_attempt"),
    ]

    operations = [
        migrations.RemoveField(model_name="attempt", name="spot_check"),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Suspension"),
                migrations.DeleteModel(name="SpotCheck"),
                migrations.DeleteModel(name="Inspection"),
            ],
            database_operations=[],
        ),
    ]
