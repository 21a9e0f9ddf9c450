from django.db import migrations

from compliance.rls import enable_rls


class Migration(migrations.Migration):
    dependencies = [("jobs", "0001_initial"), ("tenants", "0002_row_level_security")]

    operations = [enable_rls("jobs_job")]
