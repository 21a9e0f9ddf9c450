"""Every open suspension from post gets its open hold on the person (tenants.PersonHold), as a
failed spot exam places one from now on: the on-post rule then reads holds only."""

import uuid

from django.db import migrations

SOURCE = "inspections.spot_exam"
REFERENCE_TYPE = "inspections.Suspension"


def place(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # Every group's rows: row-level security is forced on these tables, even for their owner.
        schema_editor.execute("SELECT set_config('app.all_tenants', 'on', true)")
    Suspension = apps.get_model("inspections", "Suspension")
    PersonHold = apps.get_model("tenants", "PersonHold")
    have = set(
        PersonHold.objects.filter(source=SOURCE, reference_type=REFERENCE_TYPE).values_list(
            "reference_id", flat=True
        )
    )
    PersonHold.objects.bulk_create(
        [
            PersonHold(
                id=uuid.uuid4(),
                tenant_id=s.tenant_id,
                person_id=s.person_id,
                source=SOURCE,
                reason=s.reason,
                reference_type=REFERENCE_TYPE,
                reference_id=str(s.pk),
                placed_at=s.started_at,
            )
            for s in Suspension.objects.filter(cleared_at__isnull=True)
            if str(s.pk) not in have
        ]
    )


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SELECT set_config('app.all_tenants', 'on', true)")
    apps.get_model("tenants", "PersonHold").objects.filter(source=SOURCE, reference_type=REFERENCE_TYPE).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("inspections", "0002_spotcheck_attempt"),
        ("tenants", "0007_row_level_security_person_hold"),
    ]

    operations = [migrations.RunPython(place, remove)]
