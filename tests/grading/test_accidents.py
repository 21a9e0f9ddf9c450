"""The accident register: recording (validated, audited, MANAGE_GRADING), and a fatal accident
applying FATAL_ACCIDENT_CONSEQUENCES to the mine's valid grade with an event that links it."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from compliance.audit.models import AuditEvent
from compliance.grading import accidents
from compliance.grading.models import Accident, GradeCertificate, GradeEvent
from tenants import roles
from tenants.scope import dangerously_platform_scope

from ..conftest import login
from .grade_helpers import award

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 30)
Kind = GradeEvent.Kind
Status = GradeCertificate.Status


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 6, 30, 12, tzinfo=datetime.UTC), tick=False):
        yield


def _data(**extra):
    return {
        "occurred_on": datetime.date(2026, 6, 1),
        "accident_class": "general",
        "deaths": 1,
        "injuries": 2,
        "description": "运输巷道跑车事故",
    } | extra


def record(w, mine, *, role=roles.SAFETY_MANAGER, **extra) -> Accident:
    user = w.users[role]
    scope = w.scope(role)
    from tenants.scope import activate

    with activate(scope):
        return accidents.record_accident(scope=scope, mine=mine, data=_data(**extra), actor=user)


def test_record_is_validated_field_by_field_and_changes_nothing(world):
    scope = world.a.scope(roles.SAFETY_MANAGER)
    from tenants.scope import activate

    with activate(scope), pytest.raises(ValidationError) as exc:
        accidents.record_accident(
            scope=scope,
            mine=world.a.mine,
            data={"occurred_on": datetime.date(2026, 7, 1), "accident_class": "tiny", "deaths": -1},
        )
    assert set(exc.value.message_dict) == {"occurred_on", "accident_class", "deaths", "description"}
    with dangerously_platform_scope():
        assert not Accident.objects.exists()


def test_record_needs_manage_grading_on_the_mine(world):
    for role in (roles.HQ_AUDITOR, roles.TEAM_LEADER):
        with pytest.raises(PermissionDenied):
            record(world.a, world.a.mine, role=role)
    with pytest.raises(PermissionDenied):  # another tenant's mine
        record(world.a, world.b.mine)


def test_non_fatal_accident_changes_no_grade(world):
    cert = award(
        world.a.mine, level=1, user=world.a.users["hq_auditor"], approved_on=datetime.date(2026, 1, 5)
    )
    accident = record(world.a, world.a.mine, deaths=0)
    with dangerously_platform_scope():
        cert.refresh_from_db()
        assert AuditEvent.objects.filter(object_id=str(accident.pk), action="create").exists()
    assert cert.level == 1 and cert.status == Status.VALID


@pytest.mark.parametrize(
    "mine_attr, level, accident_class, expected",
    [
        ("mine", 1, "general", (Status.VALID, 3, Kind.DOWNGRADED, 3)),  # coal 一级 → 三级
        ("mine", 2, "general", (Status.VALID, 3, Kind.DOWNGRADED, 3)),
        ("mine", 1, "large", (Status.REVOKED, 1, Kind.REVOKED, None)),  # 较大 → revoked
        ("mine", 3, "major", (Status.REVOKED, 3, Kind.REVOKED, None)),
        ("mine", 2, "grave", (Status.REVOKED, 2, Kind.REVOKED, None)),
        ("other_mine", 1, "general", (Status.VALID, 3, Kind.DOWNGRADED, 3)),  # non-coal
        ("other_mine", 2, "large", (Status.REVOKED, 2, Kind.REVOKED, None)),
    ],
)
def test_fatal_accident_applies_the_table(world, mine_attr, level, accident_class, expected):
    mine = getattr(world.a, mine_attr)
    cert = award(mine, level=level, user=world.a.users["hq_auditor"], approved_on=datetime.date(2026, 1, 5))
    accident = record(world.a, mine, role=roles.TENANT_ADMIN, accident_class=accident_class, deaths=3)
    with dangerously_platform_scope():
        cert.refresh_from_db()
        event = cert.events.exclude(kind=Kind.AWARDED).get()
        audited = list(
            AuditEvent.objects.filter(object_id=str(cert.pk)).order_by("seq").values_list("action", flat=True)
        )
    status, new_level, kind, to_level = expected
    assert (cert.status, cert.level) == (status, new_level)
    assert (event.kind, event.from_level, event.to_level) == (kind, level, to_level)
    assert event.accident_id == accident.pk and event.occurred_on == accident.occurred_on
    assert "2026-06-01" in event.reason
    assert audited == ["create", str(kind)]
    with dangerously_platform_scope():
        assert accidents.accident_events(accident) == [event]


def test_the_table_is_data(world, monkeypatch):
    monkeypatch.setitem(accidents.FATAL_ACCIDENT_CONSEQUENCES, "coal", {"general": accidents.REVOKE})
    cert = award(
        world.a.mine, level=2, user=world.a.users["hq_auditor"], approved_on=datetime.date(2026, 1, 5)
    )
    record(world.a, world.a.mine)
    with dangerously_platform_scope():
        cert.refresh_from_db()
    assert cert.status == Status.REVOKED


def test_a_grade_already_at_the_level_is_kept(world):
    cert = award(
        world.a.mine, level=3, user=world.a.users["hq_auditor"], approved_on=datetime.date(2026, 1, 5)
    )
    record(world.a, world.a.mine)
    with dangerously_platform_scope():
        cert.refresh_from_db()
        assert cert.events.count() == 1
    assert (cert.status, cert.level) == (Status.VALID, 3)


def test_an_accident_before_the_award_is_not_applied_again(world):
    cert = award(
        world.a.mine, level=1, user=world.a.users["hq_auditor"], approved_on=datetime.date(2026, 3, 1)
    )
    record(world.a, world.a.mine, occurred_on=datetime.date(2026, 2, 1))
    with dangerously_platform_scope():
        cert.refresh_from_db()
    assert cert.level == 1


def test_no_grade_no_event(world):
    accident = record(world.a, world.a.mine, accident_class="grave", deaths=12)
    with dangerously_platform_scope():
        assert accident.pk and not GradeEvent.objects.exists()


# --- pages and API --------------------------------------------------------------------------------


def test_record_on_the_page_applies_the_rule(world):
    cert = award(
        world.a.mine, level=1, user=world.a.users["hq_auditor"], approved_on=datetime.date(2026, 1, 5)
    )
    client = login(world.a.users[roles.SAFETY_MANAGER])
    form = client.get(reverse("grading:accident-create"), {"mine": world.a.mine.pk}).content.decode()
    assert world.a.mine.name in form and world.a.other_mine.name not in form  # only where it may record
    body = {
        "mine": world.a.mine.pk,
        "occurred_on": "2026-06-10",
        "accident_class": "general",
        "deaths": "1",
        "injuries": "0",
        "description": "顶板事故",
    }
    bad = client.post(reverse("grading:accident-create"), body | {"occurred_on": "2026-07-10"})
    assert bad.status_code == 400 and 'data-field="occurred_on"' in bad.content.decode()
    response = client.post(reverse("grading:accident-create"), body)
    assert response.status_code == 302
    with dangerously_platform_scope():
        accident = Accident.objects.get()
        cert.refresh_from_db()
    assert response["Location"] == reverse("grading:accident-detail", args=[accident.pk])
    assert cert.level == 3
    html = client.get(response["Location"]).content.decode()
    assert 'data-testid="accident-event"' in html and cert.number in html
    html = client.get(reverse("grading:accident-list"), {"mine": world.a.mine.pk}).content.decode()
    assert "顶板事故" in html


def test_who_may_record(world):
    body = {
        "mine": world.a.mine.pk,
        "occurred_on": "2026-06-10",
        "accident_class": "general",
        "deaths": "0",
        "description": "x",
    }
    assert (
        login(world.a.users[roles.HQ_AUDITOR]).post(reverse("grading:accident-create"), body).status_code
        == 403
    )
    assert login(world.regulator_in).post(reverse("grading:accident-create"), body).status_code == 403
    api = reverse("api:grading-accident-list")
    json_body = body | {"mine": str(world.a.mine.pk)}
    assert login(world.regulator_in).post(api, json_body, content_type="application/json").status_code == 403
    assert (
        login(world.a.users[roles.HQ_AUDITOR])
        .post(api, json_body, content_type="application/json")
        .status_code
        == 403
    )
    # Tenant B names tenant A's mine: the same 404 as a missing one.
    b = login(world.b.users[roles.TENANT_ADMIN])
    assert b.post(api, json_body, content_type="application/json").status_code == 404
    assert b.post(reverse("grading:accident-create"), body).status_code == 404
    with dangerously_platform_scope():
        assert not Accident.objects.exists()


def test_api_records_and_lists(world):
    cert = award(
        world.a.mine, level=2, user=world.a.users["hq_auditor"], approved_on=datetime.date(2026, 1, 5)
    )
    client = login(world.a.users[roles.SAFETY_MANAGER])
    api = reverse("api:grading-accident-list")
    bad = client.post(
        api, {"mine": str(world.a.mine.pk), "accident_class": "x"}, content_type="application/json"
    )
    assert bad.status_code == 400 and {"occurred_on", "accident_class", "description"} <= set(bad.json())
    created = client.post(
        api,
        {
            "mine": str(world.a.mine.pk),
            "occurred_on": "2026-06-10",
            "accident_class": "large",
            "deaths": 3,
            "injuries": 5,
            "description": "瓦斯爆炸",
        },
        content_type="application/json",
    )
    assert created.status_code == 201
    body = created.json()
    assert body["deaths"] == 3 and len(body["grade_events"]) == 1
    with dangerously_platform_scope():
        cert.refresh_from_db()
    assert cert.status == Status.REVOKED
    listed = client.get(api, {"mine": str(world.a.mine.pk)}).json()
    assert listed["count"] == 1 and listed["results"][0]["grade_events"] == body["grade_events"]
    # Tenant isolation: B sees none of it, page or API.
    b = login(world.b.users[roles.TENANT_ADMIN])
    assert b.get(reverse("api:grading-accident-detail", args=[body["id"]])).status_code == 404
    assert b.get(reverse("grading:accident-detail", args=[body["id"]])).status_code == 404
    assert b.get(api).json()["count"] == 0
    assert "瓦斯爆炸" not in b.get(reverse("grading:accident-list")).content.decode()
    assert b.get(api, {"mine": str(world.a.mine.pk)}).status_code == 404
    # The regulator of the province reads it.
    reg = login(world.regulator_in)
    assert (
        reg.get(reverse("api:grading-accident-detail", args=[body["id"]])).json()["description"] == "瓦斯爆炸"
    )
