"""Row-level security on the audience link tables of exam papers (PostgreSQL).

The link rows have no tenant column: a row belongs to its paper's tenant, and is visible and
writable only when its paper is in the scope and the unit or person it names is of that same
tenant — so no scope can read another group's audiences, nor link its paper to another group's
unit or person."""

from django.db import migrations

from compliance.rls import enable_rls_policy, grant_operation


def _same_tenant(table: str, target_table: str, target_column: str) -> str:
    return f"""EXISTS (SELECT 1 FROM training_exampaper p
                         JOIN {target_table} t ON t.tenant_id = p.tenant_id
                        WHERE p.id = {table}.exampaper_id AND t.id = {table}.{target_column}
                          AND kuangan_tenant_visible(p.tenant_id))"""


class Migration(migrations.Migration):
    dependencies = [("training", "0004_paper_answer_reveal"), ("tenants", "0002_row_level_security")]

    operations = [
        enable_rls_policy(
            "training_exampaper_audience_units",
            write=_same_tenant("training_exampaper_audience_units", "tenants_orgunit", "orgunit_id"),
        ),
        enable_rls_policy(
            "training_exampaper_audience_people",
            write=_same_tenant("training_exampaper_audience_people", "tenants_person", "person_id"),
        ),
        grant_operation(),
    ]
