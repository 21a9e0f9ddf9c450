"""Data: the national grading standards shipped in ``grading/data`` (coal underground and open-pit
2020 and 2024; metal/non-metal underground, open-pit and tailings pond 2016).

The loader takes this migration's app registry, so it works on the historical models. Loading
skips a standard version that already exists; the reverse removes the shipped versions again
(and fails, as it should, if an assessment uses one)."""

from django.db import migrations


def forward(apps, schema_editor):
    from compliance.grading.data import load_shipped

    load_shipped(apps)


def backward(apps, schema_editor):
    from compliance.grading.data import unload_shipped

    unload_shipped(apps)


class Migration(migrations.Migration):
    dependencies = [("grading", "0002_row_level_security")]

    operations = [migrations.RunPython(forward, backward)]
