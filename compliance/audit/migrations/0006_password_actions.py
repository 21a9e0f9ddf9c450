from django.db import migrations, models


class Migration(migrations.Migration):
    """Password changes and group-admin resets are actions of their own, so the audit trail names
    them in the reader's language and its filter finds them."""

    dependencies = [("audit", "0005_row_level_security_chain")]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("create", "Create"),
                    ("update", "Update"),
                    ("delete", "Delete"),
                    ("import", "Import"),
                    ("export", "Export of personal data"),
                    ("reveal", "Reveal of a resident ID"),
                    ("login_failed", "Login failure"),
                    ("grant", "Grant"),
                    ("revoke", "Revoke"),
                    ("password_change", "Password change"),
                    ("password_reset", "Password reset by a group admin"),
                ],
                max_length=16,
            ),
        ),
    ]
