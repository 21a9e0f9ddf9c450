"""A mine's safety manager reads the group's courses, question bank and papers (made at the group
HQ or a subsidiary above the mine), never edits them, and runs sessions and spot exams with
them; another group's content stays invisible (issue 13)."""

from __future__ import annotations

import pytest

from compliance.inspections.models import SpotCheck
from compliance.training import courses
from compliance.training.models import Course, ExamPaper, Question, TrainingSession
from tenants import roles
from tenants.scope import activate, dangerously_platform_scope
from tenants.selectors import scope_for_user
from tests.inspections.test_inspections import make_bank, make_inspection, make_paper

from ..conftest import login

pytestmark = pytest.mark.django_db


def hq_course(tw, title="入井安全须知") -> Course:
    with dangerously_platform_scope() as platform:
        return courses.course_create(scope=platform, org_unit=tw.hq, title=title, kind="annual", hours="8")


@pytest.fixture
def group(world):
    a, b = world.a, world.b
    make_bank(a, 6)
    make_bank(b, 6)
    return {
        "course": hq_course(a),
        "paper": make_paper(a, title="集团逢查必考卷"),
        "question": _first_question(a),
        "b_course": hq_course(b, title="乙集团课程"),
        "b_paper": make_paper(b, title="乙集团考卷"),
        "b_question": _first_question(b),
    }


def _first_question(tw) -> Question:
    with dangerously_platform_scope():
        return Question.objects.filter(tenant=tw.tenant).order_by("stem").first()


def test_the_manager_reads_the_groups_content_and_not_another_groups(world, group):
    client = login(world.a.users[roles.SAFETY_MANAGER])
    course_page = client.get("/training/courses/").content.decode()
    assert group["course"].title in course_page and "还没有课程" not in course_page
    assert 'data-testid="read-only"' in course_page
    assert f"/training/courses/{group['course'].pk}/edit/" not in course_page
    assert group["b_course"].title not in course_page

    papers = client.get("/training/papers/").content.decode()
    assert group["paper"].title in papers and group["b_paper"].title not in papers
    questions = client.get("/training/questions/").content.decode()
    assert group["question"].stem in questions and group["b_question"].stem not in questions

    detail = client.get(f"/training/papers/{group['paper'].pk}/")
    assert detail.status_code == 200 and 'data-testid="paper-edit"' not in detail.content.decode()
    question = client.get(f"/training/questions/{group['question'].pk}/")
    assert question.status_code == 200 and 'data-testid="question-edit"' not in question.content.decode()
    # Another group's, by id: the same 404 as a missing one.
    for url in (
        f"/training/papers/{group['b_paper'].pk}/",
        f"/training/questions/{group['b_question'].pk}/",
        f"/training/courses/{group['b_course'].pk}/edit/",
    ):
        assert client.get(url).status_code == 404
    # The API reads the same way.
    api = client.get("/api/v1/papers/").json()
    titles = {row["title"] for row in api.get("results", api)}
    assert group["paper"].title in titles and group["b_paper"].title not in titles


def test_the_manager_cannot_edit_the_groups_content(world, group):
    client = login(world.a.users[roles.SAFETY_MANAGER])
    course, paper, question = group["course"], group["paper"], group["question"]
    assert client.get(f"/training/courses/{course.pk}/edit/").status_code == 403
    response = client.post(
        f"/training/courses/{course.pk}/edit/",
        {"org_unit": str(world.a.mine.pk), "title": "改过的", "kind": "annual", "hours": "1"},
    )
    assert response.status_code == 403
    assert client.get(f"/training/papers/{paper.pk}/edit/").status_code == 403
    assert client.get(f"/training/questions/{question.pk}/edit/").status_code == 403
    assert client.post(f"/training/questions/{question.pk}/retire/").status_code == 403
    with dangerously_platform_scope():
        assert Course.objects.get(pk=course.pk).title == "入井安全须知"
        assert Question.objects.get(pk=question.pk).is_current
        assert ExamPaper.objects.get(pk=paper.pk).title == "集团逢查必考卷"


def test_the_manager_holds_a_session_of_a_group_course_at_the_mine(world, group):
    client = login(world.a.users[roles.SAFETY_MANAGER])
    form = client.get(f"/training/sessions/new/?course={group['course'].pk}").content.decode()
    assert str(group["course"].pk) in form  # offered in the course drop-down
    data = {
        "course": str(group["course"].pk),
        "starts_on": "2026-03-02",
        "ends_on": "2026-03-02",
        "hours": "8",
    }
    # Held by nobody named: the group's course is not the manager's unit, a field error in Chinese.
    missing = client.post("/training/sessions/new/", data, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert missing.status_code == 400 and 'data-field="org_unit"' in missing.content.decode()
    response = client.post("/training/sessions/new/", {**data, "org_unit": str(world.a.mine.pk)})
    assert response.status_code == 302
    with dangerously_platform_scope():
        session = TrainingSession.objects.get(course=group["course"])
    assert session.org_unit_id == world.a.mine.pk
    # Another group's course is refused like a missing one.
    foreign = client.post(
        "/training/sessions/new/",
        {**data, "course": str(group["b_course"].pk), "org_unit": str(world.a.mine.pk)},
    )
    assert foreign.status_code == 404


def test_the_manager_runs_a_spot_exam_with_the_groups_paper(world, group):
    inspection = make_inspection(world.a)
    client = login(world.a.users[roles.SAFETY_MANAGER])
    page = client.get(f"/training/inspections/{inspection.pk}/").content.decode()
    assert group["paper"].title in page and group["b_paper"].title not in page
    response = client.post(
        f"/training/inspections/{inspection.pk}/draw/", {"paper": str(group["paper"].pk), "count": "1"}
    )
    assert response.status_code == 302
    with dangerously_platform_scope():
        assert SpotCheck.objects.filter(inspection=inspection, paper=group["paper"]).count() == 1


def test_workers_and_team_leaders_do_not_read_the_bank_above_them(world, group):
    for role in (roles.WORKER, roles.TEAM_LEADER):
        with activate(scope_for_user(world.a.users[role])):
            assert not Question.objects.filter(pk=group["question"].pk).exists()
            assert not Course.objects.filter(pk=group["course"].pk).exists()


def test_lists_offer_a_page_size_kept_by_the_pager_and_the_filters(world):
    with dangerously_platform_scope() as platform:
        for n in range(25):
            courses.course_create(
                scope=platform, org_unit=world.a.mine, title=f"课程{n:02d}", kind="annual", hours="1"
            )
    client = login(world.a.users[roles.SAFETY_MANAGER])
    default = client.get("/training/courses/", {"kind": "annual"}).content.decode()
    assert 'data-testid="page-sizes"' in default and "?kind=annual&amp;per_page=20" in default
    small = client.get("/training/courses/", {"kind": "annual", "per_page": "20"}).content.decode()
    assert small.count("<tr>") - 1 == 20  # the header row, then 20
    assert "kind=annual&amp;per_page=20&amp;page=2" in small  # the pager keeps the size
    assert '<input type="hidden" name="per_page" value="20">' in small  # and so does the filter form
    # A size not on offer is ignored like a bad page number: the list's own 50.
    for bad in ("7", "100000", "abc", "-20"):
        page = client.get("/training/courses/", {"per_page": bad})
        assert page.status_code == 200 and 'aria-current="true">50<' in page.content.decode()
