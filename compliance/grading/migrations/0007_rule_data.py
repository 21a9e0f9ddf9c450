"""The shipped grading rules as issue 14 reads them: every rule value with its source and verified
flag; coal 二级/三级 minimums on the three management parts (定级办法 Art. 4), not on each of the
17 elements; the accident consequences per edition; the national policy rules (stopped
production, the non-coal deadline, the coal waiting year).

Existing rows of the shipped national standards are rewritten in place (a misreading corrected,
not a new edition); tenants' own standards are left alone. Reversing keeps the data (the schema
migration before it drops the columns)."""

from django.db import migrations


def forward(apps, schema_editor):
    from compliance.grading.data import upgrade_shipped

    upgrade_shipped(apps)


class Migration(migrations.Migration):
    dependencies = [("grading", "0006_rule_sources")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
