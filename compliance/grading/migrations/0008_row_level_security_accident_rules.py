"""Row-level security on accident rules (PostgreSQL), as on the level rules beside them: a row
belongs to its version's standard, national (every scope reads, the operator writes) or a group's
own. Policy rules are national reference data with no tenant link."""

from django.db import migrations

from compliance.rls import enable_rls_policy, grant_operation

READ = "s.owner_tenant_id IS NULL OR kuangan_tenant_visible(s.owner_tenant_id)"
WRITE = "kuangan_tenant_visible(s.owner_tenant_id)"


def _through_standard(condition: str) -> str:
    return f"""EXISTS (SELECT 1 FROM grading_standardversion v
                         JOIN grading_standard s ON s.id = v.standard_id
                        WHERE v.id = grading_accidentrule.version_id AND ({condition}))"""


class Migration(migrations.Migration):
    dependencies = [("grading", "0007_rule_data")]

    operations = [
        enable_rls_policy("grading_accidentrule", read=_through_standard(READ), write=_through_standard(WRITE)),
        grant_operation(),
    ]
