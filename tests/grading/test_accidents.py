"""The accident register: recording (validated, audited, MANAGE_GRADING; the class checked
against the figures, 国务院令第493号), and a fatal accident applying the accident rule of the
grade's edition (AccidentRule, issue 14 point 3) to the mine's valid grade with an event that
links it — or, for an unverified rule, only a 待核实 warning."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from compliance.audit.models import AuditEvent
from compliance.grading import accidents
from compliance.grading.models import Accident, AccidentRule, GradeCertificate, GradeEvent
from compliance.grading.rules import rule_correct
from tenants import roles
from tenants.scope import dangerously_platform_scope

from ..conftest import login
from .grade_helpers import award, coal_version, noncoal_version

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


DEATHS = {"general": 1, "large": 3, "major": 10, "grave": 30}


# Changed by issue 14: a coal 二级 + 一般 row is unverified (the edition's text is not found), so
# it only warns; non-coal rows are unverified (no source found) and only warn. Before, both
# downgraded from a code constant.
@pytest.mark.parametrize(
    "mine_attr, level, accident_class, expected",
    [
        ("mine", 1, "general", (Status.VALID, 3, Kind.DOWNGRADED, 3)),  # coal 一级 → 三级
        ("mine", 1, "large", (Status.REVOKED, 1, Kind.REVOKED, None)),  # 较大 → revoked
        ("mine", 3, "general", (Status.REVOKED, 3, Kind.REVOKED, None)),  # 三级 + 一般 → revoked
        ("mine", 3, "major", (Status.REVOKED, 3, Kind.REVOKED, None)),
        ("mine", 2, "grave", (Status.REVOKED, 2, Kind.REVOKED, None)),
    ],
)
def test_fatal_accident_applies_the_rule(world, mine_attr, level, accident_class, expected):
    """国家矿山安全监察局通知（2022-11-10）: 一级 + 一般死亡事故 → 三级; 三级 + 一般及以上 → 撤销;
    较大及以上 → 撤销 at any level (issue 14, point 3)."""
    mine = getattr(world.a, mine_attr)
    cert = award(mine, level=level, user=world.a.users["hq_auditor"], approved_on=datetime.date(2026, 1, 5))
    accident = record(
        world.a, mine, role=roles.TENANT_ADMIN, accident_class=accident_class, deaths=DEATHS[accident_class]
    )
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
    assert "2026-06-01" in event.reason and "2022-11-10" in event.reason  # names the rule's source
    assert audited == ["create", str(kind)]
    with dangerously_platform_scope():
        assert accidents.accident_events(accident) == [event]
        assert accidents.consequence_warning(accident) == ""


def test_a_three_level_coal_grade_does_not_survive_a_fatal_accident(world):
    """Fails before issue 14: a 三级 coal grade kept its level after a fatal 一般 accident.
    Source: 国家矿山安全监察局通知（2022-11-10）, 三级 + 一般及以上死亡事故 → 撤销."""
    cert = award(
        world.a.mine, level=3, user=world.a.users["hq_auditor"], approved_on=datetime.date(2026, 1, 5)
    )
    record(world.a, world.a.mine)
    with dangerously_platform_scope():
        cert.refresh_from_db()
    assert cert.status == Status.REVOKED


@pytest.mark.parametrize(
    "mine_attr, level, accident_class",
    [("mine", 2, "general"), ("other_mine", 1, "general"), ("other_mine", 2, "large")],
)
def test_an_unverified_accident_rule_only_warns(world, mine_attr, level, accident_class):
    """Coal 二级 + 一般: 矿安〔2024〕109号 "一级、二级发生一般事故后分别降为( )级、( )级" is not read,
    so the row is unverified; non-coal rows have no source found (AQ/T 2050.1-2016). The grade
    stays; the accident page and API show the consequence as 待核实 with the source."""
    mine = getattr(world.a, mine_attr)
    version = coal_version() if mine_attr == "mine" else noncoal_version()
    cert = award(
        mine,
        level=level,
        user=world.a.users["hq_auditor"],
        approved_on=datetime.date(2026, 1, 5),
        version=version,
    )
    accident = record(
        world.a, mine, role=roles.TENANT_ADMIN, accident_class=accident_class, deaths=DEATHS[accident_class]
    )
    with dangerously_platform_scope():
        cert.refresh_from_db()
        warning = accidents.consequence_warning(accident)
        assert (cert.status, cert.level, cert.events.count()) == (Status.VALID, level, 1)
    assert warning.startswith(("待核实", "To be verified"))
    assert ("AQ/T 2050.1-2016" if mine_attr == "other_mine" else "未找到原文") in warning
    client = login(world.a.users[roles.TENANT_ADMIN])
    html = client.get(reverse("grading:accident-detail", args=[accident.pk]))
    assert 'data-testid="accident-warning"' in html.content.decode()
    api = client.get(reverse("api:grading-accident-detail", args=[accident.pk])).json()
    assert api["grade_warning"] == warning and api["grade_events"] == []


def test_the_rule_is_data_and_a_verified_correction_binds(world):
    """The operator reads the text and corrects the coal 二级 + 一般 row as a new, verified rule
    version (the old row kept, superseded): the next accident applies it."""
    version = coal_version()
    with dangerously_platform_scope():
        old = AccidentRule.objects.get(version=version, level=2, accident_class="general")
        new = rule_correct(
            old, by="张工", values={"to_level": None}, source="矿安〔2024〕109号 第X条", verified=True
        )
        old.refresh_from_db()
        assert old.superseded_at is not None and new.replaces_id == old.pk and new.verified
    cert = award(
        world.a.mine, level=2, user=world.a.users["hq_auditor"], approved_on=datetime.date(2026, 1, 5)
    )
    record(world.a, world.a.mine)
    with dangerously_platform_scope():
        cert.refresh_from_db()
        assert AuditEvent.objects.filter(action="rule.correct", object_id=str(new.pk)).exists()
    assert cert.status == Status.REVOKED


def test_a_class_lower_than_the_figures_is_refused(world):
    """国务院令第493号 第三条: 3 deaths, 10 serious injuries or a direct loss of 1,000万元 make a
    较大 accident at least; a record as 一般 is refused with a message naming the rule, nothing
    stored. A graver class than the figures is accepted."""
    for figures in (
        {"deaths": 3},
        {"deaths": 0, "serious_injuries": 10},
        {"deaths": 0, "direct_loss": "1000"},
    ):
        with pytest.raises(ValidationError) as exc:
            record(world.a, world.a.mine, **figures)
        assert "493" in exc.value.message_dict["accident_class"][0]
    with pytest.raises(ValidationError) as exc:
        record(world.a, world.a.mine, accident_class="major", deaths=30)  # 特别重大 by deaths
    assert set(exc.value.message_dict) == {"accident_class"}
    with dangerously_platform_scope():
        assert not Accident.objects.exists()
    ok = record(world.a, world.a.mine, deaths=2, serious_injuries=9, direct_loss="999.99")
    assert ok.accident_class == "general"
    assert record(world.a, world.a.mine, accident_class="large", deaths=1).accident_class == "large"


def test_an_accident_before_the_award_is_not_applied_again(world):
    cert = award(
        world.a.mine, level=1, user=world.a.users["hq_auditor"], approved_on=datetime.date(2026, 3, 1)
    )
    record(world.a, world.a.mine, occurred_on=datetime.date(2026, 2, 1))
    with dangerously_platform_scope():
        cert.refresh_from_db()
    assert cert.level == 1


def test_no_grade_no_event(world):
    accident = record(world.a, world.a.mine, accident_class="grave", deaths=32)
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


# --- the contractor of the casualties (issue 16) ---------------------------------------------------


def test_a_contractors_accident_is_recorded_on_the_page_and_listed(world):
    """外包队伍人员伤亡: recorded at the mine like any other, with the outsourcing company's name
    (stripped); shown on the list with an 外包 tag and on the accident page."""
    client = login(world.a.users[roles.SAFETY_MANAGER])
    form = client.get(reverse("grading:accident-create")).content.decode()
    assert 'name="contractor_name"' in form and "外包单位（伤亡人员为外包队伍人员时填写）" in form
    body = {
        "mine": world.a.mine.pk,
        "occurred_on": "2026-06-10",
        "accident_class": "general",
        "deaths": "0",
        "injuries": "1",
        "description": "掘进队片帮伤人",
        "contractor_name": "  河南恒达建设有限公司 ",
    }
    response = client.post(reverse("grading:accident-create"), body)
    assert response.status_code == 302
    with dangerously_platform_scope():
        accident = Accident.objects.get()
        audit = AuditEvent.objects.get(object_id=str(accident.pk), action="create")
    assert accident.contractor_name == "河南恒达建设有限公司" and accident.mine_id == world.a.mine.pk
    assert "河南恒达建设有限公司" in str(audit.after)
    assert "河南恒达建设有限公司" in client.get(response["Location"]).content.decode()
    html = client.get(reverse("grading:accident-list")).content.decode()
    assert 'data-testid="accident-outsourced"' in html and "河南恒达建设有限公司" in html


def test_a_blank_contractor_stays_blank(world):
    accident = record(world.a, world.a.mine, contractor_name="   ")
    assert accident.contractor_name == ""
    client = login(world.a.users[roles.SAFETY_MANAGER])
    body = {
        "mine": world.a.mine.pk,
        "occurred_on": "2026-06-10",
        "accident_class": "general",
        "deaths": "0",
        "injuries": "1",
        "description": "本矿职工受伤",
        "contractor_name": "",
    }
    assert client.post(reverse("grading:accident-create"), body).status_code == 302
    created = client.post(
        reverse("api:grading-accident-list"),
        {k: str(v) for k, v in body.items() if k != "contractor_name"},
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["contractor_name"] == ""
    with dangerously_platform_scope():
        assert list(Accident.objects.values_list("contractor_name", flat=True)) == ["", "", ""]
    html = client.get(reverse("grading:accident-list")).content.decode()
    assert 'data-testid="accident-outsourced"' not in html


def test_an_over_long_contractor_is_refused_in_chinese_and_saves_nothing(world):
    long_name = "外" * 201
    with pytest.raises(ValidationError) as exc:
        record(world.a, world.a.mine, contractor_name=long_name)
    assert set(exc.value.message_dict) == {"contractor_name"}
    assert "200 个字符" in exc.value.message_dict["contractor_name"][0]
    client = login(world.a.users[roles.SAFETY_MANAGER])
    body = {
        "mine": world.a.mine.pk,
        "occurred_on": "2026-06-10",
        "accident_class": "general",
        "deaths": "0",
        "injuries": "0",
        "description": "x",
        "contractor_name": long_name,
    }
    page = client.post(reverse("grading:accident-create"), body)
    html = page.content.decode()
    assert page.status_code == 400 and 'data-field="contractor_name"' in html and "200" in html
    assert "字符" in html
    api = client.post(
        reverse("api:grading-accident-list"),
        body | {"mine": str(world.a.mine.pk)},
        content_type="application/json",
    )
    assert api.status_code == 400 and set(api.json()) == {"contractor_name"}
    assert "字符" in api.json()["contractor_name"][0]
    with dangerously_platform_scope():
        assert not Accident.objects.exists()


def test_the_api_records_the_contractor_and_filters_on_it(world):
    client = login(world.a.users[roles.SAFETY_MANAGER])
    api = reverse("api:grading-accident-list")
    created = client.post(
        api,
        {
            "mine": str(world.a.mine.pk),
            "occurred_on": "2026-06-10",
            "accident_class": "general",
            "deaths": 0,
            "injuries": 2,
            "description": "运输事故",
            "contractor_name": " 山西晋安矿建工程有限公司",
        },
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["contractor_name"] == "山西晋安矿建工程有限公司"
    own = record(world.a, world.a.mine, deaths=0, description="本矿职工")
    detail = client.get(reverse("api:grading-accident-detail", args=[created.json()["id"]])).json()
    assert detail["contractor_name"] == "山西晋安矿建工程有限公司"

    def ids(params):
        return {row["id"] for row in client.get(api, params).json()["results"]}

    assert ids({"outsourced": "true"}) == {created.json()["id"]}
    assert ids({"outsourced": "false"}) == {str(own.pk)}
    assert len(ids({})) == 2
    # The regulator of the province sees who was involved.
    reg = login(world.regulator_in)
    assert (
        reg.get(api, {"outsourced": "true"}).json()["results"][0]["contractor_name"]
        == "山西晋安矿建工程有限公司"
    )


def test_the_list_filters_outsourced_accidents_at_constant_queries(world):
    client = login(world.a.users[roles.HQ_AUDITOR])
    url = reverse("grading:accident-list")
    record(world.a, world.a.mine, deaths=0, description="本矿职工摔伤")
    record(world.a, world.a.mine, deaths=0, description="外包队伍触电", contractor_name="甲公司")

    def shown(params):
        with CaptureQueriesContext(connection) as ctx:
            html = client.get(url, params).content.decode()
        return ("本矿职工摔伤" in html, "外包队伍触电" in html), len(ctx.captured_queries)

    outsourced, few = shown({"outsourced": "yes"})
    assert outsourced == (False, True)
    assert shown({"outsourced": "no"})[0] == (True, False)
    assert shown({})[0] == (True, True)
    assert "仅外包队伍人员" in client.get(url).content.decode()  # the filter's choice
    for n in range(10):
        record(
            world.a,
            world.a.other_mine,
            role=roles.TENANT_ADMIN,
            deaths=0,
            description=f"外包{n}",
            contractor_name=f"乙公司{n}",
        )
    assert shown({"outsourced": "yes"})[1] == few
