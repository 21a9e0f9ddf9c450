"""Certificates: validity by the rules, issue on a passed exam (once), record from outside,
revoke, the list and expiring pages, the API — and who may see and change what."""

from __future__ import annotations

import datetime
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from compliance import numbering
from compliance.audit.models import AuditEvent
from compliance.training import certificates as certs
from compliance.training.models import Attempt, Certificate, ExamPaper, RulePack
from tenants import roles
from tenants.models import Person
from tenants.scope import dangerously_platform_scope

from ..conftest import login

pytestmark = pytest.mark.django_db

D = datetime.date


# --- helpers (also used by the other certificate and reminder tests) ------------------------------


def make_cert(
    person: Person, *, number: str, kind="special_operation", issued_on=None, **extra
) -> Certificate:
    """A certificate recorded straight into the database (dates from the rules unless given)."""
    issued_on = issued_on or D(2025, 3, 1)
    if "expires_on" in extra:  # dates given: no rule pack needed (e.g. after a transactional test)
        expires_on, review_due_on = extra.pop("expires_on"), extra.pop("review_due_on", None)
    else:
        expires_on, review_due_on = certs.validity(kind, issued_on)
    fields = {
        "tenant_id": person.tenant_id,
        "person": person,
        "kind": kind,
        "operation_type": "electrician" if kind == "special_operation" else "",
        "number": number,
        "issued_on": issued_on,
        "expires_on": expires_on,
        "review_due_on": review_due_on,
        "source": Certificate.Source.EXTERNAL,
    } | extra
    with dangerously_platform_scope():
        return Certificate.objects.create(**fields)


def make_attempt(person: Person, *, passed: bool, issues: str = "", operation_type: str = "", number=1):
    with dangerously_platform_scope():
        paper = ExamPaper.objects.create(
            tenant_id=person.tenant_id,
            org_unit=person.org_unit,
            title=f"考核试卷{number}",
            issues_certificate=issues,
            certificate_operation_type=operation_type,
        )
        now = timezone.now()
        return Attempt.objects.create(
            tenant_id=person.tenant_id,
            paper=paper,
            person=person,
            number=number,
            started_at=now - datetime.timedelta(minutes=30),
            deadline=now + datetime.timedelta(minutes=90),
            submitted_at=now,
            status=Attempt.Status.SUBMITTED,
            score=90 if passed else 60,
            max_score=100,
            passed=passed,
        )


def _all_certs(**filters):
    with dangerously_platform_scope():
        return list(Certificate.objects.filter(**filters))


# --- validity ------------------------------------------------------------------------------------


def test_special_operation_valid_six_years_review_after_three(db):
    assert certs.validity("special_operation", D(2026, 4, 10)) == (D(2032, 4, 10), D(2029, 4, 10))


@pytest.mark.parametrize("kind", ["principal", "safety_management"])
def test_managers_valid_three_years_without_review(db, kind):
    assert certs.validity(kind, D(2026, 4, 10)) == (D(2029, 4, 10), None)


def test_leap_day_and_rule_pack_of_the_issue_date(db):
    assert certs.validity("principal", D(2024, 2, 29)) == (D(2027, 2, 28), None)
    # A later pack with other figures applies only to certificates issued under it.
    # National packs are the platform's to write (row-level security refuses any other scope).
    with dangerously_platform_scope():
        RulePack.objects.filter(effective_to__isnull=True).update(effective_to=D(2026, 12, 31))
        RulePack.objects.create(
            code="test-2027",
            name="测试规则",
            document_no="测试〔2027〕1号",
            effective_from=D(2027, 1, 1),
            special_cert_valid_years=4,
            special_cert_review_years=2,
            manager_cert_valid_years=2,
            reminder_days=[60, 14],
        )
    assert certs.validity("special_operation", D(2026, 12, 31)) == (D(2032, 12, 31), D(2029, 12, 31))
    assert certs.validity("special_operation", D(2027, 1, 1)) == (D(2031, 1, 1), D(2029, 1, 1))
    assert certs.validity("safety_management", D(2027, 1, 1)) == (D(2029, 1, 1), None)


def test_masked_names():
    assert certs.mask_name("张三丰") == "张*丰"
    assert certs.mask_name("李四") == "李*"
    assert certs.mask_name("欧阳娜娜") == "欧**娜"
    assert certs.mask_name("王") == "*"


# --- issue on a passed exam -------------------------------------------------------------------------


def test_passed_paper_that_issues_makes_one_certificate_once(world):
    """A group's own exam issues an internal training record, never the statutory certificate
    (issue 14, point 9): even a paper saved before that rule, still saying "special_operation",
    issues an internal record (valid ``internal_record_valid_years``, no review)."""
    person = world.a.people[1]  # special-operation electrician
    attempt = make_attempt(person, passed=True, issues="special_operation", operation_type="hoist")
    with dangerously_platform_scope():
        cert = certs.issue_for_passed_attempt(attempt)
        again = certs.issue_for_passed_attempt(attempt)
    assert again.pk == cert.pk
    assert len(_all_certs(attempt=attempt)) == 1
    today = timezone.localdate()
    assert cert.kind == "internal" and cert.operation_type == "hoist"
    assert cert.source == "exam" and cert.issued_on == today
    assert (cert.expires_on, cert.review_due_on) == certs.validity("internal", today)
    assert (cert.expires_on, cert.review_due_on) == (certs.add_years(today, 1), None)
    assert cert.number == f"KA-{today.year}-000001"
    with dangerously_platform_scope():
        events = AuditEvent.objects.filter(object_id=str(cert.pk), action="create")
        assert events.count() == 1 and events.get().tenant_id == world.a.tenant.pk
    # The next one in the tenant takes the next number; tenant B starts its own sequence.
    second = make_attempt(world.a.people[2], passed=True, issues="internal", number=1)
    b_attempt = make_attempt(world.b.people[2], passed=True, issues="internal")
    with dangerously_platform_scope():
        assert certs.issue_for_passed_attempt(second).number == f"KA-{today.year}-000002"
        assert certs.issue_for_passed_attempt(b_attempt).number == f"KA-{today.year}-000001"


def test_no_certificate_when_failed_or_not_configured(world):
    person = world.a.people[2]
    failed = make_attempt(person, passed=False, issues="internal", number=1)
    plain = make_attempt(person, passed=True, issues="", number=2)
    with dangerously_platform_scope():
        assert certs.issue_for_passed_attempt(failed) is None
        assert certs.issue_for_passed_attempt(plain) is None
    assert _all_certs(person=person) == []


def test_issued_within_the_worker_own_scope(world, in_scope):
    """Grading runs in the worker's scope when they submit: issuing works there too."""
    person = world.a.worker_person
    attempt = make_attempt(person, passed=True, issues="internal")
    with in_scope(world.a.users[roles.WORKER]):
        cert = certs.issue_for_passed_attempt(attempt)
    # Issue 14 (9): the record is internal, valid one year (was: a safety-management certificate).
    assert cert.kind == "internal" and cert.review_due_on is None
    assert cert.expires_on == certs.add_years(cert.issued_on, 1)


# --- record from outside ---------------------------------------------------------------------------


def _form(person, **over):
    data = {
        "person": str(person.pk),
        "kind": "special_operation",
        "operation_type": "gas_inspection",
        "number": "T052-2024-0001",
        "issued_on": "2024-06-01",
        "issuer": "贵州省应急管理厅",
    }
    data.update(over)
    return data


def test_record_external_by_form(world):
    client = login(world.a.users[roles.SAFETY_MANAGER])
    person = world.a.people[1]
    response = client.get(f"/training/certificates/new/?person={person.pk}")
    assert response.status_code == 200 and person.name in response.content.decode()
    response = client.post("/training/certificates/new/", _form(person))
    assert response.status_code == 302
    (cert,) = _all_certs(person=person)
    assert response["Location"] == f"/training/certificates/{cert.pk}/"
    assert cert.number == "T052-2024-0001" and cert.source == "external"
    assert (cert.issued_on, cert.expires_on, cert.review_due_on) == (
        D(2024, 6, 1),
        D(2030, 6, 1),
        D(2027, 6, 1),
    )
    with dangerously_platform_scope():
        assert AuditEvent.objects.filter(object_id=str(cert.pk), action="create").exists()


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"operation_type": ""}, "operation_type"),
        ({"kind": "principal"}, "operation_type"),
        ({"number": ""}, "number"),
        ({"issued_on": "2099-01-01"}, "issued_on"),
        ({"expires_on": "2024-01-01"}, "expires_on"),
        ({"review_due_on": "2031-01-01"}, "review_due_on"),
        ({"kind": "principal", "operation_type": "", "review_due_on": "2025-01-01"}, "review_due_on"),
    ],
)
def test_record_external_field_errors(world, over, field):
    client = login(world.a.users[roles.SAFETY_MANAGER])
    response = client.post("/training/certificates/new/", _form(world.a.people[1], **over))
    assert response.status_code == 400
    assert f'data-field="{field}"' in response.content.decode()
    assert _all_certs() == []


def test_record_external_duplicate_number(world):
    make_cert(world.a.people[2], number="DUP-1", kind="principal")
    client = login(world.a.users[roles.SAFETY_MANAGER])
    response = client.post("/training/certificates/new/", _form(world.a.people[1], number="DUP-1"))
    assert response.status_code == 400 and 'data-field="number"' in response.content.decode()
    # The same number in another tenant is no clash.
    make_cert(world.b.people[2], number="DUP-2", kind="principal")
    response = client.post("/training/certificates/new/", _form(world.a.people[1], number="DUP-2"))
    assert response.status_code == 302


def test_record_external_refused_outside_manage_scope(world):
    # The safety manager of mine 1 may not record for someone at mine 2 (not even visible: 404).
    client = login(world.a.users[roles.SAFETY_MANAGER])
    response = client.post("/training/certificates/new/", _form(world.a.people[3]))
    assert response.status_code == 404
    for role in (roles.HQ_AUDITOR, roles.WORKER, roles.TEAM_LEADER):
        assert (
            login(world.a.users[role])
            .post("/training/certificates/new/", _form(world.a.people[1]))
            .status_code
            == 403
        )
    assert _all_certs() == []


# --- revoke -----------------------------------------------------------------------------------------


def test_revoke_needs_reason_and_is_audited(world):
    cert = make_cert(world.a.people[1], number="R-1")
    client = login(world.a.users[roles.SAFETY_MANAGER])
    url = f"/training/certificates/{cert.pk}/revoke/"
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400
    response = client.post(url, {"reason": "证件信息有误"})
    assert response.status_code == 302
    with dangerously_platform_scope():
        cert.refresh_from_db()
    assert cert.status == "revoked"
    page = client.get(f"/training/certificates/{cert.pk}/").content.decode()
    assert "证件信息有误" in page and 'class="status revoked"' in page
    with dangerously_platform_scope():
        event = AuditEvent.objects.get(object_id=str(cert.pk), action="revoke")
    assert event.after["reason"] == "证件信息有误" and event.before["status"] == "valid"
    # Twice: refused with a message, nothing changes.
    assert client.post(url, {"reason": "再次"}).status_code == 400


def test_workers_and_regulators_cannot_revoke(world):
    cert = make_cert(world.a.people[0], number="R-2", kind="principal")
    for user in (world.a.users[roles.WORKER], world.a.users[roles.HQ_AUDITOR], world.regulator_in):
        assert (
            login(user).post(f"/training/certificates/{cert.pk}/revoke/", {"reason": "x"}).status_code == 403
        )
    with dangerously_platform_scope():
        cert.refresh_from_db()
    assert cert.status == "valid"


# --- pages and scope --------------------------------------------------------------------------------


def test_list_filters_and_scope(world):
    a1 = make_cert(world.a.people[1], number="A-SO-1")
    a2 = make_cert(world.a.people[2], number="A-PR-1", kind="principal", issued_on=D(2020, 1, 1))
    a3 = make_cert(world.a.people[3], number="A-OT-1", kind="safety_management")
    make_cert(world.b.people[1], number="B-SO-1")
    admin = login(world.a.users[roles.TENANT_ADMIN])
    page = admin.get("/training/certificates/").content.decode()
    assert all(c.number in page for c in (a1, a2, a3)) and "B-SO-1" not in page
    page = admin.get("/training/certificates/", {"status": "expired"}).content.decode()
    assert "A-PR-1" in page and "A-SO-1" not in page
    page = admin.get("/training/certificates/", {"kind": "special_operation"}).content.decode()
    assert "A-SO-1" in page and "A-PR-1" not in page
    page = admin.get("/training/certificates/", {"unit": world.a.other_mine.pk}).content.decode()
    assert "A-OT-1" in page and "A-SO-1" not in page
    page = admin.get("/training/certificates/", {"q": world.a.people[1].name}).content.decode()
    assert "A-SO-1" in page and "A-PR-1" not in page
    # Mine 1's safety manager sees mine 1 only; the worker only their own (none).
    page = login(world.a.users[roles.SAFETY_MANAGER]).get("/training/certificates/").content.decode()
    assert "A-SO-1" in page and "A-OT-1" not in page
    page = login(world.a.users[roles.WORKER]).get("/training/certificates/").content.decode()
    assert "A-SO-1" not in page
    # Tenant B's unit in the filter is a 404, like in a URL.
    assert admin.get("/training/certificates/", {"unit": world.b.mine.pk}).status_code == 404


def test_worker_sees_own_certificate_only(world):
    mine = make_cert(world.a.worker_person, number="W-OWN", kind="principal")
    other = make_cert(world.a.people[1], number="W-OTHER")
    client = login(world.a.users[roles.WORKER])
    assert client.get(f"/training/certificates/{mine.pk}/").status_code == 200
    assert client.get(f"/training/certificates/{other.pk}/").status_code == 404
    data = client.get("/api/v1/certificates/").json()
    assert [row["number"] for row in data["results"]] == ["W-OWN"]
    assert client.get(f"/api/v1/certificates/{other.pk}/").status_code == 404


def test_tenant_b_is_404_and_regulator_reads_only(world):
    b_cert = make_cert(world.b.people[1], number="B-ONLY")
    a_cert = make_cert(world.a.people[1], number="A-GZ")  # mine 1 of A is in Guizhou (52)
    client = login(world.a.users[roles.TENANT_ADMIN])
    for suffix in ("", "pdf/"):
        assert client.get(f"/training/certificates/{b_cert.pk}/{suffix}").status_code == 404
    assert client.get(f"/api/v1/certificates/{b_cert.pk}/").status_code == 404
    regulator = login(world.regulator_in)
    page = regulator.get("/training/certificates/").content.decode()
    assert "A-GZ" in page and "B-ONLY" in page  # both tenants' Guizhou mines are in its jurisdiction
    assert regulator.get(f"/training/certificates/{a_cert.pk}/").status_code == 200
    assert regulator.post("/training/certificates/new/", _form(world.a.people[1])).status_code == 403
    assert login(world.regulator_out).get(f"/training/certificates/{a_cert.pk}/").status_code in (403, 404)


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def test_list_pages_constant_queries(world):
    client = login(world.a.users[roles.TENANT_ADMIN])
    today = timezone.localdate()
    people = world.a.people
    for i in range(2):
        make_cert(people[i % 4], number=f"Q-{i}", issued_on=today - datetime.timedelta(days=6 * 365 - 30))
    urls = ["/training/certificates/", "/training/certificates/expiring/", "/api/v1/certificates/"]
    urls.append(f"/people/{people[1].pk}/")
    small = {url: _count(client, url) for url in urls}
    for i in range(2, 22):
        make_cert(people[i % 4], number=f"Q-{i}", issued_on=today - datetime.timedelta(days=6 * 365 - 30))
    assert {url: _count(client, url) for url in urls} == small


def test_expiring_page_and_excel(world):
    with time_machine.travel(datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC), tick=False):
        today = timezone.localdate()
        # Expires in 10 days (principal, issued 3 years ago less 10 days).
        soon = make_cert(world.a.people[2], number="EXP-10", kind="principal", issued_on=D(2023, 3, 11))
        # Review due in 45 days (special op issued 3 years ago less 45 days); expiry far off.
        review = make_cert(world.a.people[1], number="REV-45", issued_on=D(2023, 4, 15))
        make_cert(world.a.people[3], number="FAR", kind="principal", issued_on=D(2025, 1, 1))
        make_cert(world.a.people[0], number="GONE", kind="principal", issued_on=D(2022, 1, 1))
        make_cert(
            world.a.people[0], number="REVOKED", kind="principal", issued_on=D(2023, 3, 20), status="revoked"
        )
        make_cert(world.b.people[2], number="B-EXP", kind="principal", issued_on=D(2023, 3, 11))
        client = login(world.a.users[roles.HQ_AUDITOR])
        response = client.get("/training/certificates/expiring/")
        page = response.content.decode()
        assert today == D(2026, 3, 1)
        assert "EXP-10" in page and "REV-45" in page
        for absent in ("FAR", "GONE", "REVOKED", "B-EXP"):
            assert absent not in page
        rows = response.context["rows"]
        assert [(r.cert.number, r.due_kind, r.days_left) for r in rows] == [
            ("EXP-10", "expiry", 10),
            ("REV-45", "review", 45),
        ]
        assert page.index("EXP-10") < page.index("REV-45")
        # Narrowed to the other mine: nothing there.
        page = client.get(
            "/training/certificates/expiring/", {"unit": world.a.other_mine.pk}
        ).content.decode()
        assert "EXP-10" not in page
        response = client.get("/training/certificates/expiring/", {"export": "xlsx"})
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        sheet = load_workbook(io.BytesIO(response.content)).active
        values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
        assert [(v[4], v[7]) for v in values] == [(soon.number, 10), (review.number, 45)]
        assert values[0][0] == world.a.people[2].name


def test_person_detail_lists_certificates(world):
    cert = make_cert(world.a.people[1], number="PD-1")
    page = login(world.a.users[roles.SAFETY_MANAGER]).get(f"/people/{world.a.people[1].pk}/").content.decode()
    assert cert.number in page and 'data-testid="person-certificates"' in page
    assert f"/training/certificates/new/?person={world.a.people[1].pk}" in page


def test_nav_link_for_roles_with_view_training(world):
    page = login(world.a.users[roles.WORKER]).get("/").content.decode()
    assert 'data-testid="nav-certificates"' in page and 'data-testid="bell"' in page


def test_api_list_filters_and_display_status(world):
    make_cert(world.a.people[1], number="API-1")
    make_cert(world.a.people[2], number="API-OLD", kind="principal", issued_on=D(2020, 1, 1))
    client = login(world.a.users[roles.TENANT_ADMIN])
    rows = client.get("/api/v1/certificates/").json()["results"]
    by_number = {r["number"]: r for r in rows}
    assert (
        by_number["API-OLD"]["display_status"] == "expired"
        and by_number["API-1"]["display_status"] == "valid"
    )
    assert by_number["API-1"]["review_due_on"] == "2028-03-01"
    rows = client.get("/api/v1/certificates/", {"kind": "principal"}).json()["results"]
    assert [r["number"] for r in rows] == ["API-OLD"]
    assert client.get("/api/v1/certificates/", {"org_unit": str(world.b.team.pk)}).status_code == 404
    assert client.post("/api/v1/certificates/", {}).status_code == 405


def test_end_to_end_passing_the_real_exam_issues_the_certificate(world, in_scope):
    """Through the exam services: start, answer right, submit (twice) → one internal training
    record (issue 14, point 9: the group's exam never creates a statutory certificate)."""
    from decimal import Decimal

    from compliance.training import attempts
    from compliance.training.models import PaperSection, Question, QuestionOption

    tw = world.a
    person = tw.people[1]
    with dangerously_platform_scope():
        for i in range(3):
            q = Question.objects.create(
                tenant=tw.tenant, org_unit=tw.hq, type="single", stem=f"电工安全题{i}"
            )
            QuestionOption.objects.create(
                tenant=tw.tenant, question=q, position=1, text="对", is_correct=True
            )
            QuestionOption.objects.create(tenant=tw.tenant, question=q, position=2, text="错")
        paper = ExamPaper.objects.create(
            tenant=tw.tenant,
            org_unit=tw.mine,
            title="电工取证考试",
            issues_certificate="internal",
            certificate_operation_type="electrician",
        )
        PaperSection.objects.create(
            tenant=tw.tenant, paper=paper, question_type="single", count=3, points=Decimal("10")
        )
        paper.audience_people.set([person])
        attempt = attempts.start_attempt(paper=paper, person=person)
        for row in attempt.questions.all():
            right = QuestionOption.objects.get(question_id=row.question_id, is_correct=True)
            attempts.save_answer(attempt, row.question_id, [str(right.pk)])
        graded = attempts.submit_attempt(attempt)
        attempts.submit_attempt(graded)
    assert graded.passed
    (cert,) = _all_certs(person=person)
    assert cert.attempt_id == attempt.pk and cert.operation_type == "electrician"
    assert cert.kind == "internal" and cert.review_due_on is None
    assert cert.expires_on == certs.add_years(cert.issued_on, 1)


def test_numbers_follow_the_highest_of_the_tenants_year_even_past_their_width(world):
    person = world.a.people[1]
    year = timezone.localdate().year
    for number in (f"KA-{year}-999998", f"KA-{year}-1000000", f"KA-{year}-999999", f"KA-{year}-07A"):
        make_cert(person, number=number)
    make_cert(world.b.people[1], number=f"KA-{year}-5000000")  # another tenant's sequence
    make_cert(person, number=f"KA-{year - 1}-2000000")  # another year
    with dangerously_platform_scope():
        numbers = Certificate.objects.filter(tenant_id=person.tenant_id)
        # The longest, then greatest, all-digit sequence of this tenant and year.
        assert numbering.next_number(numbers, f"KA-{year}-", 6) == f"KA-{year}-1000001"
        assert numbering.next_number(numbers, "KA-1999-", 6) == "KA-1999-000001"


def test_a_number_taken_by_a_concurrent_issue_is_skipped_not_lost(world, monkeypatch):
    year = timezone.localdate().year
    make_cert(world.a.people[1], number=f"KA-{year}-000001")
    real = numbering.next_number
    offered = []

    def stale_first(numbers, prefix, width):  # as if read before the other insert committed
        offered.append(f"{prefix}000001" if not offered else real(numbers, prefix, width))
        return offered[-1]

    monkeypatch.setattr(numbering, "next_number", stale_first)
    attempt = make_attempt(world.a.people[2], passed=True, issues="principal")
    with dangerously_platform_scope():
        cert = certs.issue_for_passed_attempt(attempt)
    assert offered == [f"KA-{year}-000001", f"KA-{year}-000002"]
    assert cert.number == f"KA-{year}-000002"
