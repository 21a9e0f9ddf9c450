"""Exam papers: blueprint rules (100 points, enough questions), audience, pages, results, queries."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from compliance.audit.models import AuditEvent
from compliance.training import bank
from compliance.training.models import Attempt, ExamPaper, PaperSection
from tenants import roles
from tenants.scope import activate, dangerously_platform_scope

from ..conftest import login

pytestmark = pytest.mark.django_db

OPTIONS = [{"text": "甲", "is_correct": True}, {"text": "乙", "is_correct": False}]


def fill_bank(world, n=10, tenant="a", **data):
    t = getattr(world, tenant)
    options = bank.true_false_options(True) if data.get("type") == "true_false" else OPTIONS
    with activate(t.scope(roles.TENANT_ADMIN)):
        for i in range(n):
            bank.create_question(
                t.hq,
                {"type": "single", "stem": f"{tenant}题{i}", "topic": "通用"} | data,
                options,
            )


def section(**overrides):
    return {"question_type": "single", "count": 10, "points": Decimal(10)} | overrides


def create_paper(world, sections=None, role=roles.TENANT_ADMIN, unit=None, **data):
    with activate(world.a.scope(role)):
        return bank.paper_create(
            org_unit=unit or world.a.hq,
            data={"title": "年度安全考试"} | data,
            sections=sections if sections is not None else [section()],
        )


def test_a_paper_is_saved_with_its_blueprint_defaults_and_audit(world):
    fill_bank(world)
    paper = create_paper(world)
    with dangerously_platform_scope():
        paper = ExamPaper.objects.get(pk=paper.pk)
        assert (paper.pass_mark, paper.attempts_allowed, paper.duration_minutes) == (80, 2, 120)
        assert list(PaperSection.objects.filter(paper=paper).values_list("count", "points")) == [
            (10, Decimal("10.00"))
        ]
        event = AuditEvent.objects.get(action="create", object_id=str(paper.pk))
        assert event.after["sections"][0]["count"] == 10


def test_points_must_add_up_to_100(world):
    fill_bank(world)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        create_paper(world, [section(count=5)])
    assert caught.value.message_dict["sections"] == [
        "各部分分值合计为 50 分；及格分按百分制计算，合计必须正好为 100 分。"
    ]
    # Uneven lines that do add up are fine: 6 × 10 + 4 × 10 and 0.5-point steps.
    create_paper(world, [section(count=6), section(count=4)])
    create_paper(world, [section(count=8, points=Decimal("12.5"))])
    with pytest.raises(ValidationError):
        create_paper(world, [])


def test_the_bank_must_hold_enough_questions_for_each_section(world):
    fill_bank(world, n=4)
    fill_bank(world, n=3, stem="判断", type="true_false")  # not single choice: does not count
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        create_paper(world, [section(count=5, points=Decimal(20))])
    assert caught.value.message_dict["sections"] == ["第 1 部分需要 5 道题，但题库中符合条件的只有 4 道。"]
    # Tenant B's questions never fill tenant A's papers.
    fill_bank(world, n=20, tenant="b")
    with pytest.raises(ValidationError):
        create_paper(world, [section(count=5, points=Decimal(20))])


def test_paper_field_rules(world):
    fill_bank(world)
    now = timezone.now()
    cases = [
        ({"title": " "}, "title"),
        ({"opens_at": now, "closes_at": now - datetime.timedelta(hours=1)}, "closes_at"),
        # Issue 14 (9): a paper issues an internal record only (was: special_operation needing
        # an operation type, refused on certificate_operation_type).
        ({"issues_certificate": "special_operation"}, "issues_certificate"),
        ({"certificate_operation_type": "electrician"}, "certificate_operation_type"),
        ({"is_spot_exam": True, "audience_post_categories": ["other"]}, "is_spot_exam"),
        ({"pass_mark": 101}, "pass_mark"),
        ({"attempts_allowed": 0}, "attempts_allowed"),
    ]
    for data, field in cases:
        with pytest.raises(ValidationError) as caught:
            create_paper(world, **data)
        assert field in caught.value.message_dict, (data, caught.value.message_dict)
    with dangerously_platform_scope():
        assert not ExamPaper.objects.exists()


def test_audience_must_lie_under_the_paper_unit(world):
    fill_bank(world)
    with activate(world.a.scope(roles.TENANT_ADMIN)):
        with pytest.raises(ValidationError) as caught:
            bank.paper_create(
                org_unit=world.a.mine,
                data={"title": "一矿考试"},
                sections=[section()],
                audience_units=[world.a.other_mine],
                audience_people=[world.a.people[3]],
            )
        assert set(caught.value.message_dict) == {"audience_units", "audience_people"}
        paper = bank.paper_create(
            org_unit=world.a.mine,
            data={"title": "一矿考试", "audience_post_categories": ["special_operation"]},
            sections=[section()],
            audience_units=[world.a.team],
            audience_people=[world.a.people[2]],
        )
        assert list(paper.audience_units.all()) == [world.a.team]
        assert list(paper.audience_people.all()) == [world.a.people[2]]


def test_only_training_managers_write_papers(world):
    fill_bank(world)
    with activate(world.a.scope(roles.HQ_AUDITOR)), pytest.raises(PermissionDenied):
        bank.paper_create(org_unit=world.a.hq, data={"title": "x"}, sections=[section()])
    with activate(world.a.scope(roles.SAFETY_MANAGER)), pytest.raises(PermissionDenied):
        bank.paper_create(org_unit=world.a.hq, data={"title": "x"}, sections=[section()])


def test_update_replaces_the_blueprint(world):
    fill_bank(world, n=20)
    paper = create_paper(world)
    with activate(world.a.scope(roles.TENANT_ADMIN)):
        bank.paper_update(
            paper=paper,
            data={"title": "改名后的考试", "pass_mark": 90},
            sections=[section(count=10, points=Decimal(5)), section(count=10, points=Decimal(5))],
        )
    with dangerously_platform_scope():
        paper.refresh_from_db()
        assert paper.title == "改名后的考试" and paper.pass_mark == 90
        assert PaperSection.objects.filter(paper=paper).count() == 2
        assert AuditEvent.objects.filter(action="update", object_id=str(paper.pk)).count() == 1


# --- pages -------------------------------------------------------------------------------------------------
def paper_body(org_unit=None, sections=(("single", "10", "10"),), **overrides):
    body = {
        "title": "班组长考试",
        "duration_minutes": "60",
        "pass_mark": "80",
        "attempts_allowed": "2",
        "shuffle_questions": "on",
        "shuffle_options": "on",
        "show_answers": "after_last_attempt",
        "is_active": "on",
        "sections-TOTAL_FORMS": str(len(sections) + 1),
        "sections-INITIAL_FORMS": "0",
        "sections-MIN_NUM_FORMS": "0",
        "sections-MAX_NUM_FORMS": "30",
    }
    for i, (qtype, count, points) in enumerate(sections):
        body |= {
            f"sections-{i}-question_type": qtype,
            f"sections-{i}-count": count,
            f"sections-{i}-points": points,
        }
    if org_unit is not None:
        body["org_unit"] = str(org_unit.pk)
    return body | overrides


def test_create_a_paper_through_the_form(world):
    fill_bank(world)
    client = login(world.a.users[roles.TENANT_ADMIN])
    page = client.get("/training/papers/new/").content.decode()
    assert 'name="sections-0-count"' in page and 'hx-post="/training/papers/new/"' in page
    assert world.a.people[0].name in page  # the named-people picker lists people in scope
    body = paper_body(
        world.a.hq,
        audience_post_categories=["other"],
        audience_units=[str(world.a.team.pk)],
        audience_people=[str(world.a.people[2].pk)],
        opens_at="2026-03-01T08:00",
        closes_at="2026-03-31T18:00",
    )
    response = client.post("/training/papers/new/", body)
    assert response.status_code == 302, response.content.decode()[:3000]
    with dangerously_platform_scope():
        paper = ExamPaper.objects.get(title="班组长考试")
        assert paper.audience_post_categories == ["other"]
        assert list(paper.audience_units.all()) == [world.a.team]
        assert paper.closes_at > paper.opens_at
    detail = client.get(response["Location"]).content.decode()
    assert "班组长考试" in detail and world.a.team.name in detail and world.a.people[2].name in detail


def test_form_refuses_a_blueprint_that_does_not_add_up(world):
    fill_bank(world)
    client = login(world.a.users[roles.TENANT_ADMIN])
    response = client.post("/training/papers/new/", paper_body(world.a.hq, sections=[("single", "8", "10")]))
    assert response.status_code == 400
    assert "各部分分值合计为 80 分" in response.content.decode()
    with dangerously_platform_scope():
        assert not ExamPaper.objects.exists()


def test_live_check_reports_total_and_availability_without_saving(world):
    fill_bank(world, n=6)
    client = login(world.a.users[roles.TENANT_ADMIN])
    body = paper_body(world.a.hq, sections=[("single", "8", "10"), ("true_false", "2", "10")], _check="1")
    response = client.post("/training/papers/new/", body, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "总分：100 / 100。" in html
    assert "题库中有 6 道符合条件" in html and "题库中有 0 道符合条件" in html and "数量不足" in html
    with dangerously_platform_scope():
        assert not ExamPaper.objects.exists()


def test_foreign_ids_in_the_paper_form_are_404(world):
    fill_bank(world)
    client = login(world.a.users[roles.TENANT_ADMIN])
    for extra in (
        {"org_unit": str(world.b.hq.pk)},
        {"audience_units": [str(world.b.team.pk)]},
        {"audience_people": [str(world.b.people[0].pk)]},
    ):
        response = client.post("/training/papers/new/", paper_body(world.a.hq) | extra)
        assert response.status_code == 404, extra


def test_edit_through_the_form(world):
    fill_bank(world, n=20)
    paper = create_paper(world)
    client = login(world.a.users[roles.TENANT_ADMIN])
    page = client.get(f"/training/papers/{paper.pk}/edit/").content.decode()
    assert 'name="sections-0-count" value="10"' in page
    body = paper_body(sections=[("single", "20", "5")], title="改过的卷")
    response = client.post(f"/training/papers/{paper.pk}/edit/", body)
    assert response.status_code == 302, response.content.decode()[:3000]
    with dangerously_platform_scope():
        assert list(PaperSection.objects.filter(paper=paper).values_list("count", flat=True)) == [20]


def _attempts(world, paper, n):
    """n graded attempts spread over tenant A's people (attempt numbers 1, 2, …)."""
    now = timezone.now()
    with dangerously_platform_scope():
        for i in range(n):
            person = world.a.people[i % len(world.a.people)]
            passed = i % 3 != 0
            Attempt.objects.create(
                tenant=world.a.tenant,
                paper=paper,
                person=person,
                number=i // len(world.a.people) + 1,
                started_at=now,
                deadline=now + datetime.timedelta(hours=2),
                submitted_at=now,
                status=Attempt.Status.SUBMITTED,
                score=Decimal(90 if passed else 60),
                max_score=Decimal(100),
                passed=passed,
            )


def test_detail_shows_blueprint_audience_results_and_pass_rate(world):
    fill_bank(world)
    paper = create_paper(world)
    _attempts(world, paper, 4)  # people 0..3: people 0 and 3 failed, 1 and 2 passed
    page = login(world.a.users[roles.TENANT_ADMIN]).get(f"/training/papers/{paper.pk}/").content.decode()
    assert 'data-testid="available">10' in page
    assert 'data-testid="pass-rate">50.0%' in page
    assert world.a.people[0].name in page and world.a.people[3].name in page


def test_regulator_sees_results_but_no_bank_counts_and_cannot_edit(world):
    fill_bank(world)
    paper = create_paper(world, unit=world.a.mine)
    _attempts(world, paper, 2)
    client = login(world.regulator_in)
    page = client.get(f"/training/papers/{paper.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="available">—' in html and 'data-testid="paper-edit"' not in html
    assert client.get(f"/training/papers/{paper.pk}/edit/").status_code == 403
    assert client.post(f"/training/papers/{paper.pk}/edit/", paper_body()).status_code == 403
    # Outside the jurisdiction: nothing (no grants at all here: refused before any lookup).
    assert login(world.regulator_out).get(f"/training/papers/{paper.pk}/").status_code in (403, 404)


def test_workers_and_other_tenants_are_kept_out(world):
    fill_bank(world)
    paper = create_paper(world)
    worker = login(world.a.users[roles.WORKER])
    for url in ("/training/papers/", f"/training/papers/{paper.pk}/", "/training/papers/new/"):
        assert worker.get(url).status_code == 403, url
    other = login(world.b.users[roles.TENANT_ADMIN])
    assert other.get(f"/training/papers/{paper.pk}/").status_code == 404
    assert other.get(f"/training/papers/{paper.pk}/edit/").status_code == 404
    assert "年度安全考试" not in other.get("/training/papers/").content.decode()


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


def test_list_and_detail_queries_do_not_grow_with_rows(world):
    fill_bank(world, n=20)
    first = create_paper(world)
    create_paper(world, title="第二份")
    _attempts(world, first, 2)
    client = login(world.a.users[roles.TENANT_ADMIN])
    urls = ["/training/papers/", f"/training/papers/{first.pk}/"]
    small = [_count(client, url) for url in urls]
    for i in range(18):
        create_paper(world, title=f"卷{i}")
    with dangerously_platform_scope():
        Attempt.objects.filter(paper=first).delete()
    _attempts(world, first, 20)
    assert [_count(client, url) for url in urls] == small
