"""Operation types follow the national catalogue of special operations for mines (令第30号 附件):
four types added; 掘进机 joins 采煤机 as one item; 液压支架工 is a mine post, not a special operation.
Existing people are moved accordingly (their job title keeps what they do)."""

from django.db import migrations, models


def to_catalogue(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # Every group's rows: row-level security is forced on these tables, even for their owner.
        schema_editor.execute("SELECT set_config('app.all_tenants', 'on', true)")
    people = apps.get_model("tenants", "Person").objects
    people.filter(operation_type="roadheader").update(operation_type="shearer")
    people.filter(operation_type="hydraulic_support").update(post_category="other", operation_type="")


class Migration(migrations.Migration):

    dependencies = [
        ('tenants', '0007_row_level_security_person_hold'),
    ]

    operations = [
        migrations.AlterField(
            model_name='person',
            name='operation_type',
            field=models.CharField(blank=True, choices=[('electrician', 'Mine electrician'), ('hoist', 'Hoist operator'), ('gas_inspection', 'Gas inspector'), ('blasting', 'Blaster'), ('ventilation', 'Ventilation operator'), ('safety_check', 'Safety inspector'), ('drainage', 'Drainage operator'), ('water_exploration', 'Water exploration and drainage worker'), ('shearer', 'Shearer (roadheader) operator'), ('tailings', 'Tailings operator'), ('monitoring', 'Safety monitoring and control operator'), ('gas_drainage', 'Gas drainage operator'), ('outburst_prevention', 'Outburst prevention operator'), ('propping', 'Propping (support) operator'), ('roadheader', 'Roadheader driver'), ('hydraulic_support', 'Hydraulic support operator')], max_length=24, verbose_name='operation type'),
        ),
        migrations.RunPython(to_catalogue, migrations.RunPython.noop),
    ]
