"""Responsibility lists and duty assessments, with row-level security on every table (PostgreSQL)."""

import django.db.models.deletion
import django.db.models.manager
import uuid
from django.conf import settings
from django.db import migrations, models

from compliance.rls import enable_rls, grant_operation


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('tenants', '0009_mineprofile_production_status_since'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='DutyAssessment',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('cycle', models.CharField(choices=[('monthly', 'Monthly'), ('quarterly', 'Quarterly')], max_length=12, verbose_name='cycle')),
                ('period_start', models.DateField(verbose_name='period')),
                ('score', models.DecimalField(decimal_places=1, max_digits=5, verbose_name='score (percent)')),
                ('passed', models.BooleanField(verbose_name='passed')),
                ('comment', models.TextField(blank=True, verbose_name='comment')),
                ('assessor_name', models.CharField(max_length=150, verbose_name='assessed by')),
                ('assessed_at', models.DateTimeField(verbose_name='assessed at')),
                ('assessor', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('person', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='duty_assessments', to='tenants.person')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, to='tenants.tenant')),
            ],
            options={
                'verbose_name': 'duty assessment',
                'verbose_name_plural': 'duty assessments',
                'ordering': ['-period_start', 'person__employee_no'],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('dangerously_unscoped', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='DutyPost',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('code', models.SlugField(max_length=40, verbose_name='code')),
                ('name', models.CharField(max_length=64, verbose_name='post')),
                ('level', models.CharField(choices=[('group', 'Group leadership'), ('mine', 'Mine leadership'), ('department', 'Department head'), ('team', 'Team leader'), ('worker', 'Worker post')], max_length=12, verbose_name='level')),
                ('is_mine_principal', models.BooleanField(default=False, verbose_name='principal of the mine')),
                ('position', models.PositiveSmallIntegerField(default=0)),
                ('org_unit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenants.orgunit')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, to='tenants.tenant')),
            ],
            options={
                'verbose_name': 'duty post',
                'verbose_name_plural': 'duty posts',
                'ordering': ['position', 'code'],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('dangerously_unscoped', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='ListItem',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('key', models.UUIDField(default=uuid.uuid4)),
                ('position', models.PositiveSmallIntegerField()),
                ('duty', models.TextField(verbose_name='duty')),
                ('scope', models.CharField(blank=True, max_length=300, verbose_name='scope')),
                ('criterion', models.TextField(verbose_name='assessment criterion')),
                ('evidence', models.CharField(blank=True, max_length=300, verbose_name='evidence expected')),
                ('max_score', models.PositiveSmallIntegerField(default=10, verbose_name='points')),
                ('inherited', models.BooleanField(default=False, verbose_name="from the group's list")),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, to='tenants.tenant')),
            ],
            options={
                'verbose_name': 'responsibility item',
                'verbose_name_plural': 'responsibility items',
                'ordering': ['version', 'position'],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('dangerously_unscoped', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='AssessmentScore',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('score', models.DecimalField(decimal_places=1, max_digits=5, verbose_name='score')),
                ('comment', models.CharField(blank=True, max_length=300, verbose_name='comment')),
                ('evidence', models.CharField(blank=True, max_length=300, verbose_name='evidence seen')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, to='tenants.tenant')),
                ('assessment', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='scores', to='duties.dutyassessment')),
                ('item', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='duties.listitem')),
            ],
            options={
                'verbose_name': 'item score',
                'verbose_name_plural': 'item scores',
                'ordering': ['assessment', 'item__position'],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('dangerously_unscoped', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='ListTemplate',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('base', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='adaptations', to='duties.listtemplate')),
                ('org_unit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenants.orgunit')),
                ('post', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='templates', to='duties.dutypost')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, to='tenants.tenant')),
            ],
            options={
                'verbose_name': 'responsibility list',
                'verbose_name_plural': 'responsibility lists',
                'ordering': ['post__position', 'org_unit__path'],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('dangerously_unscoped', django.db.models.manager.Manager()),
            ],
        ),
        migrations.AddField(
            model_name='dutyassessment',
            name='template',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='assessments', to='duties.listtemplate'),
        ),
        migrations.CreateModel(
            name='ListVersion',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('number', models.PositiveIntegerField(verbose_name='version')),
                ('note', models.CharField(blank=True, max_length=300, verbose_name='what changed')),
                ('published_at', models.DateTimeField(verbose_name='published at')),
                ('base_version', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='duties.listversion')),
                ('published_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('template', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='versions', to='duties.listtemplate')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, to='tenants.tenant')),
            ],
            options={
                'verbose_name': 'responsibility list version',
                'verbose_name_plural': 'responsibility list versions',
                'ordering': ['template', '-number'],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('dangerously_unscoped', django.db.models.manager.Manager()),
            ],
        ),
        migrations.AddField(
            model_name='listtemplate',
            name='current_version',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='duties.listversion'),
        ),
        migrations.AddField(
            model_name='listitem',
            name='version',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='items', to='duties.listversion'),
        ),
        migrations.AddField(
            model_name='dutyassessment',
            name='version',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='assessments', to='duties.listversion'),
        ),
        migrations.CreateModel(
            name='Acknowledgement',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('signed_name', models.CharField(max_length=64, verbose_name='signature')),
                ('acknowledged_at', models.DateTimeField(verbose_name='signed at')),
                ('on_paper', models.BooleanField(default=False, verbose_name='signed on paper')),
                ('person', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='list_acknowledgements', to='tenants.person')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, to='tenants.tenant')),
                ('user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('version', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='acknowledgements', to='duties.listversion')),
            ],
            options={
                'verbose_name': 'list acknowledgement',
                'verbose_name_plural': 'list acknowledgements',
                'ordering': ['-acknowledged_at'],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('dangerously_unscoped', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='PostHolder',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('since', models.DateField(verbose_name='on the post since')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('person', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='duty_posts', to='tenants.person')),
                ('post', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='holders', to='duties.dutypost')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, to='tenants.tenant')),
            ],
            options={
                'verbose_name': 'post holder',
                'verbose_name_plural': 'post holders',
                'ordering': ['post__position', 'person__employee_no'],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('dangerously_unscoped', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='DutyListSettings',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('assessment_cycle', models.CharField(choices=[('monthly', 'Monthly'), ('quarterly', 'Quarterly')], default='monthly', max_length=12, verbose_name='assessment cycle')),
                ('acknowledge_within_days', models.PositiveSmallIntegerField(default=14, help_text="From the version's publication or the post's start.", verbose_name='days to acknowledge a list')),
                ('pass_score', models.PositiveSmallIntegerField(default=60, verbose_name='pass mark (percent)')),
                ('hold_on_failed_assessment', models.BooleanField(default=False, verbose_name='a failed assessment suspends from post')),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('org_unit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenants.orgunit')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, to='tenants.tenant')),
            ],
            options={
                'verbose_name': 'responsibility list settings',
                'verbose_name_plural': 'responsibility list settings',
                'constraints': [models.UniqueConstraint(fields=('tenant',), name='duty_list_settings_once')],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('dangerously_unscoped', django.db.models.manager.Manager()),
            ],
        ),
        migrations.AddConstraint(
            model_name='dutypost',
            constraint=models.UniqueConstraint(fields=('tenant', 'code'), name='duty_post_unique_code'),
        ),
        migrations.AddConstraint(
            model_name='dutypost',
            constraint=models.UniqueConstraint(fields=('tenant', 'name'), name='duty_post_unique_name'),
        ),
        migrations.AddConstraint(
            model_name='assessmentscore',
            constraint=models.UniqueConstraint(fields=('tenant', 'assessment', 'item'), name='assessment_score_once'),
        ),
        migrations.AddConstraint(
            model_name='assessmentscore',
            constraint=models.CheckConstraint(condition=models.Q(('score__gte', 0)), name='assessment_score_not_negative'),
        ),
        migrations.AddConstraint(
            model_name='listversion',
            constraint=models.UniqueConstraint(fields=('tenant', 'template', 'number'), name='list_version_unique_number'),
        ),
        migrations.AddConstraint(
            model_name='listtemplate',
            constraint=models.UniqueConstraint(fields=('tenant', 'post', 'org_unit'), name='list_template_once_per_unit'),
        ),
        migrations.AddConstraint(
            model_name='listitem',
            constraint=models.UniqueConstraint(fields=('tenant', 'version', 'key'), name='list_item_key_once'),
        ),
        migrations.AddConstraint(
            model_name='listitem',
            constraint=models.UniqueConstraint(fields=('tenant', 'version', 'position'), name='list_item_position_once'),
        ),
        migrations.AddConstraint(
            model_name='listitem',
            constraint=models.CheckConstraint(condition=models.Q(('max_score__gte', 1)), name='list_item_max_score_positive'),
        ),
        migrations.AddIndex(
            model_name='dutyassessment',
            index=models.Index(fields=['tenant', 'period_start'], name='duty_assessment_period'),
        ),
        migrations.AddConstraint(
            model_name='dutyassessment',
            constraint=models.UniqueConstraint(fields=('tenant', 'person', 'template', 'period_start'), name='duty_assessment_once_per_period'),
        ),
        migrations.AddConstraint(
            model_name='dutyassessment',
            constraint=models.CheckConstraint(condition=models.Q(('score__gte', 0), ('score__lte', 100)), name='duty_assessment_score_range'),
        ),
        migrations.AddConstraint(
            model_name='acknowledgement',
            constraint=models.UniqueConstraint(fields=('tenant', 'person', 'version'), name='acknowledgement_once'),
        ),
        migrations.AddConstraint(
            model_name='postholder',
            constraint=models.UniqueConstraint(fields=('tenant', 'person', 'post'), name='post_holder_once'),
        ),
        enable_rls(
            'duties_dutylistsettings',
            'duties_dutypost',
            'duties_listtemplate',
            'duties_listversion',
            'duties_listitem',
            'duties_postholder',
            'duties_acknowledgement',
            'duties_dutyassessment',
            'duties_assessmentscore',
        ),
        grant_operation(),
    ]
