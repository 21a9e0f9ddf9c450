"""Self-assessments through the services: the worked examples of issue 5, optimistic concurrency,
validation that changes nothing, evidence, the review workflow, and the pages."""

from __future__ import annotations

import datetime
import io
import time
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.http import Http404
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from compliance import storage
from compliance.audit.models import AuditEvent
from compliance.grading import assessment_selectors, assessments, evidence, report
from compliance.grading.models import Accident, Assessment, Deduction, ItemScore
from compliance.grading.scoring import fmt, q2
from compliance.reports import evidence as stored_evidence
from tenants import roles
from tenants.scope import activate, dangerously_platform_scope
from tenants.selectors import scope_for_user

from ..conftest import login
from ..test_files import HUGE_PNG, TOO_MANY_PIXELS, no_decoding  # noqa: F401
from .factories import PDF, PNG, coal_like_version, items, percentage_version
from .pdf_factories import image_bytes

pytestmark = pytest.mark.django_db


def act(user, fn, **kwargs):
    """Call a service as ``user`` would, inside their scope."""
    scope = scope_for_user(user)
    with activate(scope):
        return fn(scope=scope, actor=user, **kwargs)


def start(world, version, mine=None, role=roles.SAFETY_MANAGER):
    return act(world.a.users[role], assessments.start, mine=mine or world.a.mine, version=version)


def save(
    world,
    assessment,
    item,
    deductions=(),
    *,
    role=roles.SAFETY_MANAGER,
    na=False,
    reason="",
    based_on="current",
):
    user = world.a.users[role]
    if based_on == "current":
        with dangerously_platform_scope():
            based_on = ItemScore.objects.get(assessment=assessment, item=item).row_version
    rows = [d if isinstance(d, dict) else {"points": d[0], "reason": d[1]} for d in deductions]
    return act(
        user,
        assessments.save_item,
        assessment=assessment,
        item=item,
        deductions=rows,
        not_applicable=na,
        reason=reason,
        based_on_version=based_on,
    )


def result(assessment, reviewed=False):
    with dangerously_platform_scope():
        return assessment_selectors.result(assessment, reviewed=reviewed)


def score_all(world, assessment, version, deductions=None, role=roles.SAFETY_MANAGER):
    for code, item in items(version).items():
        ds = (deductions or {}).get(code, [])
        if ds == "na":
            save(world, assessment, item, na=True, reason="本矿无此系统", role=role)
        else:
            save(world, assessment, item, ds, role=role)


def audit_count(world):
    with dangerously_platform_scope():
        return AuditEvent.objects.filter(tenant=world.a.tenant).count()


def _upload(name, content):
    return SimpleUploadedFile(name, content)


# --- start -------------------------------------------------------------------------------------------
def test_start_adds_every_item_once_and_is_audited(world):
    version = coal_like_version(items_per_part=3)
    before = audit_count(world)
    assessment = start(world, version)
    with dangerously_platform_scope():
        scores = ItemScore.objects.filter(assessment=assessment)
        assert scores.count() == 6
        assert set(scores.values_list("row_version", flat=True)) == {0}
    assert assessment.status == Assessment.Status.DRAFT
    assert assessment.assessed_on == timezone.localdate()
    assert audit_count(world) == before + 1
    # One open assessment per mine and version.
    with pytest.raises(ValidationError) as err:
        start(world, version)
    assert "standard_version" in err.value.message_dict


def test_start_refuses_a_standard_for_another_mine_type_or_out_of_force(world):
    coal = coal_like_version()
    metal = percentage_version()
    with pytest.raises(ValidationError) as err:
        start(world, metal)  # world.a.mine is an underground coal mine
    assert "standard_version" in err.value.message_dict
    old = coal_like_version(effective_from=datetime.date(2010, 1, 1), effective_to=datetime.date(2020, 6, 30))
    with pytest.raises(ValidationError):
        start(world, old)
    with pytest.raises(PermissionDenied):
        start(world, coal, role=roles.HQ_AUDITOR)  # reviews, never scores
    with dangerously_platform_scope():
        assert not Assessment.objects.filter(tenant=world.a.tenant).exists()
    assert start(world, metal, mine=world.a.other_mine, role=roles.TENANT_ADMIN).version == metal


# --- worked examples -----------------------------------------------------------------------------------
def test_percentage_example_2508_of_4000_with_343_not_applicable_is_68_6_level_3(world):
    version = percentage_version()
    admin = roles.TENANT_ADMIN  # the safety manager's grant is at the coal mine only
    assessment = start(world, version, mine=world.a.other_mine, role=admin)
    score_all(
        world,
        assessment,
        version,
        {
            "E1-1": [(400, "台账不全")],
            "E1-2": [(400, "培训记录缺失")],
            "E2-1": [(349, "隐患未闭环")],
            "E3-1": "na",
        },
        role=admin,
    )
    r = result(assessment)
    assert r.earned == Decimal(2508) and r.applicable_max == Decimal(3657)
    # Exact since issue 14 (point 6: thresholds compare on exact values); display rounds.
    assert q2(r.total) == Decimal("68.58") and fmt(r.total) == "68.6"
    assert r.level == 3
    assert r.progress == 100


def test_coal_total_91_with_a_key_part_at_86_is_level_2_and_says_why(world):
    version = coal_like_version(items_per_part=2)
    assessment = start(world, version)
    score_all(
        world,
        assessment,
        version,
        {"disaster-1": [("2.8", "瓦斯抽采不达标")], "basics-1": [("0.8", "制度未更新")]},
    )
    r = result(assessment)
    by_code = {p.code: p.score for p in r.parts}
    assert by_code == {"disaster": Decimal("86.00"), "basics": Decimal("96.00")}
    assert r.total == Decimal("91.00")
    assert r.level == 2
    assert "86 < 90" in r.blocking_rule and "重大灾害防治" in r.blocking_rule


def test_a_failed_veto_item_gives_no_level_whatever_the_total(world):
    version = coal_like_version(items_per_part=2, veto=True)
    assessment = start(world, version)
    score_all(world, assessment, version, {"basics-veto": [(1, "主要负责人未签安全承诺")]})
    r = result(assessment)
    assert r.total > 95
    assert r.level is None
    assert "basics-veto" in r.blocking_rule


def test_a_fatal_accident_within_the_look_back_rules_out_level_1(world):
    version = coal_like_version(items_per_part=2)
    assessment = start(world, version)
    score_all(world, assessment, version)
    assert result(assessment).level == 1
    day = timezone.localdate() - datetime.timedelta(days=100)
    with dangerously_platform_scope():
        Accident.objects.create(
            tenant=world.a.tenant, mine=world.a.mine, occurred_on=day, accident_class="general", deaths=1,
            description="运输事故",
        )  # fmt: skip
    r = result(assessment)
    assert r.total == Decimal("100.00")
    assert r.level == 2
    assert day.isoformat() in r.blocking_rule


# --- saving items ---------------------------------------------------------------------------------------
def test_two_saves_from_the_same_row_version_second_refused_first_kept(world):
    version = coal_like_version()
    assessment = start(world, version)
    item = items(version)["disaster-1"]
    first = save(world, assessment, item, [(2, "通风设施损坏")], based_on=0)
    assert first.row_version == 1
    audits = audit_count(world)
    with pytest.raises(assessments.StaleItemSave) as err:
        save(world, assessment, item, [(5, "另一人的判断")], role=roles.TENANT_ADMIN, based_on=0)
    assert world.a.users[roles.SAFETY_MANAGER].get_username() in err.value.message
    with dangerously_platform_scope():
        kept = ItemScore.objects.get(pk=first.pk)
        assert kept.row_version == 1 and kept.deducted == 2
        assert list(Deduction.objects.filter(item_score=kept).values_list("reason", flat=True)) == [
            "通风设施损坏"
        ]
    assert audit_count(world) == audits
    # Based on the version now saved, the second person's save goes through.
    again = save(world, assessment, item, [(5, "另一人的判断")], role=roles.TENANT_ADMIN, based_on=1)
    assert again.row_version == 2 and again.deducted == 5


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"deductions": [{"points": 11, "reason": "超过满分"}]}, "deductions"),
        ({"deductions": [{"points": 6, "reason": "甲"}, {"points": 5, "reason": "乙"}]}, "deductions"),
        ({"deductions": [{"points": 0, "reason": "零分"}]}, "deductions.0.points"),
        ({"deductions": [{"points": -1, "reason": "负分"}]}, "deductions.0.points"),
        ({"deductions": [{"points": "abc", "reason": "非数字"}]}, "deductions.0.points"),
        ({"deductions": [{"points": "1.234", "reason": "三位小数"}]}, "deductions.0.points"),
        ({"deductions": [{"points": 1, "reason": "  "}]}, "deductions.0.reason"),
        ({"not_applicable": True, "reason": ""}, "reason"),
        ({"not_applicable": True, "reason": "无", "deductions": [{"points": 1, "reason": "x"}]},
         "deductions"),
        ({"deductions": [{"points": 1, "reason": "x", "evidence": _upload("a.png", b"not a png")}]},
         "deductions.0.evidence"),
        ({"deductions": [{"points": 1, "reason": "x", "evidence": _upload("a.txt", b"hello")}]},
         "deductions.0.evidence"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_field_by_field_and_changes_nothing(world, kwargs, field):
    version = coal_like_version()
    assessment = start(world, version)
    item = items(version)["disaster-1"]
    save(world, assessment, item, [(1, "原有扣分")])
    audits = audit_count(world)
    with pytest.raises(ValidationError) as err:
        act(
            world.a.users[roles.SAFETY_MANAGER],
            assessments.save_item,
            assessment=assessment,
            item=item,
            deductions=kwargs.get("deductions", []),
            not_applicable=kwargs.get("not_applicable", False),
            reason=kwargs.get("reason", ""),
            based_on_version=1,
        )
    assert field in err.value.message_dict
    with dangerously_platform_scope():
        score = ItemScore.objects.get(assessment=assessment, item=item)
        assert (score.row_version, score.deducted, score.not_applicable) == (1, 1, False)
        assert list(score.deductions.values_list("reason", flat=True)) == ["原有扣分"]
    assert audit_count(world) == audits


def test_a_veto_item_may_be_not_applicable_only_with_a_reason(world):
    version = coal_like_version(veto=True)
    assessment = start(world, version)
    veto = items(version)["basics-veto"]
    with pytest.raises(ValidationError) as err:
        save(world, assessment, veto, na=True, reason="")
    assert "reason" in err.value.message_dict
    saved = save(world, assessment, veto, na=True, reason="本矿为露天开采，不涉及")
    assert saved.not_applicable and saved.reason


def test_evidence_is_stored_privately_kept_across_saves_and_served_only_in_scope(world, settings):
    version = coal_like_version()
    assessment = start(world, version)
    item = items(version)["disaster-1"]
    photo = SimpleUploadedFile("现场.png", PNG, content_type="image/png")
    save(
        world,
        assessment,
        item,
        [{"points": 1, "reason": "风门未关", "location": "1201 运输巷", "evidence": photo}],
    )
    with dangerously_platform_scope():
        deduction = Deduction.objects.get(item_score__assessment=assessment)
    stored = deduction.evidence
    assert stored and storage.read_bytes(stored) == PNG
    assert storage.private_storage().path(stored).startswith(str(settings.PRIVATE_MEDIA_ROOT))
    assert deduction.evidence_name == "现场.png" and deduction.location == "1201 运输巷"
    # Saved again with the row kept: the file stays; a second row brings a PDF.
    scan = SimpleUploadedFile("整改通知.pdf", PDF, content_type="application/pdf")
    save(
        world,
        assessment,
        item,
        [
            {"points": 1, "reason": "风门未关", "keep": deduction.pk},
            {"points": 2, "reason": "记录缺失", "evidence": scan},
        ],
    )
    with dangerously_platform_scope():
        rows = list(Deduction.objects.filter(item_score__assessment=assessment).order_by("position"))
    assert [r.evidence_name for r in rows] == ["现场.png", "整改通知.pdf"]
    url = reverse("grading:assessment-evidence", kwargs={"pk": assessment.pk, "deduction_id": rows[0].pk})
    response = login(world.a.users[roles.SAFETY_MANAGER]).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
    assert login(world.regulator_in).get(url).status_code == 200  # the mine is in Guizhou
    assert login(world.b.users[roles.TENANT_ADMIN]).get(url).status_code == 404
    assert login(world.regulator_out).get(url).status_code == 403  # no mine in its jurisdiction at all
    assert login(world.a.users[roles.WORKER]).get(url).status_code == 403


def test_a_kept_deduction_stays_recorded_by_its_author_when_someone_else_saves_the_item(world):
    version = coal_like_version()
    assessment = start(world, version)
    item = items(version)["disaster-1"]
    save(world, assessment, item, [("1.5", "风门未关")])
    with dangerously_platform_scope():
        first = Deduction.objects.get(item_score__assessment=assessment)
    admin = world.a.users[roles.TENANT_ADMIN]
    save(
        world,
        assessment,
        item,
        [{"points": "1.5", "reason": "风门未关", "keep": first.pk}, ("0.25", "记录缺失")],
        role=roles.TENANT_ADMIN,
    )
    with dangerously_platform_scope():
        kept, added = Deduction.objects.filter(item_score__assessment=assessment).order_by("position")
    assert (kept.created_by, kept.created_at) == (world.a.users[roles.SAFETY_MANAGER], first.created_at)
    assert added.created_by == admin and added.created_at > first.created_at


def test_a_photo_gets_its_thumbnail_when_stored_and_the_report_uses_it(world):
    version = coal_like_version()
    assessment = start(world, version)
    item = items(version)["disaster-1"]
    photo = SimpleUploadedFile("巷道.jpg", image_bytes(size=(2000, 1500)), content_type="image/jpeg")
    with TestCase.captureOnCommitCallbacks(execute=False) as queued:
        save(world, assessment, item, [{"points": 1, "reason": "巷道积水", "evidence": photo}])
    with dangerously_platform_scope():
        deduction = Deduction.objects.get(item_score__assessment=assessment)
    stored = deduction.evidence
    thumb = stored + stored_evidence.THUMB_SUFFIX
    # Made by a task once the save commits, not in the request.
    assert not storage.exists(thumb)
    for callback in queued:
        callback()
    with Image.open(io.BytesIO(storage.read_bytes(thumb))) as image:
        assert max(image.size) == stored_evidence.THUMB_PIXELS and image.format == "JPEG"
    # The report embeds the stored thumbnail as it is, rather than making one again.
    marker = image_bytes(size=(40, 30), color=(1, 2, 3))
    storage.save(thumb, marker, overwrite=True)
    with dangerously_platform_scope():
        context = report.report_context(assessment)
    assert list(context["images"].values()) == [marker]
    # Dropped from the item: the photo and its thumbnail go once the save commits.
    with TestCase.captureOnCommitCallbacks(execute=True):
        save(world, assessment, item, [{"points": 1, "reason": "巷道积水"}])
    assert not storage.exists(stored) and not storage.exists(thumb)


def test_evidence_of_a_rolled_back_save_is_swept_after_a_day_and_nothing_else(world, settings):
    version = coal_like_version()
    assessment = start(world, version)
    item = items(version)["disaster-1"]
    kept = SimpleUploadedFile("留存.jpg", image_bytes(size=(200, 150)), content_type="image/jpeg")
    with TestCase.captureOnCommitCallbacks(execute=True):  # committed: its thumbnail is made
        save(world, assessment, item, [{"points": 1, "reason": "巷道积水", "evidence": kept}])
    lost = SimpleUploadedFile("回滚.jpg", image_bytes(size=(200, 150)), content_type="image/jpeg")
    stored_before = set(storage.walk(""))
    with pytest.raises(RuntimeError), transaction.atomic():  # e.g. a later step of the request failed
        save(world, assessment, item, [{"points": 2, "reason": "回滚", "evidence": lost}])
        raise RuntimeError
    orphans = set(storage.walk("")) - stored_before
    assert len(orphans) == 1  # the photo, named by no deduction (its thumbnail waits for the commit)
    other = storage.save("grading/notes/x/readme.txt", b"not evidence")
    with dangerously_platform_scope():
        deduction = Deduction.objects.get(item_score__assessment=assessment)
    referenced = deduction.evidence

    assert evidence.sweep_orphans() == 0  # within the day's grace: a save may still be in progress
    assert all(storage.exists(p) for p in orphans)
    assert evidence.sweep_orphans(now=time.time() + 2 * 86400) == 1
    assert not any(storage.exists(p) for p in orphans)
    assert storage.exists(referenced) and storage.exists(referenced + stored_evidence.THUMB_SUFFIX)
    assert storage.exists(other)


def test_orphan_evidence_sweep_is_scheduled_daily():
    from django.conf import settings as conf

    from compliance.grading.tasks import sweep_orphan_evidence

    entry = conf.CELERY_BEAT_SCHEDULE["grading-sweep-orphan-evidence"]
    assert entry["task"] == sweep_orphan_evidence.name == "grading.tasks.sweep_orphan_evidence"


# --- workflow ----------------------------------------------------------------------------------------------
def test_submit_review_adjust_approve_keeps_both_figures_and_awards(world):
    version = coal_like_version(items_per_part=2)
    version.recheck_months = 36
    with dangerously_platform_scope():  # a national version: the operator's to change
        version.save()
    assessment = start(world, version)
    its = items(version)
    save(world, assessment, its["disaster-1"], [(1, "扣1分")])
    with pytest.raises(ValidationError):
        act(
            world.a.users[roles.SAFETY_MANAGER], assessments.submit, assessment=assessment
        )  # 3 items unscored
    score_all(world, assessment, version, {"disaster-1": [(1, "扣1分")]})
    before = audit_count(world)
    act(world.a.users[roles.SAFETY_MANAGER], assessments.submit, assessment=assessment)
    assert assessment.status == Assessment.Status.SUBMITTED and assessment.submitted_at
    with pytest.raises(assessments.WrongState):
        save(world, assessment, its["disaster-2"], [(1, "提交后修改")])
    with pytest.raises(PermissionDenied):
        act(world.a.users[roles.SAFETY_MANAGER], assessments.start_review, assessment=assessment)
    hq = world.a.users[roles.HQ_AUDITOR]
    act(hq, assessments.start_review, assessment=assessment)
    assert assessment.status == Assessment.Status.UNDER_REVIEW and assessment.reviewer == hq
    with pytest.raises(ValidationError) as err:
        act(hq, assessments.adjust, assessment=assessment, item=its["disaster-2"], review_score=2, comment="")
    assert "comment" in err.value.message_dict
    with pytest.raises(ValidationError):
        act(
            hq,
            assessments.adjust,
            assessment=assessment,
            item=its["disaster-2"],
            review_score=11,
            comment="超限",
        )
    act(
        hq,
        assessments.adjust,
        assessment=assessment,
        item=its["disaster-2"],
        review_score="2",
        comment="现场复核：通风设施缺陷",
    )
    mine_view, reviewed = result(assessment), result(assessment, reviewed=True)
    assert mine_view.total == Decimal("97.50") and mine_view.level == 1
    assert reviewed.total == Decimal("77.50") and reviewed.level is None  # 重大灾害防治 55 < 70
    with dangerously_platform_scope():
        score = ItemScore.objects.get(assessment=assessment, item=its["disaster-2"])
    assert (score.deducted, score.review_score) == (0, 2)  # both figures kept
    act(
        hq,
        assessments.adjust,
        assessment=assessment,
        item=its["disaster-2"],
        review_score=9,
        comment="复核后部分认可",
    )
    act(hq, assessments.approve, assessment=assessment)
    with dangerously_platform_scope():
        frozen = Assessment.objects.get(pk=assessment.pk)
        certificate = frozen.certificates.get()
    assert frozen.status == Assessment.Status.APPROVED and frozen.approved_at
    assert (frozen.total, frozen.level, frozen.blocking_rule) == (Decimal("95.00"), 1, "")
    assert certificate.level == 1 and certificate.mine_id == world.a.mine.pk
    with dangerously_platform_scope():
        actions = list(
            AuditEvent.objects.filter(tenant=world.a.tenant).order_by("seq").values_list("action", flat=True)
        )[before:]
    assert actions[:5] == ["submit", "review_start", "adjust_item", "adjust_item", "approve"]
    with pytest.raises(assessments.WrongState):
        act(hq, assessments.approve, assessment=assessment)


def test_return_to_mine_needs_a_comment_and_reopens_the_draft(world):
    version = coal_like_version()
    assessment = start(world, version)
    score_all(world, assessment, version)
    act(world.a.users[roles.SAFETY_MANAGER], assessments.submit, assessment=assessment)
    hq = world.a.users[roles.HQ_AUDITOR]
    with pytest.raises(ValidationError):
        act(hq, assessments.return_to_mine, assessment=assessment, comment=" ")
    act(hq, assessments.return_to_mine, assessment=assessment, comment="请补充瓦斯抽采证据")
    assert assessment.status == Assessment.Status.DRAFT and assessment.submitted_at is None
    with dangerously_platform_scope():
        assert assessments.last_return_comment(assessment) == "请补充瓦斯抽采证据"
    save(world, assessment, items(version)["disaster-1"], [(1, "补充")])


def test_a_regulator_can_read_but_never_write(world):
    version = coal_like_version()
    assessment = start(world, version)
    item = items(version)["disaster-1"]
    for fn, kwargs in [
        (assessments.start, {"mine": world.a.mine, "version": version}),
        (assessments.save_item, {"assessment": assessment, "item": item, "based_on_version": 0}),
        (assessments.submit, {"assessment": assessment}),
    ]:
        with pytest.raises(PermissionDenied):
            act(world.regulator_in, fn, **kwargs)
    scope = scope_for_user(world.regulator_in)
    with activate(scope):
        assert assessments.access_assessment(scope, assessment.pk) == assessment
    with activate(scope_for_user(world.regulator_out)) as out:
        with pytest.raises(Http404):
            assessments.access_assessment(out, assessment.pk)


# --- queries -----------------------------------------------------------------------------------------------
def _result_queries(world, items_per_part: int) -> int:
    version = coal_like_version(items_per_part=items_per_part)
    assessment = start(world, version)
    score_all(world, assessment, version, {"disaster-1": [(1, "a"), (1, "b")]})
    with dangerously_platform_scope(), CaptureQueriesContext(connection) as ctx:
        r = assessment_selectors.result(assessment, reviewed=True)
    assert r.items == 2 * items_per_part
    return len([q for q in ctx.captured_queries if "set_config(" not in q["sql"]])


def test_result_takes_the_same_queries_for_10_and_60_items(world):
    small = _result_queries(world, 5)
    with dangerously_platform_scope():
        Assessment.objects.all().update(status=Assessment.Status.APPROVED)  # frees the mine for a new start
    large = _result_queries(world, 30)
    assert small == large
    assert small <= 10


# --- pages ----------------------------------------------------------------------------------------------
def test_the_scoring_page_saves_an_item_with_htmx_and_refreshes_the_panel(world):
    version = coal_like_version(items_per_part=2)
    assessment = start(world, version)
    item = items(version)["disaster-1"]
    client = login(world.a.users[roles.SAFETY_MANAGER])
    page = client.get(reverse("grading:assessment-detail", kwargs={"pk": assessment.pk}))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="item-disaster-1"' in body and "result-panel" in body
    url = reverse("grading:assessment-item", kwargs={"pk": assessment.pk, "item_id": item.pk})
    data = {
        "row_version": "0",
        "d-0-points": "2.8",
        "d-0-reason": "瓦斯抽采不达标",
        "d-0-location": "1302 工作面",
    }
    response = client.post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-state="saved"' in html and 'hx-swap-oob="true"' in html
    assert 'data-testid="total">93' in html  # (86 + 100) / 2
    # The same page posting again from row version 0: refused, input kept, who saved named.
    stale = client.post(url, {**data, "d-0-points": "3", "d-0-reason": "另一判断"}, HTTP_HX_REQUEST="true")
    html = stale.content.decode()
    assert 'data-state="conflict"' in html and "另一判断" in html
    assert world.a.users[roles.SAFETY_MANAGER].get_username() in html
    # Bad input without htmx: 400, errors shown, nothing changed.
    bad = client.post(url, {"row_version": "1", "d-0-points": "0", "d-0-reason": ""})
    assert bad.status_code == 400
    with dangerously_platform_scope():
        assert ItemScore.objects.get(assessment=assessment, item=item).deducted == Decimal("2.8")


def test_pages_refuse_other_tenants_workers_and_regulator_writes(world):
    version = coal_like_version()
    assessment = start(world, version)
    item = items(version)["disaster-1"]
    urls = [
        reverse("grading:assessment-detail", kwargs={"pk": assessment.pk}),
        reverse("grading:assessment-review", kwargs={"pk": assessment.pk}),
    ]
    for url in urls:
        assert login(world.b.users[roles.TENANT_ADMIN]).get(url).status_code == 404
        assert login(world.a.users[roles.WORKER]).get(url).status_code == 403
        response = login(world.regulator_in).get(url)
        assert response.status_code == 200
        assert '<form method="post" action="/grading/' not in response.content.decode()
    item_url = reverse("grading:assessment-item", kwargs={"pk": assessment.pk, "item_id": item.pk})
    post = {"row_version": "0", "d-0-points": "1", "d-0-reason": "越权"}
    assert login(world.regulator_in).post(item_url, post).status_code == 403
    assert login(world.b.users[roles.TENANT_ADMIN]).post(item_url, post).status_code == 404
    assert login(world.a.users[roles.HQ_AUDITOR]).post(item_url, post).status_code == 403
    with dangerously_platform_scope():
        assert ItemScore.objects.get(assessment=assessment, item=item).row_version == 0


def test_the_list_page_takes_constant_queries(world):
    version = coal_like_version()
    client = login(world.a.users[roles.HQ_AUDITOR])
    start(world, version)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("grading:assessment-list")).status_code == 200
        return len([q for q in ctx.captured_queries if "set_config(" not in q["sql"]])

    few = count()
    with dangerously_platform_scope():
        for _n in range(12):
            Assessment.objects.create(
                tenant=world.a.tenant,
                mine=world.a.other_mine,
                version=version,
                assessed_on=timezone.localdate(),
                created_by=world.a.users[roles.SAFETY_MANAGER],
                status=Assessment.Status.APPROVED,
            )
    assert count() == few


def test_evidence_over_the_size_limit_is_refused(world, settings):
    settings.GRADING_EVIDENCE_MAX_BYTES = 32
    version = coal_like_version()
    assessment = start(world, version)
    item = items(version)["disaster-1"]
    big = _upload("大图.png", PNG + b"\x00" * 64)
    with pytest.raises(ValidationError) as err:
        save(world, assessment, item, [{"points": 1, "reason": "照片过大", "evidence": big}])
    assert "deductions.0.evidence" in err.value.message_dict
    assert not [name for name in storage.walk("") if name.endswith(".png")]


def test_the_scoring_and_review_pages_take_the_same_queries_for_10_and_60_items(world):
    client = login(world.a.users[roles.TENANT_ADMIN])
    counts = []
    for per_part, mine in ((5, world.a.mine), (30, world.a.mine)):
        version = coal_like_version(items_per_part=per_part)
        assessment = start(world, version, mine=mine, role=roles.TENANT_ADMIN)
        score_all(world, assessment, version, {"disaster-1": [(1, "a"), (2, "b")]}, role=roles.TENANT_ADMIN)
        pages = []
        for name in ("grading:assessment-detail", "grading:assessment-review"):
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(reverse(name, kwargs={"pk": assessment.pk})).status_code == 200
            pages.append(len([q for q in ctx.captured_queries if "set_config(" not in q["sql"]]))
        counts.append(pages)
    assert counts[0] == counts[1]


@pytest.mark.django_db
def test_items_are_listed_in_the_order_of_the_standards_tree(world):
    # The shipped coal standard: sections → specialities → items; item positions restart in each
    # speciality, so ordering by them alone would interleave the specialities.
    from compliance.grading.models import StandardVersion
    from compliance.grading.scoring import StandardSpec, _tree_order

    version = StandardVersion.objects.get(standard__code="coal", standard__owner_tenant=None, label="2024")
    assessment = start(world, version)
    with dangerously_platform_scope():
        listed = [row.item.part_id for row in assessment_selectors.item_rows(assessment)]
        spec = StandardSpec.load(version)
    tree = [p.id for p in _tree_order(spec.parts)]
    expected = [part for part in tree for _ in range(listed.count(part))]
    assert listed == expected
    assert len(set(listed)) > 10


def test_a_photo_above_the_pixel_limit_is_refused_on_its_field_before_decoding(world, no_decoding):  # noqa: F811
    version = coal_like_version()
    assessment = start(world, version)
    item = items(version)["disaster-1"]
    photo = SimpleUploadedFile("巷道.png", HUGE_PNG, content_type="image/png")  # 17.5 KB, 12000×12000
    with pytest.raises(ValidationError) as refused:
        save(world, assessment, item, [{"points": 1, "reason": "巷道积水", "evidence": photo}])
    assert refused.value.message_dict == {"deductions.0.evidence": [TOO_MANY_PIXELS]}
    assert no_decoding == []
    with dangerously_platform_scope():
        assert not Deduction.objects.filter(item_score__assessment=assessment).exists()


def test_the_thumbnailer_checks_the_pixel_limit_again_before_decoding(tmp_path, no_decoding):  # noqa: F811
    stored = tmp_path / "0123456789abcdef0123456789abcdef.png"  # e.g. stored before the limit
    stored.write_bytes(HUGE_PNG)
    assert stored_evidence.make_thumbnail(stored) == b""  # listed by name in the report instead
    assert no_decoding == []


def test_thumbnails_are_made_by_a_task_with_the_jobs_time_limits():
    from django.conf import settings as conf

    from compliance.grading.tasks import make_evidence_thumbnail

    assert make_evidence_thumbnail.soft_time_limit == conf.JOB_SOFT_TIME_LIMIT
    assert make_evidence_thumbnail.time_limit == conf.JOB_TIME_LIMIT
