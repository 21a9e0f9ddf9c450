"""Read-only API of the question bank and papers: who may read, filters, versions, queries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance.training import bank
from tenants import roles
from tenants.scope import activate

from ..conftest import login

pytestmark = pytest.mark.django_db

OPTIONS = [{"text": "甲", "is_correct": True}, {"text": "乙", "is_correct": False}]


def make(world, n=1, tenant="a", **data):
    t = getattr(world, tenant)
    with activate(t.scope(roles.TENANT_ADMIN)):
        return [
            bank.create_question(
                t.hq, {"type": "single", "stem": f"{tenant}题{i}", "topic": "通用"} | data, OPTIONS
            )
            for i in range(n)
        ]


def make_paper(world, title="年度考试"):
    with activate(world.a.scope(roles.TENANT_ADMIN)):
        return bank.paper_create(
            org_unit=world.a.mine,
            data={"title": title},
            sections=[{"question_type": "single", "count": 2, "points": Decimal(50)}],
            audience_units=[world.a.team],
        )


def test_questions_with_answers_for_bank_readers(world):
    (question,) = make(world)
    response = login(world.a.users[roles.HQ_AUDITOR]).get("/api/v1/questions/")
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["id"] == str(question.pk) and row["version"] == 1 and row["is_current"]
    assert [(o["text"], o["is_correct"]) for o in row["options"]] == [("甲", True), ("乙", False)]


@pytest.mark.parametrize("who", ["worker", "team_leader", "regulator_in"])
def test_everyone_else_is_refused_the_bank(world, who):
    (question,) = make(world)
    user = world.regulator_in if who == "regulator_in" else world.a.users[who]
    client = login(user)
    assert client.get("/api/v1/questions/").status_code == 403
    assert client.get(f"/api/v1/questions/{question.pk}/").status_code == 403


def test_anonymous_and_other_tenant(world):
    (question,) = make(world)
    from django.test import Client

    assert Client().get("/api/v1/questions/").status_code in (401, 403)
    other = login(world.b.users[roles.TENANT_ADMIN])
    assert other.get(f"/api/v1/questions/{question.pk}/").status_code == 404
    assert other.get("/api/v1/questions/").json()["results"] == []
    assert other.get("/api/v1/questions/", {"org_unit": str(world.a.hq.pk)}).status_code == 404


def test_question_filters_and_versions(world):
    (v1,) = make(world)
    with activate(world.a.scope(roles.TENANT_ADMIN)):
        bank.create_question(
            world.a.hq,
            {"type": "true_false", "stem": "已有", "difficulty": 1},
            bank.true_false_options(True),
        )
        v2 = bank.edit_question(v1, {"type": "single", "stem": "第二版", "topic": "通用"}, OPTIONS)
    client = login(world.a.users[roles.TENANT_ADMIN])

    def stems(**params):
        response = client.get("/api/v1/questions/", params)
        assert response.status_code == 200, response.json()
        return {r["stem"] for r in response.json()["results"]}

    assert stems() == {"第二版", "已有"}
    assert stems(type="single") == {"第二版"}
    assert stems(difficulty=1, search="已") == {"已有"}
    assert stems(topic="通用") == {"第二版"}
    # The old version is still readable by id.
    old = client.get(f"/api/v1/questions/{v1.pk}/").json()
    assert old["version"] == 1 and not old["is_current"] and old["family"] == str(v2.family)
    assert client.get("/api/v1/questions/", {"type": "essay"}).status_code == 400
    with activate(world.a.scope(roles.TENANT_ADMIN)):
        bank.retire_question(v2)
    assert stems(retired="true") == {"第二版"}


def test_papers_for_managers_and_regulators_not_workers(world):
    make(world, n=3)
    paper = make_paper(world)
    admin = login(world.a.users[roles.TENANT_ADMIN])
    (row,) = admin.get("/api/v1/papers/").json()["results"]
    assert row["id"] == str(paper.pk) and row["question_count"] == 2 and row["attempt_count"] == 0
    assert row["sections"][0]["count"] == 2 and row["audience_units"] == [str(world.a.team.pk)]
    assert "is_correct" not in str(row)
    assert login(world.regulator_in).get(f"/api/v1/papers/{paper.pk}/").status_code == 200
    assert login(world.a.users[roles.WORKER]).get("/api/v1/papers/").status_code == 403
    assert login(world.b.users[roles.TENANT_ADMIN]).get(f"/api/v1/papers/{paper.pk}/").status_code == 404
    assert admin.get("/api/v1/papers/", {"search": "没有"}).json()["results"] == []
    assert admin.get("/api/v1/papers/", {"org_unit": str(world.b.hq.pk)}).status_code == 404


def test_writes_are_not_offered(world):
    (question,) = make(world)
    client = login(world.a.users[roles.TENANT_ADMIN])
    assert client.post("/api/v1/questions/", {}, content_type="application/json").status_code == 405
    assert client.delete(f"/api/v1/questions/{question.pk}/").status_code == 405


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


def test_list_queries_do_not_grow_with_rows(world):
    make(world, n=2)
    make_paper(world)
    client = login(world.a.users[roles.TENANT_ADMIN])
    urls = ["/api/v1/questions/", "/api/v1/questions/?post_category=other", "/api/v1/papers/"]
    small = [_count(client, url) for url in urls]
    make(world, n=30, stem="更多")
    for i in range(10):
        make_paper(world, title=f"卷{i}")
    assert [_count(client, url) for url in urls] == small
