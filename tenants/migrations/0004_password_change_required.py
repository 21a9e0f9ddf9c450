import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from compliance import rls


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0003_more_fields"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PasswordChangeRequired",
            fields=[
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="password_change_required",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "verbose_name": "password change required",
                "verbose_name_plural": "password changes required",
            },
        ),
        # The application role's privileges on the new table (default privileges cover tables
        # made by the role that set them; this states it for any owner).
        rls.grant_operation(),
    ]
