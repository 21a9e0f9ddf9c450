"""A regulator agency's own records (DESIGN.md "Agency-owned records"): its inspections, findings
and supervision listings (挂牌督办). The agency writes them at mines of its region; the mine's group
reads them and registers a hazard finding into its own loop; another agency — even one whose
region covers the same mine — sees nothing; a tenant never writes them; every other write of a
regulator stays refused."""

from __future__ import annotations

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.inspections.agency.models import AgencyFinding, AgencyInspection, SupervisionListing
from compliance.inspections.hazards.models import Hazard
from tenants import roles, services
from tenants.scope import dangerously_platform_scope

from ..conftest import PASSWORD, login
from .hazards.helpers import criterion, photo, plan, register

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def _other_agency_user():
    """A second agency over the same province: it sees the same mines, never the first's records."""
    agency = services.agency_create(name="贵州省应急管理厅", level="provincial", region_prefix="52")
    return services.agency_user_create(agency=agency, username="reg-other", password=PASSWORD)


def _todos(user) -> dict:
    from compliance.inspections.agency.selectors import todo_items
    from tenants.scope import activate
    from tenants.selectors import scope_for_user

    scope = scope_for_user(user)
    with activate(scope):
        return {item.key: item.count for item in todo_items(scope)}


def _error_fields(response) -> set[str]:
    import re

    return set(re.findall(r'class="error" data-field="([a-z_]+)"', response.content.decode()))


def _record(client, mine, **extra) -> AgencyInspection:
    body = {
        "mine": mine.pk,
        "kind": "routine",
        "inspected_on": TODAY.isoformat(),
        "inspectors": "王监察, 李监察",
        "summary": "通风与顶板专项",
    } | extra
    response = client.post(reverse("agency:inspection-create"), body)
    assert response.status_code == 302, response.content.decode()[:2000]
    with dangerously_platform_scope():
        return AgencyInspection.objects.latest("created_at")


def _finding(client, inspection, **extra):
    body = {"kind": "hazard", "text": "回风巷瓦斯超限作业", "location": "1301 回风巷", "grade": "general"}
    return client.post(reverse("agency:inspection-detail", kwargs={"pk": inspection.pk}), body | extra)


def test_a_regulator_records_an_inspection_and_findings_at_a_mine_of_its_region(world):
    reg = login(world.regulator_in)
    inspection = _record(reg, world.a.mine)
    assert (inspection.agency_id, inspection.tenant_id, inspection.mine_id) == (
        world.agency_in.pk,
        world.a.tenant.pk,
        world.a.mine.pk,
    )
    # A major finding: the criterion in force makes it 重大 whatever class was chosen.
    response = _finding(reg, inspection, criterion=criterion("21-2").pk, deadline="")
    assert response.status_code == 302
    response = _finding(reg, inspection, kind="note", text="台账齐全", location="", grade="")
    assert response.status_code == 302
    with dangerously_platform_scope():
        findings = list(AgencyFinding.objects.filter(inspection=inspection).order_by("created_at"))
        actions = list(
            AuditEvent.objects.filter(tenant=world.a.tenant, role=roles.REGULATOR).values_list(
                "action", flat=True
            )
        )
    assert [(f.kind, f.grade) for f in findings] == [("hazard", "major"), ("note", "")]
    assert actions.count("agency_inspect") == 1 and actions.count("agency_finding") == 2
    page = reg.get(reverse("agency:inspection-detail", kwargs={"pk": inspection.pk})).content.decode()
    assert "回风巷瓦斯超限作业" in page and "台账齐全" in page


def test_bad_input_is_refused_field_by_field_and_changes_nothing(world):
    reg = login(world.regulator_in)
    response = reg.post(
        reverse("agency:inspection-create"),
        {
            "mine": world.a.mine.pk,
            "kind": "routine",
            "inspected_on": (TODAY + datetime.timedelta(days=3)).isoformat(),
            "inspectors": "  ",
        },
    )
    assert response.status_code == 400
    assert _error_fields(response) == {"inspectors"}  # the form's own check comes first
    response = reg.post(
        reverse("agency:inspection-create"),
        {
            "mine": world.a.mine.pk,
            "kind": "routine",
            "inspected_on": (TODAY + datetime.timedelta(days=3)).isoformat(),
            "inspectors": "王监察",
        },
    )
    assert response.status_code == 400
    assert _error_fields(response) == {"inspected_on"}
    assert "日期不能晚于今天" in response.content.decode()
    inspection = _record(reg, world.a.mine)
    response = _finding(reg, inspection, location="", grade="")
    assert response.status_code == 400
    assert _error_fields(response) == {"location", "grade"}
    with dangerously_platform_scope():
        assert AgencyInspection.objects.count() == 1
        assert AgencyFinding.objects.count() == 0


def test_a_mine_outside_the_region_is_a_404(world):
    reg = login(world.regulator_in)
    response = reg.post(
        reverse("agency:inspection-create"),
        {
            "mine": world.b.other_mine.pk,
            "kind": "routine",
            "inspected_on": TODAY.isoformat(),
            "inspectors": "王",
        },
    )
    assert response.status_code == 404
    out = login(world.regulator_out)
    response = out.post(
        reverse("agency:inspection-create"),
        {"mine": world.a.mine.pk, "kind": "routine", "inspected_on": TODAY.isoformat(), "inspectors": "王"},
    )
    # An agency with no mine at all in its region holds no grant: refused before any lookup.
    assert response.status_code in (403, 404)
    with dangerously_platform_scope():
        assert not AgencyInspection.objects.exists()


def test_another_agency_sees_nothing_of_them_even_over_the_same_mines(world):
    reg = login(world.regulator_in)
    inspection = _record(reg, world.a.mine)
    _finding(reg, inspection, grade="major")
    hazard = register(world.a, criterion=criterion("21-2"), found_on=TODAY)
    listing_response = reg.post(
        reverse("agency:listing-create"),
        {
            "hazard": hazard.pk,
            "listed_on": TODAY.isoformat(),
            "deadline": (TODAY + datetime.timedelta(days=30)).isoformat(),
        },
    )
    assert listing_response.status_code == 302
    with dangerously_platform_scope():
        listing = SupervisionListing.objects.get()
        finding = AgencyFinding.objects.get()
    other = login(_other_agency_user())
    # It reads the same mine's hazards (its region) ...
    assert other.get(reverse("hazards:hazard-detail", kwargs={"pk": hazard.pk})).status_code == 200
    # ... but none of the first agency's records, by list, page, API or write.
    assert "王监察" not in other.get(reverse("agency:inspection-list")).content.decode()
    assert other.get(reverse("agency:inspection-detail", kwargs={"pk": inspection.pk})).status_code == 404
    assert other.get(reverse("agency:listing-detail", kwargs={"pk": listing.pk})).status_code == 404
    assert _finding(other, inspection).status_code == 404
    assert (
        other.post(reverse("agency:listing-detail", kwargs={"pk": listing.pk}), {"note": "x"}).status_code
        == 404
    )
    assert other.get(reverse("api:agency-inspection-list")).json()["count"] == 0
    assert other.get(reverse("api:agency-finding-list")).json()["count"] == 0
    assert other.get(reverse("api:agency-listing-list")).json()["count"] == 0
    assert other.get(reverse("api:agency-finding-detail", kwargs={"pk": finding.pk})).status_code == 404
    # The hazard page shows it the listing of no other agency.
    page = other.get(reverse("hazards:hazard-detail", kwargs={"pk": hazard.pk})).content.decode()
    assert 'data-testid="hazard-supervision"' not in page


def test_the_mines_group_reads_them_and_registers_a_hazard_finding_once(world):
    reg = login(world.regulator_in)
    inspection = _record(reg, world.a.mine)
    _finding(reg, inspection, criterion=criterion("21-2").pk)
    with dangerously_platform_scope():
        finding = AgencyFinding.objects.get()
    manager = login(world.a.users[roles.SAFETY_MANAGER])
    listing = manager.get(reverse("agency:inspection-list")).content.decode()
    assert "王监察" in listing and world.agency_in.name in listing
    page = manager.get(reverse("agency:inspection-detail", kwargs={"pk": inspection.pk})).content.decode()
    assert 'data-testid="agency-finding-register"' in page
    assert _todos(world.a.users[roles.SAFETY_MANAGER])["agency-findings"] == 1
    # The group never writes the agency's records.
    assert _finding(manager, inspection).status_code == 403
    assert manager.post(reverse("agency:inspection-create"), {"mine": world.a.mine.pk}).status_code == 403
    # It registers the hazard finding into its own register, once.
    response = manager.post(reverse("agency:finding-register", kwargs={"pk": finding.pk}))
    assert response.status_code == 302
    with dangerously_platform_scope():
        hazard = Hazard.objects.get(agency_finding=finding)
    assert (hazard.source, hazard.grade, hazard.mine_id) == ("regulator", "major", world.a.mine.pk)
    assert hazard.reported_at is not None  # a major hazard is reported on registration
    assert _todos(world.a.users[roles.SAFETY_MANAGER])["agency-findings"] == 0
    detail = manager.get(reverse("api:agency-finding-detail", kwargs={"pk": finding.pk})).json()
    assert detail["hazard"] == str(hazard.pk)
    again = manager.post(reverse("agency:finding-register", kwargs={"pk": finding.pk}), follow=True)
    with dangerously_platform_scope():
        assert Hazard.objects.filter(agency_finding=finding).count() == 1
    assert "已在隐患台账" in again.content.decode() or "already" in again.content.decode()
    # Another group reads none of it.
    b = login(world.b.users[roles.TENANT_ADMIN])
    assert b.get(reverse("agency:inspection-detail", kwargs={"pk": inspection.pk})).status_code == 404
    assert b.post(reverse("agency:finding-register", kwargs={"pk": finding.pk})).status_code == 404
    assert b.get(reverse("api:agency-inspection-list")).json()["count"] == 0
    # A worker reads no whole-mine records.
    assert login(world.a.users[roles.WORKER]).get(reverse("agency:inspection-list")).status_code == 403


def test_supervision_listing_from_listing_to_closure(world):
    reg = login(world.regulator_in)
    general = register(world.a)
    response = reg.post(
        reverse("agency:listing-create"),
        {
            "hazard": general.pk,
            "listed_on": TODAY.isoformat(),
            "deadline": (TODAY + datetime.timedelta(days=9)).isoformat(),
        },
    )
    assert response.status_code == 400  # only a major hazard is listed
    major = register(world.a, criterion=criterion("21-2"), found_on=TODAY)
    hazard_page = reg.get(reverse("hazards:hazard-detail", kwargs={"pk": major.pk})).content.decode()
    assert 'data-testid="hazard-list-supervision"' in hazard_page
    deadline = TODAY + datetime.timedelta(days=30)
    response = reg.post(
        reverse("agency:listing-create"),
        {
            "hazard": major.pk,
            "listed_on": TODAY.isoformat(),
            "deadline": deadline.isoformat(),
            "document_no": "黔煤安监督〔2026〕3号",
        },
    )
    assert response.status_code == 302
    with dangerously_platform_scope():
        listing = SupervisionListing.objects.get()
    assert (listing.authority, listing.status, listing.tenant_id) == (
        world.agency_in.name,
        "listed",
        world.a.tenant.pk,
    )
    # Twice by the same agency: refused.
    again = reg.post(
        reverse("agency:listing-create"),
        {"hazard": major.pk, "listed_on": TODAY.isoformat(), "deadline": deadline.isoformat()},
    )
    assert again.status_code == 400
    # The mine sees it on the hazard's page and in its list.
    manager = login(world.a.users[roles.SAFETY_MANAGER])
    assert (
        'data-testid="hazard-supervision"'
        in manager.get(reverse("hazards:hazard-detail", kwargs={"pk": major.pk})).content.decode()
    )
    assert "黔煤安监督〔2026〕3号" in manager.get(reverse("agency:listing-list")).content.decode()
    assert _todos(world.a.users[roles.SAFETY_MANAGER])["supervised"] == 1
    assert _todos(world.regulator_in)["supervision-close"] == 0
    # Closing before the mine's acceptance has passed is refused.
    close_url = reverse("agency:listing-detail", kwargs={"pk": listing.pk})
    assert reg.post(close_url, {"note": "提前摘牌"}).status_code == 400
    assert manager.post(close_url, {"note": "自行摘牌"}).status_code == 403
    # The mine rectifies; another manager accepts; then the agency closes the listing.
    from compliance.inspections.hazards import services as hazard_services
    from tenants.scope import activate
    from tenants.selectors import scope_for_user

    plan(world.a, major)
    sm = world.a.users[roles.SAFETY_MANAGER]
    admin = world.a.users[roles.TENANT_ADMIN]
    with activate(scope_for_user(sm)) as scope:
        hazard_services.hazard_rectified(
            scope=scope_for_user(sm), hazard=Hazard.objects.get(pk=major.pk), user=sm
        )
    with activate(scope_for_user(admin)):
        hazard_services.hazard_accept(
            scope=scope_for_user(admin),
            hazard=Hazard.objects.get(pk=major.pk),
            user=admin,
            passed=True,
            note="合格",
            photos=[photo()],
        )
    del scope
    assert _todos(world.regulator_in)["supervision-close"] == 1
    assert reg.post(close_url, {"note": "验收合格，摘牌"}).status_code == 302
    assert _todos(world.regulator_in)["supervision-close"] == 0
    assert _todos(world.a.users[roles.SAFETY_MANAGER])["supervised"] == 0
    with dangerously_platform_scope():
        listing.refresh_from_db()
    assert (listing.status, listing.closed_on, listing.closing_note) == ("closed", TODAY, "验收合格，摘牌")


def test_api_writes_of_a_regulator_are_its_agencys_records_only(world):
    reg = login(world.regulator_in)
    url = reverse("api:agency-inspection-list")
    body = {
        "mine": str(world.a.mine.pk),
        "kind": "random",
        "inspected_on": TODAY.isoformat(),
        "inspectors": "赵监察",
    }
    response = reg.post(url, json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    inspection_id = response.json()["id"]
    finding = reg.post(
        reverse("api:agency-finding-list"),
        json.dumps({"inspection": inspection_id, "kind": "violation", "text": "未按规定配备专职安全副矿长"}),
        content_type="application/json",
    )
    assert finding.status_code == 201, finding.content
    # Still refused: every tenant write.
    hazard_body = {"mine": str(world.a.mine.pk), "location": "x", "description": "y"}
    assert (
        reg.post(
            reverse("api:hazard-list"), json.dumps(hazard_body), content_type="application/json"
        ).status_code
        == 403
    )
    # The group reads, never writes, the agency's records.
    manager = login(world.a.users[roles.SAFETY_MANAGER])
    assert manager.get(url).json()["count"] == 1
    assert manager.post(url, json.dumps(body), content_type="application/json").status_code == 403
    # The agency out of the region: a mine it does not oversee is a 404.
    out = login(world.regulator_out)
    # (an agency with no mine at all in its region holds no grant: refused before any lookup)
    assert out.post(url, json.dumps(body), content_type="application/json").status_code in (403, 404)


@pytest.mark.postgres
def test_row_level_security_keeps_agencies_apart(world):
    """The database's own rule: with the first wall (the manager's filter) removed, another agency
    reads none of the rows, even though its tenants' setting covers the mine's group."""
    from django.db import connection

    from tenants.scope import activate
    from tenants.selectors import scope_for_user

    reg = login(world.regulator_in)
    _record(reg, world.a.mine)
    other_scope = scope_for_user(_other_agency_user())
    assert world.a.tenant.pk in other_scope.tenant_ids
    with activate(other_scope), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM inspections_agencyinspection")
        assert cursor.fetchone()[0] == 0
    with activate(scope_for_user(world.regulator_in)), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM inspections_agencyinspection")
        assert cursor.fetchone()[0] == 1
    with activate(scope_for_user(world.a.users[roles.SAFETY_MANAGER])), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM inspections_agencyinspection")
        assert cursor.fetchone()[0] == 1
        # The group reads it but may not change it.
        cursor.execute("UPDATE inspections_agencyinspection SET inspectors = '篡改'")
        assert cursor.rowcount == 0
    with activate(scope_for_user(world.b.users[roles.TENANT_ADMIN])), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM inspections_agencyinspection")
        assert cursor.fetchone()[0] == 0
