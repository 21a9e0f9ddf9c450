"""The grading standards library: shipped national standards (loaded by the data migration),
their level rules, which version applies to a mine, Excel export → import, row errors with nothing
changed, and who may see and change what."""

from __future__ import annotations

import copy
import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils.translation import override
from openpyxl import load_workbook

from compliance.audit.models import AuditEvent
from compliance.grading import standards, standards_io
from compliance.grading.data import SHIPPED, coal, noncoal
from compliance.grading.models import Assessment, Item, Part, Standard, StandardVersion
from compliance.grading.scoring import ItemMark, MineHistory, StandardSpec, evaluate
from compliance.grading.selectors import version_for, visible_standards
from compliance.jobs.models import Job
from tenants import roles
from tenants.scope import activate, dangerously_platform_scope
from tenants.selectors import scope_for_user

from ..conftest import PASSWORD, login

pytestmark = pytest.mark.django_db
D = datetime.date


def national(code: str, label: str) -> StandardVersion:
    return StandardVersion.objects.select_related("standard").get(
        standard__code=code, standard__owner_tenant__isnull=True, label=label
    )


def counts() -> tuple:
    # Every group's rows as well as the national ones (row-level security hides a group's own
    # standards from any other scope).
    with dangerously_platform_scope():
        return (
            Standard.objects.count(),
            StandardVersion.objects.count(),
            Part.objects.count(),
            Item.objects.count(),
        )


def small_structure(code="group-internal", label="2026", mine_type="coal_underground", name="集团内部标准"):
    return {
        "code": code,
        "name": name,
        "method": "percentage",
        "mine_types": [mine_type],
        "versions": [
            {
                "label": label,
                "document_no": "集团安〔2026〕1号",
                "effective_from": "2015-01-01",
                "effective_to": None,
                "preconditions": ["licences_valid"],
                "recheck_months": 12,
                "notes": "",
                "parts": [
                    {
                        "code": "management",
                        "name": "B-安全管理" if "b" in code else "安全管理",
                        "weight": 1,
                        "items": [
                            ("建立全员安全生产责任制", 40, "未建立否决", True),
                            ("每月隐患排查", 60, "缺1次扣10分"),
                        ],
                        "no": "1",
                    }
                ],
                "level_rules": [{"level": 1, "min_total": 90}, {"level": 3, "min_total": 60}],
            }
        ],
    }


def upload(client, file, url="/grading/standards/import/"):
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url, {"file": file})
    assert response.status_code == 302, response.content.decode()[:800]
    job_id = response["Location"].rstrip("/").split("/")[-1]
    with dangerously_platform_scope():
        return Job.objects.get(pk=job_id)


def as_file(content: bytes, name="standard.xlsx") -> io.BytesIO:
    out = io.BytesIO(content)
    out.name = name
    return out


# --- shipped data ----------------------------------------------------------------------------------
def test_the_migration_loads_every_shipped_standard():
    loaded = set(Standard.objects.filter(owner_tenant__isnull=True).values_list("code", flat=True))
    assert (
        loaded
        == {s["code"] for s in SHIPPED}
        == {
            "coal",
            "coal-open-pit",
            "metal-underground",
            "metal-open-pit",
            "tailings-pond",
        }
    )
    assert set(StandardVersion.objects.filter(standard__code="coal").values_list("label", flat=True)) == {
        "2020",
        "2024",
    }
    coal_2020 = national("coal", "2020")
    assert coal_2020.document_no == "煤安监行管〔2020〕16号"
    assert coal_2020.effective_from == D(2020, 7, 1) and coal_2020.effective_to == D(2024, 12, 31)
    assert coal_2020.standard.method == Standard.Method.WEIGHTED_PARTS
    assert coal_2020.standard.mine_types == ["coal_underground"]
    tops = list(coal_2020.parts.filter(parent__isnull=True).order_by("position"))
    assert [p.code for p in tops] == ["basics", "disaster", "professional"]
    assert [p.name for p in tops] == ["安全基础管理", "重大灾害防治", "专业管理"]
    assert sum(p.weight for p in tops) == Decimal(1)
    basics = [p.name for p in tops[0].children.order_by("position")]
    assert basics == [
        "理念目标和矿长安全承诺",
        "组织机构",
        "安全生产责任制及安全管理制度",
        "从业人员素质",
        "安全风险分级管控",
        "事故隐患排查治理",
        "持续改进",
    ]
    professional = {p.name for p in tops[2].children.all()}
    assert {"采煤", "掘进", "机电", "运输", "调度和应急管理"} <= professional
    assert {"通风（含瓦斯、防灭火、粉尘防治）", "地质灾害防治与测量", "防治水"} <= {
        p.name for p in tops[1].children.all()
    }
    # Every speciality holds items, each of them scored out of 100; some are veto items.
    for leaf in coal_2020.parts.filter(parent__isnull=False):
        items = list(leaf.items.all())
        assert len(items) >= 3, leaf.name
        assert sum(i.max_points for i in items) == 100, leaf.name
    assert coal_2020.items.filter(is_veto=True).count() >= 5
    assert national("coal-open-pit", "2020").parts.filter(code="slope").exists()


@pytest.mark.parametrize("code", ["metal-underground", "metal-open-pit", "tailings-pond"])
def test_the_aqt_variants_have_14_elements_and_4000_points(code):
    version = national(code, "2016")
    assert version.standard.method == Standard.Method.PERCENTAGE
    elements = list(version.parts.all())
    assert len(elements) == 14 and all(p.parent_id is None for p in elements)
    assert elements[0].name == "安全生产方针与目标" and elements[-1].name == "绩效测量与评价"
    assert sum(version.items.values_list("max_points", flat=True)) == 4000
    assert all(p.items.count() >= 3 for p in elements)
    assert version.items.filter(is_veto=True).count() >= 3
    assert len(set(version.items.values_list("code", flat=True))) == version.items.count()


def test_the_shipped_variants_differ_where_the_mine_type_does():
    def process_titles(code):
        return set(national(code, "2016").items.filter(part__code="process").values_list("title", flat=True))

    underground, open_pit, tailings = (
        process_titles(c) for c in ("metal-underground", "metal-open-pit", "tailings-pond")
    )
    assert not underground & open_pit and not open_pit & tailings
    assert any("尾矿" in t or "坝" in t for t in tailings) and any("提升" in t for t in underground)


def test_level_rules_are_as_specified():
    """Changed by issue 14: coal 二级/三级 minimums apply to the three management parts, not to
    every element (定级办法 Art. 4: "考核总得分及各管理部分得分均不低于80/70分"); every rule value
    carries its source and verified flag; the 2024 edition's 12-month re-check is unverified."""
    three_parts = {"basics", "disaster", "professional"}
    for code in ("coal", "coal-open-pit"):
        for label, recheck, verified in (("2020", 36, True), ("2024", 12, False)):
            version = national(code, label)
            assert version.preconditions == ["licences_valid", "five_posts_staffed"]
            assert (version.recheck_months, version.verified) == (recheck, verified)
            assert version.source.startswith(version.document_no)
            one, two, three = version.level_rules.order_by("level")
            assert (one.level, one.min_total, one.min_every_part) == (1, 90, None)
            assert one.part_minimums == {"disaster": 90, "professional": 90, "basics": 85}
            assert one.fatal_lookback_years == {"general": 1, "large": 2, "major": 2, "grave": 3}
            assert one.clean_history_days == 365
            assert (two.min_total, two.min_every_part, two.fatal_lookback_years) == (80, None, {})
            assert two.part_minimums == dict.fromkeys(three_parts, 80)
            assert (three.min_total, three.min_every_part) == (70, None)
            assert three.part_minimums == dict.fromkeys(three_parts, 70)
            for rule in (one, two, three):
                assert rule.verified and "第四条" in rule.source
            rules = {(r.level, r.accident_class): r for r in version.accident_rules.all()}
            assert (rules[1, "general"].to_level, rules[1, "general"].verified) == (3, True)
            assert "2022-11-10" in rules[1, "general"].source
            assert (rules[3, "general"].to_level, rules[3, "general"].verified) == (None, True)
            assert (rules[2, "general"].to_level, rules[2, "general"].verified) == (3, False)
            assert all(rules[lv, "large"].to_level is None and rules[lv, "large"].verified for lv in (1, 2))
    for code in ("metal-underground", "metal-open-pit", "tailings-pond"):
        version = national(code, "2016")
        assert version.preconditions == ["licences_valid"] and version.recheck_months == 36
        rules = list(version.level_rules.order_by("level"))
        assert [(r.level, r.min_total) for r in rules] == [(1, 90), (2, 75), (3, 60)]
        for rule in rules:
            assert rule.fatal_lookback_years == {"general": 1, "large": 1, "major": 1, "grave": 1}
            assert rule.min_every_part is None and rule.part_minimums == {}


def test_the_shipped_coal_standard_scores_with_its_own_rules():
    """All items full: 100 and 一级. A deduction that takes 重大灾害防治 under 90 stops 一级 at the
    named part's rule; a failed veto item voids every level."""
    version = national("coal", "2020")
    spec = StandardSpec.load(version)
    history = MineHistory()
    full = evaluate(spec, {}, history, D(2024, 1, 1))
    assert full.total == 100 and full.level == 1
    # 20 points off one item in each of three specialities: each stays at 80, 重大灾害防治 falls to 83.
    marks = {}
    for part_code, words in (("ventilation", "通风系统"), ("geology", "地质报告"), ("water", "水泵")):
        item = next(i for i in version.items.filter(part__code=part_code) if words in i.title)
        marks[item.id] = ItemMark(deducted=Decimal(20))
    result = evaluate(spec, marks, history, D(2024, 1, 1))
    disaster = next(p for p in result.parts if p.code == "disaster")
    assert disaster.score == 83 and result.total >= 90 and result.level == 2
    assert "重大灾害防治" in result.blocking_rule
    veto = version.items.filter(is_veto=True).first()
    vetoed = evaluate(spec, {veto.id: ItemMark(deducted=Decimal(1))}, history, D(2024, 1, 1))
    assert vetoed.level is None and veto.code in vetoed.blocking_rule


# --- which version applies --------------------------------------------------------------------------
def test_version_for_picks_by_mine_type_and_date(world):
    assert version_for("coal_underground", D(2023, 5, 1)) == national("coal", "2020")
    assert version_for("coal_underground", D(2024, 12, 31)) == national("coal", "2020")
    assert version_for("coal_underground", D(2025, 1, 1)) == national("coal", "2024")
    assert version_for("coal_open_pit", D(2026, 3, 1)) == national("coal-open-pit", "2024")
    assert version_for("metal_open_pit", D(2026, 3, 1)) == national("metal-open-pit", "2016")
    assert version_for("tailings_pond", D(2026, 3, 1)) == national("tailings-pond", "2016")
    assert version_for("coal_underground", D(2019, 1, 1)) is None
    # National first; the group's own standard only where no national one is in force.
    a_admin = world.a.scope(roles.TENANT_ADMIN)
    with activate(a_admin):
        (own,) = standards.standard_create(scope=a_admin, data=small_structure())
        assert version_for("coal_underground", D(2026, 3, 1), a_admin) == national("coal", "2024")
        assert version_for("coal_underground", D(2019, 1, 1), a_admin) == own
    assert version_for("coal_underground", D(2019, 1, 1)) is None
    b_admin = world.b.scope(roles.TENANT_ADMIN)
    with activate(b_admin):
        assert version_for("coal_underground", D(2019, 1, 1), b_admin) is None


# --- Excel ---------------------------------------------------------------------------------------------
def test_template_has_four_sheets_and_imports_as_a_standard(world):
    client = login(world.a.users[roles.TENANT_ADMIN])
    response = client.get("/grading/standards/import/template/")
    assert response.status_code == 200 and response["Content-Type"] == standards_io.XLSX
    wb = load_workbook(io.BytesIO(response.content))
    assert len(wb.worksheets) == 4
    job = upload(client, as_file(response.content))
    assert job.status == Job.Status.SUCCEEDED, job.result
    with dangerously_platform_scope():  # the group's own standard, read behind the pages
        version = StandardVersion.objects.get(pk=job.result["version_id"])
        assert version.standard.owner_tenant_id == world.a.tenant.pk and version.items.count() == 3
        assert version.items.get(code="1.1").is_veto
    assert client.get(f"/grading/standards/import/{job.pk}/").status_code == 200


def test_export_then_import_gives_the_same_structure(world):
    """A national version exported and imported by a group becomes the group's own copy, equal
    part for part, item for item, rule for rule; the national one is untouched."""
    client = login(world.a.users[roles.TENANT_ADMIN])
    source = national("coal", "2020")
    before = standards.version_structure(source)
    response = client.get(f"/grading/standards/versions/{source.pk}/export/")
    assert response.status_code == 200
    sizes = counts()
    job = upload(client, as_file(response.content))
    assert job.status == Job.Status.SUCCEEDED, job.result
    with dangerously_platform_scope():  # the group's own copy, read behind the pages
        copy_ = StandardVersion.objects.get(pk=job.result["version_id"])
        assert copy_.standard.owner_tenant_id == world.a.tenant.pk and copy_.standard.code == "coal"
        assert standards.version_structure(copy_) == before
    assert standards.version_structure(national("coal", "2020")) == before
    assert counts()[3] == sizes[3] + source.items.count()
    with dangerously_platform_scope():
        event = AuditEvent.objects.get(
            tenant=world.a.tenant, action="import", object_type="grading.StandardVersion"
        )
    assert event.after["items"] == source.items.count()
    # Non-coal too (dict items with veto flags, a flat tree, percentage method).
    aqt = national("tailings-pond", "2016")
    job = upload(client, as_file(standards_io.version_export(aqt)))
    assert job.status == Job.Status.SUCCEEDED, job.result
    with dangerously_platform_scope():
        mine = StandardVersion.objects.get(pk=job.result["version_id"])
        assert standards.version_structure(mine) == standards.version_structure(aqt)


def _bad_workbook() -> bytes:
    wb = load_workbook(io.BytesIO(standards_io.version_export(national("coal", "2020"))))
    first, parts, items, rules = wb.worksheets
    first["B8"] = "2020-13-45"  # effective from
    parts["C3"] = "nowhere"  # parent code
    items["D2"] = "很多"  # maximum points
    items["B3"] = "nosuchpart"  # part code
    items["A4"] = items["A5"].value  # duplicate item code
    rules["A3"] = "四级"
    rules["D2"] = "disaster=abc"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_bad_rows_are_all_reported_and_nothing_is_imported(world):
    client = login(world.a.users[roles.TENANT_ADMIN])
    sizes = counts()
    with dangerously_platform_scope():
        audit_before = AuditEvent.objects.filter(tenant=world.a.tenant).count()
    job = upload(client, as_file(_bad_workbook()))
    assert job.status == Job.Status.FAILED
    errors = job.result["errors"]
    where = {(e["row"], e["column"].split(" · ")[0]) for e in errors}
    sheet = {key: standards_io._zh(label) for key, label in standards_io.SHEETS.items()}
    assert (8, sheet["version"]) in where
    assert (3, sheet["parts"]) in where
    assert {(2, sheet["items"]), (3, sheet["items"]), (5, sheet["items"])} <= where
    assert {(2, sheet["rules"]), (3, sheet["rules"])} <= where
    assert all(e["message"] for e in errors) and job.result["imported"] == 0
    assert counts() == sizes
    with dangerously_platform_scope():
        assert AuditEvent.objects.filter(tenant=world.a.tenant).count() == audit_before
    page = client.get(f"/grading/standards/import/{job.pk}/")
    assert page.status_code == 200 and "import-errors" in page.content.decode()


def test_an_unreadable_file_or_missing_sheet_is_refused(world):
    client = login(world.a.users[roles.TENANT_ADMIN])
    structure, errors = standards_io.parse_workbook(b"PK\x03\x04 not really")
    assert structure is None and errors
    wb = load_workbook(io.BytesIO(standards_io.import_template()))
    del wb[wb.sheetnames[3]]
    out = io.BytesIO()
    wb.save(out)
    sizes = counts()
    job = upload(client, as_file(out.getvalue()))
    assert job.status == Job.Status.FAILED and counts() == sizes


# --- who may see and change what ------------------------------------------------------------------------
@pytest.fixture
def a_standard(world):
    scope = world.a.scope(roles.TENANT_ADMIN)
    with activate(scope):
        (version,) = standards.standard_create(
            scope=scope, data=small_structure(code="a-internal", name="A-内部标准")
        )
    return version


def test_a_groups_own_standard_is_seen_by_that_group_only(world, a_standard):
    version, standard = a_standard, a_standard.standard
    a = login(world.a.users[roles.SAFETY_MANAGER])
    for url in (
        f"/grading/standards/{standard.pk}/",
        f"/grading/standards/versions/{version.pk}/",
        f"/api/v1/grading/standards/{standard.pk}/",
        f"/api/v1/grading/versions/{version.pk}/",
    ):
        assert a.get(url).status_code == 200, url
    assert "A-内部标准" in a.get("/grading/standards/").content.decode()
    for user in (world.b.users[roles.TENANT_ADMIN], world.b.users[roles.SAFETY_MANAGER], world.regulator_in):
        client = login(user)
        for url in (
            f"/grading/standards/{standard.pk}/",
            f"/grading/standards/versions/{version.pk}/",
            f"/grading/standards/versions/{version.pk}/export/",
            f"/api/v1/grading/standards/{standard.pk}/",
            f"/api/v1/grading/versions/{version.pk}/",
        ):
            assert client.get(url).status_code == 404, (user, url)
        assert "A-内部标准" not in client.get("/grading/standards/").content.decode()
        listed = client.get("/api/v1/grading/standards/").json()["results"]
        assert standard.pk not in {row["id"] for row in listed}
        assert {row["code"] for row in listed} >= {"coal", "metal-underground"}


def test_regulators_read_national_standards(world):
    client = login(world.regulator_in)
    coal_2024 = national("coal", "2024")
    page = client.get(f"/grading/standards/versions/{coal_2024.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "重大灾害防治" in body and "矿安〔2024〕109号" in body
    data = client.get(f"/api/v1/grading/versions/{coal_2024.pk}/").json()
    assert data["method"] == "weighted_parts" and len(data["level_rules"]) == 3
    assert {p["code"] for p in data["parts"]} >= {"basics", "disaster", "professional"}
    assert sum(1 for i in data["items"] if i["is_veto"]) >= 5
    assert client.post("/grading/standards/import/", {}).status_code == 403
    listed = client.get("/api/v1/grading/standards/").json()
    assert listed["count"] == len(SHIPPED)
    # A worker holds no view_grading: nothing.
    worker = login(world.a.users[roles.WORKER])
    assert worker.get("/grading/standards/").status_code == 403
    assert worker.get("/api/v1/grading/standards/").json()["count"] == 0


def test_a_tenant_can_never_change_a_national_standard(world):
    scope = world.a.scope(roles.TENANT_ADMIN)
    coal_2020 = national("coal", "2020")
    structure = standards.version_structure(coal_2020)
    structure["versions"][0]["label"] = "2026"
    sizes = counts()
    with activate(scope):
        with pytest.raises(PermissionDenied):
            standards.standard_import(scope=scope, data=structure, national=True)
        with pytest.raises(PermissionDenied):
            standards.standard_version_delete(scope=scope, version=coal_2020)
        with pytest.raises(PermissionDenied):
            standards.require_editable(scope, coal_2020)
        assert not standards.can_manage(scope, coal_2020.standard)
    assert counts() == sizes
    # The operator's page refuses everyone but the platform operator.
    for user in (world.a.users[roles.TENANT_ADMIN], world.regulator_in):
        client = login(user)
        assert client.get("/grading/standards/national-import/").status_code == 403
        assert client.post("/grading/standards/national-import/", {}).status_code == 403
    # Only a tenant admin imports the group's own; a safety manager may not.
    manager = login(world.a.users[roles.SAFETY_MANAGER])
    assert manager.get("/grading/standards/import/").status_code == 403
    assert counts() == sizes


def test_the_platform_operator_imports_a_national_version(world):
    operator = get_user_model().objects.create_superuser("operator", "op@example.com", PASSWORD)
    client = login(operator)
    assert client.get("/grading/standards/national-import/").status_code == 200
    structure = standards.version_structure(national("metal-underground", "2016"))
    version = structure["versions"][0]
    version["label"], version["effective_from"] = "2026", "2026-07-01"
    version["parts"][0]["items"][0]["title"] = "修订后的条目"
    response = client.post(
        "/grading/standards/national-import/", {"file": as_file(standards_io.workbook_of(structure))}
    )
    assert response.status_code == 302, response.content.decode()[:800]
    new = national("metal-underground", "2026")
    assert new.items.get(code="1.1").title == "修订后的条目"
    assert version_for("metal_underground", D(2026, 8, 1)) == new
    assert version_for("metal_underground", D(2026, 6, 1)) == national("metal-underground", "2016")
    with dangerously_platform_scope():
        event = AuditEvent.objects.filter(tenant__isnull=True, action="import").latest("seq")
    assert event.object_repr.endswith("2026") and event.actor_label == "operator"
    # Bad input: every problem on the page, nothing changed.
    sizes = counts()
    response = client.post("/grading/standards/national-import/", {"file": as_file(_bad_workbook())})
    assert response.status_code == 400 and "import-errors" in response.content.decode()
    assert counts() == sizes


def test_a_version_in_use_is_not_changed(world, a_standard):
    client = login(world.a.users[roles.TENANT_ADMIN])
    with dangerously_platform_scope():
        Assessment.objects.create(
            tenant=world.a.tenant,
            mine=world.a.mine,
            version=a_standard,
            assessed_on=D(2026, 3, 1),
            created_by=world.a.users[roles.SAFETY_MANAGER],
        )
    changed = small_structure(code="a-internal", name="A-内部标准")
    changed["versions"][0]["parts"][0]["items"][1] = ("每周隐患排查", 60, "缺1次扣10分")
    job = upload(client, as_file(standards_io.workbook_of(changed)))
    assert job.status == Job.Status.FAILED
    assert any(a_standard.label in e["message"] for e in job.result["errors"])
    scope = world.a.scope(roles.TENANT_ADMIN)
    with activate(scope):
        assert a_standard.items.filter(title="每月隐患排查").exists()
        with pytest.raises(Exception, match="assessment|自评"):
            standards.standard_version_delete(scope=scope, version=a_standard)
    # A new label is a new version beside it.
    changed["versions"][0]["label"] = "2027"
    job = upload(client, as_file(standards_io.workbook_of(changed)))
    assert job.status == Job.Status.SUCCEEDED, job.result
    with activate(scope):
        assert set(a_standard.standard.versions.values_list("label", flat=True)) == {"2026", "2027"}


def test_an_unused_own_version_is_replaced_by_its_label(world, a_standard):
    client = login(world.a.users[roles.TENANT_ADMIN])
    changed = small_structure(code="a-internal", name="A-内部标准（修订）")
    changed["versions"][0]["parts"][0]["items"][1] = ("每周隐患排查", 60, "缺1次扣10分")
    job = upload(client, as_file(standards_io.workbook_of(changed)))
    assert job.status == Job.Status.SUCCEEDED, job.result
    with activate(world.a.scope(roles.TENANT_ADMIN)):
        standard = Standard.objects.get(pk=a_standard.standard_id)
        (version,) = standard.versions.all()
        assert standard.name == "A-内部标准（修订）" and version.items.filter(title="每周隐患排查").exists()
    with dangerously_platform_scope():
        event = AuditEvent.objects.filter(tenant=world.a.tenant, action="import").latest("seq")
    assert event.before["replaced"][0]["version"] == "2026"


def test_a_method_change_is_refused(world, a_standard):
    scope = world.a.scope(roles.TENANT_ADMIN)
    changed = small_structure(code="a-internal")
    changed["method"] = "weighted_parts"
    changed["versions"][0]["label"] = "2030"
    with activate(scope):
        assert any(
            "method" in p or "方法" in p for p in standards.import_problems(scope, changed, national=False)
        )


# --- pages and constant queries -----------------------------------------------------------------------------
def test_version_page_shows_tree_items_veto_rules_and_preconditions(world):
    client = login(world.a.users[roles.HQ_AUDITOR])
    version = national("coal", "2020")
    body = client.get(f"/grading/standards/versions/{version.pk}/").content.decode()
    for text in (
        "安全基础管理",
        "通风（含瓦斯、防灭火、粉尘防治）",
        "矿长安全承诺",
        'data-testid="veto"',
        "365",
    ):
        assert text in body, text
    veto = version.items.filter(is_veto=True).first()
    assert f'data-testid="item-{veto.code}"' in body and veto.guidance in body
    assert 'data-testid="level-rules"' in body and 'data-testid="preconditions"' in body
    listing = client.get("/grading/standards/").content.decode()
    assert "煤矿安全生产标准化管理体系（井工煤矿）" in listing and "AQ/T 2050.4-2016" in listing


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200, url
    return len([q for q in ctx.captured_queries if "set_config(" not in q["sql"]])


def test_list_and_detail_pages_and_api_have_constant_queries(world):
    client = login(world.a.users[roles.TENANT_ADMIN])
    scope = world.a.scope(roles.TENANT_ADMIN)
    urls = ["/grading/standards/", "/api/v1/grading/standards/"]
    before = [_queries(client, u) for u in urls]
    with activate(scope):
        for n in range(6):
            data = small_structure(code=f"own-{n}")
            data["versions"].append(copy.deepcopy(data["versions"][0]) | {"label": "2027"})
            standards.standard_create(scope=scope, data=data)
    assert [_queries(client, u) for u in urls] == before
    with activate(scope):
        small = StandardVersion.objects.get(standard__code="own-0", label="2026")
    big = national("coal", "2020")
    for template in ("/grading/standards/versions/{}/", "/api/v1/grading/versions/{}/"):
        assert _queries(client, template.format(small.pk)) == _queries(client, template.format(big.pk))


def test_visible_standards_for_each_kind_of_scope(world, a_standard):
    with activate(world.a.scope(roles.TEAM_LEADER)) as scope:
        assert a_standard.standard in visible_standards(scope)
    with activate(world.a.scope(roles.WORKER)) as scope:
        assert not visible_standards(scope).exists()
    with activate(scope_for_user(world.regulator_in)) as scope:
        assert set(visible_standards(scope)) == set(Standard.objects.filter(owner_tenant__isnull=True))
    with dangerously_platform_scope() as scope:
        assert visible_standards(scope).count() == len(SHIPPED) + 1


def test_python_structures_are_checked(world):
    scope = world.a.scope(roles.TENANT_ADMIN)
    bad = small_structure()
    bad["versions"][0]["parts"][0]["items"].append(("重复", 10, ""))
    bad["versions"][0]["parts"][0]["items"][2] = {"code": "1.1", "title": "重复编号", "max_points": 10}
    bad["versions"][0]["level_rules"][0]["part_minimums"] = {"nowhere": 90}
    bad["mine_types"] = ["gold_mine"]
    with activate(scope):
        problems = standards.structure_problems(bad)
    assert len(problems) >= 3
    assert not standards.structure_problems(coal.COAL_UNDERGROUND)
    assert not standards.structure_problems(noncoal.TAILINGS_POND)


def test_a_sheet_beyond_the_import_row_limit_is_refused_with_the_limit_named(settings):
    content = standards_io.version_export(national("coal", "2020"))
    structure, errors = standards_io.parse_workbook(content)
    assert structure is not None and not errors
    settings.IMPORT_MAX_ROWS = 20  # the export has more items than this, and fewer parts
    with override("zh-hans"):
        structure, errors = standards_io.parse_workbook(content)
    assert structure is None
    assert [e["message"] for e in errors] == [
        "第 22 行有数据，但每个工作表最多读取表头以下 20 行。请把文件拆分成几个较小的文件。"
    ]
