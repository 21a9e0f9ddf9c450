"""Certificate rules of 令第30号 and the managers' assessment as pack values; the national
catalogue of special operations; reviews of special-operation certificates; papers issue internal
training records only (issue 14, points 7-9)."""

import django.db.models.deletion
import django.db.models.manager
import uuid
from django.conf import settings
from django.db import migrations, models

from compliance.rls import enable_rls, grant_operation


class Migration(migrations.Migration):

    dependencies = [
        ('tenants', '0008_operation_type_catalogue'),
        ('training', '0008_rule_pack_scope'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='rulepack',
            name='internal_record_valid_years',
            field=models.PositiveSmallIntegerField(default=1, verbose_name='internal training record valid (years)'),
        ),
        migrations.AddField(
            model_name='rulepack',
            name='manager_apply_within_days',
            field=models.PositiveSmallIntegerField(default=30, verbose_name='managers apply for assessment within (days of taking the post)'),
        ),
        migrations.AddField(
            model_name='rulepack',
            name='manager_pass_within_months',
            field=models.PositiveSmallIntegerField(default=6, verbose_name='managers pass the assessment within (months of taking the post)'),
        ),
        migrations.AddField(
            model_name='rulepack',
            name='manager_resits_allowed',
            field=models.PositiveSmallIntegerField(default=1, verbose_name="managers' assessment re-sits"),
        ),
        migrations.AddField(
            model_name='rulepack',
            name='manager_wait_after_fail_months',
            field=models.PositiveSmallIntegerField(default=12, verbose_name='wait after failing the re-sit (months)'),
        ),
        migrations.AddField(
            model_name='rulepack',
            name='special_cert_long_service_years',
            field=models.PositiveSmallIntegerField(default=10, verbose_name='continuous years in the operation for the longer review interval'),
        ),
        migrations.AddField(
            model_name='rulepack',
            name='special_cert_review_min_hours',
            field=models.PositiveSmallIntegerField(default=8, verbose_name='retraining hours before a special-operation review'),
        ),
        migrations.AddField(
            model_name='rulepack',
            name='special_cert_review_years_long_service',
            field=models.PositiveSmallIntegerField(default=6, verbose_name='special-operation review interval after long clean service (years)'),
        ),
        migrations.AddField(
            model_name='rulepack',
            name='special_reexam_after_absence_months',
            field=models.PositiveSmallIntegerField(default=6, verbose_name='practical re-exam after an absence from the operation of (months)'),
        ),
        migrations.AlterField(
            model_name='certificate',
            name='kind',
            field=models.CharField(choices=[('principal', 'Principal person in charge'), ('safety_management', 'Safety management staff'), ('special_operation', 'Special operation'), ('internal', 'Internal training record')], max_length=24, verbose_name='kind'),
        ),
        migrations.AlterField(
            model_name='certificate',
            name='operation_type',
            field=models.CharField(blank=True, choices=[('electrician', 'Mine electrician'), ('hoist', 'Hoist operator'), ('gas_inspection', 'Gas inspector'), ('blasting', 'Blaster'), ('ventilation', 'Ventilation operator'), ('safety_check', 'Safety inspector'), ('drainage', 'Drainage operator'), ('water_exploration', 'Water exploration and drainage worker'), ('shearer', 'Shearer (roadheader) operator'), ('tailings', 'Tailings operator'), ('monitoring', 'Safety monitoring and control operator'), ('gas_drainage', 'Gas drainage operator'), ('outburst_prevention', 'Outburst prevention operator'), ('propping', 'Propping (support) operator'), ('roadheader', 'Roadheader driver'), ('hydraulic_support', 'Hydraulic support operator')], max_length=24, verbose_name='operation type'),
        ),
        migrations.AlterField(
            model_name='course',
            name='operation_type',
            field=models.CharField(blank=True, choices=[('electrician', 'Mine electrician'), ('hoist', 'Hoist operator'), ('gas_inspection', 'Gas inspector'), ('blasting', 'Blaster'), ('ventilation', 'Ventilation operator'), ('safety_check', 'Safety inspector'), ('drainage', 'Drainage operator'), ('water_exploration', 'Water exploration and drainage worker'), ('shearer', 'Shearer (roadheader) operator'), ('tailings', 'Tailings operator'), ('monitoring', 'Safety monitoring and control operator'), ('gas_drainage', 'Gas drainage operator'), ('outburst_prevention', 'Outburst prevention operator'), ('propping', 'Propping (support) operator'), ('roadheader', 'Roadheader driver'), ('hydraulic_support', 'Hydraulic support operator')], max_length=24, verbose_name='operation type'),
        ),
        migrations.AlterField(
            model_name='exampaper',
            name='certificate_operation_type',
            field=models.CharField(blank=True, choices=[('electrician', 'Mine electrician'), ('hoist', 'Hoist operator'), ('gas_inspection', 'Gas inspector'), ('blasting', 'Blaster'), ('ventilation', 'Ventilation operator'), ('safety_check', 'Safety inspector'), ('drainage', 'Drainage operator'), ('water_exploration', 'Water exploration and drainage worker'), ('shearer', 'Shearer (roadheader) operator'), ('tailings', 'Tailings operator'), ('monitoring', 'Safety monitoring and control operator'), ('gas_drainage', 'Gas drainage operator'), ('outburst_prevention', 'Outburst prevention operator'), ('propping', 'Propping (support) operator'), ('roadheader', 'Roadheader driver'), ('hydraulic_support', 'Hydraulic support operator')], max_length=24, verbose_name='certificate operation type'),
        ),
        migrations.AlterField(
            model_name='exampaper',
            name='issues_certificate',
            field=models.CharField(blank=True, choices=[('', 'No certificate'), ('internal', 'Internal training record')], default='', max_length=24, verbose_name='issues certificate'),
        ),
        migrations.CreateModel(
            name='CertificateReview',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('kind', models.CharField(choices=[('review', 'Review'), ('practical_reexam', 'Practical re-exam after an absence')], default='review', max_length=20, verbose_name='kind')),
                ('reviewed_on', models.DateField(verbose_name='reviewed on')),
                ('authority', models.CharField(max_length=200, verbose_name='reviewing authority')),
                ('retraining_hours', models.DecimalField(decimal_places=1, default=0, max_digits=5, verbose_name='retraining hours before the review')),
                ('extended', models.BooleanField(default=False, verbose_name='longer interval granted')),
                ('in_operation_since', models.DateField(blank=True, null=True, verbose_name='in the operation since')),
                ('previous_due_on', models.DateField(blank=True, null=True, verbose_name='review was due on')),
                ('next_due_on', models.DateField(blank=True, null=True, verbose_name='next review due on')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('certificate', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='reviews', to='training.certificate')),
                ('recorded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, to='tenants.tenant')),
            ],
            options={
                'verbose_name': 'certificate review',
                'verbose_name_plural': 'certificate reviews',
                'ordering': ['-reviewed_on', '-created_at'],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('dangerously_unscoped', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='SpecialOperationType',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('source', models.CharField(blank=True, help_text='Document number and article the value is read from.', max_length=300, verbose_name='source')),
                ('verified', models.BooleanField(default=False, help_text='Checked against the text of the source. Only verified rules stop a mine or a person.', verbose_name='verified')),
                ('verified_by', models.CharField(blank=True, max_length=150, verbose_name='verified by')),
                ('verified_at', models.DateTimeField(blank=True, null=True, verbose_name='verified at')),
                ('mine_group', models.CharField(choices=[('', 'Any mine type'), ('coal', 'Coal mines'), ('non_coal', 'Non-coal mines')], max_length=12, verbose_name='mine group')),
                ('operation_type', models.CharField(choices=[('electrician', 'Mine electrician'), ('hoist', 'Hoist operator'), ('gas_inspection', 'Gas inspector'), ('blasting', 'Blaster'), ('ventilation', 'Ventilation operator'), ('safety_check', 'Safety inspector'), ('drainage', 'Drainage operator'), ('water_exploration', 'Water exploration and drainage worker'), ('shearer', 'Shearer (roadheader) operator'), ('tailings', 'Tailings operator'), ('monitoring', 'Safety monitoring and control operator'), ('gas_drainage', 'Gas drainage operator'), ('outburst_prevention', 'Outburst prevention operator'), ('propping', 'Propping (support) operator'), ('roadheader', 'Roadheader driver'), ('hydraulic_support', 'Hydraulic support operator')], max_length=24, verbose_name='operation type')),
                ('item', models.CharField(max_length=8, verbose_name='catalogue item')),
                ('name', models.CharField(max_length=100, verbose_name='name in the catalogue')),
            ],
            options={
                'verbose_name': 'special operation (national catalogue)',
                'verbose_name_plural': 'special operations (national catalogue)',
                'ordering': ['item'],
                'constraints': [models.UniqueConstraint(fields=('mine_group', 'operation_type'), name='specialoperation_once')],
            },
        ),
        migrations.CreateModel(
            name='PackValueSource',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('source', models.CharField(blank=True, help_text='Document number and article the value is read from.', max_length=300, verbose_name='source')),
                ('verified', models.BooleanField(default=False, help_text='Checked against the text of the source. Only verified rules stop a mine or a person.', verbose_name='verified')),
                ('verified_by', models.CharField(blank=True, max_length=150, verbose_name='verified by')),
                ('verified_at', models.DateTimeField(blank=True, null=True, verbose_name='verified at')),
                ('field', models.CharField(max_length=64, verbose_name='rule value')),
                ('pack', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='value_sources', to='training.rulepack')),
            ],
            options={
                'verbose_name': 'rule pack value source',
                'verbose_name_plural': 'rule pack value sources',
                'constraints': [models.UniqueConstraint(fields=('pack', 'field'), name='packvaluesource_once')],
            },
        ),
        enable_rls("training_certificatereview"),
        grant_operation(),
    ]
