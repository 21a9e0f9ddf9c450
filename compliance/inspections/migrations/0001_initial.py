"""Inspections take over the tables of training's Inspection, SpotCheck and Suspension, in state
only: the tables, their data, constraints and row-level security policies stay as they are
(``db_table`` keeps their names). training 0007 forgets them on its side."""

import django.db.models.deletion
import django.db.models.manager
import uuid
from django.conf import settings
from django.db import migrations, models

MANAGERS = [
    ("objects", django.db.models.manager.Manager()),
    ("dangerously_unscoped", django.db.models.manager.Manager()),
]


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("tenants", "0005_row_level_security_object_permissions"),
        ("training", "0006_attempt_occasion"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    state_operations = [
        migrations.CreateModel(
            name="Inspection",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("group_hq", "Group HQ inspection"),
                            ("subsidiary", "Subsidiary inspection"),
                            ("mine_internal", "Mine internal inspection"),
                        ],
                        max_length=16,
                        verbose_name="kind",
                    ),
                ),
                ("date", models.DateField(verbose_name="date")),
                ("inspectors", models.CharField(max_length=300, verbose_name="inspectors")),
                ("notes", models.TextField(blank=True, verbose_name="notes")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "leader",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "org_unit",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="inspections",
                        to="tenants.orgunit",
                    ),
                ),
                (
                    "tenant",
                    models.ForeignKey(
                        editable=False, on_delete=django.db.models.deletion.PROTECT, to="tenants.tenant"
                    ),
                ),
            ],
            options={
                "verbose_name": "inspection",
                "verbose_name_plural": "inspections",
                "ordering": ["-date", "-created_at"],
                "db_table": "training_inspection",
            },
            managers=MANAGERS,
        ),
        migrations.CreateModel(
            name="SpotCheck",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                (
                    "selection",
                    models.CharField(
                        choices=[("random", "Drawn at random"), ("picked", "Picked by the inspector")],
                        max_length=8,
                        verbose_name="selection",
                    ),
                ),
                ("code_digest", models.CharField(blank=True, editable=False, max_length=64)),
                ("code_expires_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "inspection",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="spot_checks",
                        to="inspections.inspection",
                    ),
                ),
                (
                    "paper",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="spot_checks",
                        to="training.exampaper",
                    ),
                ),
                (
                    "person",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="spot_checks",
                        to="tenants.person",
                    ),
                ),
                (
                    "tenant",
                    models.ForeignKey(
                        editable=False, on_delete=django.db.models.deletion.PROTECT, to="tenants.tenant"
                    ),
                ),
            ],
            options={
                "verbose_name": "spot exam",
                "verbose_name_plural": "spot exams",
                "db_table": "training_spotcheck",
                "constraints": [
                    models.UniqueConstraint(fields=("inspection", "person"), name="spotcheck_once"),
                ],
            },
            managers=MANAGERS,
        ),
        migrations.CreateModel(
            name="Suspension",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("reason", models.CharField(max_length=300, verbose_name="reason")),
                ("started_at", models.DateTimeField(verbose_name="suspended at")),
                ("cleared_at", models.DateTimeField(blank=True, null=True, verbose_name="cleared at")),
                (
                    "cleared_by_attempt",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="training.attempt",
                    ),
                ),
                (
                    "clearing_paper",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="training.exampaper"
                    ),
                ),
                (
                    "person",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="suspensions",
                        to="tenants.person",
                    ),
                ),
                (
                    "spot_check",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="inspections.spotcheck",
                    ),
                ),
                (
                    "tenant",
                    models.ForeignKey(
                        editable=False, on_delete=django.db.models.deletion.PROTECT, to="tenants.tenant"
                    ),
                ),
            ],
            options={
                "verbose_name": "suspension from post",
                "verbose_name_plural": "suspensions from post",
                "ordering": ["-started_at"],
                "db_table": "training_suspension",
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("cleared_at__isnull", True)),
                        fields=("person",),
                        name="suspension_one_open",
                    ),
                ],
            },
            managers=MANAGERS,
        ),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations, database_operations=[])]
