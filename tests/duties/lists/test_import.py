"""The Excel import of responsibility-list templates: the template in either language, a good file
publishing a version per post through the service (adaptations republished, audited), a bad row
publishing nothing and named by row and column, and nobody outside the group starting it."""

from __future__ import annotations

import io

import pytest
from django.test import TestCase
from django.urls import reverse
from openpyxl import load_workbook

from compliance.audit.models import AuditEvent
from compliance.duties import lists_io
from compliance.duties import selectors_lists as sel
from compliance.duties.models import ListItem, ListTemplate, ListVersion
from compliance.jobs.models import Job
from tenants import roles
from tenants.scope import activate, dangerously_platform_scope

from ...conftest import login
from .helpers import ITEMS, admin_scope, assign, make_post, publish

pytestmark = pytest.mark.django_db

IMPORT = "/duties/lists/import/"
TEMPLATE = "/duties/lists/import/template/"


def _fill(template: bytes, rows) -> io.BytesIO:
    wb = load_workbook(io.BytesIO(template))
    for row in rows:
        wb.worksheets[0].append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "清单.xlsx"
    return out


def _upload(client, org_unit, file):
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(IMPORT, {"org_unit": str(org_unit.pk), "file": file})
    return response


def _job(response) -> Job:
    assert response.status_code == 302, response.content.decode()[:800]
    with dangerously_platform_scope():
        return Job.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])


def _versions(tw):
    with dangerously_platform_scope():
        return sorted(
            ListVersion.objects.filter(tenant=tw.tenant).values_list(
                "template__post__name", "template__org_unit__name", "number"
            )
        )


def test_the_urls_are_the_importers():
    assert reverse("duties:list-import") == IMPORT
    assert reverse("duties:list-import-template") == TEMPLATE


@pytest.mark.parametrize(
    ("language", "headers", "guide"),
    [
        ("zh-hans", ["职务/岗位", "职责", "范围", "考核标准", "佐证材料", "分值"], "说明"),
        ("en", ["Post", "Duty", "Scope", "Assessment criterion", "Evidence expected", "Points"], "Guide"),
    ],
)
def test_the_template_downloads_in_the_users_language_with_the_posts_as_a_drop_down(
    world, language, headers, guide
):
    make_post(world.a)
    make_post(world.b, code="b-only", name="B集团岗位")
    response = login(world.a.users[roles.SAFETY_MANAGER]).get(TEMPLATE, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('filename="responsibility-lists-template.xlsx"')
    sheet, sheet_guide = load_workbook(io.BytesIO(response.content)).worksheets
    assert [c.value for c in sheet[1]] == headers
    assert sheet_guide.title == guide
    values = {c.value for row in sheet_guide.iter_rows() for c in row}
    assert "采煤工" in values and "B集团岗位" not in values  # the caller's group's posts only
    assert sheet.data_validations.dataValidation  # the post column's drop-down


def test_a_good_file_publishes_a_version_per_post_through_the_service(world):
    miner = make_post(world.a)
    leader = make_post(world.a, code="team-leader", name="班组长", level="team")
    publish(world.a, miner)  # v1 at the group, with ITEMS
    publish(world.a, miner, unit=world.a.mine, items=[*_with_keys(world.a, miner), _OWN])  # an adaptation
    holder = assign(world.a, world.a.worker_person, miner)
    client = login(world.a.users[roles.TENANT_ADMIN])
    template = client.get(TEMPLATE, HTTP_ACCEPT_LANGUAGE="zh-hans").content
    rows = [
        ["采煤工", ITEMS[0]["duty"], "本岗位", "无违章记录", "班前会记录", 10],  # unchanged: keeps its key
        ["miner", "检查工作面顶板", "工作面", "每班检查", "检查记录", 20],  # the post by its code
        ["班组长", "组织班前会", "本班组", "每班召开", "", ""],
    ]
    events_before = _events(world.a)
    job = _job(_upload(client, world.a.hq, _fill(template, rows)))
    assert job.status == Job.Status.SUCCEEDED, job.result
    assert job.result["lists_published"] == 2
    assert _versions(world.a) == sorted(
        [
            ("班组长", world.a.hq.name, 1),
            ("采煤工", world.a.hq.name, 1),
            ("采煤工", world.a.hq.name, 2),
            ("采煤工", world.a.mine.name, 1),
            ("采煤工", world.a.mine.name, 2),  # the adaptation follows the new group version
        ]
    )
    with dangerously_platform_scope():
        group = ListTemplate.objects.get(post=miner, org_unit=world.a.hq)
        items = list(ListItem.objects.filter(version=group.current_version).order_by("position"))
        first = ListItem.objects.get(version__template=group, version__number=1, position=1)
        mine_items = list(  # read here: row-level security hides them outside the scope
            ListItem.objects.filter(
                version=ListTemplate.objects.get(post=miner, org_unit=world.a.mine).current_version
            )
        )
        leader_items = list(
            ListItem.objects.filter(version=ListTemplate.objects.get(post=leader).current_version)
        )
    assert [(i.duty, i.scope, i.criterion, i.evidence, i.max_score) for i in items] == [
        (ITEMS[0]["duty"], "本岗位", "无违章记录", "班前会记录", 10),
        ("检查工作面顶板", "工作面", "每班检查", "检查记录", 20),
    ]
    assert items[0].key == first.key  # the same item across versions
    assert {i.duty for i in mine_items} == {ITEMS[0]["duty"], "检查工作面顶板", _OWN["duty"]}
    assert [(i.duty, i.max_score) for i in leader_items] == [("组织班前会", 10)]
    # Audited as the form is (one publication per version), plus the import itself.
    events = _events(world.a)[len(events_before) :]
    assert sorted(a for a, _t in events) == ["import", "list_publish", "list_publish", "list_publish"]
    with dangerously_platform_scope():
        imported = AuditEvent.objects.get(tenant=world.a.tenant, action="import")
    assert imported.object_repr == "清单.xlsx" and imported.org_path == world.a.hq.path
    assert [v["post"] for v in imported.after["lists"]] == ["采煤工", "班组长"]
    # The job page says what was published.
    page = client.get(reverse("job-detail", kwargs={"pk": job.pk})).content.decode()
    assert 'data-testid="imported"' in page and "班组长 · v1" in page
    # The holder is asked to sign the new version.
    scope = admin_scope(world.a)
    with activate(scope):
        [due] = sel.person_lists(scope, holder.person)
    assert due.version.number == 2 and not due.signed


_OWN = {"duty": "本矿特有：检查防冲钻孔", "scope": "冲击地压区域", "criterion": "按设计施工", "evidence": ""}


def _with_keys(tw, post):
    with dangerously_platform_scope():
        version = ListTemplate.objects.get(post=post, org_unit=tw.hq).current_version
        return [
            {"key": i.key, "duty": i.duty, "scope": i.scope, "criterion": i.criterion,
             "evidence": i.evidence, "max_score": i.max_score}
            for i in ListItem.objects.filter(version=version).order_by("position")
        ]  # fmt: skip


def _events(tw):
    with dangerously_platform_scope():
        return list(
            AuditEvent.objects.filter(tenant=tw.tenant, object_type="duties.ListTemplate")
            .order_by("created_at", "seq")
            .values_list("action", "object_type")
        )


def test_a_mine_imports_its_own_items_and_keeps_those_of_the_group(world):
    miner = make_post(world.a)
    publish(world.a, miner)
    client = login(world.a.users[roles.SAFETY_MANAGER])  # at the mine
    template = client.get(TEMPLATE).content
    rows = [
        ["采煤工", ITEMS[1]["duty"], "本班组", "出勤率100%", "签到表", 10],  # the group's, word for word
        ["采煤工", "检查防冲钻孔", "冲击地压区域", "按设计施工", "", 5],
    ]
    job = _job(_upload(client, world.a.mine, _fill(template, rows)))
    assert job.status == Job.Status.SUCCEEDED, job.result
    with dangerously_platform_scope():
        adaptation = ListTemplate.objects.get(post=miner, org_unit=world.a.mine)
        items = list(ListItem.objects.filter(version=adaptation.current_version).order_by("position"))
    assert [(i.duty, i.inherited) for i in items] == [
        (ITEMS[0]["duty"], True),
        (ITEMS[1]["duty"], True),
        ("检查防冲钻孔", False),
    ]


def test_a_bad_row_publishes_nothing_and_is_named_by_row_and_column(world):
    miner = make_post(world.a)
    publish(world.a, miner, unit=world.a.hq)
    publish(world.a, miner, unit=world.a.mine, items=[*_with_keys(world.a, miner), _OWN])
    client = login(world.a.users[roles.SAFETY_MANAGER])
    template = client.get(TEMPLATE, HTTP_ACCEPT_LANGUAGE="zh-hans").content
    rows = [
        ["采煤工", "检查防冲钻孔", "冲击地压区域", "按设计施工", "", 5],  # good
        ["采煤工", "巡查巷道", "", "", "", ""],  # row 3: no criterion
        ["掘进工", "支护", "", "按规程", "", "200"],  # row 4: no such post, points out of range
        ["采煤工", ITEMS[0]["duty"], "别处", "改了", "", ""],  # row 5: changes the group's item
        ["采煤工", "检查防冲钻孔", "", "重复", "", ""],  # row 6: the same duty twice
    ]
    before, events_before = _versions(world.a), _events(world.a)
    job = _job(_upload(client, world.a.mine, _fill(template, rows)))
    assert job.status != Job.Status.SUCCEEDED
    problems = {(e["row"], e["column"]) for e in job.result["errors"]}
    assert problems == {(3, "考核标准"), (4, "职务/岗位"), (4, "分值"), (5, "职责"), (6, "职责")}
    messages = {(e["row"], e["column"]): e["message"] for e in job.result["errors"]}
    assert "掘进工" in messages[(4, "职务/岗位")] and "2" in messages[(6, "职责")]
    assert job.result["imported"] == 0
    assert _versions(world.a) == before and _events(world.a) == events_before


def test_nobody_outside_the_group_or_without_the_right_starts_it(world):
    make_post(world.a)
    template = login(world.a.users[roles.TENANT_ADMIN]).get(TEMPLATE).content

    def file():
        return _fill(template, [["采煤工", "越权条目", "", "标准", "", ""]])

    # Another group's admin naming this group's unit: the unit is not found.
    assert _upload(login(world.b.users[roles.TENANT_ADMIN]), world.a.hq, file()).status_code == 404
    # Read-only roles and regulators: no right to import at all.
    for user in (world.a.users[roles.HQ_AUDITOR], world.a.users[roles.WORKER], world.regulator_in):
        client = login(user)
        assert client.get(IMPORT).status_code == 403
        assert client.get(TEMPLATE).status_code == 403
        assert _upload(client, world.a.hq, file()).status_code == 403
    # A mine's safety manager may not publish the group's lists.
    response = _upload(login(world.a.users[roles.SAFETY_MANAGER]), world.a.hq, file())
    assert response.status_code in (400, 403, 404)
    with dangerously_platform_scope():
        assert not Job.objects.filter(kind=lists_io.IMPORT_KIND).exists()


def test_the_list_page_links_the_import(world):
    page = login(world.a.users[roles.SAFETY_MANAGER]).get(reverse("duties:list-templates")).content.decode()
    assert f'href="{IMPORT}"' in page
    upload = login(world.a.users[roles.SAFETY_MANAGER]).get(IMPORT).content.decode()
    assert f'href="{TEMPLATE}"' in upload
