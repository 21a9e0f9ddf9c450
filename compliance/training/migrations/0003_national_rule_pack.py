"""The national training rule pack shipped as defaults (DOMAIN.md, "Training and exams")."""

import datetime

from django.db import migrations

NATIONAL = {
    "code": "national-2015",
    "name": "生产经营单位安全培训规定（国家默认）",
    "document_no": "原国家安全监管总局令第3号（2015年第80号令修正）；煤矿安全培训规定（第92号令）",
    "effective_from": datetime.date(2015, 7, 1),
    "pass_mark": 80,
    "attempts_allowed": 2,
    "special_cert_valid_years": 6,
    "special_cert_review_years": 3,
    "manager_cert_valid_years": 3,
    "retrain_after_absence_days": 365,
    "reminder_days": [90, 30, 7],
}
# (post category, mine group, initial hours, annual hours, from secondary sources)
HOURS = [
    ("principal", "", 48, 16, False),
    ("safety_management", "", 48, 16, False),
    ("special_operation", "", 72, 20, True),
    ("other", "", 72, 20, False),
]


def ship(apps, schema_editor):
    RulePack = apps.get_model("training", "RulePack")
    HoursRule = apps.get_model("training", "HoursRule")
    pack, _ = RulePack.objects.update_or_create(code=NATIONAL["code"], defaults=NATIONAL)
    for post, group, initial, annual, uncertain in HOURS:
        HoursRule.objects.update_or_create(
            pack=pack,
            post_category=post,
            mine_group=group,
            defaults={"initial_hours": initial, "annual_hours": annual, "uncertain": uncertain},
        )


class Migration(migrations.Migration):
    dependencies = [("training", "0002_row_level_security")]

    operations = [migrations.RunPython(ship, migrations.RunPython.noop)]
