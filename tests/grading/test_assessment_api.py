"""The fixed self-assessment API (issue 5): start, score an item, result, submit; list and detail."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance.grading.models import Assessment, ItemScore
from tenants import roles
from tenants.scope import dangerously_platform_scope

from ..conftest import login
from .factories import coal_like_version, items, percentage_version

pytestmark = pytest.mark.django_db

BASE = "/api/v1/assessments/"


def put(client, url, body):
    return client.put(url, data=json.dumps(body), content_type="application/json")


def post(client, url, body=None):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def coal(world):
    return coal_like_version(items_per_part=2)


@pytest.fixture
def manager(world):
    return login(world.a.users[roles.SAFETY_MANAGER])


def started(client, world, version, mine=None):
    response = post(client, BASE, {"mine": str((mine or world.a.mine).pk), "standard_version": version.pk})
    assert response.status_code == 201, response.content
    return response.json()


def test_start_answers_201_with_the_assessment(world, coal, manager):
    body = started(manager, world, coal)
    assert body["status"] == "draft" and body["standard_version"] == coal.pk and body["items"] == 4
    assert body["mine"] == str(world.a.mine.pk) and body["items_scored"] == 0
    again = post(manager, BASE, {"mine": str(world.a.mine.pk), "standard_version": coal.pk})
    assert again.status_code == 400 and "standard_version" in again.json()


def test_start_refuses_a_version_for_another_mine_type_or_a_foreign_mine(world, manager):
    metal = percentage_version()
    wrong = post(manager, BASE, {"mine": str(world.a.mine.pk), "standard_version": metal.pk})
    assert wrong.status_code == 400 and wrong.json()["standard_version"]
    coal = coal_like_version()
    foreign = post(manager, BASE, {"mine": str(world.b.mine.pk), "standard_version": coal.pk})
    assert foreign.status_code == 404
    missing = post(manager, BASE, {"mine": str(world.a.mine.pk), "standard_version": 999999})
    assert missing.status_code == 404
    with dangerously_platform_scope():
        assert not Assessment.objects.exists()


def test_score_an_item_then_result_then_submit(world, coal, manager):
    body = started(manager, world, coal)
    its = items(coal)
    url = f"{BASE}{body['id']}/items/{its['disaster-1'].pk}/"
    saved = put(
        manager,
        url,
        {
            "deductions": [{"points": "2.8", "reason": "瓦斯抽采不达标"}],
            "not_applicable": False,
            "reason": "",
        },
    )
    assert saved.status_code == 200, saved.content
    data = saved.json()
    assert data["deducted"] == 2.8 and data["score"] == 7.2 and data["row_version"] == 1
    assert data["deductions"][0]["reason"] == "瓦斯抽采不达标"
    early = post(manager, f"{BASE}{body['id']}/submit/")
    assert early.status_code == 400
    for code in ("disaster-2", "basics-2"):
        assert (
            put(manager, f"{BASE}{body['id']}/items/{its[code].pk}/", {"deductions": []}).status_code == 200
        )
    put(
        manager,
        f"{BASE}{body['id']}/items/{its['basics-1'].pk}/",
        {"deductions": [{"points": 0.8, "reason": "制度未更新"}]},
    )
    result = manager.get(f"{BASE}{body['id']}/result/")
    assert result.status_code == 200
    r = result.json()
    assert r["total"] == 91.0 and r["level"] == 2 and "86 < 90" in r["blocking_rule"]
    assert [{"code": p["code"], "score": p["score"]} for p in r["parts"]] == [
        {"code": "disaster", "score": 86.0},
        {"code": "basics", "score": 96.0},
    ]
    assert {"code", "name", "score"} <= set(r["parts"][0]) and r["progress"] == 100
    submitted = post(manager, f"{BASE}{body['id']}/submit/")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    late = put(manager, url, {"deductions": []})
    assert late.status_code == 409
    assert post(manager, f"{BASE}{body['id']}/submit/").status_code == 409


def test_a_stale_row_version_is_409_and_keeps_the_first_save(world, coal, manager):
    body = started(manager, world, coal)
    url = f"{BASE}{body['id']}/items/{items(coal)['disaster-1'].pk}/"
    first = put(manager, url, {"deductions": [{"points": 1, "reason": "第一人"}], "row_version": 0})
    assert first.status_code == 200
    admin = login(world.a.users[roles.TENANT_ADMIN])
    second = put(admin, url, {"deductions": [{"points": 3, "reason": "第二人"}], "row_version": 0})
    assert second.status_code == 409
    answer = second.json()
    assert world.a.users[roles.SAFETY_MANAGER].get_username() in answer["detail"]
    assert answer["current"]["deductions"][0]["reason"] == "第一人" and answer["current"]["row_version"] == 1
    # Without a row_version the API saves over (documented: last writer wins).
    over = put(admin, url, {"deductions": [{"points": 3, "reason": "第二人"}]})
    assert over.status_code == 200 and over.json()["row_version"] == 2


def test_bad_input_is_400_field_by_field_and_changes_nothing(world, coal, manager):
    body = started(manager, world, coal)
    item = items(coal)["disaster-1"]
    url = f"{BASE}{body['id']}/items/{item.pk}/"
    cases = [
        ({"deductions": [{"points": 11, "reason": "超过满分"}]}, "deductions"),
        ({"deductions": [{"points": 0, "reason": "零"}]}, "deductions"),
        ({"deductions": [{"points": 1, "reason": ""}]}, "deductions"),
        ({"not_applicable": True, "reason": ""}, "reason"),
        ({"deductions": "x"}, "deductions"),
    ]
    for payload, field in cases:
        response = put(manager, url, payload)
        assert response.status_code == 400, payload
        assert field in response.json(), (payload, response.json())
    nested = put(manager, url, {"deductions": [{"points": 1, "reason": ""}]}).json()
    assert nested["deductions"]["0"]["reason"]
    assert put(manager, f"{BASE}{body['id']}/items/999999/", {"deductions": []}).status_code == 404
    other = percentage_version()
    with dangerously_platform_scope():
        other_item = other.items.first()
        score = ItemScore.objects.get(assessment_id=body["id"], item=item)
    assert put(manager, f"{BASE}{body['id']}/items/{other_item.pk}/", {"deductions": []}).status_code == 404
    assert (score.row_version, score.deducted) == (0, 0)


def test_tenant_b_regulators_and_workers(world, coal, manager):
    body = started(manager, world, coal)
    item_url = f"{BASE}{body['id']}/items/{items(coal)['disaster-1'].pk}/"
    b = login(world.b.users[roles.TENANT_ADMIN])
    for url in (f"{BASE}{body['id']}/", f"{BASE}{body['id']}/result/"):
        assert b.get(url).status_code == 404
    assert put(b, item_url, {"deductions": []}).status_code == 404
    assert post(b, f"{BASE}{body['id']}/submit/").status_code == 404
    assert b.get(BASE).json()["count"] == 0
    regulator = login(world.regulator_in)
    assert regulator.get(f"{BASE}{body['id']}/result/").status_code == 200
    assert regulator.get(BASE).json()["count"] == 1
    assert put(regulator, item_url, {"deductions": []}).status_code == 403
    assert post(regulator, f"{BASE}{body['id']}/submit/").status_code == 403
    assert (
        post(regulator, BASE, {"mine": str(world.a.mine.pk), "standard_version": coal.pk}).status_code == 403
    )
    worker = login(world.a.users[roles.WORKER])
    assert worker.get(BASE).status_code == 403
    assert worker.get(f"{BASE}{body['id']}/result/").status_code == 403
    hq = login(world.a.users[roles.HQ_AUDITOR])
    assert put(hq, item_url, {"deductions": []}).status_code == 403
    with dangerously_platform_scope():
        assert ItemScore.objects.filter(assessment_id=body["id"], row_version__gt=0).count() == 0


def test_list_and_result_take_constant_queries(world, manager):
    small = coal_like_version(items_per_part=5)
    large = coal_like_version(items_per_part=30)

    def counted(client, url):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return len([q for q in ctx.captured_queries if "set_config(" not in q["sql"]])

    a = started(manager, world, small)
    b = started(manager, world, large)
    assert counted(manager, f"{BASE}{a['id']}/result/") == counted(manager, f"{BASE}{b['id']}/result/")
    few = counted(manager, BASE)
    with dangerously_platform_scope():
        for _n in range(10):
            Assessment.objects.create(
                tenant=world.a.tenant, mine=world.a.mine, version=small, assessed_on=timezone.localdate(),
                created_by=world.a.users[roles.SAFETY_MANAGER], status=Assessment.Status.APPROVED,
            )  # fmt: skip
    assert counted(manager, BASE) == few
    assert manager.get(BASE, {"status": "approved"}).json()["count"] == 10
    assert manager.get(BASE, {"mine": str(world.a.mine.pk)}).json()["count"] == 12
