"""Row-level security on who-is-who tables, and the application role's privileges (PostgreSQL)."""

from django.db import migrations

from compliance.rls import enable_rls, grant_operation


class Migration(migrations.Migration):
    dependencies = [("tenants", "0001_initial")]

    operations = [
        enable_rls("tenants_orgunit", "tenants_mineprofile", "tenants_person", "tenants_membership"),
        grant_operation(),
    ]
