"""Worked examples of the certificate rules of issue 14 (points 7-9): special-operation reviews and
the void certificate, the national catalogue of special operations, statutory versus internal
records, the practical re-exam after an absence, and the managers' assessment deadline.

Each test names its source; the rule values come from the shipped national pack
(``training.0010_certificate_rules_data``), verified or not as docs/training.md lists them."""

from __future__ import annotations

import datetime
import shutil
import subprocess

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client

from compliance.audit.models import AuditEvent
from compliance.rules.base import mark_verified, rule_kinds
from compliance.training import certificates as certs
from compliance.training import reviews
from compliance.training.models import (
    Certificate,
    CertificateReview,
    ExamPaper,
    PackValueSource,
    RulePack,
    SpecialOperationType,
)
from tenants import roles
from tenants.models import Person, PersonHold
from tenants.scope import dangerously_platform_scope

from ..conftest import login
from .test_certificates import make_cert

pytestmark = pytest.mark.django_db

D = datetime.date


def at(day: datetime.date):
    """Travel to 09:00 Beijing time on ``day`` (the rules are computed on the day)."""
    return time_machine.travel(
        datetime.datetime(day.year, day.month, day.day, 1, 0, tzinfo=datetime.UTC), tick=False
    )


def _source(field: str) -> PackValueSource:
    return PackValueSource.objects.get(pack__code="national-2015", field=field)


def _unverify(field: str) -> None:
    with dangerously_platform_scope():
        mark_verified(_source(field), by="测试", verified=False)


def _review_data(**over) -> dict:
    data = {
        "kind": "review",
        "reviewed_on": D(2024, 5, 20),
        "authority": "贵州省应急管理厅",
        "retraining_hours": "8",
    }
    return data | over


# --- 7. the review and the void certificate ----------------------------------------------------------


def test_the_shipped_values_carry_their_sources_and_flags(db):
    """令第30号 第十九、二十一、二十三条; managers: 令第44号 / 第92号. The values of the national
    pack, each with a source naming its document, verified where issue 14 states the reading."""
    pack = RulePack.objects.get(code="national-2015")
    expected = {
        "special_cert_valid_years": (6, True),
        "special_cert_review_years": (3, True),
        "special_cert_review_years_long_service": (6, True),
        "special_cert_long_service_years": (10, True),
        "special_cert_review_min_hours": (8, True),
        "special_reexam_after_absence_months": (6, False),
        "manager_apply_within_days": (30, True),
        "manager_pass_within_months": (6, True),
        "manager_resits_allowed": (1, True),
        "manager_wait_after_fail_months": (12, True),
        "internal_record_valid_years": (1, False),
    }
    for field, (value, verified) in expected.items():
        source = _source(field)
        assert getattr(pack, field) == value, field
        assert source.verified is verified and "令第" in source.source, field
    # The operator's tool lists them, and the catalogue, as rule kinds.
    assert {"training.pack_value", "training.special_operation"} <= {k.key for k in rule_kinds()}


def test_a_special_operation_certificate_with_a_missed_review_is_void(world, tmp_path):
    """令第30号 第二十一条 (reviewed every 3 years) and 第二十六条 (not reviewed on time: void).

    Issued 2021-06-01: valid to 2027-06-01, review due 2024-06-01. On 2024-06-01 it is valid; on
    2024-06-02, with no review recorded, it is void (失效) in the list, the API, the PDF and on the
    public QR page — on the day, with no nightly job."""
    person = world.a.people[1]
    cert = make_cert(person, number="T-VOID-1", issued_on=D(2021, 6, 1))
    assert (cert.expires_on, cert.review_due_on) == (D(2027, 6, 1), D(2024, 6, 1))
    client = login(world.a.users[roles.SAFETY_MANAGER])
    with at(D(2024, 6, 1)):
        assert certs.display_status(cert) == certs.Display.VALID
        assert client.get("/api/v1/certificates/").json()["results"][0]["display_status"] == "valid"
    with at(D(2024, 6, 2)):
        assert certs.display_status(cert) == certs.Display.VOID
        page = client.get("/training/certificates/").content.decode()
        assert 'class="status void"' in page and "失效（未按期复审）" in page
        void_only = client.get("/training/certificates/?status=void").content.decode()
        valid_only = client.get("/training/certificates/?status=valid").content.decode()
        assert "T-VOID-1" in void_only and "T-VOID-1" not in valid_only
        row = client.get("/api/v1/certificates/").json()["results"][0]
        assert row["display_status"] == "void" and row["status"] == "valid" and row["warning"] == ""
        public = Client().get(f"/training/verify/{cert.verify_token}/").content.decode()
        assert "失效" in public and 'data-testid="verify-status">有效' not in public
        detail = client.get(f"/training/certificates/{cert.pk}/").content.decode()
        assert "失效（未按期复审）" in detail
        if shutil.which("pdftotext"):
            response = client.get(f"/training/certificates/{cert.pk}/pdf/")
            path = tmp_path / "void.pdf"
            path.write_bytes(response.content)
            text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
            assert "失效" in text and "有效" not in text.replace("有效期", "")


def test_an_unverified_review_rule_only_warns(world):
    """DESIGN.md "Rules as data": with the review interval (令第30号 第二十一条) marked unverified,
    the missed review shows as a warning naming the source (待核实), and the certificate stays
    valid everywhere."""
    cert = make_cert(world.a.people[1], number="T-WARN-1", issued_on=D(2021, 6, 1))
    _unverify("special_cert_review_years")
    client = login(world.a.users[roles.SAFETY_MANAGER])
    with at(D(2024, 6, 2)):
        assert certs.display_status(cert) == certs.Display.VALID
        page = client.get("/training/certificates/").content.decode()
        assert 'class="status valid"' in page and "待核实" in page and "第二十一条" in page
        row = client.get("/api/v1/certificates/").json()["results"][0]
        assert row["display_status"] == "valid" and "第二十一条" in row["warning"]
        assert "有效" in Client().get(f"/training/verify/{cert.verify_token}/").content.decode()


def test_a_review_on_time_keeps_the_certificate_valid_and_is_audited(world):
    """令第30号 第二十一条 and 第二十三条: reviewed 2024-05-20 after 8 hours of retraining; the
    next review would fall 3 years after the one met (2027-06-01), which is the expiry date, where
    the certificate is renewed instead — so no review date is left and it stays valid to expiry."""
    cert = make_cert(world.a.people[1], number="T-REV-1", issued_on=D(2021, 6, 1))
    client = login(world.a.users[roles.SAFETY_MANAGER])
    with at(D(2024, 5, 25)):
        assert client.get(f"/training/certificates/{cert.pk}/review/").status_code == 200
        response = client.post(
            f"/training/certificates/{cert.pk}/review/",
            {
                "kind": "review",
                "reviewed_on": "2024-05-20",
                "authority": "贵州省应急管理厅",
                "retraining_hours": "8",
            },
        )
        assert response.status_code == 302
    with dangerously_platform_scope():  # no scope reads no tenant's rows (row-level security)
        cert.refresh_from_db()
        (review,) = CertificateReview.objects.filter(certificate=cert)
        assert (review.previous_due_on, review.next_due_on) == (D(2024, 6, 1), None)
        assert review.recorded_by == world.a.users[roles.SAFETY_MANAGER]
        actions = set(
            AuditEvent.objects.filter(object_id__in=[str(cert.pk), str(review.pk)]).values_list(
                "action", flat=True
            )
        )
    assert cert.review_due_on is None and actions >= {"create", "review"}
    with at(D(2026, 12, 1)):
        assert certs.display_status(cert) == certs.Display.VALID
        page = client.get(f"/training/certificates/{cert.pk}/").content.decode()
        assert "贵州省应急管理厅" in page and "2024-05-20" in page


def test_the_next_review_follows_the_interval_within_a_longer_validity(world):
    """令第30号 第二十一条, with a pack whose certificates run 9 years: reviewed by the 3-year date
    (2024-06-01), the next falls 3 years later (2027-06-01); with the longer interval granted to a
    holder 10 years in the operation, 6 years later — which passes the expiry, so none."""
    with dangerously_platform_scope():
        RulePack.objects.filter(code="national-2015").update(special_cert_valid_years=9)
    short = make_cert(world.a.people[1], number="T-9Y-1", issued_on=D(2021, 6, 1))
    long = make_cert(world.a.people[1], number="T-9Y-2", issued_on=D(2021, 6, 1), operation_type="hoist")
    assert short.expires_on == D(2030, 6, 1)
    with at(D(2024, 5, 25)), dangerously_platform_scope() as platform:
        reviews.record_review(scope=platform, cert=short, data=_review_data())
        reviews.record_review(
            scope=platform,
            cert=long,
            data=_review_data(extended=True, in_operation_since=D(2014, 3, 1)),
        )
    with dangerously_platform_scope():  # no scope reads no tenant's rows (row-level security)
        short.refresh_from_db()
        long.refresh_from_db()
    assert short.review_due_on == D(2027, 6, 1)
    assert long.review_due_on is None


@pytest.mark.parametrize(
    ("over", "field"),
    [
        # 令第30号 第二十六条: not reviewed on time → void; a later review does not restore it.
        ({"reviewed_on": D(2024, 6, 2)}, "reviewed_on"),
        # 令第30号 第二十三条: at least 8 hours of retraining before the review.
        ({"retraining_hours": "6"}, "retraining_hours"),
        ({"retraining_hours": ""}, "retraining_hours"),
        # 令第30号 第二十一条: the longer interval needs 10 continuous years in the operation.
        ({"extended": True, "in_operation_since": D(2016, 1, 1)}, "in_operation_since"),
        ({"extended": True}, "in_operation_since"),
        ({"authority": " "}, "authority"),
        ({"reviewed_on": D(2030, 1, 1)}, "reviewed_on"),
        ({"reviewed_on": D(2020, 1, 1)}, "reviewed_on"),
        ({"kind": "renewal"}, "kind"),
    ],
)
def test_review_errors_field_by_field_change_nothing(world, over, field):
    """令第30号 第二十一、二十三、二十六条: a bad review is refused on its field; nothing saved."""
    cert = make_cert(world.a.people[1], number="T-ERR-1", issued_on=D(2021, 6, 1))
    with at(D(2024, 6, 10)), dangerously_platform_scope() as platform:
        with pytest.raises(ValidationError) as caught:
            reviews.record_review(scope=platform, cert=cert, data=_review_data(**over))
        assert field in caught.value.message_dict, caught.value.message_dict
        assert not CertificateReview.objects.exists()
        cert.refresh_from_db()
    assert cert.review_due_on == D(2024, 6, 1)


def test_a_late_review_is_accepted_while_the_rule_is_unverified(world):
    """DESIGN.md "Rules as data": an unverified 第二十六条 reading refuses nothing."""
    cert = make_cert(world.a.people[1], number="T-LATE-1", issued_on=D(2021, 6, 1))
    _unverify("special_cert_review_years")
    with at(D(2024, 6, 10)), dangerously_platform_scope() as platform:
        review = reviews.record_review(
            scope=platform, cert=cert, data=_review_data(reviewed_on=D(2024, 6, 5))
        )
    assert review.previous_due_on == D(2024, 6, 1)


def test_review_page_shows_field_errors_and_only_managers_may_record(world):
    """令第30号 第二十三条 on the page: 6 hours is refused on its field (400), nothing saved; a
    worker may not record a review and tenant B's certificate is a 404."""
    cert = make_cert(world.a.people[1], number="T-PAGE-1", issued_on=D(2021, 6, 1))
    client = login(world.a.users[roles.SAFETY_MANAGER])
    with at(D(2024, 5, 25)):
        response = client.post(
            f"/training/certificates/{cert.pk}/review/",
            {
                "kind": "review",
                "reviewed_on": "2024-05-20",
                "authority": "应急管理厅",
                "retraining_hours": "6",
            },
        )
        assert response.status_code == 400
        page = response.content.decode()
        assert 'data-field="retraining_hours"' in page and "8" in page
        assert login(world.a.users[roles.WORKER]).get(
            f"/training/certificates/{cert.pk}/review/"
        ).status_code in (
            403,
            404,
        )
        assert (
            login(world.b.users[roles.SAFETY_MANAGER])
            .get(f"/training/certificates/{cert.pk}/review/")
            .status_code
            == 404
        )
    with dangerously_platform_scope():
        assert not CertificateReview.objects.exists()


def test_review_api_records_and_lists_with_field_errors(world):
    """令第30号 第二十一、二十三条 through the API: POST answers 201 or 400 field by field; GET lists."""
    cert = make_cert(world.a.people[1], number="T-API-1", issued_on=D(2021, 6, 1))
    client = login(world.a.users[roles.SAFETY_MANAGER])
    url = f"/api/v1/certificates/{cert.pk}/reviews/"
    with at(D(2024, 5, 25)):
        bad = client.post(
            url, {"reviewed_on": "2024-05-20", "authority": "应急管理厅", "retraining_hours": "4"}
        )
        assert bad.status_code == 400 and "retraining_hours" in bad.json()
        ok = client.post(
            url, {"reviewed_on": "2024-05-20", "authority": "应急管理厅", "retraining_hours": "8.0"}
        )
        assert ok.status_code == 201, ok.content
        assert ok.json()["previous_due_on"] == "2024-06-01" and ok.json()["next_due_on"] is None
        listed = client.get(url).json()
        assert [r["authority"] for r in listed] == ["应急管理厅"]
        assert login(world.b.users[roles.SAFETY_MANAGER]).get(url).status_code == 404
        assert login(world.regulator_in).post(
            url, {"reviewed_on": "2024-05-21", "authority": "x"}
        ).status_code in (
            403,
            404,
        )


# --- 7. the practical re-exam after an absence -------------------------------------------------------


def test_six_months_away_flags_a_practical_reexam_until_one_is_recorded(world):
    """令第30号 (离开特种作业岗位6个月以上, 重新进行实际操作考试). Absence is the person's
    ``absent_since``: away since 2024-01-10, on 2024-07-09 (under 6 months) no flag; on 2024-07-10
    the flag shows (as 待核实: the article is not verified); a re-exam on 2024-07-15 clears it."""
    person = world.a.people[1]
    cert = make_cert(person, number="T-ABS-1", issued_on=D(2023, 6, 1))
    with dangerously_platform_scope():
        Person.objects.filter(pk=person.pk).update(absent_since=D(2024, 1, 10))
    client = login(world.a.users[roles.SAFETY_MANAGER])
    with at(D(2024, 7, 9)):
        assert (
            "certificate-flag-practical_reexam"
            not in client.get(f"/training/certificates/{cert.pk}/").content.decode()
        )
    with at(D(2024, 7, 10)):
        page = client.get(f"/training/certificates/{cert.pk}/").content.decode()
        assert "certificate-flag-practical_reexam" in page and "实际操作考试" in page and "待核实" in page
        person_page = client.get(f"/people/{person.pk}/").content.decode()
        assert "certificate-flag-practical_reexam" in person_page
    with at(D(2024, 7, 16)), dangerously_platform_scope() as platform:
        reviews.record_review(
            scope=platform,
            cert=cert,
            data={"kind": "practical_reexam", "reviewed_on": D(2024, 7, 15), "authority": "应急管理厅"},
        )
        cert.refresh_from_db()
        assert cert.review_due_on == D(2026, 6, 1)  # a re-exam is no review: the due date stays
    with at(D(2024, 7, 16)):
        assert (
            "certificate-flag-practical_reexam"
            not in client.get(f"/training/certificates/{cert.pk}/").content.decode()
        )


# --- 8. the national catalogue -----------------------------------------------------------------------


def test_the_catalogue_has_the_mine_operations_of_the_national_list(db):
    """令第30号 附件《特种作业目录》5 (煤矿安全作业, 10 items) and 6 (金属非金属矿山安全作业, 8 items)."""
    rows = SpecialOperationType.objects.all()
    coal = {r.operation_type for r in rows if r.mine_group == "coal"}
    non_coal = {r.operation_type for r in rows if r.mine_group == "non_coal"}
    assert coal == {
        "electrician",
        "blasting",
        "monitoring",
        "gas_inspection",
        "safety_check",
        "hoist",
        "shearer",
        "gas_drainage",
        "outburst_prevention",
        "water_exploration",
    }
    assert non_coal == {
        "ventilation",
        "tailings",
        "safety_check",
        "hoist",
        "propping",
        "electrician",
        "drainage",
        "blasting",
    }
    assert all(r.verified and "特种作业目录" in r.source for r in rows)


def _record(world, person, operation_type, number):
    with dangerously_platform_scope() as platform:
        return certs.record_external(
            scope=platform,
            person=person,
            data={
                "kind": "special_operation",
                "operation_type": operation_type,
                "number": number,
                "issued_on": D(2025, 3, 1),
                "issuer": "应急管理厅",
            },
        )


@pytest.mark.parametrize(
    ("who", "operation_type"),
    [
        (1, "hydraulic_support"),  # 液压支架工: a mine post, in no list
        (1, "roadheader"),  # 掘进机 is one item with 采煤机 (5.7): recorded as shearer
        (1, "ventilation"),  # 通风 is a metal/non-metal item (6.1), not a coal one
        (3, "gas_inspection"),  # 瓦斯检查 is a coal item (5.4), not a metal/non-metal one
    ],
)
def test_an_operation_outside_the_catalogue_of_the_mine_is_refused(world, who, operation_type):
    """令第30号 附件《特种作业目录》: people[1] works in a coal mine, people[3] in a metal mine."""
    with pytest.raises(ValidationError) as caught:
        _record(world, world.a.people[who], operation_type, "T-CAT-1")
    assert "operation_type" in caught.value.message_dict
    assert "特种作业目录" in " ".join(caught.value.message_dict["operation_type"])
    with dangerously_platform_scope():
        assert not Certificate.objects.filter(number="T-CAT-1").exists()


def test_a_person_may_hold_several_special_operation_certificates(world):
    """令第30号 附件: a coal electrician who is also a gas inspector and a monitoring operator; a
    metal-mine holder of 支柱 (6.5) and 排水 (6.7)."""
    coal, metal = world.a.people[1], world.a.people[3]
    for i, op in enumerate(["electrician", "gas_inspection", "monitoring"]):
        _record(world, coal, op, f"T-C-{i}")
    for i, op in enumerate(["propping", "drainage"]):
        _record(world, metal, op, f"T-M-{i}")
    with dangerously_platform_scope():
        assert sorted(Certificate.objects.filter(person=coal).values_list("operation_type", flat=True)) == [
            "electrician",
            "gas_inspection",
            "monitoring",
        ]
        assert Certificate.objects.filter(person=metal).count() == 2


def test_existing_data_moves_to_the_catalogue_and_the_internal_records(world):
    """The data migration (issue 14, 8 and 9): a roadheader certificate becomes shearer (5.7), a
    hydraulic-support "special operation" certificate and every exam-issued certificate become
    internal training records (no review), and papers issue internal records."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("compliance.training.migrations.0010_certificate_rules_data")
    person = world.a.people[1]
    road = make_cert(person, number="OLD-1", operation_type="roadheader")
    support = make_cert(person, number="OLD-2", operation_type="hydraulic_support")
    exam = make_cert(person, number="OLD-3", kind="principal", source="exam")
    with dangerously_platform_scope():
        paper = ExamPaper.objects.create(
            tenant=person.tenant,
            org_unit=person.org_unit,
            title="旧取证卷",
            issues_certificate="special_operation",
        )

        class Editor:
            class connection:
                vendor = "sqlite"

        migration.ship(apps, Editor())
        road.refresh_from_db()
        support.refresh_from_db()
        exam.refresh_from_db()
        paper.refresh_from_db()
    assert (road.kind, road.operation_type) == ("special_operation", "shearer")
    assert (support.kind, support.review_due_on) == ("internal", None)
    assert exam.kind == "internal"
    assert paper.issues_certificate == "internal"


# --- 9. statutory versus internal ----------------------------------------------------------------------


def test_a_paper_cannot_issue_a_statutory_certificate_and_none_is_entered_as_internal(world):
    """Issue 14 (9): statutory certificates come from the issuing authority; a group's paper issues
    internal records only, and an internal record is never entered by hand."""
    from compliance.training import bank

    with dangerously_platform_scope() as platform:
        with pytest.raises(ValidationError) as caught:
            bank.paper_create(
                scope=platform,
                org_unit=world.a.mine,
                data={"title": "取证考试", "issues_certificate": "principal"},
                sections=[],
            )
        assert "issues_certificate" in caught.value.message_dict
        with pytest.raises(ValidationError) as caught:
            certs.record_external(
                scope=platform,
                person=world.a.people[1],
                data={"kind": "internal", "number": "IN-1", "issued_on": D(2025, 1, 1)},
            )
        assert "kind" in caught.value.message_dict


def _make_manager(world, started: datetime.date) -> Person:
    person = world.a.people[2]  # the principal of A一矿
    with dangerously_platform_scope():
        Person.objects.filter(pk=person.pk).update(post_started_on=started)
        return Person.objects.select_related("org_unit").get(pk=person.pk)


def test_a_manager_past_six_months_without_an_assessment_is_held_until_one_is_recorded(world):
    """安全生产培训管理办法 / 煤矿安全培训规定: pass the assessment within 6 months of taking the
    post. In post since 2024-01-15: on 2024-07-15 no hold; on 2024-07-16 the daily job holds them
    off post (verified rule, tenants.holds); recording the passed assessment lifts it."""
    person = _make_manager(world, D(2024, 1, 15))
    with at(D(2024, 7, 15)):
        assert reviews.check_all_managers() == 0
    with at(D(2024, 7, 16)):
        assert reviews.check_all_managers() == 1
        assert reviews.check_all_managers() == 1  # idempotent
        with dangerously_platform_scope():
            hold = PersonHold.objects.get(person=person, source=reviews.MANAGER_HOLD_SOURCE)
            assert hold.lifted_at is None
            assert Person.objects.get(pk=person.pk).status == Person.Status.SUSPENDED
        page = login(world.a.users[roles.SAFETY_MANAGER]).get(f"/people/{person.pk}/").content.decode()
        assert "certificate-flag-manager_assessment" in page
        with dangerously_platform_scope() as platform:
            certs.record_external(
                scope=platform,
                person=person,
                data={
                    "kind": "principal",
                    "number": "黔煤安考字〔2024〕第00001号",
                    "issued_on": D(2024, 7, 16),
                },
            )
            hold.refresh_from_db()
            assert hold.lifted_at is not None
            assert Person.objects.get(pk=person.pk).status == Person.Status.ON_POST


def test_an_unverified_manager_deadline_only_flags(world):
    """DESIGN.md "Rules as data": with the 6-month reading unverified, no hold is placed; the
    person page shows the flag with the source to check."""
    person = _make_manager(world, D(2024, 1, 15))
    _unverify("manager_pass_within_months")
    with at(D(2024, 9, 1)):
        assert reviews.check_all_managers() == 1
        with dangerously_platform_scope():
            assert not PersonHold.objects.filter(person=person).exists()
            assert Person.objects.get(pk=person.pk).status == Person.Status.ON_POST
        page = login(world.a.users[roles.SAFETY_MANAGER]).get(f"/people/{person.pk}/").content.decode()
        assert "certificate-flag-manager_assessment" in page and "待核实" in page


def test_within_thirty_days_nothing_then_a_reminder_to_apply(world):
    """Apply within 30 days of taking the post (a reminder, never a hold)."""
    person = _make_manager(world, D(2024, 1, 15))
    with at(D(2024, 2, 14)), dangerously_platform_scope():
        assert reviews.manager_flag(person, [], D(2024, 2, 14), certs.RuleBook.load()) is None
    with at(D(2024, 2, 15)), dangerously_platform_scope():
        flag = reviews.manager_flag(person, [], D(2024, 2, 15), certs.RuleBook.load())
        assert flag.key == "manager_apply" and not flag.binding


def test_the_operator_verifies_a_rule_with_the_command(db):
    """manage.py rules --verify training.pack_value:ID (audited by compliance.rules)."""
    source = _source("internal_record_valid_years")
    call_command("rules", "--verify", f"training.pack_value:{source.pk}", "--by", "张工")
    source.refresh_from_db()
    assert source.verified and source.verified_by == "张工"


def test_a_missed_review_counts_as_void_in_the_mine_figures_and_internal_records_not_at_all(world):
    """令第30号 第二十六条 in the regulator's file of a mine: the holder of a certificate whose
    review was missed is counted among people with a void certificate; a lapsed internal training
    record (the group's own, issue 14 point 9) is no statutory gap and counts nowhere."""
    from compliance.training import figures as training_figures
    from tenants.scope import activate

    a = world.a
    make_cert(a.people[1], number="T-FIG-1", issued_on=D(2021, 6, 1))
    make_cert(a.people[2], number="IN-FIG-1", kind="internal", issued_on=D(2024, 1, 2), source="exam")
    scope = a.scope(roles.TENANT_ADMIN)
    with at(D(2025, 3, 1)), activate(scope):
        figures = {f.key: f for f in training_figures.mine_figures(scope, [a.mine.pk])[a.mine.pk]}
    assert figures["training.certificates_void"].value == 1
    assert figures["training.certificates_due"].value == 0


def test_every_mistake_of_a_review_is_named_at_once(world):
    """令第30号 第二十三条 with a missing authority: both fields answer in one refusal."""
    cert = make_cert(world.a.people[1], number="T-ALL-1", issued_on=D(2021, 6, 1))
    with at(D(2024, 5, 25)), dangerously_platform_scope() as platform:
        with pytest.raises(ValidationError) as caught:
            reviews.record_review(
                scope=platform, cert=cert, data=_review_data(authority="", retraining_hours="2")
            )
    assert {"authority", "retraining_hours"} <= set(caught.value.message_dict)


def test_an_assessment_that_ran_out_since_is_no_missed_deadline(world):
    """The 6-month deadline (令第44号 / 第92号) asks for a passed assessment in the post; one that
    has since expired is shown as expired (3 years), not held as a missed deadline. A revoked one
    does not count."""
    person = _make_manager(world, D(2020, 3, 1))
    make_cert(person, number="M-OLD-1", kind="principal", issued_on=D(2020, 5, 1))  # to 2023-05-01
    revoked = make_cert(person, number="M-REV-1", kind="principal", issued_on=D(2020, 4, 1), status="revoked")
    with at(D(2024, 1, 10)), dangerously_platform_scope():
        book = certs.RuleBook.load()
        rows = list(Certificate.objects.filter(person=person))
        assert reviews.manager_flag(person, rows, D(2024, 1, 10), book) is None
        assert reviews.manager_flag(person, [revoked], D(2024, 1, 10), book).key == "manager_assessment"
