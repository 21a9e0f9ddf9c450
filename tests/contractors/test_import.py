"""Excel import of the contractor register and of an engagement's staff: all rows or none, each
problem named by row and column, the writes through the services (audit, holds), only a manager
of the group (and of the engagement's mine) may start one."""

from __future__ import annotations

import datetime
import io

import pytest
import time_machine
from django.test import TestCase
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from compliance.audit.models import AuditEvent
from compliance.contractors import contractors_io, services
from compliance.contractors.models import Contractor, Qualification, StaffAssignment
from compliance.jobs.models import Job
from tenants import roles
from tenants import services as tenant_services
from tenants.models import Person, PersonHold
from tenants.scope import activate, dangerously_platform_scope

from ..conftest import login
from ..factories import credit_code, resident_id
from .factories import TODAY, contractor, engage

pytestmark = pytest.mark.django_db

with translation.override("zh-hans"):
    REGISTER_HEADER = [str(c.label) for c in contractors_io.REGISTER_COLUMNS]
    STAFF_HEADER = [str(c.label) for c in contractors_io.STAFF_COLUMNS]


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 6, 30, 4, tzinfo=datetime.UTC), tick=False):
        yield


def xlsx(rows, header) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "import.xlsx"
    return out


def contractor_row(code, *, name="黔南矿建工程有限公司", kind="", number="", until="2028-12-31", work="采矿"):
    # 名称, 信用代码, 法定代表人, 联系人, 电话, 作业类别, 资质类别, 等级, 范围, 编号, 发证机关, 有效期起, 止
    qualification = (
        [kind, "二级", "矿山工程施工", number, "贵州省住房和城乡建设厅", "2025-01-01", until]
        if kind
        else [""] * 7
    )
    return [name, code, "张三", "李四", "13800000000", work, *qualification]


def staff_row(rid, name, *, employee_no="", post="其他从业人员", team="", on=""):
    # 姓名, 身份证号, 工号, 电话, 岗位类别, 作业类别, 职务, 班组或矿, 进场日期
    return [name, rid, employee_no, "13900000000", post, "", "掘进工", team, on]


def _job(response) -> Job:
    assert response.status_code == 302, response.content.decode()[:800]
    job_id = response["Location"].rstrip("/").split("/")[-1]
    with dangerously_platform_scope():
        return Job.objects.get(pk=job_id)


def upload_register(client, org_unit, file) -> Job:
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post("/contractors/import/", {"org_unit": str(org_unit.pk), "file": file})
    return _job(response)


def upload_staff(client, engagement, file) -> Job:
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(f"/contractors/engagements/{engagement.pk}/staff/import/", {"file": file})
    return _job(response)


def registered(unit, rid, name, employee_no) -> Person:
    with dangerously_platform_scope() as platform:
        return tenant_services.person_create(
            scope=platform,
            org_unit=unit,
            resident_id=rid,
            name=name,
            employee_no=employee_no,
            post_category="other",
        )


@pytest.fixture
def manager(world):
    return login(world.a.users[roles.SAFETY_MANAGER])


# --- templates ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "language", "expected"),
    [
        ("/contractors/import/template/", "zh-hans", ("统一社会信用代码", "法定代表人")),
        ("/contractors/import/template/", "en", ("Unified social credit code", "Legal representative")),
        ("/contractors/staff/import/template/", "zh-hans", ("身份证号", "姓名")),
        ("/contractors/staff/import/template/", "en", ("Resident ID", "Name")),
    ],
)
def test_the_templates_speak_the_users_language(manager, url, language, expected):
    response = manager.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    header = [c.value for c in load_workbook(io.BytesIO(response.content)).worksheets[0][1]]
    for name in expected:
        assert name in header, header


# --- the register ---------------------------------------------------------------------------------------
def test_a_good_register_imports_contractors_with_their_qualifications_and_audit(world, manager):
    code_1, code_2 = credit_code(7101), credit_code(7102)
    with translation.override("zh-hans"):
        licence = str(Qualification.Kind.SAFETY_LICENCE.label)
        construction = str(Qualification.Kind.CONSTRUCTION.label)
    file = xlsx(
        [
            contractor_row(code_1, kind=licence, number="AQ-7101"),
            # the same contractor's second qualification, contractor cells left empty
            ["", code_1, "", "", "", "", *contractor_row(code_1, kind=construction, number="ZZ-7101")[6:]],
            contractor_row(code_2, name="遵义井巷工程有限公司", work="掘进"),
        ],
        REGISTER_HEADER,
    )
    job = upload_register(manager, world.a.mine, file)
    assert job.status == Job.Status.SUCCEEDED, (job.message, job.result)
    assert job.result == {"errors": [], "created": 2, "updated": 0, "qualifications": 2}
    assert (
        'data-testid="imported"' in manager.get(reverse("job-detail", kwargs={"pk": job.pk})).content.decode()
    )
    with dangerously_platform_scope():
        first = Contractor.objects.get(tenant=world.a.tenant, credit_code=code_1)
        assert first.work_kind == "mining"
        assert set(first.qualifications.values_list("number", flat=True)) == {"AQ-7101", "ZZ-7101"}
        second = Contractor.objects.get(tenant=world.a.tenant, credit_code=code_2)
        assert second.qualifications.count() == 0
        events = AuditEvent.objects.filter(tenant=world.a.tenant)
        assert events.filter(action="create", object_type="contractors.Contractor").count() >= 2
        assert events.filter(action="create", object_type="contractors.Qualification").count() >= 2
        assert events.filter(action="import", object_type="contractors.Contractor").exists()
        # The other group keeps no copy.
        assert not Contractor.objects.filter(tenant=world.b.tenant, credit_code=code_1).exists()


def test_a_bad_row_writes_nothing_and_names_row_and_column(world, manager):
    code = credit_code(7201)
    with translation.override("zh-hans"):
        licence = str(Qualification.Kind.SAFETY_LICENCE.label)
    file = xlsx(
        [
            contractor_row(code, kind=licence, number="AQ-7201"),
            contractor_row("91520000MA0000000X"),  # checksum wrong
            contractor_row(code, name="另一个名称"),  # same code, different name
            contractor_row(credit_code(7202), work="挖煤"),  # not a kind of work
            contractor_row(credit_code(7203), kind=licence, number="", until="2020-01-01"),
        ],
        REGISTER_HEADER,
    )
    with translation.override("zh-hans"):
        job = upload_register(manager, world.a.mine, file)
    assert job.status == Job.Status.FAILED
    problems = {(e["row"], e["column"]) for e in job.result["errors"]}
    assert (3, "统一社会信用代码") in problems, job.result
    assert (4, "外包队伍名称") in problems, job.result
    assert (5, "作业类别") in problems, job.result
    assert (6, "资质编号") in problems, job.result
    assert (6, "有效期至") in problems, job.result
    assert "第2行" in next(e["message"] for e in job.result["errors"] if e["row"] == 4)
    with dangerously_platform_scope():
        assert not Contractor.objects.filter(tenant=world.a.tenant, credit_code=code).exists()


def test_a_code_already_in_the_register_updates_it(world, manager):
    admin = world.a.scope(roles.TENANT_ADMIN)
    kept = contractor(admin, name="旧名称工程有限公司")
    file = xlsx([contractor_row(kept.credit_code, name="新名称工程有限公司")], REGISTER_HEADER)
    job = upload_register(manager, world.a.mine, file)
    assert job.status == Job.Status.SUCCEEDED, job.result
    assert job.result["created"] == 0 and job.result["updated"] == 1
    with dangerously_platform_scope():
        kept.refresh_from_db()
        assert kept.name == "新名称工程有限公司"
        assert AuditEvent.objects.filter(object_id=str(kept.pk), action="update").exists()
    # The same file again changes nothing and is no error.
    again = upload_register(
        manager,
        world.a.mine,
        xlsx([contractor_row(kept.credit_code, name="新名称工程有限公司")], REGISTER_HEADER),
    )
    assert again.status == Job.Status.SUCCEEDED and again.result["updated"] == 0


def test_only_the_groups_managers_start_a_register_import(world):
    file = lambda: xlsx([contractor_row(credit_code(7301))], REGISTER_HEADER)  # noqa: E731
    for user in (world.a.users[roles.WORKER], world.a.users[roles.HQ_AUDITOR], world.regulator_in):
        client = login(user)
        assert client.get("/contractors/import/").status_code == 403
        response = client.post("/contractors/import/", {"org_unit": str(world.a.mine.pk), "file": file()})
        assert response.status_code == 403
        assert client.get("/contractors/import/template/").status_code == 403
    # Another group's manager: tenant A's unit is not among theirs (the same 404 as a missing one).
    other = login(world.b.users[roles.SAFETY_MANAGER])
    response = other.post("/contractors/import/", {"org_unit": str(world.a.mine.pk), "file": file()})
    assert response.status_code in (400, 404)
    with dangerously_platform_scope():
        assert not Contractor.objects.filter(credit_code=credit_code(7301)).exists()
        assert not Job.objects.filter(kind=contractors_io.REGISTER_KIND).exists()


# --- staff ----------------------------------------------------------------------------------------------
def test_a_good_staff_list_registers_and_assigns_people(world, manager):
    admin = world.a.scope(roles.TENANT_ADMIN)
    e = engage(admin, world.a, contractor(admin)).engagement
    known_id = resident_id(seq=950, birth="19700101")
    known = registered(world.a.team, known_id, "老员工", "KN-0001")
    new_id = resident_id(seq=951, birth="19850505")
    file = xlsx(
        [
            staff_row(known_id, "老员工"),
            staff_row(new_id, "新员工", employee_no="WB-9501", team=world.a.team.name),
        ],
        STAFF_HEADER,
    )
    job = upload_staff(manager, e, file)
    assert job.status == Job.Status.SUCCEEDED, (job.message, job.result)
    assert job.result["registered"] == 1 and job.result["assigned"] == 2
    page = manager.get(reverse("job-detail", kwargs={"pk": job.pk})).content.decode()
    assert 'data-testid="imported"' in page and f"/contractors/engagements/{e.pk}/" in page
    with dangerously_platform_scope():
        assigned = set(
            StaffAssignment.objects.filter(engagement=e, left_on__isnull=True).values_list(
                "person__name", flat=True
            )
        )
        assert assigned == {"老员工", "新员工"}
        newcomer = Person.objects.get(tenant=world.a.tenant, employee_no="WB-9501")
        assert newcomer.org_unit == world.a.team and newcomer.employer == e.contractor.name
        known.refresh_from_db()
        assert known.employer == e.contractor.name
        events = AuditEvent.objects.filter(tenant=world.a.tenant)
        assert events.filter(action="create", object_type="contractors.StaffAssignment").count() >= 2
        assert events.filter(
            action="create", object_type="tenants.Person", object_id=str(newcomer.pk)
        ).exists()
        assert events.filter(action="import", object_id=str(e.pk)).exists()


def test_staff_of_a_lapsed_contractor_are_held_row_by_row(world):
    admin = world.a.scope(roles.TENANT_ADMIN)
    c = contractor(admin, until=TODAY + datetime.timedelta(days=5))
    e = engage(admin, world.a, c).engagement
    file = xlsx(
        [staff_row(resident_id(seq=960, birth="19860606"), "进场工", employee_no="WB-9601")], STAFF_HEADER
    )
    # Twenty days on the licence has lapsed (logged in then: the session of the fixture would be
    # too old).
    with time_machine.travel(datetime.datetime(2026, 7, 20, 4, tzinfo=datetime.UTC), tick=False):
        job = upload_staff(login(world.a.users[roles.SAFETY_MANAGER]), e, file)
    assert job.result["warnings"]
    with dangerously_platform_scope():
        held = Person.objects.get(tenant=world.a.tenant, employee_no="WB-9601")
        assert PersonHold.objects.filter(
            person=held, source=services.HOLD_SOURCE, lifted_at__isnull=True
        ).exists()
        assert held.status == Person.Status.SUSPENDED


def test_a_bad_staff_row_writes_nothing_and_names_row_and_column(world, manager):
    admin = world.a.scope(roles.TENANT_ADMIN)
    e = engage(admin, world.a, contractor(admin)).engagement
    elsewhere = engage(admin, world.a, contractor(admin), work_kind="installation").engagement
    busy_id = resident_id(seq=969, birth="19870707")
    busy = registered(world.a.team, busy_id, "忙人", "KN-0969")
    with activate(admin):
        services.staff_assign(scope=admin, engagement=elsewhere, person=busy)
    good = resident_id(seq=970, birth="19870707")
    file = xlsx(
        [
            staff_row(good, "好员工", employee_no="WB-9701"),
            staff_row("520201198705120000", "坏号码", employee_no="WB-9702"),  # checksum wrong
            staff_row(good, "重复", employee_no="WB-9703"),  # same ID as row 2
            staff_row(resident_id(seq=971, birth="19870707"), "缺工号"),  # new person without number
            staff_row(
                resident_id(seq=972, birth="19870707"), "无此班组", employee_no="WB-9705", team="不存在"
            ),
            staff_row(busy_id, "忙人"),  # on another engagement
            staff_row(busy_id, "忙人"),  # the same ID again
        ],
        STAFF_HEADER,
    )
    with translation.override("zh-hans"):
        job = upload_staff(manager, e, file)
    assert job.status == Job.Status.FAILED
    page = manager.get(f"/jobs/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert f'href="/contractors/engagements/{e.pk}/staff/import/"' in page  # back to its own page
    problems = {(err["row"], err["column"]) for err in job.result["errors"]}
    assert (3, "身份证号") in problems, job.result
    assert (4, "身份证号") in problems, job.result
    assert (5, "工号") in problems, job.result
    assert (6, "所属班组/矿山") in problems, job.result
    assert (7, "身份证号") in problems, job.result  # already assigned elsewhere
    assert (8, "身份证号") in problems, job.result  # same ID as row 7
    with dangerously_platform_scope():
        assert not Person.objects.filter(tenant=world.a.tenant, employee_no="WB-9701").exists()
        assert not StaffAssignment.objects.filter(engagement=e).exists()


def test_staff_import_is_for_the_engagements_managers_only(world):
    admin = world.a.scope(roles.TENANT_ADMIN)
    e = engage(admin, world.a, contractor(admin)).engagement
    url = f"/contractors/engagements/{e.pk}/staff/import/"

    def file():
        return xlsx(
            [staff_row(resident_id(seq=980, birth="19880808"), "某人", employee_no="WB-9801")], STAFF_HEADER
        )

    for user in (world.a.users[roles.WORKER], world.a.users[roles.HQ_AUDITOR], world.regulator_in):
        client = login(user)
        assert client.get(url).status_code in (403, 404)
        assert client.post(url, {"file": file()}).status_code in (403, 404)
    # Another group's manager cannot reach tenant A's engagement: 404, as for a missing one.
    other = login(world.b.users[roles.SAFETY_MANAGER])
    assert other.get(url).status_code == 404
    assert other.post(url, {"file": file()}).status_code == 404
    with dangerously_platform_scope():
        assert not Job.objects.filter(kind=contractors_io.STAFF_KIND).exists()
    # The shared import page knows no engagement: it is not a way in either.
    assert login(world.a.users[roles.SAFETY_MANAGER]).get(url).status_code == 200


def test_pages_link_the_imports(world, manager):
    admin = world.a.scope(roles.TENANT_ADMIN)
    e = engage(admin, world.a, contractor(admin)).engagement
    assert 'data-testid="contractor-import"' in manager.get("/contractors/").content.decode()
    assert 'data-testid="staff-import"' in manager.get(f"/contractors/engagements/{e.pk}/").content.decode()
    page = manager.get(f"/contractors/engagements/{e.pk}/staff/import/").content.decode()
    assert "/contractors/staff/import/template/" in page
