from django.db import migrations

from compliance.rls import enable_rls, grant_operation


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [enable_rls("notifications_notification"), grant_operation()]
