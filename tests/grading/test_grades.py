"""Grade certificates: the award on approval (numbering, supersession, re-check date), events
applied by the rules (downgrade, failed spot check, revocation, re-check), the daily lapse job —
each recorded and audited."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal as D

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from compliance.audit.models import AuditEvent
from compliance.grading import grades
from compliance.grading.models import GradeCertificate, GradeEvent
from compliance.grading.tasks import lapse_overdue_grades
from tenants import roles
from tenants.scope import dangerously_platform_scope

from ..conftest import login
from .grade_helpers import approved_assessment, award, coal_version

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 30)
Kind = GradeEvent.Kind
Status = GradeCertificate.Status


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 6, 30, 12, tzinfo=datetime.UTC), tick=False):
        yield


def _audits(obj) -> list[str]:
    with dangerously_platform_scope():
        return list(
            AuditEvent.objects.filter(object_id=str(obj.pk)).order_by("seq").values_list("action", flat=True)
        )


def _events(cert) -> list[tuple]:
    with dangerously_platform_scope():
        return list(cert.events.order_by("created_at").values_list("kind", "from_level", "to_level"))


def test_award_numbers_per_tenant_and_year_sets_recheck_and_audits(world):
    user = world.a.users["hq_auditor"]
    first = award(world.a.mine, level=2, user=user, approved_on=datetime.date(2026, 3, 31))
    second = award(world.a.other_mine, level=3, user=user, approved_on=datetime.date(2026, 4, 2))
    other_tenant = award(world.b.mine, level=1, user=world.b.users["hq_auditor"])
    assert (first.number, second.number, other_tenant.number) == (
        "BZH-2026-0001",
        "BZH-2026-0002",
        "BZH-2026-0001",
    )
    assert first.level == first.awarded_level == 2
    assert first.awarded_on == datetime.date(2026, 3, 31)
    assert first.recheck_due == datetime.date(2029, 3, 31)  # 36 months
    assert first.status == Status.VALID
    assert _events(first) == [(Kind.AWARDED, None, 2)]
    assert _audits(first) == ["create"]
    with dangerously_platform_scope():
        event = first.events.get()
    assert "85" in event.reason and _audits(event) == ["create"]


def test_no_level_no_certificate(world):
    user = world.a.users["hq_auditor"]
    assessment = approved_assessment(world.a.mine, coal_version(), level=None, user=user)
    with dangerously_platform_scope():
        assert grades.award_from_assessment(assessment, actor=user) is None
        assert not GradeCertificate.objects.exists()
        assert not GradeEvent.objects.exists()


def test_new_award_supersedes_the_valid_certificate(world):
    user = world.a.users["hq_auditor"]
    old = award(world.a.mine, level=3, user=user, approved_on=datetime.date(2025, 6, 1))
    new = award(world.a.mine, level=2, user=user)
    with dangerously_platform_scope():
        old.refresh_from_db()
        assert old.status == Status.SUPERSEDED
        assert GradeCertificate.objects.filter(mine=world.a.mine, status=Status.VALID).get() == new
        assert old.number in new.events.get().reason
    assert "supersede" in _audits(old)
    assert new.number == "BZH-2026-0001" and old.number == "BZH-2025-0001"


def test_award_is_idempotent_per_assessment(world):
    user = world.a.users["hq_auditor"]
    assessment = approved_assessment(world.a.mine, coal_version(), level=1, user=user)
    with dangerously_platform_scope():
        first = grades.award_from_assessment(assessment, actor=user)
        again = grades.award_from_assessment(assessment, actor=user)
        assert first == again and GradeCertificate.objects.count() == 1


def test_no_recheck_months_no_due_date(world):
    user = world.a.users["hq_auditor"]
    version = coal_version(code="coal-norecheck", recheck_months=None)
    cert = award(world.a.mine, level=1, user=user, version=version)
    assert cert.recheck_due is None


def test_downgrade_to_a_lower_level_only(world):
    user = world.a.users["hq_auditor"]
    cert = award(world.a.mine, level=1, user=user, approved_on=datetime.date(2026, 1, 10))
    with dangerously_platform_scope():
        with pytest.raises(ValidationError) as exc:
            grades.record_event(cert, Kind.DOWNGRADED, actor=user, reason="x", occurred_on=TODAY, to_level=1)
        assert "to_level" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            grades.record_event(cert, Kind.DOWNGRADED, actor=user, reason=" ", occurred_on=TODAY, to_level=2)
        assert "reason" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            grades.record_event(
                cert,
                Kind.DOWNGRADED,
                actor=user,
                reason="x",
                occurred_on=datetime.date(2026, 1, 9),
                to_level=2,
            )
        assert "occurred_on" in exc.value.message_dict
        cert.refresh_from_db()
        assert cert.level == 1 and _events(cert) == [(Kind.AWARDED, None, 1)]  # nothing changed
        grades.record_event(
            cert, Kind.DOWNGRADED, actor=user, reason="监管抽查", occurred_on=TODAY, to_level=3
        )
        cert.refresh_from_db()
    assert cert.level == 3 and cert.awarded_level == 1 and cert.status == Status.VALID
    assert _events(cert)[-1] == (Kind.DOWNGRADED, 1, 3)
    assert _audits(cert) == ["create", "downgraded"]


@pytest.mark.parametrize(
    "level, score, outcome",
    [
        (1, "85", (Status.VALID, 2)),  # below 90, reaches 80 → 二级
        (1, "72.5", (Status.VALID, 3)),  # reaches 70 only → 三级
        (1, "65", (Status.REVOKED, 1)),  # below every rule → revoked, level kept as it was
        (2, "75", (Status.VALID, 3)),
        (3, "69.99", (Status.REVOKED, 3)),
    ],
)
def test_failed_spot_check_applies_the_level_rules(world, level, score, outcome):
    user = world.a.users["hq_auditor"]
    cert = award(world.a.mine, level=level, user=user, approved_on=datetime.date(2026, 1, 10))
    with dangerously_platform_scope():
        event = grades.record_event(
            cert, Kind.CHECK_FAILED, actor=user, reason="集团抽查", occurred_on=TODAY, check_score=score
        )
        cert.refresh_from_db()
    assert (cert.status, cert.level) == outcome
    assert event.check_score == D(score)
    assert event.to_level == (outcome[1] if outcome[0] == Status.VALID else None)


def test_a_spot_check_that_reaches_the_level_is_not_a_failure(world):
    user = world.a.users["hq_auditor"]
    cert = award(world.a.mine, level=2, user=user, approved_on=datetime.date(2026, 1, 10))
    with dangerously_platform_scope():
        with pytest.raises(ValidationError) as exc:
            grades.record_event(
                cert, Kind.CHECK_FAILED, actor=user, reason="x", occurred_on=TODAY, check_score=80
            )
        assert "check_score" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            grades.record_event(
                cert, Kind.CHECK_FAILED, actor=user, reason="x", occurred_on=TODAY, check_score=101
            )
        assert "check_score" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:  # the caller does not decide the level
            grades.record_event(
                cert, Kind.CHECK_FAILED, actor=user, reason="x", occurred_on=TODAY, check_score=75, to_level=2
            )
        assert "to_level" in exc.value.message_dict
        cert.refresh_from_db()
    assert cert.level == 2 and len(_events(cert)) == 1


def test_revoked_certificate_takes_no_more_events(world):
    user = world.a.users["hq_auditor"]
    cert = award(world.a.mine, level=2, user=user, approved_on=datetime.date(2026, 1, 10))
    with dangerously_platform_scope():
        grades.record_event(cert, Kind.REVOKED, actor=user, reason="弄虚作假", occurred_on=TODAY)
        cert.refresh_from_db()
        assert cert.status == Status.REVOKED
        with pytest.raises(ValidationError):
            grades.record_event(cert, Kind.DOWNGRADED, actor=user, reason="x", occurred_on=TODAY, to_level=3)
    assert _events(cert)[-1] == (Kind.REVOKED, 2, None)


def test_recheck_extends_the_due_date(world):
    user = world.a.users["hq_auditor"]
    cert = award(world.a.mine, level=2, user=user, approved_on=datetime.date(2023, 7, 15))
    assert cert.recheck_due == datetime.date(2026, 7, 15)
    with dangerously_platform_scope():
        grades.record_event(
            cert, Kind.RECHECKED, actor=user, reason="复查合格", occurred_on=TODAY, check_score=83
        )
        cert.refresh_from_db()
    assert cert.recheck_due == datetime.date(2029, 6, 30) and cert.level == 2
    assert _events(cert)[-1] == (Kind.RECHECKED, 2, 2)


def test_lapse_job_is_idempotent(world):
    user = world.a.users["hq_auditor"]
    overdue = award(world.a.mine, level=1, user=user, approved_on=datetime.date(2023, 6, 1))  # due 2026-06-01
    due_today = award(world.a.other_mine, level=2, user=user, approved_on=datetime.date(2023, 6, 30))
    other = award(
        world.b.mine, level=3, user=world.b.users["hq_auditor"], approved_on=datetime.date(2020, 1, 1)
    )
    assert lapse_overdue_grades.delay().get() == 2
    assert grades.lapse_overdue() == 0  # a second run changes nothing
    with dangerously_platform_scope():
        for cert in (overdue, due_today, other):
            cert.refresh_from_db()
        lapsed = overdue.events.get(kind=Kind.LAPSED)
        assert GradeEvent.objects.filter(kind=Kind.LAPSED).count() == 2
    assert (overdue.status, due_today.status, other.status) == (Status.LAPSED, Status.VALID, Status.LAPSED)
    assert lapsed.occurred_on == datetime.date(2026, 6, 2) and lapsed.from_level == 1
    assert _audits(overdue) == ["create", "lapsed"]


def test_lapse_job_is_scheduled_daily():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["grading-lapse-overdue-grades"]
    assert entry["task"] == "grading.tasks.lapse_overdue_grades"


# --- pages and API --------------------------------------------------------------------------------


def test_certificate_list_filters_and_excel_export(world):
    user = world.a.users["hq_auditor"]
    award(world.a.mine, level=1, user=user, approved_on=datetime.date(2026, 1, 5))
    lapsed = award(world.a.other_mine, level=3, user=user, approved_on=datetime.date(2023, 1, 5))
    grades.lapse_overdue()
    award(world.b.mine, level=2, user=world.b.users["hq_auditor"])
    client = login(world.a.users[roles.TENANT_ADMIN])
    html = client.get(reverse("grading:certificate-list")).content.decode()
    assert "BZH-2026-0001" in html and lapsed.number in html and "B一矿" not in html
    html = client.get(reverse("grading:certificate-list"), {"status": "lapsed"}).content.decode()
    assert lapsed.number in html and "BZH-2026-0001" not in html
    html = client.get(reverse("grading:certificate-list"), {"level": "1"}).content.decode()
    assert "BZH-2026-0001" in html and lapsed.number not in html
    response = client.get(
        reverse("grading:certificate-list"), {"unit": world.a.subsidiary.pk, "export": "xlsx"}
    )
    assert response["Content-Type"] == grades.XLSX
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 3 and {r[0] for r in rows[1:]} == {"BZH-2026-0001", lapsed.number}
    assert client.get(reverse("grading:certificate-list"), {"unit": world.b.subsidiary.pk}).status_code == 404


def test_event_form_records_by_the_rules_for_reviewers_only(world):
    cert = award(
        world.a.mine, level=1, user=world.a.users["hq_auditor"], approved_on=datetime.date(2026, 1, 5)
    )
    url = reverse("grading:certificate-event", args=[cert.pk])
    body = {
        "kind": "check_failed",
        "occurred_on": "2026-06-20",
        "check_score": "82",
        "reason": "集团季度抽查",
    }
    assert login(world.a.users[roles.SAFETY_MANAGER]).post(url, body).status_code == 403
    assert login(world.regulator_in).post(url, body).status_code == 403
    client = login(world.a.users[roles.HQ_AUDITOR])
    bad = client.post(url, body | {"check_score": "95"})
    assert bad.status_code == 400 and 'data-field="check_score"' in bad.content.decode()
    assert client.post(url, body | {"reason": ""}).status_code == 400
    with dangerously_platform_scope():
        cert.refresh_from_db()
        assert cert.level == 1 and cert.events.count() == 1  # nothing changed
    assert client.post(url, body).status_code == 302
    with dangerously_platform_scope():
        cert.refresh_from_db()
    assert cert.level == 2
    html = client.get(reverse("grading:certificate-detail", args=[cert.pk])).content.decode()
    assert html.count('data-testid="grade-event"') == 2 and "集团季度抽查" in html
    assert 'data-testid="record-event"' in html
    html = login(world.a.users[roles.SAFETY_MANAGER]).get(
        reverse("grading:certificate-detail", args=[cert.pk])
    )
    assert 'data-testid="record-event"' not in html.content.decode()


def test_tenant_b_cannot_see_tenant_a_certificates(world):
    cert = award(world.a.mine, level=1, user=world.a.users["hq_auditor"])
    client = login(world.b.users[roles.TENANT_ADMIN])
    assert client.get(reverse("grading:certificate-detail", args=[cert.pk])).status_code == 404
    assert (
        client.post(
            reverse("grading:certificate-event", args=[cert.pk]),
            {"kind": "revoked", "occurred_on": "2026-06-20", "reason": "越界"},
        ).status_code
        == 404
    )
    assert client.get(reverse("api:grade-certificate-detail", args=[cert.pk])).status_code == 404
    assert client.get(reverse("api:grade-certificate-list")).json()["count"] == 0
    assert cert.number not in client.get(reverse("grading:certificate-list")).content.decode()
    with dangerously_platform_scope():
        cert.refresh_from_db()
    assert cert.status == Status.VALID


def test_certificate_api_lists_with_history(world):
    cert = award(
        world.a.mine, level=1, user=world.a.users["hq_auditor"], approved_on=datetime.date(2026, 1, 5)
    )
    with dangerously_platform_scope():
        grades.record_event(cert, Kind.DOWNGRADED, actor=None, reason="下调", occurred_on=TODAY, to_level=2)
    client = login(world.regulator_in)  # the mine is in Guizhou: read-only across groups
    body = client.get(reverse("api:grade-certificate-list"), {"status": "valid"}).json()
    assert body["count"] == 1
    row = body["results"][0]
    assert (row["number"], row["awarded_level"], row["level"]) == (cert.number, 1, 2)
    assert [e["kind"] for e in row["events"]] == ["awarded", "downgraded"]
    assert client.get(reverse("api:grade-certificate-list"), {"level": "3"}).json()["count"] == 0
