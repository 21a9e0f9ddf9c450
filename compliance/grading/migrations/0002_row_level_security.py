"""Row-level security on every tenant-owned grading table (PostgreSQL).

Standards are reference data: national ones are readable by everyone; a group's internal standard
is filtered by ``grading.selectors.visible_standards`` (owner tenant), not by RLS, since its rows
carry no tenant column of their own below the standard."""

from django.db import migrations

from compliance.rls import enable_rls, grant_operation


class Migration(migrations.Migration):
    dependencies = [("grading", "0001_initial")]

    operations = [
        enable_rls(
            "grading_assessment",
            "grading_itemscore",
            "grading_deduction",
            "grading_accident",
            "grading_gradecertificate",
            "grading_gradeevent",
        ),
        grant_operation(),
    ]
