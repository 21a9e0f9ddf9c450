"""Row-level security on the audit trail; the application role may only read and append."""

from django.db import migrations

from compliance.rls import enable_rls, grant_operation


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial"), ("tenants", "0002_row_level_security")]

    operations = [enable_rls("audit_auditevent"), grant_operation()]
