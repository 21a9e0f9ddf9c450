"""The API of responsibility lists: publish, sign one's own version, assess; foreign ids are 404,
regulators write nothing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from compliance.duties.models import DutyAssessment, ListItem
from tenants import roles
from tenants.scope import dangerously_platform_scope

from ...conftest import login
from .helpers import make_post, setup_worker_list

pytestmark = pytest.mark.django_db

BASE = "/api/v1/duties/lists"


def test_publish_an_adaptation_by_api_and_a_dropped_item_is_a_400(world):
    post, version, _holder = setup_worker_list(world.a)
    with dangerously_platform_scope():
        fields = ("duty", "scope", "criterion", "evidence", "max_score")
        base = [
            {"key": str(i.key), **{f: getattr(i, f) for f in fields}}
            for i in ListItem.objects.filter(version=version).order_by("position")
        ]
    client = login(world.a.users[roles.SAFETY_MANAGER])
    body = {
        "post": str(post.pk),
        "org_unit": str(world.a.mine.pk),
        "items": [*base, {"duty": "本矿", "criterion": "达标"}],
    }
    created = client.post(f"{BASE}/versions/", body, content_type="application/json")
    assert created.status_code == 201, created.content
    assert [i["inherited"] for i in created.json()["items"]] == [True, True, False]
    dropped = client.post(f"{BASE}/versions/", {**body, "items": base[:1]}, content_type="application/json")
    assert dropped.status_code == 400 and "items" in dropped.json()


def test_the_worker_signs_by_api_and_cannot_sign_a_foreign_version(world):
    _post, version, _holder = setup_worker_list(world.a)
    _bpost, b_version, _bholder = setup_worker_list(world.b)
    client = login(world.a.users[roles.WORKER])
    [mine] = client.get(f"{BASE}/mine/").json()
    assert mine["status"] == "due" and len(mine["items"]) == 2
    foreign = client.post(
        f"{BASE}/acknowledgements/",
        {"version": str(b_version.pk), "signed_name": "x"},
        content_type="application/json",
    )
    assert foreign.status_code == 404
    ok = client.post(
        f"{BASE}/acknowledgements/",
        {"version": str(version.pk), "signed_name": world.a.worker_person.name},
        content_type="application/json",
    )
    assert ok.status_code == 201
    assert client.get(f"{BASE}/mine/").json()[0]["status"] == "signed"


def test_assess_by_api_and_the_regulator_is_refused(world):
    _post, version, holder = setup_worker_list(world.a)
    with dangerously_platform_scope():
        items = list(ListItem.objects.filter(version=version))
    body = {
        "holder": str(holder.pk),
        "day": timezone.localdate().isoformat(),
        "scores": [{"item": str(i.pk), "score": i.max_score} for i in items],
    }
    assert (
        login(world.regulator_in)
        .post(f"{BASE}/assessments/", body, content_type="application/json")
        .status_code
        == 403
    )
    response = login(world.a.users[roles.TEAM_LEADER]).post(
        f"{BASE}/assessments/", body, content_type="application/json"
    )
    assert response.status_code == 201 and response.json()["passed"] is True
    with dangerously_platform_scope():
        assert DutyAssessment.objects.count() == 1


def test_lists_hold_their_query_count(world, django_assert_max_num_queries):
    post = make_post(world.a)
    client = login(world.a.users[roles.TENANT_ADMIN])
    for path in ("holders/", "templates/", "assessments/", "posts/"):
        client.get(f"{BASE}/{path}")
        with django_assert_max_num_queries(25):
            assert client.get(f"{BASE}/{path}").status_code == 200
    assert post
