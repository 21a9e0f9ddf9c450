"""Question bank pages: who may open them, forms with option rows, versions, query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance.training import bank
from compliance.training.models import Question
from tenants import roles
from tenants.scope import activate, dangerously_platform_scope

from ..conftest import login

pytestmark = pytest.mark.django_db

OPTIONS = [{"text": "甲", "is_correct": True}, {"text": "乙", "is_correct": False}]


def make(world, n=1, tenant="a", **data):
    t = getattr(world, tenant)
    made = []
    with activate(t.scope(roles.TENANT_ADMIN)):
        for i in range(n):
            made.append(
                bank.create_question(
                    t.mine,
                    {
                        "type": "single",
                        "stem": f"{tenant.upper()}题{i}：井下作业前要做什么？",
                        "topic": "通用",
                    }
                    | data,
                    OPTIONS,
                )
            )
    return made


def form_body(org_unit=None, **overrides):
    body = {
        "type": "single",
        "stem": "瓦斯检查工每班至少检查几次？",
        "explanation": "见规程。",
        "topic": "瓦斯防治",
        "difficulty": "2",
        "post_categories": ["special_operation"],
        "mine_types": ["coal_underground"],
        "options-TOTAL_FORMS": "6",
        "options-INITIAL_FORMS": "0",
        "options-MIN_NUM_FORMS": "0",
        "options-MAX_NUM_FORMS": "6",
        "options-0-text": "1 次",
        "options-1-text": "2 次",
        "options-1-is_correct": "on",
        "options-2-text": "3 次",
    }
    if org_unit is not None:
        body["org_unit"] = str(org_unit.pk)
    body.update(overrides)
    return body


def test_nav_shows_the_bank_only_to_those_who_may_read_it(world):
    for role in (roles.TENANT_ADMIN, roles.HQ_AUDITOR, roles.SAFETY_MANAGER):
        assert 'data-testid="nav-bank"' in login(world.a.users[role]).get("/").content.decode(), role
    for user in (world.a.users[roles.WORKER], world.a.users[roles.TEAM_LEADER], world.regulator_in):
        assert 'data-testid="nav-bank"' not in login(user).get("/").content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/training/questions/",
        "/training/questions/new/",
        "/training/questions/import/",
        "/training/questions/import/template/",
        "/training/questions/export/",
    ],
)
def test_workers_and_regulators_never_reach_the_bank(world, url):
    for user in (world.a.users[roles.WORKER], world.regulator_in, world.regulator_out):
        assert login(user).get(url).status_code == 403, (user, url)


def test_regulator_and_worker_cannot_open_a_question_or_its_answers(world):
    (question,) = make(world)
    for user in (world.a.users[roles.WORKER], world.regulator_in):
        client = login(user)
        assert client.get(f"/training/questions/{question.pk}/").status_code == 403
        assert client.post(f"/training/questions/{question.pk}/retire/").status_code == 403


def test_tenant_b_cannot_see_tenant_a_questions(world):
    (question,) = make(world)
    client = login(world.b.users[roles.TENANT_ADMIN])
    for url in (
        f"/training/questions/{question.pk}/",
        f"/training/questions/{question.pk}/edit/",
    ):
        assert client.get(url).status_code == 404
    assert client.post(f"/training/questions/{question.pk}/retire/").status_code == 404
    assert question.stem not in client.get("/training/questions/").content.decode()
    with dangerously_platform_scope():
        assert Question.objects.get(pk=question.pk).is_current


def test_hq_auditor_reads_but_does_not_write(world):
    (question,) = make(world)
    client = login(world.a.users[roles.HQ_AUDITOR])
    page = client.get(f"/training/questions/{question.pk}/").content.decode()
    assert "甲" in page and 'data-testid="correct"' in page and 'data-testid="question-edit"' not in page
    assert client.get("/training/questions/new/").status_code == 403
    assert client.post(f"/training/questions/{question.pk}/edit/", form_body()).status_code == 403


def test_create_through_the_form(world):
    client = login(world.a.users[roles.SAFETY_MANAGER])
    page = client.get("/training/questions/new/").content.decode()
    assert 'name="options-5-text"' in page and "js/question_form.js" in page
    response = client.post("/training/questions/new/", form_body(world.a.mine))
    assert response.status_code == 302, response.content.decode()[:2000]
    with dangerously_platform_scope():
        question = Question.objects.get(stem="瓦斯检查工每班至少检查几次？")
        assert question.post_categories == ["special_operation"] and question.mine_types == [
            "coal_underground"
        ]
        assert list(question.options.values_list("text", "is_correct")) == [
            ("1 次", False),
            ("2 次", True),
            ("3 次", False),
        ]
    assert response["Location"] == f"/training/questions/{question.pk}/"


def test_true_false_through_the_form(world):
    client = login(world.a.users[roles.SAFETY_MANAGER])
    body = form_body(
        world.a.mine, type="true_false", stem="矿井必须有两个安全出口。", true_false_answer="true"
    )
    assert client.post("/training/questions/new/", body).status_code == 302
    with dangerously_platform_scope():
        question = Question.objects.get(stem="矿井必须有两个安全出口。")
        assert list(question.options.values_list("text", "is_correct")) == [("正确", True), ("错误", False)]


def test_form_errors_are_shown_field_by_field(world):
    client = login(world.a.users[roles.SAFETY_MANAGER])
    body = form_body(world.a.mine, stem="", **{"options-0-is_correct": "on"})
    response = client.post("/training/questions/new/", body)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-field="stem"' in page and "请输入题干。" in page
    assert 'data-field="options"' in page and "单选题有且只有一个正确选项，现在标记了 2 个。" in page
    response = client.post(
        "/training/questions/new/", form_body(world.a.mine, type="true_false", true_false_answer="")
    )
    assert response.status_code == 400 and 'data-field="true_false_answer"' in response.content.decode()
    with dangerously_platform_scope():
        assert not Question.objects.exists()


def test_edit_saves_a_new_version_and_the_history_shows_both(world):
    (v1,) = make(world)
    client = login(world.a.users[roles.SAFETY_MANAGER])
    page = client.get(f"/training/questions/{v1.pk}/edit/").content.decode()
    assert v1.stem in page and 'value="甲"' in page
    response = client.post(f"/training/questions/{v1.pk}/edit/", form_body(stem="改过的题干"))
    assert response.status_code == 302
    with dangerously_platform_scope():
        v2 = Question.objects.get(family=v1.family, is_current=True)
        assert v2.version == 2 and Question.objects.get(pk=v1.pk).stem == v1.stem
    assert response["Location"] == f"/training/questions/{v2.pk}/"
    history = client.get(f"/training/questions/{v2.pk}/").content.decode()
    assert "v1" in history and "v2" in history and f"/training/questions/{v1.pk}/" in history
    old = client.get(f"/training/questions/{v1.pk}/").content.decode()
    assert 'data-testid="old-version"' in old and 'data-testid="question-edit"' not in old
    # Editing the old version is refused: back to its page with a message.
    response = client.post(f"/training/questions/{v1.pk}/edit/", form_body(stem="第三版"))
    assert response.status_code == 400
    with dangerously_platform_scope():
        assert Question.objects.filter(family=v1.family).count() == 2


def test_retire_through_the_page(world):
    (question,) = make(world)
    client = login(world.a.users[roles.SAFETY_MANAGER])
    assert client.get(f"/training/questions/{question.pk}/retire/").status_code == 405
    assert client.post(f"/training/questions/{question.pk}/retire/").status_code == 302
    with dangerously_platform_scope():
        assert not Question.objects.get(pk=question.pk).is_current
    assert question.stem not in client.get("/training/questions/").content.decode()
    assert question.stem[:20] in client.get("/training/questions/?state=retired").content.decode()


def test_list_filters_and_paginates(world):
    make(world, n=3)
    make(world, n=1, stem="判断：必须佩戴自救器。", topic="自救互救", difficulty=3)
    client = login(world.a.users[roles.SAFETY_MANAGER])
    page = client.get("/training/questions/", {"topic": "自救互救"}).content.decode()
    assert "自救器" in page and "A题0" not in page
    page = client.get("/training/questions/", {"difficulty": "3", "q": "自救"}).content.decode()
    assert "自救器" in page
    assert "A题1" in client.get("/training/questions/", {"q": "A题1"}).content.decode()


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


def test_list_export_and_detail_queries_do_not_grow_with_rows(world):
    first = make(world, n=2)[0]
    client = login(world.a.users[roles.SAFETY_MANAGER])
    urls = [
        "/training/questions/",
        "/training/questions/?post_category=other",
        "/training/questions/export/",
        f"/training/questions/{first.pk}/",
    ]
    small = [_count(client, url) for url in urls]
    make(world, n=18, stem="更多的题")
    with activate(world.a.scope(roles.TENANT_ADMIN)):
        for i in range(5):  # a longer history for the detail page
            first = bank.edit_question(first, {"type": "single", "stem": f"第{i + 2}版"}, OPTIONS)
    urls[-1] = f"/training/questions/{first.pk}/"
    assert [_count(client, url) for url in urls] == small
