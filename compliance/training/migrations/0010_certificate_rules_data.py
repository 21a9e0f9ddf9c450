"""Ships the certificate rule values' sources, the national catalogue of special operations for
mines, and moves existing data to the statutory/internal split (issue 14, points 7-9):

- every paper that issued a "certificate" now issues an internal training record, and every
  certificate a group's own exam issued becomes one (it never was the statutory certificate);
- 掘进机 joins 采煤机 (one catalogue item); a 液压支架 "special-operation certificate" is a mine
  post's record and becomes an internal training record.
"""

from django.db import migrations

NATIONAL = "national-2015"
T30 = "特种作业人员安全技术培训考核管理规定（原安监总局令第30号，第80号令修正）"
T44 = "安全生产培训管理办法（原安监总局令第44号，第80号令修正）；煤矿安全培训规定（应急管理部令第92号）"
# field → (source, verified). Verified: the reading is stated by issue 14 and DOMAIN.md as checked
# against the text; the internal record's validity is the group's own choice, not a regulation.
SOURCES = {
    "special_cert_valid_years": (f"{T30} 第十九条：特种作业操作证有效期6年", True),
    "special_cert_review_years": (f"{T30} 第二十一条：每3年复审1次；第二十六条：未按期复审的，操作证失效", True),
    "special_cert_review_years_long_service": (
        f"{T30} 第二十一条：连续从事本工种10年以上、严格遵守安全生产法律法规的，复审时间可延长至每6年1次",
        True,
    ),
    "special_cert_long_service_years": (f"{T30} 第二十一条：连续从事本工种10年以上", True),
    "special_cert_review_min_hours": (f"{T30} 第二十三条：复审前安全培训时间不少于8个学时", True),
    "special_reexam_after_absence_months": (
        f"{T30}：离开特种作业岗位6个月以上的，应当重新进行实际操作考试（条号待核）",
        False,
    ),
    "manager_cert_valid_years": (f"{T44}：安全生产知识和管理能力考核合格证有效期3年（条号待核）", True),
    "manager_apply_within_days": (f"{T44}：自任职之日起30日内申请考核（条号待核）", True),
    "manager_pass_within_months": (f"{T44}：自任职之日起6个月内通过考核（条号待核）", True),
    "manager_resits_allowed": (f"{T44}：考核不合格的，允许补考1次（条号待核）", True),
    "manager_wait_after_fail_months": (f"{T44}：补考仍不合格的，1年后方可再次申请考核（条号待核）", True),
    "internal_record_valid_years": ("集团内部培训记录，非法定证书；按每年再培训周期（原安监总局令第3号）", False),
}
CATALOGUE_SOURCE = f"{T30} 附件《特种作业目录》"
# (mine group, operation type, item, name)
CATALOGUE = [
    ("coal", "electrician", "5.1", "煤矿井下电气作业"),
    ("coal", "blasting", "5.2", "煤矿井下爆破作业"),
    ("coal", "monitoring", "5.3", "煤矿安全监测监控作业"),
    ("coal", "gas_inspection", "5.4", "煤矿瓦斯检查作业"),
    ("coal", "safety_check", "5.5", "煤矿安全检查作业"),
    ("coal", "hoist", "5.6", "煤矿提升机操作作业"),
    ("coal", "shearer", "5.7", "煤矿采煤机（掘进机）操作作业"),
    ("coal", "gas_drainage", "5.8", "煤矿瓦斯抽采作业"),
    ("coal", "outburst_prevention", "5.9", "煤矿防突作业"),
    ("coal", "water_exploration", "5.10", "煤矿探放水作业"),
    ("non_coal", "ventilation", "6.1", "金属非金属矿井通风作业"),
    ("non_coal", "tailings", "6.2", "尾矿作业"),
    ("non_coal", "safety_check", "6.3", "金属非金属矿山安全检查作业"),
    ("non_coal", "hoist", "6.4", "金属非金属矿山提升机操作作业"),
    ("non_coal", "propping", "6.5", "金属非金属矿山支柱作业"),
    ("non_coal", "electrician", "6.6", "金属非金属矿山井下电气作业"),
    ("non_coal", "drainage", "6.7", "金属非金属矿山排水作业"),
    ("non_coal", "blasting", "6.8", "金属非金属矿山爆破作业"),
]
STATUTORY = ("principal", "safety_management", "special_operation")


def ship(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # Every group's rows: row-level security is forced on these tables, even for their owner.
        schema_editor.execute("SELECT set_config('app.all_tenants', 'on', true)")
    RulePack = apps.get_model("training", "RulePack")
    PackValueSource = apps.get_model("training", "PackValueSource")
    SpecialOperationType = apps.get_model("training", "SpecialOperationType")
    for pack in RulePack.objects.filter(code=NATIONAL):
        for field, (source, verified) in SOURCES.items():
            PackValueSource.objects.update_or_create(
                pack=pack, field=field, defaults={"source": source, "verified": verified}
            )
    for group, op, item, name in CATALOGUE:
        SpecialOperationType.objects.update_or_create(
            mine_group=group,
            operation_type=op,
            defaults={"item": item, "name": name, "source": f"{CATALOGUE_SOURCE} {item}", "verified": True},
        )

    Course = apps.get_model("training", "Course")
    ExamPaper = apps.get_model("training", "ExamPaper")
    Certificate = apps.get_model("training", "Certificate")
    for model, field in ((Course, "operation_type"), (ExamPaper, "certificate_operation_type")):
        model.objects.filter(**{field: "roadheader"}).update(**{field: "shearer"})
    ExamPaper.objects.filter(issues_certificate__in=STATUTORY).update(issues_certificate="internal")
    Certificate.objects.filter(operation_type="roadheader").update(operation_type="shearer")
    Certificate.objects.filter(source="exam").update(kind="internal", review_due_on=None)
    Certificate.objects.filter(kind="special_operation", operation_type="hydraulic_support").update(
        kind="internal", review_due_on=None
    )


class Migration(migrations.Migration):
    dependencies = [("training", "0009_certificate_reviews")]

    operations = [migrations.RunPython(ship, migrations.RunPython.noop)]
