"""Row-level security on every tenant-owned alarm table (PostgreSQL), and the shipped alarm rules
(practice defaults with their sources, unverified; no tenant, read by every scope)."""

from django.db import migrations

from compliance.rls import enable_rls, grant_operation


def ship_rules(apps, schema_editor):
    from compliance.alarms.rules import ship

    ship(apps.get_model("alarms", "AlarmDeadline"), apps.get_model("alarms", "AlarmRule"))


class Migration(migrations.Migration):
    dependencies = [("alarms", "0001_initial")]

    operations = [
        enable_rls("alarms_alarmfeed", "alarms_alarm", "alarms_alarmevent"),
        grant_operation(),
        migrations.RunPython(ship_rules, migrations.RunPython.noop),
    ]
