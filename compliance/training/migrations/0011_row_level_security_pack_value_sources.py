"""Row-level security on the sources of single rule-pack values: a value source belongs to its pack,
so it is read where the pack is read (national packs by everyone, a group's own by that group) and
written only where the pack may be written (never a national one from a group's scope)."""

from django.db import migrations

from compliance.rls import enable_rls_policy, grant_operation

READ = "p.owner_tenant_id IS NULL OR kuangan_tenant_visible(p.owner_tenant_id)"
WRITE = "kuangan_tenant_visible(p.owner_tenant_id)"


def _through_pack(condition: str) -> str:
    return f"""EXISTS (SELECT 1 FROM training_rulepack p
                        WHERE p.id = training_packvaluesource.pack_id AND ({condition}))"""


class Migration(migrations.Migration):
    dependencies = [("training", "0010_certificate_rules_data")]

    operations = [
        enable_rls_policy("training_packvaluesource", read=_through_pack(READ), write=_through_pack(WRITE)),
        grant_operation(),
    ]
