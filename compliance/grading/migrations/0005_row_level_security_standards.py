"""Row-level security on grading standards and their versions, parts, items and level rules
(PostgreSQL).

A national standard (``owner_tenant`` empty) is reference data every scope reads and only the
platform operator writes; a group's own standard is read and written only by that group. The rows
below a standard carry no tenant column of their own: they belong to their standard's owner, so
their policies look the owner up through the version they hang on (one primary-key lookup per
row). A denormalised tenant column there would be a second copy of the owner to keep in step —
and these are reference tables, which a tenant-distributed database replicates rather than
distributes."""

from django.db import migrations

from compliance.rls import enable_rls_policy, grant_operation

STANDARD_READ = "owner_tenant_id IS NULL OR kuangan_tenant_visible(owner_tenant_id)"
STANDARD_WRITE = "kuangan_tenant_visible(owner_tenant_id)"


def _through_standard(table: str, owner_condition: str) -> str:
    if table == "grading_standardversion":
        return f"""EXISTS (SELECT 1 FROM grading_standard s
                           WHERE s.id = {table}.standard_id AND ({owner_condition}))"""
    return f"""EXISTS (SELECT 1 FROM grading_standardversion v
                         JOIN grading_standard s ON s.id = v.standard_id
                        WHERE v.id = {table}.version_id AND ({owner_condition}))"""


READ = "s.owner_tenant_id IS NULL OR kuangan_tenant_visible(s.owner_tenant_id)"
WRITE = "kuangan_tenant_visible(s.owner_tenant_id)"

# An item's part must be of the item's own version, so a group's item never hangs on another
# group's part. (A part's parent is kept in its version by the application: a policy on
# grading_part cannot query grading_part itself.)
ITEM_PART = """EXISTS (SELECT 1 FROM grading_part p
                        WHERE p.id = grading_item.part_id AND p.version_id = grading_item.version_id)"""


class Migration(migrations.Migration):
    dependencies = [("grading", "0004_grade_event_superseded"), ("tenants", "0002_row_level_security")]

    operations = [
        enable_rls_policy("grading_standard", read=STANDARD_READ, write=STANDARD_WRITE),
        *(
            enable_rls_policy(table, read=_through_standard(table, READ), write=_through_standard(table, WRITE))
            for table in ("grading_standardversion", "grading_part", "grading_levelrule")
        ),
        enable_rls_policy(
            "grading_item",
            read=_through_standard("grading_item", READ),
            write=f"{_through_standard('grading_item', WRITE)} AND {ITEM_PART}",
        ),
        grant_operation(),
    ]
