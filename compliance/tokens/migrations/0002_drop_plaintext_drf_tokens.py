"""DRF's authtoken table kept every key in plain text. Its keys stop working with ApiToken (the
owners make new ones with POST /api/v1/auth/token/), so the table goes, and with it Django's
record of the removed app's migrations."""

from django.db import migrations


def drop_authtoken(apps, schema_editor):
    connection = schema_editor.connection
    if "authtoken_token" in connection.introspection.table_names():
        schema_editor.execute("DROP TABLE authtoken_token")
    schema_editor.execute("DELETE FROM django_migrations WHERE app = 'authtoken'")


class Migration(migrations.Migration):
    dependencies = [("tokens", "0001_api_tokens")]

    operations = [migrations.RunPython(drop_authtoken, migrations.RunPython.noop)]
