"""The REST API as a script or the mobile app uses it."""

import pytest
from rest_framework.test import APIClient

from tenants import roles

from ..conftest import PASSWORD
from ..factories import resident_id

pytestmark = pytest.mark.django_db


def token_client(username: str) -> APIClient:
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def test_token_auth_and_me(world):
    client = token_client(world.a.users[roles.SAFETY_MANAGER].username)
    me = client.get("/api/v1/me/").json()
    assert me["roles"] == [roles.SAFETY_MANAGER] and me["read_only"] is False


def test_wrong_password_is_a_json_400_and_is_audited(world):
    from compliance.audit.models import AuditEvent
    from tenants.scope import dangerously_platform_scope

    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "a-worker", "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    with dangerously_platform_scope():
        event = AuditEvent.objects.filter(action="login_failed").latest("created_at")
    assert event.object_repr == "a-worker" and event.tenant_id == world.a.tenant.pk


def test_people_list_is_paginated_and_filterable(world):
    client = token_client(world.a.users[roles.TENANT_ADMIN].username)
    data = client.get("/api/v1/people/").json()
    assert data["count"] == 4 and len(data["results"]) == 4
    assert {"count", "next", "previous", "results"} <= data.keys()
    assert all("*" in p["resident_id_masked"] for p in data["results"])
    assert not any("resident_id" in p for p in data["results"])
    specials = client.get("/api/v1/people/", {"post_category": "special_operation"}).json()
    assert [p["operation_type"] for p in specials["results"]] == ["electrician"]
    in_team = client.get("/api/v1/people/", {"org_unit": str(world.a.team.pk)}).json()
    assert in_team["count"] == 2


def test_create_person_with_field_errors_in_json(world):
    client = token_client(world.a.users[roles.SAFETY_MANAGER].username)
    body = {
        "org_unit": str(world.a.team.pk),
        "name": "赵六",
        "resident_id": "520201198805121234",
        "employee_no": world.a.people[0].employee_no,
        "post_category": "special_operation",
    }
    response = client.post("/api/v1/people/", body, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert "resident_id" in errors and "operation_type" in errors
    body |= {"resident_id": resident_id(seq=321), "operation_type": "blasting", "employee_no": "N-77"}
    response = client.post("/api/v1/people/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["resident_id_masked"].startswith("5202")


def test_duplicate_employee_number_in_json(world):
    client = token_client(world.a.users[roles.TENANT_ADMIN].username)
    body = {
        "org_unit": str(world.a.team.pk),
        "name": "重号",
        "resident_id": resident_id(seq=322),
        "employee_no": world.a.people[3].employee_no,
        "post_category": "other",
    }
    response = client.post("/api/v1/people/", body, format="json")
    assert response.status_code == 400 and "employee_no" in response.json()


def test_reveal_for_permitted_roles_only(world):
    person = world.a.people[0]
    url = f"/api/v1/people/{person.pk}/reveal-resident-id/"
    assert (
        token_client(world.a.users[roles.TENANT_ADMIN].username)
        .post(url)
        .json()["resident_id"]
        .startswith("5202")
    )
    assert token_client(world.a.users[roles.HQ_AUDITOR].username).post(url).status_code == 403
    assert token_client("reg-in").post(url).status_code == 403


def test_regulator_reads_masked_people_and_mines_in_jurisdiction(world):
    client = token_client("reg-in")
    mines = client.get("/api/v1/mines/").json()["results"]
    assert {m["name"] for m in mines} == {world.a.mine.name, world.b.mine.name}
    counts = {m["name"]: m["headcount"] for m in mines}
    assert counts[world.a.mine.name] == {
        "principal": 1,
        "safety_management": 0,
        "special_operation": 1,
        "other": 1,
    }
    people = client.get("/api/v1/people/").json()["results"]
    assert people and all("*" in p["resident_id_masked"] for p in people)
    assert (
        client.patch(
            f"/api/v1/mines/{world.a.mine.pk}/", {"region_code": "110101"}, format="json"
        ).status_code
        == 403
    )


def test_tenant_admin_builds_the_tree_through_the_api(world):
    client = token_client(world.a.users[roles.TENANT_ADMIN].username)
    response = client.post(
        "/api/v1/org-units/",
        {
            "parent": str(world.a.subsidiary.pk),
            "kind": "mine",
            "name": "新建露天矿",
            "mine_profile": {"mine_type": "metal_open_pit", "region_code": "520203"},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    mine_id = response.json()["id"]
    response = client.patch(
        f"/api/v1/mines/{mine_id}/", {"safety_licence_no": "(黔)FM安许证字[2026]001"}, format="json"
    )
    assert response.status_code == 200 and response.json()["profile"]["safety_licence_no"].endswith("001")
    bad = client.patch(f"/api/v1/mines/{mine_id}/", {"region_code": "52A"}, format="json")
    assert bad.status_code == 400 and "region_code" in bad.json()


def test_schema_and_docs_are_served():
    client = APIClient()
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/people/" in paths and "/api/v1/auth/token/" in paths
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()
    assert b"cdn" not in docs.content.lower()


def test_the_schema_command_writes_the_same_paths_without_a_request(tmp_path):
    """``manage.py spectacular`` (for client generators and reviews) runs outside any scope."""
    import json

    from django.core.management import call_command

    out = tmp_path / "schema.json"
    call_command("spectacular", "--file", str(out), "--format", "openapi-json")
    served = APIClient().get("/api/schema/?format=json").json()["paths"]
    assert set(json.loads(out.read_text())["paths"]) == set(served)
    assert "/api/v1/agency/spot-exams/" in served
