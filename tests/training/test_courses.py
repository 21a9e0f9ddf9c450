"""Courses, sessions and attendance: services (validated, audited), pages, the hours pages,
permissions and isolation, and constant query counts."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from compliance.audit.models import AuditEvent
from compliance.training import courses
from compliance.training.models import Attendance, Course, TrainingSession
from tenants import roles, services
from tenants.scope import dangerously_platform_scope

from ..conftest import login
from ..factories import resident_id
from .test_hours import JAN, YEAR, attend, course, session, set_person

pytestmark = pytest.mark.django_db


def manager_scope(world):
    return world.a.scope(roles.SAFETY_MANAGER)


# --- services --------------------------------------------------------------------------------------
def test_course_create_is_validated_and_audited(world):
    scope = manager_scope(world)
    with dangerously_platform_scope():
        c = courses.course_create(
            scope=scope, org_unit=world.a.mine, kind="annual", title="年度再培训", hours=16
        )
        assert AuditEvent.objects.filter(object_id=str(c.pk), action="create").exists()
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc, dangerously_platform_scope():
        courses.course_create(
            scope=scope, org_unit=world.a.mine, kind="special_operation", title="电工", hours=0
        )
    errors = exc.value.message_dict
    assert "operation_type" in errors and "hours" in errors
    assert any("作业类别" in m or "特种作业" in m for m in errors["operation_type"]), (
        errors
    )  # Chinese messages
    with pytest.raises(ValidationError) as exc, dangerously_platform_scope():
        courses.course_create(scope=scope, org_unit=world.a.mine, kind="annual", title="年度再培训", hours=8)
    assert "title" in exc.value.message_dict


def test_only_managers_of_the_unit_write_courses(world):
    with dangerously_platform_scope():
        for role in (roles.TEAM_LEADER, roles.WORKER, roles.HQ_AUDITOR):
            with pytest.raises(PermissionDenied):
                courses.course_create(
                    scope=world.a.scope(role), org_unit=world.a.mine, kind="annual", title="x", hours=1
                )
        # A mine's safety manager cannot write at the other mine.
        with pytest.raises(PermissionDenied):
            courses.course_create(
                scope=manager_scope(world), org_unit=world.a.other_mine, kind="annual", title="x", hours=1
            )


def test_session_dates_unit_and_hours(world):
    c = course(world.a.mine, hours_=8)
    scope = manager_scope(world)
    with dangerously_platform_scope():
        with pytest.raises(ValidationError) as exc:
            courses.session_create(
                scope=scope, course=c, starts_on=JAN, ends_on=JAN - datetime.timedelta(days=1)
            )
        assert "ends_on" in exc.value.message_dict
        s = courses.session_create(scope=scope, course=c, org_unit=world.a.team, starts_on=JAN, ends_on=JAN)
        assert s.hours == Decimal("8.0")  # the course's hours by default
    # A session is held under the course's unit: not at another mine.
    with dangerously_platform_scope() as platform, pytest.raises(ValidationError) as exc:
        courses.session_create(
            scope=platform, course=c, org_unit=world.a.other_team, starts_on=JAN, ends_on=JAN
        )
    assert "org_unit" in exc.value.message_dict


def test_attendance_from_the_session_subtree_with_default_hours(world):
    worker, special, principal, other = world.a.people
    s = session(course(world.a.mine, hours_=8), unit=world.a.team)
    scope = manager_scope(world)
    with dangerously_platform_scope():
        rows = courses.attendance_add(scope=scope, session=s, people=[worker])
        assert rows[0].hours == Decimal("8.0")
        courses.attendance_add(scope=scope, session=s, people=[special], hours=Decimal("3.5"))
        assert sorted(Attendance.objects.filter(session=s).values_list("hours", flat=True)) == [
            Decimal("3.5"),
            Decimal("8.0"),
        ]
        # Not in the session's unit (the principal is at the mine, above the team); twice; too many hours.
        with pytest.raises(ValidationError) as exc:
            courses.attendance_add(scope=scope, session=s, people=[principal, worker])
        assert len(exc.value.message_dict["people"]) == 2
        with pytest.raises(ValidationError) as exc:
            courses.attendance_add(scope=manager_scope(world), session=s, people=[], hours=1)
        with pytest.raises(ValidationError) as exc:
            s2 = courses.session_create(scope=scope, course=s.course, starts_on=JAN, ends_on=JAN)
            courses.attendance_add(scope=scope, session=s2, people=[other], hours=9)
        assert "people" in exc.value.message_dict or "hours" in exc.value.message_dict
        assert Attendance.objects.filter(session=s).count() == 2  # nothing half-added


def test_attendance_update_and_remove_are_audited(world):
    worker = world.a.people[0]
    (row,) = attend(session(course(world.a.mine)), worker)
    scope = manager_scope(world)
    with dangerously_platform_scope():
        courses.attendance_update(scope=scope, attendance=row, hours=Decimal("2"))
        row.refresh_from_db()
        assert row.hours == Decimal("2.0")
        pk = row.pk
        courses.attendance_remove(scope=scope, attendance=row)
        assert not Attendance.objects.filter(pk=pk).exists()
        actions = list(AuditEvent.objects.filter(object_id=str(pk)).values_list("action", flat=True))
    assert sorted(actions) == ["create", "delete", "update"]


# --- pages -----------------------------------------------------------------------------------------
def test_manager_creates_a_course_and_a_session_and_records_attendance(world):
    client = login(world.a.users[roles.SAFETY_MANAGER])
    response = client.post(
        "/training/courses/new/",
        {"org_unit": str(world.a.mine.pk), "title": "新工人三级教育", "kind": "new_worker", "hours": "24"},
    )
    assert response.status_code == 302, response.content.decode()[:400]
    with dangerously_platform_scope():
        c = Course.objects.get(title="新工人三级教育")
    response = client.post(
        "/training/sessions/new/",
        {
            "course": str(c.pk),
            "org_unit": str(world.a.team.pk),
            "starts_on": f"{YEAR}-03-02",
            "ends_on": f"{YEAR}-03-04",
        },
    )
    assert response.status_code == 302, response.content.decode()[:400]
    with dangerously_platform_scope():
        s = TrainingSession.objects.get(course=c)
    page = client.get(f"/training/sessions/{s.pk}/")
    body = page.content.decode()
    # Candidates come from the session's unit subtree only.
    assert world.a.people[0].name in body and world.a.people[3].name not in body
    response = client.post(
        f"/training/sessions/{s.pk}/", {"people": [str(world.a.people[0].pk), str(world.a.people[1].pk)]}
    )
    assert response.status_code == 302
    with dangerously_platform_scope():
        assert Attendance.objects.filter(session=s).count() == 2
        a = Attendance.objects.filter(session=s).first()
    assert client.post(f"/training/attendance/{a.pk}/hours/", {"hours": "5"}).status_code == 302
    assert client.post(f"/training/attendance/{a.pk}/remove/").status_code == 302
    with dangerously_platform_scope():
        assert Attendance.objects.filter(session=s).count() == 1
    # The course edit page keeps the unit and changes the rest.
    response = client.post(
        f"/training/courses/{c.pk}/edit/", {"title": "新工人教育", "kind": "new_worker", "hours": "24"}
    )
    assert response.status_code == 302
    assert "新工人教育" in client.get("/training/courses/").content.decode()


def test_course_form_shows_field_errors(world):
    client = login(world.a.users[roles.SAFETY_MANAGER])
    with translation.override("zh-hans"):
        response = client.post(
            "/training/courses/new/",
            {"org_unit": str(world.a.mine.pk), "title": "电工", "kind": "special_operation", "hours": "8"},
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
    assert response.status_code == 400
    assert 'data-field="operation_type"' in response.content.decode()


def test_hours_page_and_export(world):
    worker = world.a.people[0]
    attend(session(course(world.a.mine, hours_=8)), worker)
    client = login(world.a.users[roles.SAFETY_MANAGER])
    page = client.get("/training/hours/", {"short_only": "on", "level": "team"})
    assert page.status_code == 200
    body = page.content.decode()
    assert worker.name in body and 'data-testid="hours-summary"' in body
    # The mine's manager sees their mine only.
    assert world.a.people[3].name not in body
    export = client.get("/training/hours/export/", {"year": YEAR})
    assert export.status_code == 200
    from io import BytesIO

    from openpyxl import load_workbook

    rows = list(load_workbook(BytesIO(export.content)).worksheets[0].iter_rows(values_only=True))
    row = next(r for r in rows if r[0] == worker.employee_no)
    assert row[6:9] == (20.0, 8.0, 12.0)


def test_regulator_reads_hours_but_never_writes(world):
    client = login(world.regulator_in)
    page = client.get("/training/hours/", {"level": "group"})
    assert page.status_code == 200
    body = page.content.decode()
    # Both tenants' Guizhou coal mines are in the jurisdiction; tenant A's Yunnan mine is not.
    assert world.a.people[0].name in body and world.b.people[0].name in body
    assert world.a.people[3].name not in body
    assert client.get("/training/courses/").status_code == 200
    assert (
        client.post(
            "/training/courses/new/",
            {"org_unit": str(world.a.mine.pk), "title": "x", "kind": "annual", "hours": "1"},
        ).status_code
        == 403
    )
    response = client.post("/api/v1/training/sessions/", {}, content_type="application/json")
    assert response.status_code == 403


def test_worker_sees_only_their_own_training(world):
    worker, special = world.a.people[:2]
    s = session(course(world.a.team, hours_=6))
    attend(s, worker, special)
    client = login(world.a.users[roles.WORKER])
    hours_page = client.get("/training/hours/").content.decode()  # (nav shows only "my training")
    assert worker.name in hours_page and special.name not in hours_page
    session(course(world.a.team, title="未参加的培训"))  # held at the worker's team, not attended
    sessions_page = client.get("/training/sessions/").content.decode()
    assert str(s.pk) in sessions_page and "未参加的培训" not in sessions_page
    page = client.get("/training/me/")
    body = page.content.decode()
    assert page.status_code == 200 and "6.0" in body and 'data-testid="my-hours"' in body
    assert special.name not in body
    assert client.get(f"/training/sessions/{s.pk}/").status_code == 404
    assert client.post("/training/courses/new/", {}).status_code == 403
    api = client.get("/api/v1/training/hours/").json()
    assert [r["person"] for r in api["results"]] == [str(worker.pk)]
    sessions = client.get("/api/v1/training/sessions/").json()["results"]
    assert [len(x["attendances"]) for x in sessions] == [1]
    assert sessions[0]["attendances"][0]["person"] == str(worker.pk)
    nav = client.get("/training/me/").content.decode()
    assert 'data-testid="nav-my-training"' in nav and 'data-testid="nav-training"' not in nav


def test_tenant_b_objects_are_404(world):
    s = session(course(world.b.mine))
    (a,) = attend(s, world.b.people[0])
    client = login(world.a.users[roles.TENANT_ADMIN])
    assert client.get(f"/training/sessions/{s.pk}/").status_code == 404
    assert client.get(f"/training/courses/{s.course.pk}/edit/").status_code == 404
    assert client.post(f"/training/attendance/{a.pk}/remove/").status_code == 404
    assert client.get(f"/api/v1/training/sessions/{s.pk}/").status_code == 404
    assert client.get("/api/v1/training/hours/", {"org_unit": str(world.b.team.pk)}).status_code == 404
    with dangerously_platform_scope():
        assert Attendance.objects.filter(pk=a.pk).exists()


# --- API --------------------------------------------------------------------------------------------
def test_api_hours_filters_and_pagination(world):
    worker, special, principal, other = world.a.people
    attend(session(course(world.a.mine, hours_=20)), worker, principal)
    client = login(world.a.users[roles.HQ_AUDITOR])
    data = client.get("/api/v1/training/hours/", {"year": YEAR}).json()
    assert data["count"] == 4
    short = client.get("/api/v1/training/hours/", {"short_only": "true"}).json()
    assert {r["person"] for r in short["results"]} == {str(special.pk), str(other.pk)}
    row = short["results"][0]
    assert row["required"] == "20.0" and row["shortfall"] == "20.0" and row["mine_type"]
    unit = client.get("/api/v1/training/hours/", {"org_unit": str(world.a.other_mine.pk)}).json()
    assert [r["person"] for r in unit["results"]] == [str(other.pk)]
    assert client.get("/api/v1/training/hours/", {"year": "1900"}).status_code == 400


def test_api_creates_a_session_with_attendance(world):
    c = course(world.a.mine, hours_=8)
    client = login(world.a.users[roles.SAFETY_MANAGER])
    body = {
        "course": str(c.pk),
        "org_unit": str(world.a.team.pk),
        "starts_on": f"{YEAR}-04-01",
        "ends_on": f"{YEAR}-04-01",
        "attendances": [
            {"person": str(world.a.people[0].pk)},
            {"person": str(world.a.people[1].pk), "hours": "4"},
        ],
    }
    response = client.post("/api/v1/training/sessions/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["hours"] == "8.0"
    assert sorted(a["hours"] for a in data["attendances"]) == ["4.0", "8.0"]
    # One bad attendee: nothing is created.
    body["attendances"] = [{"person": str(world.a.people[0].pk)}, {"person": str(world.a.people[2].pk)}]
    response = client.post("/api/v1/training/sessions/", body, content_type="application/json")
    assert response.status_code == 400
    with dangerously_platform_scope():
        assert TrainingSession.objects.filter(course=c).count() == 1


# --- query counts -----------------------------------------------------------------------------------
def _grow(world, n: int) -> None:
    with dangerously_platform_scope() as platform:
        c = Course.objects.filter(tenant=world.a.tenant).first() or course(world.a.mine)
        for i in range(n):
            person = services.person_create(
                scope=platform,
                org_unit=world.a.team,
                resident_id=resident_id("520201", seq=500 + i),
                name=f"学员{i}",
                employee_no=f"Q-{i:03d}",
                post_category="other",
            )
            set_person(person, post_started_on=datetime.date(YEAR, 1, 1))
            s = session(c, starts_on=datetime.date(YEAR, 2, 1) + datetime.timedelta(days=i))
            attend(s, person)


LISTS = [
    "/training/hours/",
    "/training/hours/?short_only=on&level=team",
    "/training/hours/export/",
    "/training/sessions/",
    "/training/courses/",
    "/api/v1/training/hours/",
    "/api/v1/training/sessions/",
]


@pytest.mark.parametrize("url", LISTS)
def test_lists_run_constant_queries(world, url):
    client = login(world.a.users[roles.SAFETY_MANAGER])
    _grow(world, 2)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    _grow_more(world)
    assert count() == few


def _grow_more(world):
    with dangerously_platform_scope():
        existing = Course.objects.filter(tenant=world.a.tenant).count()
    with dangerously_platform_scope() as platform:
        for i in range(18):
            courses.course_create(
                scope=platform,
                org_unit=world.a.team,
                kind="special_topic",
                title=f"专题{existing + i}",
                hours=2,
            )
    # 18 more people with sessions and attendance.
    with dangerously_platform_scope() as platform:
        c = Course.objects.filter(tenant=world.a.tenant).first()
        for i in range(18):
            person = services.person_create(
                scope=platform,
                org_unit=world.a.team,
                resident_id=resident_id("520201", seq=700 + i),
                name=f"后学员{i}",
                employee_no=f"R-{i:03d}",
                post_category="principal",
            )
            attend(session(c, starts_on=datetime.date(YEAR, 6, 1) + datetime.timedelta(days=i)), person)


def test_team_leader_drills_down_from_the_mine_row(world):
    """The hours page of a team leader sums their team under its mine (a unit above their
    reach); the mine row's drill-down opens, showing their team, not a 404."""
    import re

    client = login(world.a.users[roles.TEAM_LEADER])
    page = client.get("/training/hours/")
    assert page.status_code == 200
    body = page.content.decode()
    links = re.findall(r'href="([^"]+)" data-testid="drill-down"', body)
    assert links, "the summary links somewhere"
    for link in links:
        assert str(world.a.mine.pk) not in link  # the mine is not the leader's to open
        drill = client.get("/training/hours/" + link.replace("&amp;", "&"))
        assert drill.status_code == 200
        drilled = drill.content.decode()
        assert world.a.team.name in drilled and world.a.people[0].name in drilled
        assert world.a.people[3].name not in drilled  # another mine's team stays out
    # A manager of the mine still drills into the mine itself.
    manager = login(world.a.users[roles.SAFETY_MANAGER]).get("/training/hours/").content.decode()
    assert f"unit={world.a.mine.pk}" in manager
