"""Data: the major-hazard criteria shipped in ``inspections/hazards/criteria.py`` (coal 应急管理部令
第4号 and 第21号, metal/non-metal 矿安〔2022〕88号), every row unverified until an operator checks
it against the text. Loading skips what exists (by code); the reverse removes the shipped
catalogues (and fails, as it should, if a hazard names one of their criteria)."""

from django.db import migrations


def forward(apps, schema_editor):
    from compliance.inspections.hazards.criteria import load_shipped

    load_shipped(apps)


def backward(apps, schema_editor):
    from compliance.inspections.hazards.criteria import unload_shipped

    unload_shipped(apps)


class Migration(migrations.Migration):
    dependencies = [("inspections", "0005_hazards")]

    operations = [migrations.RunPython(forward, backward)]
