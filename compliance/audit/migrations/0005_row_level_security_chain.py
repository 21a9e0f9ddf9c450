"""Row-level security on the heads of the audit chains (PostgreSQL).

A chain head is keyed by its tenant's id as text (or "platform"), not by a foreign key: a scope
reads and moves only its own tenants' heads, and the platform's head only in the platform scope.
CASE keeps "platform" from ever being cast to a uuid."""

from django.db import migrations

from compliance.rls import enable_rls_policy, grant_operation

OWN_CHAIN = """CASE WHEN audit_auditchain.key = 'platform'
                    THEN coalesce(current_setting('app.all_tenants', true), '') = 'on'
                    ELSE kuangan_tenant_visible(audit_auditchain.key::uuid) END"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_auditevent_regions")]

    operations = [enable_rls_policy("audit_auditchain", write=OWN_CHAIN), grant_operation()]
