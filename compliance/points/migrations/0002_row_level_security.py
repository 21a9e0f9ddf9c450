"""Row-level security on every tenant-owned points table (PostgreSQL), and the ledger made
append-only inside the database too: an UPDATE or DELETE of an entry raises, whoever sends it
(the models and querysets refuse first; this catches raw SQL)."""

from django.db import migrations

from compliance.rls import enable_rls, grant_operation, is_postgres

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION points_entry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'points entries are append-only: record a reversing entry';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS points_entry_append_only ON points_entry;
CREATE TRIGGER points_entry_append_only BEFORE UPDATE OR DELETE ON points_entry
    FOR EACH ROW EXECUTE FUNCTION points_entry_append_only();
"""


def append_only(apps, schema_editor):
    if is_postgres(schema_editor.connection):
        schema_editor.execute(APPEND_ONLY)


def drop_append_only(apps, schema_editor):
    if is_postgres(schema_editor.connection):
        schema_editor.execute("DROP TRIGGER IF EXISTS points_entry_append_only ON points_entry;")


class Migration(migrations.Migration):
    dependencies = [("points", "0001_initial")]

    operations = [
        enable_rls(
            "points_pointssettings",
            "points_pointsrule",
            "points_entry",
            "points_balance",
            "points_threshold",
            "points_thresholdaction",
            "points_proposal",
        ),
        grant_operation(),
        migrations.RunPython(append_only, drop_append_only),
    ]
