"""Row-level security on the tables whose tenant is not a ``tenant_id`` column of their own: a
group's grading standards and everything under them (national ones are everyone's to read and the
platform's to write), the link tables of exam-paper audiences, and the ad-hoc object permissions
on org units. With the application's filters bypassed (``dangerously_unscoped`` / plain managers),
a scope of group A reads none of group B's rows, even when asking for them by id, and cannot
insert one."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import DatabaseError, connection, transaction

from compliance.alarms.models import AlarmDeadline
from compliance.duties.models import PostRule
from compliance.grading.models import AccidentRule, Item, LevelRule, Part, Standard, StandardVersion
from compliance.training.models import ExamPaper, HoursRule, PackValueSource, RulePack
from tenants import roles
from tenants.models import OrgUnitUserObjectPermission
from tenants.scope import activate, dangerously_platform_scope
from tenants.selectors import scope_for_user

from ..conftest import APP_ROLE
from .test_rls import EXEMPT, TENANT_TABLES_SQL

pytestmark = [pytest.mark.postgres]

Units = ExamPaper.audience_units.through
People = ExamPaper.audience_people.through


def _deadline(owner) -> AlarmDeadline:
    return AlarmDeadline.objects.create(
        kind="gas",
        acknowledge_minutes=10,
        close_hours=2,
        escalate_hq_hours=2,
        owner_tenant=owner,
        source="集团",
    )


def _item(version, part, code="x") -> Item:
    return Item.objects.create(version=version, part=part, code=code, title="评分项", max_points=Decimal(10))


def _standard(code: str, owner=None) -> dict:
    standard = Standard.objects.create(code=code, name=code, method="percentage", owner_tenant=owner)
    version = StandardVersion.objects.create(
        standard=standard, label="1", document_no=code, effective_from=datetime.date(2020, 1, 1)
    )
    part = Part.objects.create(version=version, code="P1", name="要素1")
    item = _item(version, part, "P1-1")
    rule = LevelRule.objects.create(version=version, level=1, min_total=90)
    accident = AccidentRule.objects.create(version=version, level=1, accident_class="general", to_level=3)
    return {
        "standard": standard,
        "version": version,
        "part": part,
        "item": item,
        "rule": rule,
        "accident": accident,
    }


def _pack(code: str, owner=None) -> dict:
    """A training rule pack with one hours row and one value source: national (no owner) or a
    group's own."""
    pack = RulePack.objects.create(
        code=code, name=code, document_no=code, effective_from=datetime.date(2020, 1, 1), owner_tenant=owner
    )
    hours = HoursRule.objects.create(
        pack=pack, post_category="principal", mine_group="coal", initial_hours=60, annual_hours=20
    )
    value = PackValueSource.objects.create(pack=pack, field="pass_mark", source=code)
    return {"pack": pack, "hours": hours, "value": value}


def _paper(tw) -> ExamPaper:
    paper = ExamPaper.objects.create(tenant=tw.tenant, org_unit=tw.mine, title=f"{tw.tenant.name} 考试")
    paper.audience_units.set([tw.team])
    paper.audience_people.set([tw.worker_person])
    return paper


@pytest.fixture
def rows(world):
    view = Permission.objects.get(codename="view_orgunit", content_type__app_label="tenants")
    outsider = get_user_model().objects.create_user("outside-auditor", password="x")
    with dangerously_platform_scope():
        built = {
            "national": _standard("national-test"),
            "a": _standard("a-own", world.a.tenant),
            "b": _standard("b-own", world.b.tenant),
            "national_pack": _pack("national-pack-test"),
            "a_pack": _pack("a-pack", world.a.tenant),
            "b_pack": _pack("b-pack", world.b.tenant),
            "a_paper": _paper(world.a),
            "b_paper": _paper(world.b),
            "a_grant": OrgUnitUserObjectPermission.objects.create(
                user=outsider, permission=view, content_object=world.a.subsidiary
            ),
            "b_grant": OrgUnitUserObjectPermission.objects.create(
                user=outsider, permission=view, content_object=world.b.subsidiary
            ),
            "view": view,
            "outsider": outsider,
            "a_post_rule": PostRule.objects.create(key="filing_days", value=7, owner_tenant=world.a.tenant),
            "b_post_rule": PostRule.objects.create(key="filing_days", value=5, owner_tenant=world.b.tenant),
            "national_post_rule": PostRule.objects.get(key="filing_days", owner_tenant=None),
            "a_deadline": _deadline(world.a.tenant),
            "b_deadline": _deadline(world.b.tenant),
            "national_deadline": AlarmDeadline.objects.get(kind="gas", owner_tenant=None),
        }
    return built


def _refused(create) -> None:
    with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
        create()


# table → (B's rows asked for by id, A's own rows by id, cross-tenant inserts)
def _cases(world, r):
    a, b, national = r["a"], r["b"], r["national"]
    foreign_versions = (b["version"], national["version"])
    return {
        "grading_standard": (
            Standard.objects.filter(pk=b["standard"].pk),
            Standard.objects.filter(pk__in=[a["standard"].pk, national["standard"].pk]),
            [
                lambda owner=owner: Standard.objects.create(
                    code="x", name="x", method="percentage", owner_tenant=owner
                )
                # B's, or a national one: a group never adds either.
                for owner in (world.b.tenant, None)
            ],
        ),
        "grading_standardversion": (
            StandardVersion.objects.filter(standard=b["standard"]),
            StandardVersion.objects.filter(pk__in=[a["version"].pk, national["version"].pk]),
            [
                lambda s=s: StandardVersion.objects.create(
                    standard=s, label="2", document_no="x", effective_from=datetime.date(2021, 1, 1)
                )
                for s in (b["standard"], national["standard"])
            ],
        ),
        "grading_part": (
            Part.objects.filter(version=b["version"]),
            Part.objects.filter(pk__in=[a["part"].pk, national["part"].pk]),
            [lambda v=v: Part.objects.create(version=v, code="P2", name="x") for v in foreign_versions],
        ),
        "grading_item": (
            Item.objects.filter(version_id=b["version"].pk),
            Item.objects.filter(pk__in=[a["item"].pk, national["item"].pk]),
            [
                lambda: _item(b["version"], b["part"]),
                lambda: _item(a["version"], b["part"]),  # A's own version, hung on B's part
                lambda: _item(national["version"], national["part"]),
            ],
        ),
        "grading_levelrule": (
            LevelRule.objects.filter(version=b["version"]),
            LevelRule.objects.filter(pk__in=[a["rule"].pk, national["rule"].pk]),
            [lambda v=v: LevelRule.objects.create(version=v, level=2, min_total=8) for v in foreign_versions],
        ),
        "grading_accidentrule": (
            AccidentRule.objects.filter(version=b["version"]),
            AccidentRule.objects.filter(pk__in=[a["accident"].pk, national["accident"].pk]),
            [
                lambda v=v: AccidentRule.objects.create(
                    version=v, level=2, accident_class="general", to_level=3
                )
                for v in foreign_versions
            ],
        ),
        "training_rulepack": (
            RulePack.objects.filter(pk=r["b_pack"]["pack"].pk),
            RulePack.objects.filter(pk__in=[r["a_pack"]["pack"].pk, r["national_pack"]["pack"].pk]),
            [
                # B's, or a national one: a group never adds either.
                lambda owner=owner: RulePack.objects.create(
                    code="x",
                    name="x",
                    document_no="x",
                    effective_from=datetime.date(2021, 1, 1),
                    owner_tenant=owner,
                )
                for owner in (world.b.tenant, None)
            ],
        ),
        "training_hoursrule": (
            HoursRule.objects.filter(pack=r["b_pack"]["pack"]),
            HoursRule.objects.filter(pk__in=[r["a_pack"]["hours"].pk, r["national_pack"]["hours"].pk]),
            [
                lambda p=p: HoursRule.objects.create(
                    pack=p, post_category="other", mine_group="coal", initial_hours=72, annual_hours=20
                )
                for p in (r["b_pack"]["pack"], r["national_pack"]["pack"])
            ],
        ),
        "training_packvaluesource": (
            PackValueSource.objects.filter(pack=r["b_pack"]["pack"]),
            PackValueSource.objects.filter(pk__in=[r["a_pack"]["value"].pk, r["national_pack"]["value"].pk]),
            [
                lambda p=p: PackValueSource.objects.create(pack=p, field="attempts_allowed")
                for p in (r["b_pack"]["pack"], r["national_pack"]["pack"])
            ],
        ),
        "training_exampaper_audience_units": (
            Units.objects.filter(exampaper_id=r["b_paper"].pk),
            Units.objects.filter(exampaper_id=r["a_paper"].pk),
            [
                lambda: Units.objects.create(exampaper=r["b_paper"], orgunit=world.b.other_team),
                # A's own paper, with B's unit as its audience.
                lambda: Units.objects.create(exampaper=r["a_paper"], orgunit=world.b.other_team),
            ],
        ),
        "training_exampaper_audience_people": (
            People.objects.filter(exampaper_id=r["b_paper"].pk),
            People.objects.filter(exampaper_id=r["a_paper"].pk),
            [
                lambda: People.objects.create(exampaper=r["b_paper"], person=world.b.people[0]),
                lambda: People.objects.create(exampaper=r["a_paper"], person=world.b.people[0]),
            ],
        ),
        "tenants_orgunituserobjectpermission": (
            OrgUnitUserObjectPermission.objects.filter(content_object=world.b.subsidiary),
            OrgUnitUserObjectPermission.objects.filter(pk=r["a_grant"].pk),
            [
                lambda: OrgUnitUserObjectPermission.objects.create(
                    user=world.a.users[roles.TENANT_ADMIN], permission=r["view"], content_object=world.b.mine
                ),
            ],
        ),
        "alarms_alarmdeadline": (
            AlarmDeadline.objects.filter(pk=r["b_deadline"].pk),
            AlarmDeadline.objects.filter(pk__in=[r["a_deadline"].pk, r["national_deadline"].pk]),
            [
                # B's, or a national one: a group never adds either.
                lambda owner=owner: AlarmDeadline.objects.create(
                    kind="co", acknowledge_minutes=5, close_hours=1, escalate_hq_hours=1, owner_tenant=owner
                )
                for owner in (world.b.tenant, None)
            ],
        ),
        "duties_postrule": (
            PostRule.objects.filter(pk=r["b_post_rule"].pk),
            PostRule.objects.filter(pk__in=[r["a_post_rule"].pk, r["national_post_rule"].pk]),
            [
                # B's, or a national one: a group never adds either.
                lambda owner=owner: PostRule.objects.create(key="min_years", value=1, owner_tenant=owner)
                for owner in (world.b.tenant, None)
            ],
        ),
    }


TABLES = [
    "grading_standard",
    "grading_standardversion",
    "grading_part",
    "grading_item",
    "grading_levelrule",
    "grading_accidentrule",
    "training_rulepack",
    "training_hoursrule",
    "training_packvaluesource",
    "training_exampaper_audience_units",
    "training_exampaper_audience_people",
    "tenants_orgunituserobjectpermission",
    "duties_postrule",
    "alarms_alarmdeadline",
]


@pytest.mark.django_db
def test_every_tenant_table_without_a_tenant_column_has_a_case_here():
    with connection.cursor() as cursor:
        cursor.execute(TENANT_TABLES_SQL, [[]])  # the tables found by foreign keys
        found = {row[0] for row in cursor.fetchall()} - set(EXEMPT)
        cursor.execute(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND column_name = 'tenant_id'"
        )
        with_column = {row[0] for row in cursor.fetchall()}
    assert found - with_column == set(TABLES)


@pytest.mark.django_db
@pytest.mark.parametrize("table", TABLES)
def test_a_scope_sees_no_row_of_another_tenant_and_cannot_insert_one(world, rows, table):
    assert APP_ROLE, "needs TEST_DATABASE_APP_ROLE: a superuser or owner connection would bypass RLS"
    b_rows, a_rows, inserts = _cases(world, rows)[table]
    with dangerously_platform_scope():
        assert b_rows.count() >= 1  # the rows exist: the platform operator sees them
        own = a_rows.count()
        total = b_rows.model.objects.count()
    assert own >= 1
    with activate(scope_for_user(world.a.users[roles.TENANT_ADMIN])):
        assert b_rows.count() == 0  # asked for by id or by B's parent: still nothing
        assert a_rows.count() == own  # while its own (and national) rows stay in view
        for insert in inserts:
            _refused(insert)
    with dangerously_platform_scope():
        assert b_rows.model.objects.count() == total  # nothing was written


@pytest.mark.django_db
def test_national_standards_are_read_by_every_scope_and_changed_by_none(world, rows):
    assert APP_ROLE
    national = rows["national"]
    for scope in (scope_for_user(world.a.users[roles.TENANT_ADMIN]), scope_for_user(world.regulator_out)):
        with activate(scope):
            assert StandardVersion.objects.filter(pk=national["version"].pk).count() == 1
            assert Item.objects.filter(version_id=national["version"].pk).count() == 1
    with activate(scope_for_user(world.a.users[roles.TENANT_ADMIN])):
        # Readable is not writable: an update or a delete of a national row touches nothing.
        assert Standard.objects.filter(pk=national["standard"].pk).update(name="改") == 0
        assert Item.objects.filter(pk=national["item"].pk).update(title="改") == 0
        assert LevelRule.objects.filter(pk=national["rule"].pk)._raw_delete(connection.alias) == 0
        # The group's own standard is its to change.
        assert Item.objects.filter(pk=rows["a"]["item"].pk).update(title="改") == 1
    with dangerously_platform_scope():
        assert Standard.objects.get(pk=national["standard"].pk).name == "national-test"
        assert LevelRule.objects.filter(pk=national["rule"].pk).exists()
