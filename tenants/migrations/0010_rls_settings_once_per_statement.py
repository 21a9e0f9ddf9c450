"""Every tenant table's policy reads the RLS settings once per statement instead of once per row
(``compliance.rls.visible_sql``): the same rule, rewritten in place. No-op on SQLite."""

from django.db import migrations

from compliance import rls


def forward(apps, schema_editor):
    if rls.is_postgres(schema_editor.connection):
        rls.rewrite_tenant_policies(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("tenants", "0009_mineprofile_production_status_since")]

    # Reversing keeps the new form: it is the same rule.
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
