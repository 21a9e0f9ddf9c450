"""Row-level security on API tokens (PostgreSQL), behind the application's own filtering: a
connection acting for one group never sees or writes a token of another group. A regulator's
token has no tenant — it is the agency login's credential, not a group's record — and is left to
the application, which shows each login only its own."""

from django.db import migrations

POLICY = "tenant_id IS NULL OR kuangan_tenant_visible(tenant_id)"

FORWARD = f"""
ALTER TABLE tokens_apitoken ENABLE ROW LEVEL SECURITY;
ALTER TABLE tokens_apitoken FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON tokens_apitoken;
CREATE POLICY tenant_isolation ON tokens_apitoken USING ({POLICY}) WITH CHECK ({POLICY});
"""

BACKWARD = """
DROP POLICY IF EXISTS tenant_isolation ON tokens_apitoken;
ALTER TABLE tokens_apitoken NO FORCE ROW LEVEL SECURITY;
ALTER TABLE tokens_apitoken DISABLE ROW LEVEL SECURITY;
"""


def _run(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    # kuangan_tenant_visible() comes with the who-is-who tables' row-level security.
    dependencies = [("tokens", "0002_drop_plaintext_drf_tokens"), ("tenants", "0002_row_level_security")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
