"""Row-level security on every tenant-owned outsourcing table (PostgreSQL), and the shipped
outsourcing rules (national reference data with their sources; no tenant, read by every scope)."""

from django.db import migrations

from compliance.rls import enable_rls, grant_operation


def ship_rules(apps, schema_editor):
    from compliance.contractors.rules import ship

    ship(apps.get_model("contractors", "OutsourcingRule"))


class Migration(migrations.Migration):
    dependencies = [("contractors", "0001_initial")]

    operations = [
        enable_rls(
            "contractors_contractor",
            "contractors_qualification",
            "contractors_engagement",
            "contractors_staffassignment",
            "contractors_appraisal",
        ),
        grant_operation(),
        migrations.RunPython(ship_rules, migrations.RunPython.noop),
    ]
