"""Row-level security on ad-hoc object permissions (django-guardian's direct foreign-key table for
org units; PostgreSQL).

A grant belongs to the tenant of the org unit it names: the policy looks that up through the
unit, so a scope reads and writes only grants on units of its own tenants. Scope resolution reads
these grants under the platform scope, as it reads memberships."""

from django.db import migrations

from compliance.rls import enable_rls_policy, grant_operation

TABLE = "tenants_orgunituserobjectpermission"


class Migration(migrations.Migration):
    dependencies = [("tenants", "0004_password_change_required")]

    operations = [
        enable_rls_policy(
            TABLE,
            write=f"""EXISTS (SELECT 1 FROM tenants_orgunit u
                               WHERE u.id = {TABLE}.content_object_id AND kuangan_tenant_visible(u.tenant_id))""",
        ),
        grant_operation(),
    ]
