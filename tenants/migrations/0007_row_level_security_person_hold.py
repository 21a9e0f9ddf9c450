"""Row-level security on holds on a person (PostgreSQL), like every tenant-owned table."""

from django.db import migrations

from compliance.rls import enable_rls, grant_operation


class Migration(migrations.Migration):
    dependencies = [("tenants", "0006_person_hold")]

    operations = [enable_rls("tenants_personhold"), grant_operation()]
