"""Rule packs per province and per group (issue 14, point 10), and the pack's pass mark and
attempts enforced on papers (point 11): worked examples, each naming the rule it checks.

The test world: tenant A's 一矿 is an underground coal mine in Guizhou (520201), its 二矿 an
underground metal mine in Yunnan (530102); tenant B's mines are in Guizhou (520302) and Shanxi
(140105). People of A: [0] worker and [1] electrician of 一矿's team, [2] principal of 一矿,
[3] worker of 二矿's team.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance.training import bank, hours, packs
from compliance.training.models import ExamPaper, HoursRule, RulePack
from tenants import roles, services
from tenants.models import Person
from tenants.scope import dangerously_platform_scope

from ..conftest import login
from ..factories import resident_id

pytestmark = pytest.mark.django_db

YEAR = hours.today().year
SINCE = datetime.date(2020, 1, 1)


def provincial(prefix="53", *, code="yn-test", **values) -> RulePack:
    with dangerously_platform_scope() as platform:
        return packs.rule_pack_create(
            scope=platform,
            code=code,
            name=f"省级规则包 {prefix}",
            document_no="某省安全培训规定（测试）",
            effective_from=values.pop("effective_from", SINCE),
            region_prefix=prefix,
            **values,
        )


def hours_row(pack, post, initial, annual, *, mine_type="", mine_group="", scope=None) -> HoursRule:
    with dangerously_platform_scope() as platform:
        return packs.hours_rule_set(
            scope=scope or platform,
            pack=pack,
            post_category=post,
            mine_type=mine_type,
            mine_group=mine_group,
            initial_hours=initial,
            annual_hours=annual,
            source="测试来源 第1条",
        )


def report(scope, **kwargs):
    with dangerously_platform_scope():
        return {p.pk: p for p in hours.people_hours(scope=scope, year=YEAR, **kwargs)}


def set_person(person, **fields):
    with dangerously_platform_scope():
        Person.objects.filter(pk=person.pk).update(**fields)
        person.refresh_from_db()
    return person


def make_principal_at(world, unit, index=9):
    with dangerously_platform_scope() as platform:
        return services.person_create(
            scope=platform,
            org_unit=unit,
            resident_id=resident_id("530102", seq=900 + index),
            name=f"矿长{index}",
            employee_no=f"A-P{index}",
            post_category="principal",
        )


# --- the shipped national pack -----------------------------------------------------------------------
def test_the_national_pack_ships_with_its_sources_and_verified_flags():
    """安监总局令第3号 (第80号令修正) 第9条 / 第13条 for managers and new workers: verified (DOMAIN.md
    gives them without a (?)); special-operation hours borrowed from new workers: unverified
    (the old ``uncertain`` flag)."""
    with dangerously_platform_scope():
        national = RulePack.for_date(datetime.date(YEAR, 1, 1))
        rows = {r.post_category: r for r in national.hours_rules.all()}
    assert national.level == RulePack.Level.NATIONAL and national.verified
    assert "104号" in national.source and "第30号" in national.source
    assert rows["principal"].verified and "第9条" in rows["principal"].source
    assert rows["safety_management"].verified and (rows["safety_management"].initial_hours, 16) == (48, 16)
    assert rows["other"].verified and "第13条" in rows["other"].source
    assert not rows["special_operation"].verified and "待核实" in rows["special_operation"].source


def test_manage_rules_lists_training_packs_and_hours_rows():
    """The operator's command (DESIGN.md "Rules as data") knows both training rule kinds."""
    out = StringIO()
    call_command("rules", "--unverified", stdout=out)
    text = out.getvalue()
    assert "training.hours:" in text and "special_operation" in text
    assert "training.pack:" not in text  # the national pack is verified


# --- resolution ---------------------------------------------------------------------------------------
def test_a_provincial_override_applies_to_its_region_and_mine_type_only(world):
    """Resolution (docs/training.md): a Yunnan (53) pack's 54 h for managers of underground
    metal mines applies at A's 二矿 (530102); A's Guizhou coal mine keeps the national 48 h
    (令第3号 第9条)."""
    pack = provincial()
    hours_row(pack, "principal", 54, 16, mine_type="metal_underground")
    yunnan_principal = make_principal_at(world, world.a.other_mine)
    guizhou_principal = set_person(world.a.people[2], post_started_on=datetime.date(YEAR, 1, 2))
    set_person(yunnan_principal, post_started_on=datetime.date(YEAR, 1, 2))
    rows = report(world.a.scope(roles.TENANT_ADMIN))
    assert rows[yunnan_principal.pk].required == Decimal("54")
    assert rows[guizhou_principal.pk].required == Decimal("48")


def test_the_override_falls_back_to_national_for_what_it_does_not_set(world):
    """A provincial pack that sets only managers' hours leaves workers at the national 20 h a year
    (令第3号 第13条)."""
    pack = provincial()
    hours_row(pack, "principal", 54, 16, mine_type="metal_underground")
    rows = report(world.a.scope(roles.TENANT_ADMIN))
    assert rows[world.a.people[3].pk].required == Decimal("20")


def test_a_groups_own_pack_beats_the_province_and_stays_inside_the_group(world):
    """Most specific first: the group's own pack, then the province, then national. Tenant A's
    pack (60 h annual for workers) applies to A's people only; B's scope never sees it."""
    provincial_pack = provincial()
    hours_row(provincial_pack, "other", 80, 24, mine_group="non_coal")
    admin_a = world.a.scope(roles.TENANT_ADMIN)
    with dangerously_platform_scope():
        own = packs.rule_pack_create(
            scope=admin_a,
            code="a-own",
            name="A集团培训规定",
            document_no="A集团安〔2024〕1号",
            effective_from=SINCE,
            owner_tenant_id=world.a.tenant.pk,
        )
    hours_row(own, "other", 90, 30, scope=admin_a)
    rows_a = report(admin_a)
    assert rows_a[world.a.people[3].pk].required == Decimal("30")  # Yunnan worker: group pack wins
    assert rows_a[world.a.people[0].pk].required == Decimal("30")  # Guizhou worker: group pack
    rows_b = report(world.b.scope(roles.TENANT_ADMIN))
    assert {r.required for r in rows_b.values() if r.post_category == "other"} == {Decimal("20")}
    with dangerously_platform_scope():
        assert not packs.visible_packs(world.b.scope(roles.TENANT_ADMIN)).filter(pk=own.pk).exists()
        assert packs.visible_packs(admin_a).filter(pk=own.pk).exists()


def test_a_group_cannot_write_another_groups_pack_nor_a_shared_one(world):
    """A group's pack is tenant data; shared packs are the platform operator's."""
    admin_b = world.b.scope(roles.TENANT_ADMIN)
    with dangerously_platform_scope(), pytest.raises(PermissionDenied):
        packs.rule_pack_create(
            scope=admin_b,
            code="b-into-a",
            name="越界",
            document_no="x",
            effective_from=SINCE,
            owner_tenant_id=world.a.tenant.pk,
        )
    with dangerously_platform_scope(), pytest.raises(PermissionDenied):
        packs.rule_pack_create(
            scope=admin_b,
            code="b-prov",
            name="越界",
            document_no="x",
            effective_from=SINCE,
            region_prefix="52",
        )


def test_a_pack_not_yet_in_force_does_not_apply(world):
    """A record is judged by the pack in force on its own date (DOMAIN.md): a Yunnan pack from next
    year leaves this year's 二矿 worker at 20 h."""
    pack = provincial(effective_from=datetime.date(YEAR + 1, 1, 1))
    hours_row(pack, "other", 80, 24, mine_group="non_coal")
    assert report(world.a.scope(roles.TENANT_ADMIN))[world.a.people[3].pk].required == Decimal("20")


def test_a_prefecture_pack_beats_its_province():
    """The longest region prefix that starts the mine's code wins (5301 over 53)."""
    province = provincial("53", code="p53", pass_mark=85)
    prefecture = provincial("5301", code="p5301", pass_mark=90)
    with dangerously_platform_scope() as platform:
        found = packs.candidates(scope=platform, day=datetime.date(YEAR, 6, 1))
    assert found.pack_for(region_code="530102") == prefecture
    assert found.pack_for(region_code="532301") == province
    assert found.pack_for(region_code="520201").level == RulePack.Level.NATIONAL


def test_the_hours_list_resolves_packs_once_not_per_row(world):
    """No query per row (issue 14 point 10): with a provincial override the list of every person
    of A costs the same queries as the list of one."""
    hours_row(provincial(), "other", 80, 24, mine_group="non_coal")
    scope = world.a.scope(roles.TENANT_ADMIN)
    with dangerously_platform_scope():
        rules = hours.rules_for_year(YEAR, scope=scope)
        with CaptureQueriesContext(connection) as one:
            list(
                hours.people_hours(
                    scope=scope, year=YEAR, rules=rules, people=Person.objects.filter(pk=world.a.people[0].pk)
                )
            )
        with CaptureQueriesContext(connection) as every:
            rows = list(hours.people_hours(scope=scope, year=YEAR, rules=rules))
    assert len(rows) == 4
    assert len(every) == len(one) == 1
    assert {hours.deciding_rule(rules, r).verified for r in rows} == {True, False}


def test_the_hours_page_shows_the_override_and_marks_unverified_rows(world, client):
    """An unverified provincial row only warns (待核实) on the hours page (DESIGN.md)."""
    pack = provincial()
    hours_row(pack, "other", 80, 24, mine_group="non_coal")
    client.force_login(world.a.users[roles.TENANT_ADMIN])
    page = client.get("/training/hours/").content.decode()
    assert 'data-testid="pack-override"' in page and "省级规则包 53" in page
    assert 'data-testid="hours-unverified"' in page


# --- stricter, never looser -------------------------------------------------------------------------------
def test_a_looser_provincial_pack_is_refused_naming_the_national_figure():
    """A pack may be stricter, never looser, than the national minimum (issue 14 point 10): a pass
    mark of 70 and 3 attempts are refused field by field, each naming the national figure."""
    with pytest.raises(ValidationError) as exc:
        provincial(pass_mark=70, attempts_allowed=3)
    errors = exc.value.message_dict
    assert "70" in errors["pass_mark"][0] and "80" in errors["pass_mark"][0]
    assert "3" in errors["attempts_allowed"][0] and "2" in errors["attempts_allowed"][0]
    with dangerously_platform_scope():
        assert not RulePack.objects.filter(code="yn-test").exists()


def test_fewer_hours_than_national_are_refused_naming_its_source():
    """令第3号 第9条: managers ≥ 48 h initial. A provincial row of 40 h is refused, naming 48 and
    the national row's source; a row for one mine type is checked against the national row for
    any mine that covers it."""
    pack = provincial()
    with pytest.raises(ValidationError) as exc:
        hours_row(pack, "principal", 40, 16, mine_type="metal_underground")
    message = exc.value.message_dict["initial_hours"][0]
    assert "40" in message and "48" in message and "第9条" in message
    with dangerously_platform_scope():
        assert not HoursRule.objects.filter(pack=pack).exists()


def test_a_stricter_pack_is_accepted_and_starts_unverified():
    """Stricter values pass; a new row is unverified until the operator checks its source."""
    pack = provincial(pass_mark=85, attempts_allowed=1)
    row = hours_row(pack, "principal", 54, 16, mine_type="metal_underground")
    assert (pack.pass_mark, pack.attempts_allowed) == (85, 1)
    assert not row.verified and row.source


# --- papers: the pack's pass mark and attempts (point 11) ---------------------------------------------
def _paper(world, unit, **data):
    scope = world.a.scope(roles.TENANT_ADMIN)
    with dangerously_platform_scope():
        for i in range(5):
            bank.create_question(
                world.a.hq,
                {"type": "single", "stem": f"题{i}", "topic": "通用"},
                [{"text": "对", "is_correct": True}, {"text": "错", "is_correct": False}],
                scope=scope,
            )
        return bank.paper_create(
            scope=scope,
            org_unit=unit,
            data={"title": "年度考试", **data},
            sections=[{"question_type": "single", "count": 5, "points": Decimal("20")}],
        )


def test_a_paper_looser_than_the_pack_is_refused_field_by_field(world):
    """安监总培训〔2013〕104号: 80 to pass, one re-sit (2 attempts), as the verified national
    pack ships them. A paper of 60 and 3 attempts is refused on both fields."""
    with pytest.raises(ValidationError) as exc:
        _paper(world, world.a.mine, pass_mark=60, attempts_allowed=3)
    errors = exc.value.message_dict
    assert "60" in errors["pass_mark"][0] and "80" in errors["pass_mark"][0]
    assert "3" in errors["attempts_allowed"][0] and "2" in errors["attempts_allowed"][0]


def test_a_stricter_paper_is_accepted(world):
    """A paper may be stricter: 90 to pass, one attempt."""
    paper = _paper(world, world.a.mine, pass_mark=90, attempts_allowed=1)
    assert (paper.pass_mark, paper.attempts_allowed) == (90, 1)


def test_a_papers_minimum_follows_the_pack_of_its_mine(world):
    """A verified Yunnan pack of 85 applies to a paper of the Yunnan mine, not to a Guizhou one."""
    pack = provincial(pass_mark=85)
    with dangerously_platform_scope():
        RulePack.objects.filter(pk=pack.pk).update(verified=True)
    with pytest.raises(ValidationError) as exc:
        _paper(world, world.a.other_mine, pass_mark=80)
    assert "85" in exc.value.message_dict["pass_mark"][0]
    assert _paper(world, world.a.mine, pass_mark=80).pass_mark == 80


def test_an_unverified_pack_does_not_refuse_a_paper(world):
    """Only verified rules refuse (DESIGN.md "Rules as data"): an unverified Yunnan 85 leaves a
    paper of 80 at the Yunnan mine standing."""
    provincial(pass_mark=85)
    assert _paper(world, world.a.other_mine, pass_mark=80).pass_mark == 80


def test_the_demo_override_is_yunnans_54_hours_unverified(world):
    """The demo's provincial override (compliance/training/demo/rules.py): Yunnan (53) managers of
    underground metal mines owe 54 initial hours, shown as 待核实 because DOMAIN.md gives the
    figure only as an example of a provincial table, without its document."""
    from compliance.training.demo import rules as demo_rules

    with dangerously_platform_scope() as platform:
        pack = demo_rules.seed_provincial_pack(scope=platform)
        assert demo_rules.seed_provincial_pack(scope=platform) == pack  # idempotent
    principal = set_person(
        make_principal_at(world, world.a.other_mine), post_started_on=datetime.date(YEAR, 1, 2)
    )
    scope = world.a.scope(roles.TENANT_ADMIN)
    with dangerously_platform_scope():
        rules = hours.rules_for_year(YEAR, scope=scope)
        row = hours.people_hours(scope=scope, year=YEAR, rules=rules).get(pk=principal.pk)
    assert row.required == Decimal("54")
    assert pack.region_prefix == "53" and not pack.verified
    assert demo_rules.PROVINCIAL_SOURCE in hours.unverified_note(rules, row)


def _paper_through_the_form(world, unit, **values):
    from .test_papers import fill_bank, paper_body

    fill_bank(world)
    client = login(world.a.users[roles.TENANT_ADMIN])
    body = paper_body(unit, **{k: str(v) for k, v in values.items()})
    response = client.post("/training/papers/new/", body, follow=True, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.redirect_chain, response.content.decode()[:2000]
    with dangerously_platform_scope():
        paper = ExamPaper.objects.get(title=body["title"])
    return client, paper, response


def test_an_unverified_packs_minimum_warns_after_saving_on_the_page_and_in_the_api(world):
    """DESIGN.md "Rules as data": an unverified Yunnan pass mark of 85 does not refuse a paper of
    80 at the Yunnan mine — it is saved, and the looser figure shows as a warning (待核实, naming
    the pack's document to check) in the message after saving, on the paper's page and in the
    API's ``warnings``."""
    provincial(pass_mark=85)
    client, paper, response = _paper_through_the_form(world, world.a.other_mine, pass_mark=80)
    assert paper.pass_mark == 80
    warned = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
    assert len(warned) == 1 and "待核实" in warned[0] and "某省安全培训规定（测试）" in warned[0]
    assert "85" in warned[0] and "80" in warned[0]
    page = client.get(f"/training/papers/{paper.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-testid="paper-rule-warning"' in page and "某省安全培训规定（测试）" in page
    body = client.get(f"/api/v1/papers/{paper.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert len(body["warnings"]) == 1 and "待核实" in body["warnings"][0]


def test_a_paper_within_a_verified_pack_carries_no_warning(world):
    """安监总培训〔2013〕104号 (verified national pack: 80, 2 attempts): a paper of 80 and 2 attempts
    at the Guizhou coal mine saves with no warning anywhere; a looser one is refused (above)."""
    client, paper, response = _paper_through_the_form(world, world.a.mine, pass_mark=80, attempts_allowed=2)
    assert not [m for m in response.context["messages"] if m.level_tag == "warning"]
    page = client.get(f"/training/papers/{paper.pk}/").content.decode()
    assert 'data-testid="paper-rule-warning"' not in page
    assert client.get(f"/api/v1/papers/{paper.pk}/").json()["warnings"] == []


def test_once_the_pack_is_verified_an_older_looser_paper_shows_the_finding_without_待核实(world):
    """A paper saved under the unverified 85 keeps its 80 until edited; once an operator verifies
    the pack, the paper's page and API name the finding as binding (the next save refuses it)."""
    pack = provincial(pass_mark=85)
    client, paper, _response = _paper_through_the_form(world, world.a.other_mine, pass_mark=80)
    with dangerously_platform_scope():
        RulePack.objects.filter(pk=pack.pk).update(verified=True)
    [warning] = client.get(f"/api/v1/papers/{paper.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()["warnings"]
    assert "85" in warning and "待核实" not in warning
