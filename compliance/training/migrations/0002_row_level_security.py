"""Row-level security on every tenant-owned training table (PostgreSQL)."""

from django.db import migrations

from compliance.rls import enable_rls, grant_operation


class Migration(migrations.Migration):
    dependencies = [("training", "0001_initial")]

    operations = [
        enable_rls(
            "training_course",
            "training_trainingsession",
            "training_attendance",
            "training_question",
            "training_questionoption",
            "training_exampaper",
            "training_papersection",
            "training_attempt",
            "training_attemptquestion",
            "training_certificate",
            "training_reminder",
            "training_inspection",
            "training_spotcheck",
            "training_suspension",
        ),
        grant_operation(),
    ]
