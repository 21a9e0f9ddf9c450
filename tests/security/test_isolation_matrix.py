"""Walks every URL of the site and the API and proves, for each, that

* a user of tenant A gets 404 for tenant B's objects, whether the id is in the URL, in the body
  or in a filter, and that tenant B's data is unchanged afterwards;
* tenant B's rows never appear in tenant A's lists;
* a regulator gets 403 for every unsafe method — except on its own API tokens (routes marked
  ``own_credentials``) and its agency's own records (``agency_records``), where another login's
  token or another agency's record is 404 like any foreign object (and tenant B's data is
  unchanged, agency records about B included).

A URL added without an entry in ROUTES (or EXEMPT, with the reason) fails this test, so every
new page and endpoint is covered from its first commit.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from openpyxl import Workbook

from compliance.audit.models import AuditEvent
from compliance.inspections.hazards.models import Finding, Hazard
from compliance.jobs.models import Job
from compliance.jobs.services import job_start
from compliance.tokens.models import ApiToken
from compliance.tokens.services import api_token_issue
from compliance.training.models import Attempt, AttemptQuestion
from tenants import roles
from tenants.models import Membership, OrgUnit, Person
from tenants.scope import dangerously_platform_scope

from ..conftest import login
from ..factories import resident_id

UNSAFE = ("post", "put", "patch", "delete")

# Reachable by anyone, or by the platform operator only; each says why it is not in the matrix.
EXEMPT = {
    "login": "public: the login form",
    "logout": "ends the caller's own session only",
    "set_language": "public: stores a language choice in the caller's session",
    "api-schema": "public: the OpenAPI description, no data",
    "api-docs": "public: the Swagger UI page, no data",
    "api:api-token": "public: exchanges the caller's own credentials for a token",
    "inspections:spot-enter": "public by design: the drawn person types a one-time spot-exam code "
    "(no login); names no object, refuses read-only logins' writes, rate-limited "
    "(tests/inspections/test_inspections_codes.py)",
    "training:certificate-verify": "public by design: the QR code's page, found only by a 192-bit token; "
    "shows validity, kind, masked name and dates only (tests/training/test_certificates_verify.py)",
    "api:hazard-criterion-detail": "national reference data (the major-hazard criteria), the same for every "
    "login, names no tenant's object; read-only for everyone (tests/inspections/hazards/test_api.py)",
    "notifications:read-all": "marks only the caller's own notifications read, names no object "
    "(tests/test_notifications.py covers regulators and other users)",
}


@dataclass
class Route:
    kwargs: Callable | None = None  # world → URL kwargs naming tenant B's object
    body: Callable | None = None  # world → a body that names tenant B's object (create endpoints)
    multipart: bool = False
    query: Callable | None = None  # world → a filter that names tenant B's object
    list_page: bool = False  # GET shows rows: must contain nothing of tenant B
    # The caller's own API tokens, not tenant data: a regulator may revoke its own (see tokens/).
    own_credentials: bool = False
    # An agency-owned record (DESIGN.md "Agency-owned records"): a regulator may write its own
    # agency's; another agency's is 404 to it, a mine outside its region 404, a bad body 400.
    agency_records: bool = False
    extra: dict = field(default_factory=dict)


def _b_person(w):
    return w.b.people[1]


def _b_certificate(w):
    """A certificate of tenant B (made once per test world)."""
    if getattr(w, "b_certificate", None) is None:
        import datetime

        from compliance.training.models import Certificate

        with dangerously_platform_scope():
            w.b_certificate = Certificate.objects.create(
                tenant=w.b.tenant,
                person=_b_person(w),
                kind="special_operation",
                operation_type="electrician",
                number="B-CERT-001",
                issued_on=datetime.date(2025, 1, 1),
                expires_on=datetime.date(2031, 1, 1),
                review_due_on=datetime.date(2028, 1, 1),
                source="external",
            )
    return w.b_certificate


def _b_practice(w):
    """A supervised practice (师带徒) of tenant B (made once per test world)."""
    if getattr(w, "b_practice", None) is None:
        import datetime

        from compliance.training.models import SupervisedPractice

        with dangerously_platform_scope():
            w.b_practice = SupervisedPractice.objects.create(
                tenant=w.b.tenant,
                person=_b_person(w),
                mentor=w.b.people[2],
                starts_on=datetime.date(2026, 1, 5),
                ends_on=datetime.date(2026, 5, 5),
            )
    return w.b_practice


def _b_sitting(w):
    """A managers' assessment sitting of tenant B's principal (made once per test world)."""
    if getattr(w, "b_sitting", None) is None:
        import datetime

        from compliance.training.models import ManagerAssessmentSitting

        with dangerously_platform_scope():
            w.b_sitting = ManagerAssessmentSitting.objects.create(
                tenant=w.b.tenant,
                person=w.b.people[2],
                kind="principal",
                sat_on=datetime.date(2026, 1, 20),
                authority="B-考核机关",
                result="failed",
            )
    return w.b_sitting


def _b_duty_list(w):
    """Tenant B's post, its list, a holder and a duty assessment (made once per test world)."""
    if getattr(w, "b_duty", None) is None:
        import datetime
        from types import SimpleNamespace

        from django.utils import timezone

        from compliance.duties import services_lists as duty_lists
        from compliance.duties.models import ListItem
        from tenants.scope import activate
        from tenants.selectors import scope_for_user

        b_admin = scope_for_user(w.b.users[roles.TENANT_ADMIN])
        with activate(b_admin):
            platform = b_admin  # tenant B's group admin keeps B's lists
            post = duty_lists.duty_post_create(scope=platform, code="b-miner", name="B采煤工", level="worker")
            version = duty_lists.list_publish(
                scope=platform, post=post, org_unit=w.b.hq, items=[{"duty": "B职责", "criterion": "B标准"}]
            )
            holder = duty_lists.post_holder_assign(
                scope=platform, person=w.b.worker_person, post=post, since=datetime.date(2026, 1, 1)
            )
            item = ListItem.dangerously_unscoped.get(version=version)
            assessment = duty_lists.duty_assess(
                scope=platform,
                holder=holder,
                day=timezone.localdate(),
                scores=[{"item": str(item.pk), "score": 10}],
            )
        w.b_duty = SimpleNamespace(
            post=post, version=version, template_id=version.template_id, holder=holder, assessment=assessment
        )
    return w.b_duty


SITTING_BODY = {"sat_on": "2026-01-21", "authority": "越界", "result": "passed"}


def _b_notification(w):
    """A notification to tenant B's safety manager (made once per test world)."""
    if getattr(w, "b_notification", None) is None:
        from compliance.notifications.services import notify

        with dangerously_platform_scope():
            w.b_notification = notify(
                user=w.b.users[roles.SAFETY_MANAGER],
                tenant_id=w.b.tenant.pk,
                title="B-通知",
                dedupe_key="matrix",
            )
    return w.b_notification


def _b_inspection(w):
    """An inspection of tenant B's mine with one spot check (made once per test world)."""
    if getattr(w, "b_inspection", None) is None:
        import datetime

        from compliance.inspections.models import Inspection, SpotCheck
        from compliance.training.models import ExamPaper

        with dangerously_platform_scope():
            w.b_spot_paper = ExamPaper.objects.create(
                tenant=w.b.tenant, org_unit=w.b.hq, title="B-抽考卷", duration_minutes=10, is_spot_exam=True
            )
            w.b_inspection = Inspection.objects.create(
                tenant=w.b.tenant,
                org_unit=w.b.mine,
                kind="group_hq",
                date=datetime.date(2026, 3, 1),
                inspectors="B-检查组",
            )
            w.b_spot_check = SpotCheck.objects.create(
                tenant=w.b.tenant,
                inspection=w.b_inspection,
                person=w.b.people[2],
                paper=w.b_spot_paper,
                selection="random",
            )
    return w.b_inspection


def _b_spot_check(w):
    _b_inspection(w)
    return w.b_spot_check


def _b_suspension(w):
    """An open suspension of tenant B's person after its spot check (made once per test world)."""
    if getattr(w, "b_suspension", None) is None:
        from django.utils import timezone

        from compliance.inspections.models import Suspension

        check = _b_spot_check(w)
        with dangerously_platform_scope():
            w.b_suspension = Suspension.objects.create(
                tenant=w.b.tenant,
                person=check.person,
                reason="B-抽考不合格",
                spot_check=check,
                clearing_paper=w.b_spot_paper,
                started_at=timezone.now(),
            )
    return w.b_suspension


def _b_points(w):
    """Tenant B's points: the defaults, an entry that crossed a threshold, a proposal (made once
    per test world)."""
    if getattr(w, "b_points", None) is None:
        import datetime
        from types import SimpleNamespace

        from compliance import registry
        from compliance.points import services as points
        from compliance.points.models import PointsRule, Proposal, ThresholdAction
        from tenants.scope import activate
        from tenants.selectors import scope_for_user

        b_admin = scope_for_user(w.b.users[roles.TENANT_ADMIN])
        with activate(b_admin):
            points.defaults_install(scope=b_admin, tenant_id=w.b.tenant.pk)
            rule = PointsRule.objects.get(tenant=w.b.tenant, code="SW-ZH-1")
            entry = points.entry_record(
                scope=b_admin,
                person=w.b.worker_person,
                rule=rule,
                occurred_on=datetime.date.today(),
                reason="B-违章指挥",
            ).entry
            points.proposal_sink(
                b_admin,
                registry.PointsProposal(
                    source_kind="finding",
                    source_ref="b-finding",
                    tenant_id=w.b.tenant.pk,
                    person_id=w.b.worker_person.pk,
                    occurred_on=datetime.date.today(),
                    reason="B-三违",
                    severity="minor",
                ),
            )
            action = ThresholdAction.objects.get(person=w.b.worker_person)
            proposal = Proposal.objects.get(person=w.b.worker_person)
        w.b_points = SimpleNamespace(rule=rule, entry=entry, action=action, proposal=proposal)
    return w.b_points


def _b_points_body(w):
    import datetime

    p = _b_points(w)
    return {
        "person": str(w.b.worker_person.pk),
        "rule": str(p.rule.pk),
        "occurred_on": datetime.date.today().isoformat(),
        "reason": "越界",
    }


def _b_points_fingerprint(t) -> list:
    from compliance.points.models import Balance, Entry, Proposal, ThresholdAction

    return [
        sorted(map(str, Entry.objects.filter(tenant=t).values_list("pk", "points"))),
        sorted(map(str, Balance.objects.filter(tenant=t).values_list("person_id", "balance"))),
        sorted(map(str, ThresholdAction.objects.filter(tenant=t).values_list("pk", "status"))),
        sorted(map(str, Proposal.objects.filter(tenant=t).values_list("pk", "status"))),
    ]


def _b_hazard(w):
    """A registered hazard at tenant B's mine, with a photo and one step of history, and a finding
    of B's inspection (made once per test world)."""
    if getattr(w, "b_hazard", None) is None:
        import datetime

        from compliance.inspections.hazards.models import Finding, Hazard, HazardEvent

        inspection = _b_inspection(w)
        with dangerously_platform_scope():
            w.b_hazard = Hazard.objects.create(
                tenant=w.b.tenant,
                number="YH-2000-00001",  # never given by the sequence (conditions may have made others)
                mine=w.b.mine,
                location="B-1301 工作面",
                description="B-回风巷支护失效",
                photos=[f"hazards/{w.b.tenant.pk}/202603/{'0' * 32}.png"],
                source="self_check",
                status="registered",
                found_on=datetime.date(2026, 3, 1),
            )
            w.b_hazard_event = HazardEvent.objects.create(
                tenant=w.b.tenant,
                hazard=w.b_hazard,
                action="register",
                to_status="registered",
                photos=[f"hazards/{w.b.tenant.pk}/202603/{'1' * 32}.png"],
                at=datetime.datetime(2026, 3, 1, 8, tzinfo=datetime.UTC),
            )
            w.b_finding = Finding.objects.create(
                tenant=w.b.tenant, inspection=inspection, kind="note", text="B-记录"
            )
    return w.b_hazard


def _b_finding(w):
    _b_hazard(w)
    return w.b_finding


def _b_agency_records(w):
    """Records of an agency that is not the test's (its region, Guizhou, covers tenant B's mine,
    as regulator_in's does) about tenant B's mine: an inspection with a hazard finding, and a
    supervision listing of B's hazard (made once per test world)."""
    if getattr(w, "b_agency_inspection", None) is None:
        import datetime

        from compliance.inspections.agency.models import (
            AgencyFinding,
            AgencyInspection,
            AgencySpotCheck,
            SupervisionListing,
        )
        from tenants.models import RegulatorAgency

        hazard = _b_hazard(w)
        with dangerously_platform_scope():
            agency = RegulatorAgency.objects.create(
                name="贵州省应急管理厅", level="provincial", region_prefix="52"
            )
            w.b_agency_inspection = AgencyInspection.objects.create(
                agency=agency, tenant=w.b.tenant, mine=w.b.mine, inspected_on=datetime.date(2026, 3, 2),
                inspectors="B-监察员",
            )  # fmt: skip
            w.b_agency_finding = AgencyFinding.objects.create(
                agency=agency, tenant=w.b.tenant, inspection=w.b_agency_inspection, kind="hazard",
                grade="general", location="B-1301", text="B-监察发现",
            )  # fmt: skip
            w.b_agency_spot_check = AgencySpotCheck.objects.create(
                agency=agency, tenant=w.b.tenant, inspection=w.b_agency_inspection, person=w.b.people[1],
                paper=_b_spot_paper(w),
            )  # fmt: skip
            w.b_listing = SupervisionListing.objects.create(
                agency=agency, tenant=w.b.tenant, hazard=hazard, mine=w.b.mine, authority=agency.name,
                listed_on=datetime.date(2026, 3, 3), deadline=datetime.date(2026, 4, 3),
            )  # fmt: skip
    return w.b_agency_inspection


def _b_spot_paper(w):
    from compliance.training.models import ExamPaper

    return ExamPaper.objects.create(
        tenant=w.b.tenant, org_unit=w.b.hq, title="B-逢查必考", duration_minutes=10, pass_mark=80,
        is_spot_exam=True,
    )  # fmt: skip


def _b_agency_spot_check(w):
    _b_agency_records(w)
    return w.b_agency_spot_check


def _b_agency_finding(w):
    _b_agency_records(w)
    return w.b_agency_finding


def _b_listing(w):
    _b_agency_records(w)
    return w.b_listing


# A regulator's inspection at tenant B's Shanxi mine: outside every test regulator's region.
AGENCY_INSPECTION_BODY = {"kind": "routine", "inspected_on": "2026-03-02", "inspectors": "越界监察"}
AGENCY_FINDING_BODY = {"kind": "hazard", "text": "越界", "location": "越界", "grade": "general"}


def _listing_body(w):
    return {"hazard": _b_hazard(w).pk, "listed_on": "2026-03-03", "deadline": "2026-04-03"}


HAZARD_BODY = {"location": "越界地点", "description": "越界隐患", "source": "self_check", "grade": "general"}
PLAN_BODY = {"responsible": "越界", "measures": "越界", "deadline": "2026-12-01"}


INSPECTION_BODY = {"kind": "mine_internal", "date": "2026-03-02", "inspectors": "越界检查组"}


def _b_question(w):
    """A single-choice question in tenant B's bank (made once per test world)."""
    if getattr(w, "b_question", None) is None:
        from compliance.training.models import Question, QuestionOption

        with dangerously_platform_scope():
            w.b_question = Question.objects.create(
                tenant=w.b.tenant, org_unit=w.b.hq, type="single", stem="B-题干", topic="B-专题"
            )
            for position, (text, correct) in enumerate([("B-甲", True), ("B-乙", False)], start=1):
                QuestionOption.objects.create(
                    tenant=w.b.tenant, question=w.b_question, position=position, text=text, is_correct=correct
                )
    return w.b_question


def _b_paper(w):
    """An assigned paper of tenant B with one blueprint line (made once per test world)."""
    if getattr(w, "b_paper", None) is None:
        from compliance.training.models import ExamPaper, PaperSection

        with dangerously_platform_scope():
            w.b_paper = ExamPaper.objects.create(tenant=w.b.tenant, org_unit=w.b.hq, title="B-试卷")
            PaperSection.objects.create(
                tenant=w.b.tenant, paper=w.b_paper, question_type="single", count=1, points=100
            )
    return w.b_paper


def _b_attempt(w):
    """Tenant B's worker's attempt in progress at a paper assigned to them (made once per world)."""
    if getattr(w, "b_attempt", None) is None:
        import datetime

        from django.utils import timezone

        from compliance.training.models import Attempt, AttemptQuestion, ExamPaper, PaperSection

        question = _b_question(w)
        now = timezone.now()
        with dangerously_platform_scope():
            paper = ExamPaper.objects.create(tenant=w.b.tenant, org_unit=w.b.mine, title="B-考试")
            PaperSection.objects.create(
                tenant=w.b.tenant, paper=paper, question_type="single", count=1, points=100
            )
            paper.audience_people.set([w.b.worker_person])
            # Rows, not start_attempt: the fingerprint counts tenant B's audit events.
            w.b_attempt = Attempt.objects.create(
                tenant=w.b.tenant,
                paper=paper,
                person=w.b.worker_person,
                started_at=now,
                deadline=now + datetime.timedelta(hours=2),
                max_score=100,
            )
            AttemptQuestion.objects.create(
                tenant=w.b.tenant,
                attempt=w.b_attempt,
                question=question,
                position=1,
                points=100,
                option_order=[str(pk) for pk in question.options.values_list("pk", flat=True)],
            )
            w.b_exam_paper = paper
            w.b_attempt_question = question
    return w.b_attempt


def _b_attempt_kwargs(w):
    return {"attempt_id": _b_attempt(w).pk}


def _b_answer_body(w):
    from compliance.training.models import QuestionOption

    _b_attempt(w)
    with dangerously_platform_scope():
        option = QuestionOption.objects.filter(question=w.b_attempt_question).first()
    return {"selected": [str(option.pk)]}


def _b_assessment(w):
    """A draft self-assessment of tenant B's coal mine with one deduction and its evidence file
    (made once per test world, as rows: the fingerprint counts tenant B's audit events)."""
    if getattr(w, "b_assessment", None) is None:
        import datetime

        from compliance import storage
        from compliance.grading.models import Assessment, Deduction, ItemScore
        from tests.grading.factories import PNG, coal_like_version

        version = coal_like_version()
        with dangerously_platform_scope():
            w.b_assessment = Assessment.objects.create(
                tenant=w.b.tenant,
                mine=w.b.mine,
                version=version,
                assessed_on=datetime.date(2026, 3, 1),
                created_by=w.b.users[roles.SAFETY_MANAGER],
            )
            w.b_grading_item = version.items.order_by("position").first()
            score = ItemScore.objects.create(
                tenant=w.b.tenant, assessment=w.b_assessment, item=w.b_grading_item, row_version=1, deducted=1
            )
            relative = f"grading/{w.b.tenant.pk}/{w.b_assessment.pk}/b.png"
            storage.save(relative, PNG, overwrite=True)
            w.b_deduction = Deduction.objects.create(
                tenant=w.b.tenant,
                item_score=score,
                points=1,
                reason="B-扣分",
                evidence=relative,
                evidence_name="b.png",
                created_by=w.b.users[roles.SAFETY_MANAGER],
            )
    return w.b_assessment


def _b_assessment_kwargs(w):
    return {"pk": _b_assessment(w).pk}


def _b_assessment_item_kwargs(w):
    return {"pk": _b_assessment(w).pk, "item_id": w.b_grading_item.pk}


def _b_start_body(w):
    _b_assessment(w)
    return {"mine": w.b.mine.pk, "standard_version": w.b_assessment.version_id}


ITEM_SAVE_BODY = {"row_version": "1", "d-0-points": "1", "d-0-reason": "越界"}


def _b_standard(w):
    """Tenant B's own internal grading standard, one version (made once per test world, by the
    loader: no audit event, the fingerprint counts them). Returns the version."""
    if getattr(w, "b_standard_version", None) is None:
        from compliance.grading.data import load_standard

        with dangerously_platform_scope():  # a group's own standard: tenant rows
            _standard, (w.b_standard_version,) = load_standard(
                {
                    "code": "b-internal",
                    "name": "B-内部标准",
                    "method": "percentage",
                    "mine_types": ["coal_underground"],
                    "versions": [
                        {
                            "label": "2026",
                            "document_no": "B-集团安〔2026〕1号",
                            "effective_from": "2026-01-01",
                            "parts": [
                                {"code": "b", "no": "1", "name": "B-部分", "items": [("B-条目", 100, "")]}
                            ],
                            "level_rules": [{"level": 3, "min_total": 60}],
                        }
                    ],
                },
                owner_tenant_id=w.b.tenant.pk,
            )
    return w.b_standard_version


QUESTION_BODY = {"type": "single", "stem": "越界题", "difficulty": 2, "options-TOTAL_FORMS": 6}
PAPER_BODY = {"title": "越界卷", "duration_minutes": 60, "pass_mark": 80, "attempts_allowed": 2}


def _b_grade_certificate(w):
    """A grade certificate of tenant B with an event, and a fatal accident (made once per test world)."""
    if getattr(w, "b_grade_certificate", None) is None:
        import datetime

        from compliance.grading.models import Accident, GradeCertificate, GradeEvent

        with dangerously_platform_scope():
            w.b_grade_certificate = GradeCertificate.objects.create(
                tenant=w.b.tenant,
                mine=w.b.mine,
                number="BZH-2026-0001",
                awarded_level=1,
                level=1,
                awarded_on=datetime.date(2026, 1, 5),
                recheck_due=datetime.date(2029, 1, 5),
            )
            GradeEvent.objects.create(
                tenant=w.b.tenant,
                certificate=w.b_grade_certificate,
                kind="awarded",
                occurred_on=datetime.date(2026, 1, 5),
                to_level=1,
                reason="B-授予",
            )
            w.b_accident = Accident.objects.create(
                tenant=w.b.tenant,
                mine=w.b.mine,
                occurred_on=datetime.date(2026, 2, 1),
                accident_class="general",
                deaths=0,
                injuries=1,
                description="B-事故",
            )
    return w.b_grade_certificate


def _b_accident(w):
    _b_grade_certificate(w)
    return w.b_accident


ACCIDENT_BODY = {"occurred_on": "2026-01-05", "accident_class": "general", "deaths": 1, "description": "越界"}


def _b_session(w):
    """A course of tenant B's mine with one session attended by a B worker (made once per world)."""
    if getattr(w, "b_session", None) is None:
        import datetime

        from compliance.training.models import Attendance, Course, TrainingSession

        with dangerously_platform_scope():  # no audit events: the fingerprint counts them
            w.b_course = Course.objects.create(
                tenant=w.b.tenant, org_unit=w.b.mine, kind="annual", title="B-年度再培训", hours=8
            )
            day = datetime.date(2026, 3, 2)
            w.b_session = TrainingSession.objects.create(
                tenant=w.b.tenant, course=w.b_course, org_unit=w.b.mine, starts_on=day, ends_on=day, hours=8
            )
            w.b_attendance = Attendance.objects.create(
                tenant=w.b.tenant, session=w.b_session, person=w.b.people[0], hours=8
            )
    return w.b_session


def _b_course(w):
    _b_session(w)
    return w.b_course


def _b_attendance(w):
    _b_session(w)
    return w.b_attendance


def _sessions_xlsx() -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.append(["课程名称", "开始日期", "学时", "工号"])
    ws.append(["越界培训", "2026-03-02", 8, "B-000"])
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "sessions.xlsx"
    return out


SESSION_BODY = {"starts_on": "2026-03-02", "ends_on": "2026-03-02", "hours": "8"}


def _xlsx() -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号", "工号", "岗位类别"])
    ws.append(["甲", resident_id("520201", seq=901), "M-901", "其他从业人员"])
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "people.xlsx"
    return out


def _b_outsourcing(w):
    """Tenant B's contractor with a qualification, an engagement at its mine, a staff assignment and
    an appraisal (made once per test world)."""
    if getattr(w, "b_contractor", None) is None:
        import datetime

        from compliance.contractors.models import (
            Appraisal,
            Contractor,
            Engagement,
            Qualification,
            StaffAssignment,
        )

        from ..factories import credit_code

        with dangerously_platform_scope():
            t = w.b.tenant
            w.b_contractor = Contractor.objects.create(
                tenant=t,
                name="B-外包公司",
                credit_code=credit_code(777),
                legal_representative="B-法人",
                work_kind="mining",
            )
            w.b_qualification = Qualification.objects.create(
                tenant=t,
                contractor=w.b_contractor,
                kind="safety_licence",
                number="B-AQ-1",
                issuer="B-发证机关",
                valid_from=datetime.date(2025, 1, 1),
                valid_until=datetime.date(2028, 1, 1),
                scan="contractors/b/b/0123456789abcdef0123456789abcdef.pdf",
            )
            w.b_engagement = Engagement.objects.create(
                tenant=t,
                mine=w.b.mine,
                contractor=w.b_contractor,
                work_kind="mining",
                scope_of_work="B-回采",
                starts_on=datetime.date(2026, 1, 1),
                ends_on=datetime.date(2027, 1, 1),
                contract_number="B-HT-1",
                project_manager=w.b.people[2],
                project_manager_certificate="B-PM-1",
            )
            w.b_assignment = StaffAssignment.objects.create(
                tenant=t,
                person=w.b.people[1],
                contractor=w.b_contractor,
                engagement=w.b_engagement,
                assigned_on=datetime.date(2026, 1, 2),
            )
            w.b_appraisal = Appraisal.objects.create(
                tenant=t,
                engagement=w.b_engagement,
                contractor=w.b_contractor,
                period=datetime.date(2026, 1, 1),
                score=50,
                poor=True,
            )
    return w.b_contractor


def _b_contractor_kwargs(w):
    return {"pk": _b_outsourcing(w).pk}


def _b_engagement_kwargs(w):
    _b_outsourcing(w)
    return {"pk": w.b_engagement.pk}


def _b_engagement_body(w):
    return {
        "mine": str(w.b.mine.pk),
        "contractor": str(_b_outsourcing(w).pk),
        "work_kind": "mining",
        "scope_of_work": "越界",
        "starts_on": "2026-01-05",
        "ends_on": "2026-12-05",
        "contract_number": "X-HT-1",
        "project_manager": str(w.b.people[2].pk),
        "project_manager_certificate": "X",
    }


PERSON_BODY = {
    "name": "越界者",
    "employee_no": "X-1",
    "post_category": "other",
    "status": "on_post",
    "resident_id": "11010519491231002X",
}


def _b_posts(w):
    """Tenant B's mine manager appointed (with its filing), a shift planned and recorded (made once
    per test world)."""
    if getattr(w, "b_appointment", None) is None:
        import datetime

        from compliance.duties import services as duties

        with dangerously_platform_scope() as platform:
            leader = w.b.people[2]
            w.b_appointment = duties.appointment_create(
                scope=platform, mine=w.b.mine, post="mine_manager", person=leader,
                started_on=datetime.date(2026, 1, 5), education=3, years_experience=8,
            )  # fmt: skip
            w.b_filing = w.b_appointment.filings.get()
            day = datetime.date(2026, 3, 2)
            w.b_plan = duties.shift_plan_set(
                scope=platform, mine=w.b.mine, on_date=day, shift=1, leader=leader
            )
            at = datetime.datetime(2026, 3, 2, 7, tzinfo=datetime.UTC)
            w.b_shift = duties.shift_record_save(
                scope=platform, mine=w.b.mine, on_date=day, shift=1, crew_down_at=at,
                crew_up_at=at + datetime.timedelta(hours=8),
            )  # fmt: skip
    return w


SHIFT_BODY = {"on_date": "2026-03-03", "shift": 2}


ROUTES: dict[str, Route] = {
    # pages
    "home": Route(list_page=True),
    "org-tree": Route(list_page=True),
    "org-unit-create": Route(body=lambda w: {"parent": w.b.subsidiary.pk, "kind": "team", "name": "越界"}),
    "org-unit-detail": Route(kwargs=lambda w: {"pk": w.b.subsidiary.pk}),
    "org-unit-move": Route(
        kwargs=lambda w: {"pk": w.b.other_team.pk}, body=lambda w: {"parent": w.b.mine.pk}
    ),
    "org-unit-delete": Route(kwargs=lambda w: {"pk": w.b.other_team.pk}),
    "mine-list": Route(list_page=True),
    "mine-detail": Route(kwargs=lambda w: {"pk": w.b.mine.pk}),
    "mine-edit": Route(kwargs=lambda w: {"pk": w.b.mine.pk}),
    "person-list": Route(list_page=True, query=lambda w: {"unit": w.b.team.pk}),
    "person-create": Route(body=lambda w: {"org_unit": w.b.team.pk, **PERSON_BODY}),
    "person-import": Route(body=lambda w: {"org_unit": w.b.team.pk, "file": _xlsx()}, multipart=True),
    "person-import-template": Route(),
    "person-export": Route(query=lambda w: {"unit": w.b.team.pk}),
    "person-detail": Route(kwargs=lambda w: {"pk": _b_person(w).pk}),
    "person-edit": Route(kwargs=lambda w: {"pk": _b_person(w).pk}),
    "person-delete": Route(kwargs=lambda w: {"pk": _b_person(w).pk}),
    "person-reveal": Route(kwargs=lambda w: {"pk": _b_person(w).pk}),
    "person-login-create": Route(kwargs=lambda w: {"pk": _b_person(w).pk}),
    "membership-list": Route(list_page=True),
    "membership-create": Route(
        body=lambda w: {"person": w.b.worker_person.pk, "org_unit": w.a.hq.pk, "role": roles.SAFETY_MANAGER}
    ),
    "membership-revoke": Route(kwargs=lambda w: {"pk": w.b_membership.pk}),
    "membership-password-reset": Route(kwargs=lambda w: {"pk": w.b_membership.pk}),
    # One's own password (a regulator's too): names no object; an empty form is 400.
    "account-password": Route(own_credentials=True),
    "audit-list": Route(list_page=True, query=lambda w: {"unit": w.b.mine.pk}),
    # A workbook of the filtered trail: a foreign unit in the filter is 404 like a missing one.
    "audit-export": Route(query=lambda w: {"unit": w.b.mine.pk}),
    "job-detail": Route(kwargs=lambda w: {"pk": w.b_job.pk}),
    # The caller's own jobs (and with ?whose=all everyone's in the scope: tests/jobs/test_job_list.py).
    "job-list": Route(list_page=True),
    "account-tokens": Route(list_page=True, own_credentials=True),
    "account-token-revoke": Route(kwargs=lambda w: {"pk": w.b_token.pk}, own_credentials=True),
    "job-input": Route(kwargs=lambda w: {"pk": w.b_job.pk}),
    "job-output": Route(kwargs=lambda w: {"pk": w.b_job.pk}),
    "training:my-exams": Route(list_page=True),
    "training:exam-start": Route(kwargs=lambda w: (_b_attempt(w), {"paper_id": w.b_exam_paper.pk})[1]),
    "training:exam-take": Route(kwargs=_b_attempt_kwargs),
    "training:exam-submit": Route(kwargs=_b_attempt_kwargs),
    "training:exam-result": Route(kwargs=_b_attempt_kwargs),
    "training:exam-answer": Route(
        kwargs=lambda w: {"attempt_id": _b_attempt(w).pk, "question_id": w.b_attempt_question.pk},
        body=_b_answer_body,
    ),
    # training: courses, sessions, hours
    "training:hours": Route(list_page=True, query=lambda w: {"unit": w.b.team.pk}),
    "training:hours-export": Route(query=lambda w: {"unit": w.b.team.pk}),
    "training:my-training": Route(list_page=True),
    "training:course-list": Route(list_page=True),
    "training:course-create": Route(
        body=lambda w: {"org_unit": w.b.mine.pk, "title": "越界课程", "kind": "annual", "hours": "8"}
    ),
    "training:course-edit": Route(
        kwargs=lambda w: {"pk": _b_course(w).pk},
        body=lambda w: {"title": "改名", "kind": "annual", "hours": "8"},
    ),
    "training:session-list": Route(list_page=True, query=lambda w: {"unit": w.b.team.pk}),
    "training:session-create": Route(body=lambda w: {"course": _b_course(w).pk, **SESSION_BODY}),
    "training:session-import": Route(
        body=lambda w: {"org_unit": w.b.mine.pk, "file": _sessions_xlsx()}, multipart=True
    ),
    "training:session-import-template": Route(),
    "training:session-detail": Route(
        kwargs=lambda w: {"pk": _b_session(w).pk}, body=lambda w: {"people": [str(w.b.people[1].pk)]}
    ),
    "training:attendance-edit": Route(
        kwargs=lambda w: {"pk": _b_attendance(w).pk}, body=lambda w: {"hours": "1"}
    ),
    "training:attendance-remove": Route(kwargs=lambda w: {"pk": _b_attendance(w).pk}),
    "api:training-hours-list": Route(list_page=True, query=lambda w: {"org_unit": w.b.team.pk}),
    "api:training-session-list": Route(
        list_page=True,
        body=lambda w: {
            "course": str(_b_course(w).pk),
            **SESSION_BODY,
            "attendances": [{"person": str(w.b.people[1].pk)}],
        },
    ),
    "api:training-session-detail": Route(kwargs=lambda w: {"pk": _b_session(w).pk}),
    # certificates and notifications
    "training:certificate-list": Route(list_page=True, query=lambda w: {"unit": w.b.mine.pk}),
    "training:certificate-create": Route(
        body=lambda w: {
            "person": _b_person(w).pk,
            "kind": "principal",
            "number": "X-CERT-1",
            "issued_on": "2026-01-05",
        }
    ),
    "training:certificate-detail": Route(kwargs=lambda w: {"pk": _b_certificate(w).pk}),
    "training:certificate-revoke": Route(
        kwargs=lambda w: {"pk": _b_certificate(w).pk}, body=lambda w: {"reason": "越界"}
    ),
    "training:certificate-pdf": Route(kwargs=lambda w: {"pk": _b_certificate(w).pk}),
    "training:certificate-review": Route(
        kwargs=lambda w: {"pk": _b_certificate(w).pk},
        body=lambda w: {
            "kind": "review",
            "reviewed_on": "2026-01-05",
            "authority": "越界",
            "retraining_hours": "8",
        },
    ),
    "training:certificate-expiring": Route(list_page=True, query=lambda w: {"unit": w.b.mine.pk}),
    "notifications:list": Route(list_page=True),
    "notifications:read": Route(kwargs=lambda w: {"pk": _b_notification(w).pk}),
    "api:certificate-list": Route(list_page=True, query=lambda w: {"org_unit": w.b.team.pk}),
    "api:certificate-detail": Route(kwargs=lambda w: {"pk": _b_certificate(w).pk}),
    # supervised practice (师带徒): tenant B's worker and mentor named in the form and the body
    "training:practice-create": Route(
        query=lambda w: {"person": _b_person(w).pk},
        body=lambda w: {"person": _b_person(w).pk, "mentor": w.b.people[2].pk, "starts_on": "2026-01-05"},
    ),
    "api:training-practice-list": Route(
        list_page=True,
        body=lambda w: (
            _b_practice(w),
            {"person": str(_b_person(w).pk), "mentor": str(w.b.people[2].pk), "starts_on": "2026-01-05"},
        )[1],
    ),
    "api:training-practice-detail": Route(kwargs=lambda w: {"pk": _b_practice(w).pk}),
    "api:certificate-reviews": Route(
        kwargs=lambda w: {"pk": _b_certificate(w).pk},
        body=lambda w: {"reviewed_on": "2026-01-05", "authority": "越界", "retraining_hours": "8"},
    ),
    "api:me-notifications": Route(list_page=True),
    # managers' statutory assessment sittings: tenant B's principal in the URL, the body and a filter
    "training:assessment-sittings": Route(
        kwargs=lambda w: {"pk": w.b.people[2].pk}, body=lambda w: (_b_sitting(w), SITTING_BODY)[1]
    ),
    "api:training-assessment-sitting-list": Route(
        list_page=True,
        query=lambda w: {"person": w.b.people[2].pk},
        body=lambda w: (_b_sitting(w), {"person": str(w.b.people[2].pk), **SITTING_BODY})[1],
    ),
    "api:training-assessment-sitting-detail": Route(kwargs=lambda w: {"pk": _b_sitting(w).pk}),
    # inspections, spot exams, training dashboard
    "inspections:inspection-list": Route(list_page=True, query=lambda w: {"unit": w.b.mine.pk}),
    "inspections:inspection-create": Route(body=lambda w: {"org_unit": w.b.mine.pk, **INSPECTION_BODY}),
    "inspections:inspection-detail": Route(kwargs=lambda w: {"pk": _b_inspection(w).pk}),
    "inspections:inspection-record": Route(kwargs=lambda w: {"pk": _b_inspection(w).pk}),
    "inspections:inspection-draw": Route(
        kwargs=lambda w: {"pk": _b_inspection(w).pk}, body=lambda w: {"paper": w.b_spot_paper.pk, "count": 1}
    ),
    "inspections:inspection-pick": Route(
        kwargs=lambda w: {"pk": _b_inspection(w).pk},
        body=lambda w: {"paper": w.b_spot_paper.pk, "people": [w.b.people[0].pk]},
    ),
    "inspections:spot-code": Route(kwargs=lambda w: {"pk": _b_spot_check(w).pk}),
    "inspections:spot-start": Route(kwargs=lambda w: {"pk": _b_spot_check(w).pk}),
    "inspections:retest-code": Route(kwargs=lambda w: {"pk": _b_suspension(w).pk}),
    "training:dashboard": Route(list_page=True),
    "training:dashboard-chart": Route(),
    "api:inspection-list": Route(
        list_page=True,
        query=lambda w: {"org_unit": w.b.team.pk},
        body=lambda w: {"org_unit": str(w.b.mine.pk), **INSPECTION_BODY},
    ),
    "api:inspection-detail": Route(kwargs=lambda w: {"pk": _b_inspection(w).pk}),
    # question bank and exam papers
    "training:question-list": Route(list_page=True),
    "training:question-create": Route(body=lambda w: {"org_unit": w.b.hq.pk, **QUESTION_BODY}),
    "training:question-detail": Route(kwargs=lambda w: {"pk": _b_question(w).pk}),
    "training:question-edit": Route(kwargs=lambda w: {"pk": _b_question(w).pk}, body=lambda w: QUESTION_BODY),
    "training:question-retire": Route(kwargs=lambda w: {"pk": _b_question(w).pk}),
    "training:question-import": Route(
        body=lambda w: {"org_unit": w.b.hq.pk, "file": _xlsx()}, multipart=True
    ),
    "training:question-import-template": Route(),
    "training:question-export": Route(),
    "training:paper-list": Route(list_page=True),
    "training:paper-create": Route(body=lambda w: {"org_unit": w.b.hq.pk, **PAPER_BODY}),
    "training:paper-detail": Route(kwargs=lambda w: {"pk": _b_paper(w).pk}),
    "training:paper-edit": Route(kwargs=lambda w: {"pk": _b_paper(w).pk}, body=lambda w: PAPER_BODY),
    "api:question-list": Route(list_page=True, query=lambda w: {"org_unit": w.b.hq.pk}),
    "api:question-detail": Route(kwargs=lambda w: {"pk": _b_question(w).pk}),
    "api:paper-list": Route(list_page=True, query=lambda w: {"org_unit": w.b.hq.pk}),
    "api:paper-detail": Route(kwargs=lambda w: {"pk": _b_paper(w).pk}),
    # grading: self-assessments
    "grading:assessment-list": Route(list_page=True, query=lambda w: {"mine": w.b.mine.pk}),
    "grading:assessment-start": Route(body=_b_start_body),
    "grading:assessment-detail": Route(kwargs=_b_assessment_kwargs),
    "grading:assessment-item": Route(kwargs=_b_assessment_item_kwargs, body=lambda w: ITEM_SAVE_BODY),
    "grading:assessment-submit": Route(kwargs=_b_assessment_kwargs),
    "grading:assessment-evidence": Route(
        kwargs=lambda w: {"pk": _b_assessment(w).pk, "deduction_id": w.b_deduction.pk}
    ),
    "grading:assessment-review": Route(kwargs=_b_assessment_kwargs),
    "grading:assessment-review-start": Route(kwargs=_b_assessment_kwargs),
    "grading:assessment-adjust": Route(
        kwargs=_b_assessment_item_kwargs, body=lambda w: {"review_score": "1", "comment": "越界"}
    ),
    "grading:assessment-approve": Route(kwargs=_b_assessment_kwargs),
    "grading:assessment-return": Route(kwargs=_b_assessment_kwargs, body=lambda w: {"comment": "越界"}),
    "grading:assessment-report": Route(kwargs=_b_assessment_kwargs),
    "api:assessment-list": Route(
        list_page=True,
        query=lambda w: {"mine": w.b.mine.pk},
        body=lambda w: {k: str(v) for k, v in _b_start_body(w).items()},
    ),
    "api:assessment-detail": Route(kwargs=_b_assessment_kwargs),
    "api:assessment-item": Route(
        kwargs=_b_assessment_item_kwargs,
        body=lambda w: {"deductions": [{"points": 1, "reason": "越界"}], "row_version": 1},
    ),
    "api:assessment-result": Route(kwargs=_b_assessment_kwargs),
    "api:assessment-submit": Route(kwargs=_b_assessment_kwargs),
    # API
    "api:api-me": Route(),
    "api:org-unit-list": Route(
        list_page=True, body=lambda w: {"parent": str(w.b.subsidiary.pk), "kind": "team", "name": "越界"}
    ),
    "api:org-unit-detail": Route(kwargs=lambda w: {"pk": w.b.subsidiary.pk}, body=lambda w: {"name": "改名"}),
    "api:org-unit-move": Route(
        kwargs=lambda w: {"pk": w.b.other_team.pk}, body=lambda w: {"parent": w.b.mine.pk}
    ),
    "api:mine-list": Route(list_page=True),
    "api:mine-detail": Route(kwargs=lambda w: {"pk": w.b.mine.pk}, body=lambda w: {"region_code": "110101"}),
    "api:person-list": Route(
        list_page=True,
        query=lambda w: {"org_unit": w.b.team.pk},
        body=lambda w: {"org_unit": str(w.b.team.pk), **PERSON_BODY},
    ),
    "api:person-detail": Route(kwargs=lambda w: {"pk": _b_person(w).pk}, body=lambda w: {"name": "改名"}),
    "api:person-reveal-resident-id": Route(kwargs=lambda w: {"pk": _b_person(w).pk}),
    "api:person-import-xlsx": Route(
        body=lambda w: {"org_unit": str(w.b.team.pk), "file": _xlsx()}, multipart=True
    ),
    "api:person-export-xlsx": Route(query=lambda w: {"org_unit": w.b.team.pk}),
    "api:person-import-template": Route(),
    "api:membership-list": Route(
        list_page=True,
        body=lambda w: {"person": str(w.b.worker_person.pk), "org_unit": str(w.a.hq.pk), "role": "worker"},
    ),
    "api:membership-detail": Route(kwargs=lambda w: {"pk": w.b_membership.pk}),
    "api:membership-password-reset": Route(kwargs=lambda w: {"pk": w.b_membership.pk}),
    "api:api-password-change": Route(own_credentials=True),
    "api:audit-event-list": Route(list_page=True),
    "api:job-detail": Route(kwargs=lambda w: {"pk": w.b_job.pk}),
    "api:api-token-list": Route(list_page=True, own_credentials=True),
    "api:api-token-detail": Route(kwargs=lambda w: {"pk": w.b_token.pk}, own_credentials=True),
    "api:job-input": Route(kwargs=lambda w: {"pk": w.b_job.pk}),
    "api:my-exams": Route(list_page=True),
    "api:exam-attempt-start": Route(kwargs=lambda w: (_b_attempt(w), {"paper_id": w.b_exam_paper.pk})[1]),
    "api:attempt-detail": Route(kwargs=_b_attempt_kwargs),
    "api:attempt-answer": Route(
        kwargs=lambda w: {"attempt_id": _b_attempt(w).pk, "question_id": w.b_attempt_question.pk},
        body=_b_answer_body,
    ),
    "api:attempt-submit": Route(kwargs=_b_attempt_kwargs),
    # grading: standards library
    "grading:standard-list": Route(list_page=True),
    "grading:standard-detail": Route(kwargs=lambda w: {"pk": _b_standard(w).standard_id}),
    "grading:version-detail": Route(kwargs=lambda w: {"pk": _b_standard(w).pk}),
    "grading:version-export": Route(kwargs=lambda w: {"pk": _b_standard(w).pk}),
    # Names no object: the group's own standard; without a file the form is refused (400).
    "grading:standard-import": Route(),
    "grading:standard-import-template": Route(),
    "grading:standard-import-job": Route(kwargs=lambda w: {"pk": w.b_job.pk}),
    # The platform operator's page: every tenant user and regulator gets 403.
    "grading:standard-national-import": Route(),
    "api:grading-standard-list": Route(list_page=True),
    "api:grading-standard-detail": Route(kwargs=lambda w: {"pk": _b_standard(w).standard_id}),
    "api:grading-version-detail": Route(kwargs=lambda w: {"pk": _b_standard(w).pk}),
    # grading: grade certificates, accidents, production status, dashboard
    "grading:certificate-list": Route(list_page=True, query=lambda w: {"unit": w.b.subsidiary.pk}),
    "grading:certificate-detail": Route(kwargs=lambda w: {"pk": _b_grade_certificate(w).pk}),
    "grading:certificate-event": Route(
        kwargs=lambda w: {"pk": _b_grade_certificate(w).pk},
        body=lambda w: {"kind": "revoked", "occurred_on": "2026-02-01", "reason": "越界"},
    ),
    "grading:accident-list": Route(list_page=True, query=lambda w: {"mine": w.b.mine.pk}),
    "grading:accident-create": Route(body=lambda w: {"mine": w.b.mine.pk, **ACCIDENT_BODY}),
    "grading:accident-detail": Route(kwargs=lambda w: {"pk": _b_accident(w).pk}),
    "grading:dashboard": Route(list_page=True, query=lambda w: {"unit": w.b.subsidiary.pk}),
    "grading:dashboard-chart": Route(query=lambda w: {"unit": w.b.subsidiary.pk}),
    "grading:mine-list": Route(list_page=True, query=lambda w: {"unit": w.b.subsidiary.pk}),
    "grading:mine-status": Route(kwargs=lambda w: {"pk": w.b.mine.pk}),
    "api:grade-certificate-list": Route(list_page=True, query=lambda w: {"org_unit": w.b.subsidiary.pk}),
    "api:grade-certificate-detail": Route(kwargs=lambda w: {"pk": _b_grade_certificate(w).pk}),
    "api:grading-mine-list": Route(list_page=True, query=lambda w: {"org_unit": w.b.subsidiary.pk}),
    "api:grading-mine-detail": Route(kwargs=lambda w: {"pk": w.b.mine.pk}),
    "api:grading-accident-list": Route(
        list_page=True,
        query=lambda w: {"mine": w.b.mine.pk},
        body=lambda w: {"mine": str(w.b.mine.pk), **ACCIDENT_BODY},
    ),
    "api:grading-accident-detail": Route(kwargs=lambda w: {"pk": _b_accident(w).pk}),
    # duties: responsibility lists, signatures and duty assessments
    "duties:list-dashboard": Route(list_page=True),
    "duties:list-dashboard-chart": Route(),
    "duties:list-templates": Route(list_page=True),
    "duties:list-template-detail": Route(kwargs=lambda w: {"pk": _b_duty_list(w).template_id}),
    "duties:list-publish": Route(
        body=lambda w: {"post": _b_duty_list(w).post.pk, "org_unit": w.b.mine.pk, "lines": "越界 | | 越界"}
    ),
    "duties:list-import": Route(body=lambda w: {"org_unit": w.b.hq.pk, "file": _xlsx()}, multipart=True),
    "duties:list-import-template": Route(),
    "duties:post-list": Route(list_page=True),
    "duties:holder-list": Route(
        list_page=True,
        body=lambda w: {"employee_no": "A-000", "post": _b_duty_list(w).post.pk, "since": "2026-01-01"},
    ),
    "duties:ack-list": Route(list_page=True, query=lambda w: {"unit": w.b.mine.pk}),
    "duties:my-lists": Route(list_page=True),
    "duties:list-sign": Route(
        kwargs=lambda w: {"version_id": _b_duty_list(w).version.pk}, body=lambda w: {"signed_name": "B员工0"}
    ),
    "duties:assessment-list": Route(list_page=True, query=lambda w: {"unit": w.b.mine.pk}),
    "duties:assessment-create": Route(kwargs=lambda w: {"holder_id": _b_duty_list(w).holder.pk}),
    "duties:assessment-detail": Route(kwargs=lambda w: {"pk": _b_duty_list(w).assessment.pk}),
    "duties:list-settings": Route(),
    "duties:person-list-pdf": Route(kwargs=lambda w: {"person_id": w.b.worker_person.pk}),
    "duties:mine-results-pdf": Route(kwargs=lambda w: {"mine_id": w.b.mine.pk}),
    "api:duty-post-list": Route(list_page=True),
    "api:duty-list-template-list": Route(list_page=True),
    "api:duty-list-template-detail": Route(kwargs=lambda w: {"pk": _b_duty_list(w).template_id}),
    "api:duty-list-version-list": Route(
        body=lambda w: {
            "post": str(_b_duty_list(w).post.pk),
            "org_unit": str(w.b.mine.pk),
            "items": [{"duty": "越界", "criterion": "越界"}],
        }
    ),
    "api:duty-list-version-detail": Route(kwargs=lambda w: {"pk": _b_duty_list(w).version.pk}),
    "api:duty-post-holder-list": Route(
        list_page=True,
        query=lambda w: {"org_unit": w.b.mine.pk},
        body=lambda w: {"person": str(w.b.worker_person.pk), "post": str(_b_duty_list(w).post.pk)},
    ),
    "api:duty-post-holder-detail": Route(kwargs=lambda w: {"pk": _b_duty_list(w).holder.pk}),
    "api:duty-my-list-list": Route(list_page=True),
    "api:duty-acknowledgement-list": Route(
        list_page=True, body=lambda w: {"version": str(_b_duty_list(w).version.pk), "signed_name": "B员工0"}
    ),
    "api:duty-assessment-list": Route(
        list_page=True,
        body=lambda w: {
            "holder": str(_b_duty_list(w).holder.pk),
            "day": "2026-01-15",
            "scores": [{"item": str(_b_duty_list(w).version.pk), "score": 1}],
        },
    ),
    "api:duty-assessment-detail": Route(kwargs=lambda w: {"pk": _b_duty_list(w).assessment.pk}),
    # contractors: pages
    "contractors:contractor-list": Route(list_page=True),
    "contractors:contractor-create": Route(),
    "contractors:contractor-detail": Route(kwargs=_b_contractor_kwargs),
    "contractors:contractor-edit": Route(kwargs=_b_contractor_kwargs),
    "contractors:contractor-status": Route(
        kwargs=_b_contractor_kwargs, body=lambda w: {"status": "blacklisted", "reason": "越界"}
    ),
    "contractors:qualification-create": Route(kwargs=_b_contractor_kwargs),
    "contractors:contractor-file": Route(kwargs=_b_contractor_kwargs),
    "contractors:contractor-export": Route(list_page=True),
    "contractors:contractor-import": Route(
        body=lambda w: {"org_unit": w.b.mine.pk, "file": _xlsx()}, multipart=True
    ),
    "contractors:contractor-import-template": Route(),
    "contractors:qualification-scan": Route(
        kwargs=lambda w: {"pk": (_b_outsourcing(w), w.b_qualification)[1].pk}
    ),
    "contractors:engagement-list": Route(list_page=True, query=lambda w: {"mine": w.b.mine.pk}),
    "contractors:engagement-create": Route(body=_b_engagement_body),
    "contractors:engagement-detail": Route(kwargs=_b_engagement_kwargs),
    "contractors:engagement-extend": Route(
        kwargs=_b_engagement_kwargs, body=lambda w: {"ends_on": "2028-01-01"}
    ),
    "contractors:staff-assign": Route(
        kwargs=_b_engagement_kwargs, body=lambda w: {"person": w.b.people[0].pk}
    ),
    "contractors:appraisal-create": Route(
        kwargs=_b_engagement_kwargs, body=lambda w: {"period": "2026-02", "score": 10}
    ),
    "contractors:staff-import": Route(
        kwargs=_b_engagement_kwargs, body=lambda w: {"file": _xlsx()}, multipart=True
    ),
    "contractors:staff-import-template": Route(),
    "contractors:staff-release": Route(kwargs=lambda w: {"pk": (_b_outsourcing(w), w.b_assignment)[1].pk}),
    "contractors:mine-outsourcing": Route(kwargs=lambda w: {"pk": w.b.mine.pk}),
    "contractors:dashboard": Route(list_page=True),
    "contractors:dashboard-chart": Route(),
    # contractors: API
    "api:contractor-list": Route(list_page=True),
    "api:contractor-detail": Route(kwargs=_b_contractor_kwargs),
    "api:contractor-set-status": Route(
        kwargs=_b_contractor_kwargs, body=lambda w: {"status": "blacklisted", "reason": "越界"}
    ),
    "api:contractor-qualification-list": Route(
        list_page=True,
        query=lambda w: {"contractor": _b_outsourcing(w).pk},
        body=lambda w: {
            "contractor": str(_b_outsourcing(w).pk),
            "kind": "construction",
            "number": "X-1",
            "issuer": "越界",
            "valid_from": "2026-01-01",
            "valid_until": "2029-01-01",
        },
    ),
    "api:contractor-qualification-detail": Route(
        kwargs=lambda w: {"pk": (_b_outsourcing(w), w.b_qualification)[1].pk}
    ),
    "api:contractor-engagement-list": Route(
        list_page=True, query=lambda w: {"mine": w.b.mine.pk}, body=_b_engagement_body
    ),
    "api:contractor-engagement-detail": Route(kwargs=_b_engagement_kwargs),
    "api:contractor-engagement-extend": Route(
        kwargs=_b_engagement_kwargs, body=lambda w: {"ends_on": "2028-01-01"}
    ),
    "api:contractor-staff-list": Route(
        list_page=True,
        query=lambda w: {"engagement": _b_engagement_kwargs(w)["pk"]},
        body=lambda w: {"engagement": str(_b_engagement_kwargs(w)["pk"]), "person": str(w.b.people[0].pk)},
    ),
    "api:contractor-staff-detail": Route(kwargs=lambda w: {"pk": (_b_outsourcing(w), w.b_assignment)[1].pk}),
    "api:contractor-staff-release": Route(kwargs=lambda w: {"pk": (_b_outsourcing(w), w.b_assignment)[1].pk}),
    "api:contractor-appraisal-list": Route(
        list_page=True,
        body=lambda w: {
            "engagement": str(_b_engagement_kwargs(w)["pk"]),
            "period": "2026-02-01",
            "score": 10,
        },
    ),
    "api:contractor-appraisal-detail": Route(
        kwargs=lambda w: {"pk": (_b_outsourcing(w), w.b_appraisal)[1].pk}
    ),
    "api:contractor-mine-list": Route(list_page=True),
    "api:contractor-mine-detail": Route(kwargs=lambda w: {"pk": w.b.mine.pk}),
    # points: pages
    "points:entry-list": Route(list_page=True),
    "points:me": Route(list_page=True),
    "points:entry-export": Route(list_page=True),
    "points:import": Route(body=lambda w: {"org_unit": w.b.mine.pk, "file": _xlsx()}, multipart=True),
    "points:import-template": Route(),
    "points:rules": Route(list_page=True),
    "points:threshold-set": Route(),
    "points:settings-set": Route(),
    "points:defaults-install": Route(),
    "points:entry-create": Route(body=_b_points_body),
    "points:entry-reverse": Route(kwargs=lambda w: {"pk": _b_points(w).entry.pk}),
    "points:watch": Route(list_page=True),
    "points:action-close": Route(kwargs=lambda w: {"pk": _b_points(w).action.pk}),
    "points:proposal-decide": Route(kwargs=lambda w: {"pk": _b_points(w).proposal.pk}),
    "points:team": Route(kwargs=lambda w: {"pk": w.b.team.pk}),
    "points:ranking": Route(list_page=True, query=lambda w: {"mine": w.b.mine.pk}),
    # points: API
    "api:points-entry-list": Route(list_page=True, body=_b_points_body),
    "api:points-entry-detail": Route(kwargs=lambda w: {"pk": _b_points(w).entry.pk}),
    "api:points-entry-reverse": Route(kwargs=lambda w: {"pk": _b_points(w).entry.pk}),
    "api:points-balance-list": Route(list_page=True),
    "api:points-ranking-list": Route(list_page=True),
    "api:points-ranking-detail": Route(kwargs=lambda w: {"pk": w.b.mine.pk}),
    # duties: the mine-manager posts and leaders on shift
    "duties:post-roster": Route(list_page=True, query=lambda w: {"unit": w.b.subsidiary.pk}),
    "duties:post-roster-export": Route(list_page=True, query=lambda w: {"unit": w.b.subsidiary.pk}),
    "duties:posts-dashboard": Route(list_page=True, query=lambda w: {"unit": w.b.subsidiary.pk}),
    "duties:posts-dashboard-chart": Route(query=lambda w: {"unit": w.b.subsidiary.pk}),
    "duties:mine-roster": Route(kwargs=lambda w: {"pk": w.b.mine.pk}),
    "duties:appointment-create": Route(
        kwargs=lambda w: {"pk": w.b.mine.pk},
        body=lambda w: {
            "post": "chief_engineer",
            "person": w.b.people[1].pk,
            "started_on": "2026-01-05",
            "education": 3,
            "years_experience": 5,
        },
    ),  # fmt: skip
    "duties:appointment-detail": Route(kwargs=lambda w: {"pk": _b_posts(w).b_appointment.pk}),
    "duties:appointment-end": Route(
        kwargs=lambda w: {"pk": _b_posts(w).b_appointment.pk}, body=lambda w: {"ended_on": "2026-02-01"}
    ),
    "duties:filing-list": Route(list_page=True, query=lambda w: {"mine": w.b.mine.pk}),
    "duties:filing-record": Route(
        kwargs=lambda w: {"pk": _b_posts(w).b_filing.pk}, body=lambda w: {"filed_on": "2026-01-10"}
    ),
    "duties:shift-coverage": Route(list_page=True, query=lambda w: {"unit": w.b.subsidiary.pk}),
    "duties:mine-shifts": Route(kwargs=lambda w: {"pk": w.b.mine.pk}),
    "duties:shift-plan-set": Route(
        kwargs=lambda w: {"pk": w.b.mine.pk}, body=lambda w: {**SHIFT_BODY, "leader": w.b.people[2].pk}
    ),
    "duties:shift-record-save": Route(
        kwargs=lambda w: {"pk": w.b.mine.pk},
        body=lambda w: {**SHIFT_BODY, "crew_down_at": "2026-03-03T15:00", "crew_up_at": "2026-03-03T23:00"},
    ),
    "duties:shift-import": Route(kwargs=lambda w: {"pk": w.b.mine.pk}, multipart=True),
    "duties:pithead-notice": Route(kwargs=lambda w: {"pk": w.b.mine.pk}),
    "api:duties-roster-list": Route(list_page=True, query=lambda w: {"org_unit": w.b.subsidiary.pk}),
    "api:duties-roster-detail": Route(kwargs=lambda w: {"pk": w.b.mine.pk}),
    "api:duties-appointment-list": Route(
        list_page=True,
        query=lambda w: {"mine": w.b.mine.pk},
        body=lambda w: {
            "mine": str(w.b.mine.pk),
            "post": "chief_engineer",
            "person": str(w.b.people[1].pk),
            "started_on": "2026-01-05",
            "education": 3,
            "years_experience": 5,
        },
    ),  # fmt: skip
    "api:duties-appointment-detail": Route(kwargs=lambda w: {"pk": _b_posts(w).b_appointment.pk}),
    "api:duties-appointment-end": Route(
        kwargs=lambda w: {"pk": _b_posts(w).b_appointment.pk}, body=lambda w: {"ended_on": "2026-02-01"}
    ),
    "api:duties-filing-list": Route(list_page=True, query=lambda w: {"mine": w.b.mine.pk}),
    "api:duties-filing-detail": Route(kwargs=lambda w: {"pk": _b_posts(w).b_filing.pk}),
    "api:duties-filing-file": Route(
        kwargs=lambda w: {"pk": _b_posts(w).b_filing.pk}, body=lambda w: {"filed_on": "2026-01-10"}
    ),
    "api:duties-shift-plan-list": Route(
        list_page=True,
        query=lambda w: {"mine": w.b.mine.pk},
        body=lambda w: {"mine": str(w.b.mine.pk), **SHIFT_BODY, "leader": str(w.b.people[2].pk)},
    ),
    "api:duties-shift-plan-detail": Route(kwargs=lambda w: {"pk": _b_posts(w).b_plan.pk}),
    "api:duties-shift-record-list": Route(
        list_page=True,
        query=lambda w: {"mine": w.b.mine.pk},
        body=lambda w: {
            "mine": str(w.b.mine.pk),
            **SHIFT_BODY,
            "crew_down_at": "2026-03-03T15:00:00Z",
            "crew_up_at": "2026-03-03T23:00:00Z",
        },
    ),  # fmt: skip
    "api:duties-shift-record-detail": Route(kwargs=lambda w: {"pk": _b_posts(w).b_shift.pk}),
    "api:duties-shift-coverage-list": Route(list_page=True, query=lambda w: {"org_unit": w.b.subsidiary.pk}),
    # hidden dangers: the register, the loop's steps, findings, dashboard, report, criteria
    "hazards:hazard-list": Route(list_page=True, query=lambda w: {"mine": w.b.mine.pk}),
    "hazards:hazard-create": Route(
        body=lambda w: {"mine": w.b.mine.pk, "found_on": "2026-03-02", **HAZARD_BODY}
    ),
    "hazards:hazard-report": Route(
        body=lambda w: {"mine": w.b.mine.pk, "location": "越界", "description": "越界"}
    ),
    "hazards:dashboard": Route(list_page=True),
    "hazards:dashboard-chart": Route(),
    "hazards:self-check-report": Route(query=lambda w: {"mine": w.b.mine.pk, "month": "2026-03"}),
    "hazards:quarterly-report": Route(query=lambda w: {"mine": w.b.mine.pk, "quarter": "2026-Q1"}),
    "hazards:inspection-findings": Route(
        kwargs=lambda w: {"pk": _b_inspection(w).pk}, body=lambda w: {"kind": "note", "text": "越界"}
    ),
    "hazards:hazard-detail": Route(kwargs=lambda w: {"pk": _b_hazard(w).pk}),
    "hazards:hazard-confirm": Route(
        kwargs=lambda w: {"pk": _b_hazard(w).pk}, body=lambda w: {"grade": "general"}
    ),
    "hazards:hazard-classify": Route(
        kwargs=lambda w: {"pk": _b_hazard(w).pk}, body=lambda w: {"grade": "major"}
    ),
    "hazards:hazard-reject": Route(kwargs=lambda w: {"pk": _b_hazard(w).pk}, body=lambda w: {"note": "越界"}),
    "hazards:hazard-plan": Route(kwargs=lambda w: {"pk": _b_hazard(w).pk}, body=lambda w: PLAN_BODY),
    "hazards:hazard-rectified": Route(
        kwargs=lambda w: {"pk": _b_hazard(w).pk}, body=lambda w: {"note": "越界"}
    ),
    "hazards:hazard-accept": Route(
        kwargs=lambda w: {"pk": _b_hazard(w).pk}, body=lambda w: {"passed": "0", "note": "越界"}
    ),
    "hazards:hazard-close": Route(kwargs=lambda w: {"pk": _b_hazard(w).pk}),
    "hazards:hazard-photo": Route(kwargs=lambda w: {"pk": _b_hazard(w).pk, "index": 0}),
    "hazards:hazard-event-photo": Route(
        kwargs=lambda w: {"pk": _b_hazard(w).pk, "event": w.b_hazard_event.pk, "index": 0}
    ),
    # Agency-owned records: another agency's, about tenant B's mine (regulators: see agency_records).
    "agency:inspection-list": Route(
        list_page=True, query=lambda w: {"mine": w.b.mine.pk}, agency_records=True
    ),
    "agency:inspection-create": Route(
        body=lambda w: {"mine": w.b.other_mine.pk, **AGENCY_INSPECTION_BODY},
        query=lambda w: {"mine": w.b.other_mine.pk},
        agency_records=True,
    ),
    "agency:inspection-detail": Route(
        kwargs=lambda w: {"pk": _b_agency_records(w).pk},
        body=lambda w: AGENCY_FINDING_BODY,
        agency_records=True,
    ),
    "agency:finding-register": Route(kwargs=lambda w: {"pk": _b_agency_finding(w).pk}, agency_records=True),
    "agency:spot-draw": Route(
        kwargs=lambda w: {"pk": _b_agency_records(w).pk},
        body=lambda w: {"paper": str(_b_agency_spot_check(w).paper_id), "count": 1},
        agency_records=True,
    ),
    "agency:spot-code": Route(kwargs=lambda w: {"pk": _b_agency_spot_check(w).pk}, agency_records=True),
    "agency:listing-list": Route(list_page=True, query=lambda w: {"mine": w.b.mine.pk}, agency_records=True),
    "agency:listing-create": Route(
        body=_listing_body, query=lambda w: {"hazard": _b_hazard(w).pk}, agency_records=True
    ),
    "agency:listing-detail": Route(
        kwargs=lambda w: {"pk": _b_listing(w).pk}, body=lambda w: {"note": "越界"}, agency_records=True
    ),
    "api:agency-inspection-list": Route(
        list_page=True,
        body=lambda w: {"mine": str(w.b.other_mine.pk), **AGENCY_INSPECTION_BODY},
        query=lambda w: {"mine": w.b.mine.pk},
        agency_records=True,
    ),
    "api:agency-inspection-detail": Route(
        kwargs=lambda w: {"pk": _b_agency_records(w).pk}, agency_records=True
    ),
    "api:agency-finding-list": Route(
        list_page=True,
        body=lambda w: {"inspection": str(_b_agency_records(w).pk), **AGENCY_FINDING_BODY},
        agency_records=True,
    ),
    "api:agency-finding-detail": Route(kwargs=lambda w: {"pk": _b_agency_finding(w).pk}, agency_records=True),
    "api:agency-finding-register": Route(
        kwargs=lambda w: {"pk": _b_agency_finding(w).pk}, agency_records=True
    ),
    "api:agency-spot-check-list": Route(
        list_page=True,
        body=lambda w: {
            "inspection": str(_b_agency_records(w).pk),
            "paper": str(_b_agency_spot_check(w).paper_id),
            "count": 1,
        },
        query=lambda w: {"inspection": _b_agency_records(w).pk},
        agency_records=True,
    ),
    "api:agency-spot-check-detail": Route(
        kwargs=lambda w: {"pk": _b_agency_spot_check(w).pk}, agency_records=True
    ),
    "api:agency-spot-check-code": Route(
        kwargs=lambda w: {"pk": _b_agency_spot_check(w).pk}, agency_records=True
    ),
    "api:agency-listing-list": Route(list_page=True, body=_listing_body, agency_records=True),
    "api:agency-listing-detail": Route(kwargs=lambda w: {"pk": _b_listing(w).pk}, agency_records=True),
    "api:agency-listing-close": Route(
        kwargs=lambda w: {"pk": _b_listing(w).pk}, body=lambda w: {"note": "越界"}, agency_records=True
    ),
    "api:hazard-list": Route(
        list_page=True,
        query=lambda w: {"mine": w.b.mine.pk},
        body=lambda w: {"mine": str(w.b.mine.pk), **HAZARD_BODY},
    ),
    "api:hazard-detail": Route(kwargs=lambda w: {"pk": _b_hazard(w).pk}),
    "api:hazard-confirm": Route(
        kwargs=lambda w: {"pk": _b_hazard(w).pk}, body=lambda w: {"grade": "general"}
    ),
    "api:hazard-classify": Route(kwargs=lambda w: {"pk": _b_hazard(w).pk}, body=lambda w: {"grade": "major"}),
    "api:hazard-reject": Route(kwargs=lambda w: {"pk": _b_hazard(w).pk}, body=lambda w: {"note": "越界"}),
    "api:hazard-plan": Route(kwargs=lambda w: {"pk": _b_hazard(w).pk}, body=lambda w: PLAN_BODY),
    "api:hazard-rectified": Route(kwargs=lambda w: {"pk": _b_hazard(w).pk}, body=lambda w: {"note": "越界"}),
    "api:hazard-accept": Route(
        kwargs=lambda w: {"pk": _b_hazard(w).pk}, body=lambda w: {"passed": False, "note": "越界"}
    ),
    "api:hazard-close": Route(kwargs=lambda w: {"pk": _b_hazard(w).pk}),
    "api:hazard-report": Route(
        body=lambda w: {"mine": str(w.b.mine.pk), "location": "越界", "description": "越界"}
    ),
    "api:inspection-finding-list": Route(
        list_page=True,
        query=lambda w: {"inspection": _b_inspection(w).pk},
        body=lambda w: {"inspection": str(_b_inspection(w).pk), "kind": "note", "text": "越界"},
    ),
    "api:inspection-finding-detail": Route(kwargs=lambda w: {"pk": _b_finding(w).pk}),
    "api:hazard-criterion-list": Route(list_page=True),
    # monitoring alarms: the queue, an alarm's steps, statistics, feed keys, import, the intake API
    "alarms:alarm-list": Route(list_page=True, query=lambda w: {"mine": w.b.mine.pk}),
    "alarms:alarm-detail": Route(kwargs=lambda w: {"pk": _b_alarm(w).pk}),
    "alarms:alarm-acknowledge": Route(
        kwargs=lambda w: {"pk": _b_alarm(w).pk}, body=lambda w: {"note": "越界"}
    ),
    "alarms:alarm-check": Route(kwargs=lambda w: {"pk": _b_alarm(w).pk}, body=lambda w: {"findings": "越界"}),
    "alarms:alarm-close": Route(
        kwargs=lambda w: {"pk": _b_alarm(w).pk}, body=lambda w: {"cause": "越界", "measures": "越界"}
    ),
    "alarms:stats": Route(list_page=True),
    "alarms:stats-chart": Route(),
    "alarms:deadlines": Route(list_page=True),
    "alarms:feed-list": Route(list_page=True, body=lambda w: {"mine": w.b.mine.pk, "name": "越界"}),
    "alarms:feed-revoke": Route(kwargs=lambda w: {"pk": _b_alarm(w) and w.b_alarm_feed.pk}),
    "alarms:alarm-import": Route(body=lambda w: {"org_unit": w.b.mine.pk, "file": _xlsx()}, multipart=True),
    "alarms:alarm-import-template": Route(),
    "api:alarm-list": Route(list_page=True, query=lambda w: {"mine": w.b.mine.pk}),
    "api:alarm-detail": Route(kwargs=lambda w: {"pk": _b_alarm(w).pk}),
    "api:alarm-acknowledge": Route(kwargs=lambda w: {"pk": _b_alarm(w).pk}, body=lambda w: {"note": "越界"}),
    "api:alarm-check": Route(kwargs=lambda w: {"pk": _b_alarm(w).pk}, body=lambda w: {"findings": "越界"}),
    "api:alarm-close": Route(
        kwargs=lambda w: {"pk": _b_alarm(w).pk}, body=lambda w: {"cause": "越界", "measures": "越界"}
    ),
    "api:alarm-stats": Route(list_page=True),
    # Only a mine's feed key posts here (tests/alarms/test_api.py: a key of tenant A naming B's mine
    # is 403 and stores nothing); a logged-in person, whoever, is 403.
    "api:alarm-ingest": Route(body=lambda w: {**ALARM_BODY, "mine": str(w.b.mine.pk)}),
}

ALARM_BODY = {
    "source_id": "越界-1",
    "system": "safety_monitoring",
    "kind": "gas",
    "point_code": "T0101",
    "occurred_at": "2026-03-01T08:00:00+08:00",
}


def _b_alarm(w):
    """An open alarm at tenant B's mine, with one step of history, and a feed key of that mine
    (made once per test world)."""
    if getattr(w, "b_alarm", None) is None:
        import datetime

        from compliance.alarms.models import Alarm, AlarmEvent, AlarmFeed

        at = datetime.datetime(2026, 3, 1, 8, tzinfo=datetime.UTC)
        with dangerously_platform_scope():
            w.b_alarm = Alarm.objects.create(
                tenant=w.b.tenant,
                mine=w.b.mine,
                system="safety_monitoring",
                kind="gas",
                point_code="B-T0101",
                location="B-1301 回风巷",
                occurred_at=at,
                source_id="B-ALARM-1",
                acknowledge_due_at=at,
                close_due_at=at,
                escalate_hq_at=at,
            )
            AlarmEvent.objects.create(tenant=w.b.tenant, alarm=w.b_alarm, action="escalate", at=at)
            w.b_alarm_feed = AlarmFeed.objects.create(
                tenant=w.b.tenant,
                mine=w.b.mine,
                name="B-监控系统",
                key_prefix="kaf_Bxxxxxxx",
                key_hash="b" * 64,
            )
    return w.b_alarm


def _b_alarms_fingerprint(t) -> list:
    from compliance.alarms.models import Alarm, AlarmEvent, AlarmFeed

    return [
        sorted(map(str, Alarm.objects.filter(tenant=t).values_list("pk", "status", "escalation"))),
        AlarmEvent.objects.filter(tenant=t).count(),
        sorted(map(str, AlarmFeed.objects.filter(tenant=t).values_list("pk", "revoked_at"))),
    ]


def _walk(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            if entry.app_name == "admin":
                continue  # Django admin: platform operator only, runs in the platform scope
            yield from _walk(entry, namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{prefix}{entry.name}"


def all_url_names() -> set[str]:
    names = set(_walk(get_resolver()))
    # drf-spectacular's and DRF's format-suffix variants are not used by the router we mount.
    return {n for n in names if not n.endswith("-format")}


def test_every_url_is_covered():
    uncovered = all_url_names() - set(ROUTES) - set(EXEMPT)
    assert not uncovered, f"URLs with no isolation coverage: {sorted(uncovered)} — add them to ROUTES"
    stale = set(ROUTES) - all_url_names()
    assert not stale, f"ROUTES names URLs that no longer exist: {sorted(stale)}"


@pytest.fixture
def matrix_world(world):
    with dangerously_platform_scope() as platform:
        world.b_membership = Membership.objects.filter(tenant=world.b.tenant, role=roles.SAFETY_MANAGER).get()
        world.b_job = job_start(
            scope=platform,
            user=world.b.users[roles.TENANT_ADMIN],
            kind="people_import",
            org_unit=world.b.team,
            params={"filename": "b.xlsx"},
            input_bytes=_xlsx().getvalue(),  # job-input must refuse a file that exists
            input_suffix=".xlsx",
        )
    world.b_token, _key = api_token_issue(user=world.b.users[roles.TENANT_ADMIN], name="B-集团脚本")
    return world


def _b_fingerprint(w) -> dict:
    """Everything of tenant B that a leak through a write would change."""
    _b_attempt(w)
    _b_duty_list(w)
    _b_outsourcing(w)
    _b_posts(w)  # made before the count: making them writes audit events
    _b_hazard(w)
    _b_agency_records(w)
    _b_points(w)
    _b_alarm(w)
    with dangerously_platform_scope():
        t = w.b.tenant
        return {
            "attempts": sorted(
                (str(a), s, str(sc))
                for a, s, sc in Attempt.objects.filter(tenant=t).values_list("pk", "status", "score")
            ),
            "answers": sorted(
                json.dumps(sel)
                for sel in AttemptQuestion.objects.filter(tenant=t).values_list("selected", flat=True)
            ),
            "units": sorted(OrgUnit.objects.filter(tenant=t).values_list("name", "path")),
            "people": sorted(
                Person.objects.filter(tenant=t).values_list("name", "employee_no", "org_unit_id", "status")
            ),
            "memberships": sorted(
                Membership.objects.filter(tenant=t).values_list("user_id", "role", "org_unit_id")
            ),
            "audit": AuditEvent.objects.filter(tenant=t).count(),
            "jobs": list(Job.objects.filter(tenant=t).values_list("status", flat=True)),
            "tokens": sorted(
                ApiToken.objects.filter(tenant=t).values_list("name", "revoked_at", "expires_at")
            ),
            "contractors": _b_outsourcing_fingerprint(t),
            "posts": _b_duties(t),
            "hazards": sorted(
                (str(pk), st, g, n)
                for pk, st, g, n in Hazard.objects.filter(tenant=t).values_list(
                    "pk", "status", "grade", "number"
                )
            ),
            "findings": Finding.objects.filter(tenant=t).count(),
            "agency_records": _b_agency_fingerprint(t),
            "points": _b_points_fingerprint(t),
            "alarms": _b_alarms_fingerprint(t),
        }


def _b_agency_fingerprint(t) -> list:
    from compliance.inspections.agency.models import AgencyFinding, AgencyInspection, SupervisionListing

    return [
        sorted(map(str, AgencyInspection.objects.filter(tenant=t).values_list("pk", "inspectors"))),
        sorted(map(str, AgencyFinding.objects.filter(tenant=t).values_list("pk", "text"))),
        sorted(
            map(str, SupervisionListing.objects.filter(tenant=t).values_list("pk", "status", "closing_note"))
        ),
        Hazard.objects.filter(tenant=t, agency_finding__isnull=False).count(),
    ]


def _b_outsourcing_fingerprint(t) -> list:
    from compliance.contractors.models import (
        Appraisal,
        Contractor,
        Engagement,
        Qualification,
        StaffAssignment,
    )

    return [
        sorted(Contractor.objects.filter(tenant=t).values_list("name", "status", "status_reason")),
        Qualification.objects.filter(tenant=t).count(),
        sorted(Engagement.objects.filter(tenant=t).values_list("contract_number", "ends_on")),
        sorted(StaffAssignment.objects.filter(tenant=t).values_list("person_id", "left_on")),
        Appraisal.objects.filter(tenant=t).count(),
    ]


def _b_duties(t) -> list:
    from compliance.duties.models import PostAppointment, PostFiling, ShiftPlan, ShiftRecord

    return [
        sorted(map(str, PostAppointment.objects.filter(tenant=t).values_list("post", "ended_on"))),
        sorted(map(str, PostFiling.objects.filter(tenant=t).values_list("kind", "filed_on"))),
        sorted(map(str, ShiftPlan.objects.filter(tenant=t).values_list("on_date", "shift", "leader_id"))),
        sorted(map(str, ShiftRecord.objects.filter(tenant=t).values_list("on_date", "shift", "crew_up_at"))),
    ]


def _b_markers(w) -> list[str]:
    with dangerously_platform_scope():
        ids = [str(pk) for pk in OrgUnit.objects.filter(tenant=w.b.tenant).values_list("pk", flat=True)]
        ids += [str(pk) for pk in Person.objects.filter(tenant=w.b.tenant).values_list("pk", flat=True)]
        people = list(Person.objects.filter(tenant=w.b.tenant).values_list("name", "resident_id_masked"))
    tokens = [str(w.b_token.pk), w.b_token.name, w.b_token.key_prefix]
    tokens += [_b_outsourcing(w).name, w.b_engagement.contract_number, w.b_qualification.number]
    tokens += [str(_b_points(w).entry.pk), "B-违章指挥", "B-三违"]
    tokens += [_b_alarm(w).point_code, w.b_alarm.location, w.b_alarm_feed.name, w.b_alarm_feed.key_prefix]
    return ids + [name for name, _m in people] + [w.b.tenant.name, w.b.mine.name, w.b.team.name] + tokens


def _send(client, method: str, url: str, route: Route, w, with_body: bool):
    data = route.body(w) if (with_body and route.body) else {}
    if method == "get":
        return client.get(url, route.query(w) if route.query else None)
    if route.multipart and method == "post":
        return client.post(url, data)  # multipart
    if url.startswith("/api/"):
        return getattr(client, method)(
            url, data=json.dumps(data, default=str), content_type="application/json"
        )
    return getattr(client, method)(url, data)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [roles.TENANT_ADMIN, roles.HQ_AUDITOR, roles.SAFETY_MANAGER, roles.WORKER])
def test_tenant_a_never_reaches_tenant_b(matrix_world, role):
    w = matrix_world
    client = login(w.a.users[role])
    before = _b_fingerprint(w)
    markers = _b_markers(w)
    failures = []
    for name, route in ROUTES.items():
        url = reverse(name, kwargs=route.kwargs(w) if route.kwargs else None)
        for method in ("get", *UNSAFE):
            response = _send(client, method, url, route, w, with_body=True)
            code = response.status_code
            names_b = (
                route.kwargs is not None
                or (route.body is not None and method != "get")
                or (route.query is not None and method == "get")
            )
            # 403 (role lacks the permission) and 405 (method not offered) are decided before any
            # lookup, so they reveal nothing about tenant B either.
            if names_b and code not in (403, 404, 405):
                failures.append(f"{method.upper()} {name}: {code}, expected 404")
            elif not names_b and 200 <= code < 400 and method != "get":
                failures.append(f"{method.upper()} {name}: {code} without naming any object")
            if 200 <= code < 300 and response.get("Content-Type", "").startswith(
                ("text/html", "application/json")
            ):
                body = response.content.decode()
                leaked = [m for m in markers if m in body]
                if leaked:
                    failures.append(f"{method.upper()} {name}: shows tenant B data {leaked[:3]}")
        if route.list_page:
            response = client.get(url)
            assert response.status_code in (200, 403), f"{name}: {response.status_code}"
    assert not failures, "\n".join(failures)
    assert _b_fingerprint(w) == before, "tenant B's data changed"


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["regulator_in", "regulator_out"])
def test_regulator_never_writes(matrix_world, who):
    """Every unsafe method on every URL is 403 for a regulator — for objects inside its
    jurisdiction (tenant B's Guizhou mine is inside regulator_in's) and outside it — except its
    own tokens and its agency's own records, where another login's or agency's object is 404."""
    w = matrix_world
    client = login(getattr(w, who))
    before = _b_fingerprint(w)
    failures = []
    for name, route in ROUTES.items():
        url = reverse(name, kwargs=route.kwargs(w) if route.kwargs else None)
        for method in UNSAFE:
            code = _send(client, method, url, route, w, with_body=True).status_code
            if route.own_credentials or route.agency_records:
                # Its own tokens or records only: another's is 404, an empty form 400, no such
                # method 405 (an agency with no mine in its region holds no grant: 403).
                allowed = (
                    (400, 404, 405) if who == "regulator_in" or route.own_credentials else (403, 404, 405)
                )
                if code not in allowed:
                    failures.append(f"{method.upper()} {name}: {code}, expected one of {allowed}")
                continue
            if code != 403:
                failures.append(f"{method.upper()} {name}: {code}, expected 403")
    assert not failures, "\n".join(failures)
    assert _b_fingerprint(w) == before


@pytest.mark.django_db
def test_anonymous_gets_nothing(matrix_world):
    w = matrix_world
    from django.test import Client

    client = Client()
    for name, route in ROUTES.items():
        url = reverse(name, kwargs=route.kwargs(w) if route.kwargs else None)
        response = client.get(url)
        if url.startswith("/api/"):
            assert response.status_code in (401, 403), f"{name}: {response.status_code}"
        else:
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], name
