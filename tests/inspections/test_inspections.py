"""Inspections and drawing people for spot exams (逢查必考): who is drawn, in which order, by whom."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from compliance.audit.models import AuditEvent
from compliance.inspections import services as inspections
from compliance.inspections.models import Inspection, SpotCheck
from compliance.training.models import (
    ExamPaper,
    PaperSection,
    Question,
    QuestionOption,
)
from tenants import roles, services
from tenants.models import Person
from tenants.scope import activate, dangerously_platform_scope
from tenants.selectors import scope_for_user

from ..conftest import login
from ..factories import resident_id

pytestmark = pytest.mark.django_db

# --- helpers shared by the inspection and dashboard tests ---------------------------------------------


def make_bank(tw, n: int = 6) -> None:
    """n single-choice questions at the group HQ; option 1 is right, option 2 wrong."""
    with dangerously_platform_scope():
        for i in range(n):
            q = Question.objects.create(
                tenant=tw.tenant, org_unit=tw.hq, type=Question.Type.SINGLE, stem=f"{tw.tenant.name} 题{i}"
            )
            QuestionOption.objects.create(
                tenant=tw.tenant, question=q, position=1, text="对", is_correct=True
            )
            QuestionOption.objects.create(
                tenant=tw.tenant, question=q, position=2, text="错", is_correct=False
            )


def make_paper(tw, *, title="逢查必考卷", spot=True, clears=False, count=5, **extra) -> ExamPaper:
    with dangerously_platform_scope():
        paper = ExamPaper.objects.create(
            tenant=tw.tenant,
            org_unit=tw.hq,
            title=title,
            duration_minutes=10,
            pass_mark=80,
            attempts_allowed=2,
            is_spot_exam=spot,
            clears_suspension=clears,
            **extra,
        )
        PaperSection.objects.create(
            tenant=tw.tenant,
            paper=paper,
            question_type=Question.Type.SINGLE,
            count=count,
            points=Decimal(100) / count,
        )
    return paper


def add_person(tw, unit, category, *, seq, status="on_post", name=None) -> Person:
    with dangerously_platform_scope() as platform:
        person = services.person_create(
            scope=platform,
            org_unit=unit,
            resident_id=resident_id("520201", seq=seq),
            name=name or f"{tw.tenant.name[:1]}人{seq}",
            employee_no=f"{tw.tenant.name[:1]}-X{seq:03d}",
            post_category=category,
            operation_type="hoist" if category == "special_operation" else "",
        )
        if status != "on_post":
            Person.objects.filter(pk=person.pk).update(status=status)
            person.refresh_from_db()
    return person


def make_inspection(tw, role=roles.SAFETY_MANAGER, unit=None, date=None) -> Inspection:
    user = tw.users[role]
    with activate(scope_for_user(user)) as scope:
        return inspections.create_inspection(
            scope=scope,
            org_unit=unit or tw.mine,
            user=user,
            kind=Inspection.Kind.MINE_INTERNAL,
            date=date or datetime.date(2026, 3, 5),
            inspectors="张三, 李四",
            notes="",
        )


def as_role(tw, role=roles.SAFETY_MANAGER):
    return activate(scope_for_user(tw.users[role]))


# --- tests ---------------------------------------------------------------------------------------------


def test_create_inspection_is_audited_and_needs_the_permission(world):
    inspection = make_inspection(world.a)
    with dangerously_platform_scope():
        assert AuditEvent.objects.filter(object_id=str(inspection.pk), action="create").exists()
    leader = world.a.users[roles.TEAM_LEADER]
    with activate(scope_for_user(leader)) as scope, pytest.raises(PermissionDenied):
        inspections.create_inspection(
            scope=scope,
            org_unit=world.a.team,
            kind="mine_internal",
            date=datetime.date(2026, 1, 1),
            inspectors="x",
        )
    with as_role(world.a) as scope, pytest.raises(PermissionDenied):  # safety manager of the mine only
        inspections.create_inspection(
            scope=scope,
            org_unit=world.a.other_mine,
            kind="mine_internal",
            date=datetime.date(2026, 1, 1),
            inspectors="x",
        )
    with as_role(world.a) as scope, pytest.raises(ValidationError):
        inspections.create_inspection(
            scope=scope,
            org_unit=world.a.mine,
            kind="mine_internal",
            date=datetime.date(2026, 1, 1),
            inspectors=" ",
        )


def test_draw_puts_key_posts_first_respects_n_and_never_draws_twice(world):
    a = world.a
    paper = make_paper(a)
    # Under the mine: principal (mine), special-operation (team), other (team, the worker) from the
    # world; add a safety manager, three others, one who left and one already suspended.
    safety = add_person(a, a.team, "safety_management", seq=101)
    others = [add_person(a, a.team, "other", seq=102 + i) for i in range(3)]
    add_person(a, a.team, "other", seq=110, status="left")
    add_person(a, a.team, "special_operation", seq=111, status="suspended")
    elsewhere = add_person(a, a.other_team, "principal", seq=112)  # other mine: never drawn
    key = {a.people[1].pk, a.people[2].pk, safety.pk}
    rest = {a.people[0].pk} | {p.pk for p in others}

    inspection = make_inspection(a)
    with as_role(a) as scope:
        first = inspections.draw_people(
            scope=scope, inspection=inspection, paper=paper, count=3, rng=random.Random(1)
        )
        assert {c.person_id for c in first} == key  # the three key posts, before anybody else
        second = inspections.draw_people(
            scope=scope, inspection=inspection, paper=paper, count=2, rng=random.Random(2)
        )
        assert len(second) == 2 and {c.person_id for c in second} <= rest
        third = inspections.draw_people(scope=scope, inspection=inspection, paper=paper, count=10)
        assert {c.person_id for c in second + third} == rest  # only as many as are left
        with pytest.raises(ValidationError):
            inspections.draw_people(scope=scope, inspection=inspection, paper=paper, count=1)
        with pytest.raises(ValidationError):
            inspections.draw_people(scope=scope, inspection=inspection, paper=paper, count=0)
    with dangerously_platform_scope():
        drawn = list(SpotCheck.objects.filter(inspection=inspection).values_list("person_id", flat=True))
        assert len(drawn) == len(set(drawn)) == 7
        assert elsewhere.pk not in drawn
        assert set(SpotCheck.objects.filter(inspection=inspection).values_list("selection", flat=True)) == {
            "random"
        }
        assert AuditEvent.objects.filter(object_type="training.SpotCheck", action="create").count() == 7


def test_draw_order_is_random_within_each_tier(world):
    a = world.a
    people = [Person(name=f"k{i}", post_category="special_operation") for i in range(6)] + [
        Person(name=f"o{i}", post_category="other") for i in range(6)
    ]
    orders = set()
    for seed in range(20):
        order = inspections.draw_order(people, random.Random(seed))
        assert all(p.post_category != "other" for p in order[:6])
        orders.add(tuple(p.name for p in order))
    assert len(orders) > 5  # not a fixed order
    assert a is not None


def test_draw_refuses_a_paper_that_is_not_a_spot_paper_or_of_another_group(world):
    a = world.a
    inspection = make_inspection(a)
    regular = make_paper(a, title="普通考试", spot=False)
    foreign = make_paper(world.b, title="B卷")
    with as_role(a) as scope:
        for paper in (regular, foreign):
            with pytest.raises(ValidationError):
                inspections.draw_people(scope=scope, inspection=inspection, paper=paper, count=1)


def test_pick_only_people_on_post_under_the_unit_and_not_twice(world):
    a = world.a
    paper = make_paper(a)
    inspection = make_inspection(a)
    with as_role(a, roles.HQ_AUDITOR) as scope:
        with pytest.raises(ValidationError):
            inspections.pick_people(scope=scope, inspection=inspection, paper=paper, people=[a.people[3]])
        checks = inspections.pick_people(
            scope=scope, inspection=inspection, paper=paper, people=[a.people[0]]
        )
        assert [c.selection for c in checks] == ["picked"]
        with pytest.raises(ValidationError):
            inspections.pick_people(scope=scope, inspection=inspection, paper=paper, people=[a.people[0]])
    with activate(scope_for_user(a.users[roles.TEAM_LEADER])) as scope, pytest.raises(PermissionDenied):
        inspections.pick_people(scope=scope, inspection=inspection, paper=paper, people=[a.people[1]])


def test_pages_record_draw_and_list_with_filters(world):
    a = world.a
    paper = make_paper(a)
    client = login(a.users[roles.SAFETY_MANAGER])
    response = client.post(
        reverse("inspections:inspection-create"),
        {"org_unit": a.mine.pk, "kind": "mine_internal", "date": "2026-03-05", "inspectors": "王五"},
    )
    assert response.status_code == 302
    with dangerously_platform_scope():
        inspection = Inspection.objects.get(tenant=a.tenant)
    detail = reverse("inspections:inspection-detail", kwargs={"pk": inspection.pk})
    assert response["Location"] == detail
    page = client.get(detail)
    assert page.status_code == 200 and paper.title in page.content.decode()
    response = client.post(
        reverse("inspections:inspection-draw", kwargs={"pk": inspection.pk}), {"paper": paper.pk, "count": 2}
    )
    assert response.status_code == 302
    body = client.get(detail).content.decode()
    assert body.count('data-testid="spot-row"') == 2
    # picking someone of another mine is refused with the form
    response = client.post(
        reverse("inspections:inspection-pick", kwargs={"pk": inspection.pk}),
        {"paper": paper.pk, "people": [a.people[3].pk]},
    )
    assert response.status_code == 400
    listing = client.get(reverse("inspections:inspection-list"), {"unit": a.mine.pk, "kind": "mine_internal"})
    assert listing.status_code == 200 and "王五" in listing.content.decode()
    empty = client.get(reverse("inspections:inspection-list"), {"kind": "group_hq"})
    assert "王五" not in empty.content.decode()


def test_workers_and_regulators(world):
    a = world.a
    inspection = make_inspection(a)
    worker = login(a.users[roles.WORKER])
    assert worker.get(reverse("inspections:inspection-list")).status_code == 403
    assert (
        worker.get(reverse("inspections:inspection-detail", kwargs={"pk": inspection.pk})).status_code == 403
    )
    regulator = login(world.regulator_in)  # a's mine is in Guizhou: inside the jurisdiction
    assert (
        regulator.get(reverse("inspections:inspection-detail", kwargs={"pk": inspection.pk})).status_code
        == 200
    )
    response = regulator.post(
        reverse("inspections:inspection-create"),
        {"org_unit": a.mine.pk, "kind": "mine_internal", "date": "2026-03-05", "inspectors": "x"},
    )
    assert response.status_code == 403
    outside = login(world.regulator_out)
    assert outside.get(
        reverse("inspections:inspection-detail", kwargs={"pk": inspection.pk})
    ).status_code in (
        403,
        404,
    )
    b_admin = login(world.b.users[roles.TENANT_ADMIN])
    assert (
        b_admin.get(reverse("inspections:inspection-detail", kwargs={"pk": inspection.pk})).status_code == 404
    )


def _list_queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_inspection_list_and_api_have_constant_queries(world):
    a = world.a
    paper = make_paper(a)
    client = login(a.users[roles.TENANT_ADMIN])

    def add(n):
        for i in range(n):
            inspection = make_inspection(a, role=roles.TENANT_ADMIN, date=datetime.date(2026, 1, 1 + i))
            with as_role(a, roles.TENANT_ADMIN) as scope:
                inspections.draw_people(scope=scope, inspection=inspection, paper=paper, count=2)

    add(2)
    few_page = _list_queries(client, reverse("inspections:inspection-list"))
    few_api = _list_queries(client, reverse("api:inspection-list"))
    add(18)
    assert _list_queries(client, reverse("inspections:inspection-list")) == few_page
    assert _list_queries(client, reverse("api:inspection-list")) == few_api


def test_api_lists_spot_results_and_creates(world):
    a = world.a
    paper = make_paper(a)
    inspection = make_inspection(a)
    with as_role(a) as scope:
        inspections.draw_people(scope=scope, inspection=inspection, paper=paper, count=2)
    client = login(a.users[roles.HQ_AUDITOR])
    data = client.get(reverse("api:inspection-list")).json()
    assert data["count"] == 1
    row = data["results"][0]
    assert len(row["spot_checks"]) == 2
    assert {c["status"] for c in row["spot_checks"]} == {"not_started"}
    assert all(c["passed"] is None for c in row["spot_checks"])
    response = client.post(
        reverse("api:inspection-list"),
        {"org_unit": str(a.mine.pk), "kind": "group_hq", "date": "2026-04-01", "inspectors": "集团检查组"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["spot_checks"] == []
    worker = login(a.users[roles.WORKER])
    assert worker.get(reverse("api:inspection-list")).status_code == 403
    regulator = login(world.regulator_in)
    assert regulator.get(reverse("api:inspection-list")).status_code == 200
    assert (
        regulator.post(
            reverse("api:inspection-list"),
            {"org_unit": str(a.mine.pk), "kind": "group_hq", "date": "2026-04-01", "inspectors": "x"},
            content_type="application/json",
        ).status_code
        == 403
    )
    b_client = login(world.b.users[roles.TENANT_ADMIN])
    assert b_client.get(reverse("api:inspection-detail", kwargs={"pk": inspection.pk})).status_code == 404
    assert b_client.get(reverse("api:inspection-list")).json()["count"] == 0
