"""Hidden dangers: the major-hazard criteria (reference data, global), findings of an inspection,
hazards and their history, with row-level security on the tenant tables."""

import django.db.models.deletion
import django.db.models.manager
import uuid
from django.conf import settings
from django.db import migrations, models

from compliance.rls import enable_rls, grant_operation


class Migration(migrations.Migration):

    dependencies = [
        ('inspections', '0004_suspension_retest_code'),
        ('tenants', '0009_mineprofile_production_status_since'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CriteriaCatalogue',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('source', models.CharField(blank=True, help_text='Document number and article the value is read from.', max_length=300, verbose_name='source')),
                ('verified', models.BooleanField(default=False, help_text='Checked against the text of the source. Only verified rules stop a mine or a person.', verbose_name='verified')),
                ('verified_by', models.CharField(blank=True, max_length=150, verbose_name='verified by')),
                ('verified_at', models.DateTimeField(blank=True, null=True, verbose_name='verified at')),
                ('code', models.SlugField(max_length=40, unique=True, verbose_name='code')),
                ('title', models.CharField(max_length=200, verbose_name='title')),
                ('document_no', models.CharField(max_length=100, verbose_name='document number')),
                ('family', models.CharField(choices=[('coal', 'Coal mines'), ('metal_underground', 'Underground metal/non-metal mines'), ('metal_open_pit', 'Open-pit metal/non-metal mines'), ('tailings_pond', 'Tailings ponds')], max_length=24, verbose_name='kind of mine')),
                ('effective_from', models.DateField(verbose_name='in force from')),
                ('effective_to', models.DateField(blank=True, null=True, verbose_name='in force until')),
                ('notes', models.TextField(blank=True, verbose_name='notes')),
            ],
            options={
                'verbose_name': 'major-hazard criteria',
                'verbose_name_plural': 'major-hazard criteria',
                'ordering': ['family', '-effective_from'],
            },
        ),
        migrations.CreateModel(
            name='Criterion',
            fields=[
                ('source', models.CharField(blank=True, help_text='Document number and article the value is read from.', max_length=300, verbose_name='source')),
                ('verified', models.BooleanField(default=False, help_text='Checked against the text of the source. Only verified rules stop a mine or a person.', verbose_name='verified')),
                ('verified_by', models.CharField(blank=True, max_length=150, verbose_name='verified by')),
                ('verified_at', models.DateTimeField(blank=True, null=True, verbose_name='verified at')),
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('category_no', models.PositiveSmallIntegerField(verbose_name='category number')),
                ('category', models.CharField(max_length=200, verbose_name='category')),
                ('code', models.CharField(help_text='e.g. 4-15-1: catalogue, category, item', max_length=20, verbose_name='code')),
                ('text', models.TextField(verbose_name='text')),
                ('position', models.PositiveIntegerField(default=0)),
                ('catalogue', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='criteria', to='inspections.criteriacatalogue')),
            ],
            options={
                'verbose_name': 'major-hazard criterion',
                'verbose_name_plural': 'major-hazard criteria items',
                'ordering': ['catalogue', 'category_no', 'position', 'code'],
            },
        ),
        migrations.CreateModel(
            name='Hazard',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('number', models.CharField(editable=False, max_length=24, verbose_name='number')),
                ('location', models.CharField(max_length=200, verbose_name='location')),
                ('description', models.TextField(verbose_name='description')),
                ('photos', models.JSONField(blank=True, default=list, verbose_name='photos')),
                ('grade', models.CharField(choices=[('general', 'General hazard (一般)'), ('major', 'Major hazard (重大)')], default='general', max_length=8, verbose_name='class')),
                ('source', models.CharField(choices=[('inspection', 'Inspection finding'), ('self_check', 'Mine self-check'), ('worker_report', 'Worker report (随手拍)'), ('regulator', 'Regulator'), ('condition', 'Recorded condition')], max_length=16, verbose_name='found by')),
                ('status', models.CharField(choices=[('reported', 'Reported, awaiting confirmation'), ('registered', 'Registered'), ('rectifying', 'Under rectification'), ('awaiting_acceptance', 'Awaiting acceptance'), ('accepted', 'Accepted'), ('closed', 'Closed (销号)'), ('rejected', 'Not a hazard')], default='registered', max_length=20, verbose_name='status')),
                ('found_on', models.DateField(verbose_name='found on')),
                ('found_by_name', models.CharField(blank=True, max_length=100, verbose_name='found by (name)')),
                ('condition_key', models.CharField(blank=True, editable=False, max_length=200)),
                ('condition_gone_on', models.DateField(blank=True, null=True, verbose_name='condition gone on')),
                ('reported_at', models.DateTimeField(blank=True, null=True, verbose_name='reported to the regulator at')),
                ('responsible', models.CharField(blank=True, max_length=100, verbose_name='responsible person')),
                ('measures', models.TextField(blank=True, verbose_name='measures')),
                ('deadline', models.DateField(blank=True, null=True, verbose_name='deadline')),
                ('target', models.TextField(blank=True, verbose_name='target')),
                ('funds', models.CharField(blank=True, max_length=200, verbose_name='funds')),
                ('materials', models.TextField(blank=True, verbose_name='materials')),
                ('organisation', models.TextField(blank=True, verbose_name='organisation and responsible people')),
                ('safety_measures', models.TextField(blank=True, verbose_name='safety measures during rectification')),
                ('contingency', models.TextField(blank=True, verbose_name='contingency plan')),
                ('stop_scope', models.CharField(blank=True, choices=[('', 'No stop'), ('area', 'The affected area'), ('mine', 'The whole mine')], default='', max_length=8, verbose_name='production stopped')),
                ('stop_area', models.CharField(blank=True, max_length=200, verbose_name='stopped area')),
                ('rectified_at', models.DateTimeField(blank=True, null=True, verbose_name='rectified at')),
                ('accepted_at', models.DateTimeField(blank=True, null=True, verbose_name='accepted at')),
                ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='closed at')),
                ('escalation', models.PositiveSmallIntegerField(default=0, verbose_name='escalated to')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('accepted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('criterion', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='hazards', to='inspections.criterion', verbose_name='major-hazard criterion')),
                ('found_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('inspection', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='hazards', to='inspections.inspection')),
                ('mine', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='hazards', to='tenants.orgunit', verbose_name='mine')),
                ('rectified_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('reported_agency', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='tenants.regulatoragency')),
                ('reported_by_person', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='reported_hazards', to='tenants.person')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, to='tenants.tenant')),
            ],
            options={
                'verbose_name': 'hazard',
                'verbose_name_plural': 'hazards',
                'ordering': ['-found_on', '-created_at'],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('dangerously_unscoped', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='Finding',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('kind', models.CharField(choices=[('hazard', 'Hazard'), ('violation', 'Violation by a person (三违)'), ('note', 'Note')], max_length=12, verbose_name='kind')),
                ('text', models.TextField(verbose_name='finding')),
                ('severity', models.CharField(blank=True, choices=[('minor', 'Minor'), ('serious', 'Serious'), ('grave', 'Grave')], max_length=12, verbose_name='severity')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('inspection', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='findings', to='inspections.inspection')),
                ('person', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='violations', to='tenants.person', verbose_name='person')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, to='tenants.tenant')),
                ('hazard', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='finding', to='inspections.hazard')),
            ],
            options={
                'verbose_name': 'finding',
                'verbose_name_plural': 'findings',
                'ordering': ['created_at'],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('dangerously_unscoped', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='HazardEvent',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('action', models.CharField(max_length=24)),
                ('from_status', models.CharField(blank=True, max_length=20)),
                ('to_status', models.CharField(blank=True, max_length=20)),
                ('actor_name', models.CharField(blank=True, max_length=150)),
                ('note', models.TextField(blank=True)),
                ('photos', models.JSONField(blank=True, default=list)),
                ('at', models.DateTimeField()),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('hazard', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='inspections.hazard')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, to='tenants.tenant')),
            ],
            options={
                'verbose_name': 'hazard history entry',
                'verbose_name_plural': 'hazard history',
                'ordering': ['at', 'id'],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('dangerously_unscoped', django.db.models.manager.Manager()),
            ],
        ),
        migrations.AddConstraint(
            model_name='criterion',
            constraint=models.UniqueConstraint(fields=('catalogue', 'code'), name='criterion_code_once'),
        ),
        migrations.AddIndex(
            model_name='hazard',
            index=models.Index(fields=['tenant', 'status', 'deadline'], name='hazard_status_deadline'),
        ),
        migrations.AddIndex(
            model_name='hazard',
            index=models.Index(fields=['tenant', 'mine', 'found_on'], name='hazard_mine_found'),
        ),
        migrations.AddConstraint(
            model_name='hazard',
            constraint=models.UniqueConstraint(fields=('tenant', 'number'), name='hazard_number_once'),
        ),
        migrations.AddConstraint(
            model_name='hazard',
            constraint=models.UniqueConstraint(condition=models.Q(('condition_key', ''), _negated=True), fields=('tenant', 'condition_key'), name='hazard_condition_once'),
        ),
        enable_rls("inspections_hazard", "inspections_hazardevent", "inspections_finding"),
        grant_operation(),
    ]
