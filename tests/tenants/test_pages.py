"""Pages as a tenant admin, safety manager and operator use them: forms, errors, redirects."""

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.test import Client

from compliance.audit.models import AuditEvent
from tenants import roles
from tenants.models import Membership, MineProfile, OrgUnit, Person, Tenant
from tenants.scope import dangerously_platform_scope

from ..conftest import login
from ..factories import credit_code, resident_id

pytestmark = pytest.mark.django_db


def test_tenant_admin_creates_a_mine_with_its_profile(world):
    client = login(world.a.users[roles.TENANT_ADMIN])
    form = {
        "parent": world.a.subsidiary.pk,
        "kind": "mine",
        "name": "新田尾矿库",
        "mine_type": "tailings_pond",
    }
    bad = client.post("/org/new/", form | {"region_code": "5202"})
    assert bad.status_code == 400 and 'data-field="region_code"' in bad.content.decode()
    response = client.post("/org/new/", form | {"region_code": "520203"})
    assert response.status_code == 302
    with dangerously_platform_scope():
        mine = OrgUnit.objects.get(name="新田尾矿库")
        assert mine.mine_profile.mine_type == "tailings_pond"
    assert response["Location"] == f"/mines/{mine.pk}/edit/"
    edit = client.post(
        f"/mines/{mine.pk}/edit/",
        {"mine_type": "tailings_pond", "region_code": "520203", "production_status": "producing",
         "safety_licence_no": "(黔)FM安许证字[2026]088", "safety_licence_expires": "2029-03-31"},
    )  # fmt: skip
    assert edit.status_code == 302
    with dangerously_platform_scope():
        profile = MineProfile.objects.get(org_unit=mine)
        assert str(profile.safety_licence_expires) == "2029-03-31"
        event = AuditEvent.objects.filter(object_id=str(profile.pk), action="update").get()
        assert event.before["safety_licence_no"] == "" and event.after["safety_licence_no"].endswith("088")


def test_person_form_shows_field_errors_in_chinese_and_saves_nothing(world):
    client = login(world.a.users[roles.SAFETY_MANAGER])
    form = {
        "org_unit": world.a.team.pk,
        "name": "钱七",
        "resident_id": "520201198805121234",
        "employee_no": "A-000",
        "post_category": "special_operation",
        "status": "on_post",
    }
    response = client.post("/people/new/", form)
    assert response.status_code == 400
    page = response.content.decode()
    for field in ("resident_id", "employee_no", "operation_type"):
        assert f'data-field="{field}"' in page, field
    assert "校验" in page  # the check-digit message, in Chinese
    with dangerously_platform_scope():
        assert not Person.objects.filter(name="钱七").exists()
    form |= {"resident_id": resident_id(seq=808), "employee_no": "A-808", "operation_type": "hoist"}
    response = client.post("/people/new/", form)
    assert response.status_code == 302
    with dangerously_platform_scope():
        assert Person.objects.get(name="钱七").operation_type == "hoist"


def test_edit_keeps_the_resident_id_when_left_empty(world):
    person = world.a.people[0]
    client = login(world.a.users[roles.SAFETY_MANAGER])
    response = client.post(
        f"/people/{person.pk}/edit/",
        {
            "org_unit": world.a.team.pk,
            "name": person.name,
            "resident_id": "",
            "employee_no": person.employee_no,
            "post_category": "other",
            "status": "suspended",
            "status_reason": "逢查必考不合格，待培训",
        },
    )
    assert response.status_code == 302
    with dangerously_platform_scope():
        person.refresh_from_db()
    assert person.status == "suspended" and person.resident_id_masked == world.a.people[0].resident_id_masked
    listing = client.get("/people/?status=suspended").content.decode()
    assert person.name in listing and "逢查必考不合格" in listing


def test_tenant_admin_gives_a_login_and_grants_a_role(world):
    person = world.a.people[2]
    client = login(world.a.users[roles.TENANT_ADMIN])
    weak = client.post(f"/people/{person.pk}/login/", {"username": "kz", "password": "12345678"})
    assert weak.status_code == 302
    assert not get_user_model().objects.filter(username="kz").exists()
    client.post(f"/people/{person.pk}/login/", {"username": "kz", "password": "Kuangan-test-2026"})
    user = get_user_model().objects.get(username="kz")
    response = client.post(
        "/roles/new/", {"person": person.pk, "org_unit": world.a.mine.pk, "role": roles.SAFETY_MANAGER}
    )
    assert response.status_code == 302
    with dangerously_platform_scope():
        assert set(Membership.objects.filter(user=user).values_list("role", flat=True)) == {
            roles.WORKER, roles.SAFETY_MANAGER,
        }  # fmt: skip
    assert Client().login(request=HttpRequest(), username="kz", password="Kuangan-test-2026")


def test_worker_home_shows_only_their_record(world):
    page = login(world.a.users[roles.WORKER]).get("/").content.decode()
    assert world.a.worker_person.name in page
    assert world.a.people[1].name not in page


def test_regulator_mine_page_has_licences_and_headcounts_but_no_edit(world):
    client = login(world.regulator_in)
    page = client.get(f"/mines/{world.b.mine.pk}/").content.decode()
    assert world.b.mine.name in page and world.b.tenant.name in page
    assert f"/mines/{world.b.mine.pk}/edit/" not in page
    assert client.get(f"/mines/{world.a.other_mine.pk}/").status_code == 404  # Yunnan


def test_operator_creates_a_tenant_in_admin(world):
    operator = get_user_model().objects.create_superuser("operator", password="Kuangan-test-2026")
    client = login(operator)
    bad = client.post("/admin/tenants/tenant/add/", {"name": "新集团", "credit_code": "91520000MA00000000"})
    assert bad.status_code == 200 and not Tenant.objects.filter(name="新集团").exists()
    good = client.post("/admin/tenants/tenant/add/", {"name": "新集团", "credit_code": credit_code(99)})
    assert good.status_code == 302
    tenant = Tenant.objects.get(name="新集团")
    with dangerously_platform_scope():
        assert OrgUnit.objects.filter(tenant=tenant, kind="hq").count() == 1
    assert client.get("/admin/tenants/person/").status_code == 200
    assert client.get("/").status_code == 403  # outside admin the operator has no tenant scope
