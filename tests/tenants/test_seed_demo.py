"""seed_demo, read: the demo built once (what it holds, who can log in).

The tests here only read the demo, so they share the one build per worker (``seeded_demo`` in
tests/conftest.py); each test rolls back its own changes. The tests that run
seed_demo themselves (twice, on a partial demo, failing half-way) are in test_commands.py.
"""

from __future__ import annotations

import datetime
import json
import re
from collections import Counter, defaultdict

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.test import Client
from django.utils import timezone
from stdnum.cn import ric, uscc

from compliance.audit.models import AuditEvent
from tenants import demo, roles
from tenants.models import Membership, MineProfile, OrgUnit, Person, RegulatorAgency, Tenant
from tenants.personal_data import decrypt
from tenants.scope import activate, dangerously_platform_scope
from tenants.selectors import mine_list, scope_for_user

from .test_commands import FIVE_POSTS, LOGIN_KEYS, TENANT_ROLES, mine_of

# Counts whole tables (the operator's view): runs without the shared test world.
pytestmark = pytest.mark.no_world

User = get_user_model()


@pytest.fixture
def seeded(seeded_demo):
    """seed_demo's ``--json`` output (the demo, built once per worker: tests/conftest.py)."""
    return seeded_demo.logins


@pytest.fixture(autouse=True)
def _operator_view():
    with dangerously_platform_scope():
        yield


@pytest.mark.django_db
def test_seed_demo_builds_the_promised_organisation(seeded):
    today = timezone.localdate()
    with dangerously_platform_scope():
        tenants = list(Tenant.objects.all())
        assert len(tenants) == 2
        assert all(uscc.is_valid(t.credit_code) for t in tenants)
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in t.name) for t in tenants)

        for tenant in tenants:
            assert OrgUnit.objects.filter(tenant=tenant, kind=OrgUnit.Kind.SUBSIDIARY).count() >= 2

        profiles = list(MineProfile.objects.select_related("org_unit"))
        assert len(profiles) >= 6
        assert len({p.mine_type for p in profiles}) >= 4
        provinces = {p.region_code[:2] for p in profiles}
        assert len(provinces) >= 2
        for profile in profiles:
            assert profile.org_unit.parent.kind == OrgUnit.Kind.SUBSIDIARY
            assert profile.mining_licence_no and profile.safety_licence_no and profile.business_licence_no
            assert uscc.is_valid(profile.business_licence_no)
            assert profile.mining_licence_expires and profile.safety_licence_expires
            if profile.mine_type != MineProfile.MineType.TAILINGS_POND:
                assert profile.rated_capacity and profile.rated_capacity > 0
            if profile.production_status == MineProfile.ProductionStatus.PRODUCING:
                assert profile.production_started_on and profile.production_started_on < today
            # Every mine has its teams (班组).
            assert OrgUnit.objects.filter(parent=profile.org_unit, kind=OrgUnit.Kind.TEAM).count() >= 2
        soon = today + datetime.timedelta(days=90)
        assert any(
            today <= d <= soon for p in profiles for d in (p.mining_licence_expires, p.safety_licence_expires)
        ), "some licence expires within 90 days"
        assert len({p.production_status for p in profiles}) >= 2
        team_names = set(OrgUnit.objects.filter(kind=OrgUnit.Kind.TEAM).values_list("name", flat=True))
        assert {"综采一队", "掘进二队", "机电队", "通风队", "运输队"} <= team_names

        # One regulator per province used, plus the national one; each with exactly one login.
        national = RegulatorAgency.objects.get(level=RegulatorAgency.Level.NATIONAL)
        assert national.name == "国家矿山安全监察局" and national.region_prefix == ""
        for province in provinces:
            agency = RegulatorAgency.objects.get(
                level=RegulatorAgency.Level.PROVINCIAL, region_prefix=province
            )
            assert agency.memberships.count() == 1
        assert national.memberships.count() == 1


@pytest.mark.django_db
def test_seed_demo_people_are_plentiful_valid_and_realistic(seeded):
    today = timezone.localdate()
    with dangerously_platform_scope():
        mines_by_id = {
            m.id.hex: m for m in OrgUnit.objects.filter(kind=OrgUnit.Kind.MINE).select_related("mine_profile")
        }
        people = list(Person.objects.select_related("org_unit"))
        assert len(people) >= 200

        for person in people:
            number = decrypt(person.resident_id_cipher)
            assert ric.is_valid(number), (person.name, number)
            mine = mine_of(person.org_unit, mines_by_id)
            assert number[:2] == mine.mine_profile.region_code[:2], "born in the mine's province"
            born = ric.get_birth_date(number)
            age = (today - born).days / 365.25
            assert 18 <= age <= 62, (person.name, born)
            assert 2 <= len(person.name) <= 4 and all("\u4e00" <= ch <= "\u9fff" for ch in person.name)
            assert person.job_title
            if person.post_category == Person.PostCategory.SPECIAL_OPERATION:
                assert person.operation_type
            else:
                assert not person.operation_type

        # Resident IDs and employee numbers are unique within each group.
        for tenant_id in {p.tenant_id for p in people}:
            mine_people = [p for p in people if p.tenant_id == tenant_id]
            assert len({p.employee_no for p in mine_people}) == len(mine_people)
            assert len({p.resident_id_digest for p in mine_people}) == len(mine_people)

        # A principal person in charge (主要负责人) at every mine, several safety managers, the five
        # manager posts at every coal mine, then special-operation workers, the rest ordinary.
        by_mine: dict[str, Counter] = defaultdict(Counter)
        titles_by_mine: dict[str, set] = defaultdict(set)
        for person in people:
            mine = mine_of(person.org_unit, mines_by_id)
            by_mine[mine.id.hex][person.post_category] += 1
            titles_by_mine[mine.id.hex].add(person.job_title)
        assert set(by_mine) == set(mines_by_id)
        for mine_id, tally in by_mine.items():
            assert tally[Person.PostCategory.PRINCIPAL] == 1
            assert tally[Person.PostCategory.SAFETY_MANAGEMENT] >= 2
            assert tally[Person.PostCategory.SPECIAL_OPERATION] >= 3
            if mines_by_id[mine_id].mine_profile.is_coal:
                assert FIVE_POSTS <= titles_by_mine[mine_id]
        totals = Counter(p.post_category for p in people)
        assert (
            totals[Person.PostCategory.PRINCIPAL]
            < totals[Person.PostCategory.SAFETY_MANAGEMENT]
            < totals[Person.PostCategory.SPECIAL_OPERATION]
        )
        assert totals[Person.PostCategory.OTHER] + totals[Person.PostCategory.SPECIAL_OPERATION] > 0.7 * len(
            people
        )
        titles = Counter(p.job_title for p in people)
        assert {"安全员", "瓦斯检查工", "电钳工", "采煤工"} <= set(titles)
        operations = {p.operation_type for p in people if p.operation_type}
        assert len(operations) >= 6

        # A few suspended from post (下岗) with a reason, a few gone; most on post.
        suspended = [p for p in people if p.status == Person.Status.SUSPENDED]
        left = [p for p in people if p.status == Person.Status.LEFT]
        assert 2 <= len(suspended) <= 0.1 * len(people)
        assert all(p.status_reason for p in suspended)
        assert 2 <= len(left) <= 0.1 * len(people)

        # Everything went through the services: each person has its audited creation.
        created = AuditEvent.dangerously_unscoped.filter(object_type="tenants.Person", action="create")
        assert created.count() == len(people)
        # ... and the trail holds the masked number only.
        numbers = {str(p.pk): decrypt(p.resident_id_cipher) for p in people}
        for event in created:
            assert numbers[event.object_id] not in json.dumps(event.after, ensure_ascii=False)
            assert "*" in event.after["resident_id"]


@pytest.mark.django_db
def test_seed_demo_grants_one_login_per_role_and_two_workers_per_group(seeded):
    with dangerously_platform_scope():
        for tenant in Tenant.objects.all():
            memberships = Membership.objects.filter(tenant=tenant).select_related("org_unit", "user")
            by_role = defaultdict(list)
            for m in memberships:
                by_role[m.role].append(m)
            for role in TENANT_ROLES:
                assert len(by_role[role]) == 1, (tenant, role)
            assert by_role[roles.TENANT_ADMIN][0].org_unit.kind == OrgUnit.Kind.HQ
            assert by_role[roles.HQ_AUDITOR][0].org_unit.kind == OrgUnit.Kind.HQ
            assert by_role[roles.SAFETY_MANAGER][0].org_unit.kind == OrgUnit.Kind.MINE
            assert by_role[roles.TEAM_LEADER][0].org_unit.kind == OrgUnit.Kind.TEAM
            workers = by_role[roles.WORKER]
            assert len(workers) >= 2
            for m in workers:
                person = Person.objects.get(user=m.user)
                assert person.org_unit == m.org_unit and person.status == Person.Status.ON_POST
            assert len({m.user_id for m in memberships}) == len(memberships), "one role per login"


@pytest.mark.django_db
def test_seed_demo_regulators_see_their_province_only(seeded):
    with dangerously_platform_scope():
        by_province = Counter(MineProfile.objects.values_list("region_code", flat=True))
    all_mines = sum(by_province.values())
    for agency in RegulatorAgency.objects.all():
        user = agency.memberships.get().user
        scope = scope_for_user(user)
        assert scope.is_regulator and scope.read_only
        with activate(scope):
            seen = list(mine_list(scope=scope).values_list("mine_profile__region_code", flat=True))
        if agency.level == RegulatorAgency.Level.NATIONAL:
            assert len(seen) == all_mines
        else:
            expected = sum(n for code, n in by_province.items() if code.startswith(agency.region_prefix))
            assert expected > 0
            assert len(seen) == expected and all(code.startswith(agency.region_prefix) for code in seen)


@pytest.mark.django_db
def test_seed_demo_json_lists_logins_that_work(seeded):
    out = seeded
    logins = json.loads(out)  # stdout is nothing but the JSON
    assert isinstance(logins, list) and len(logins) == len(demo.demo_logins())
    assert all(set(row) == LOGIN_KEYS for row in logins)
    assert len({row["username"] for row in logins}) == len(logins)
    assert len({row["password"] for row in logins}) == 1

    tenant_names = set(Tenant.objects.values_list("name", flat=True))
    for tenant in tenant_names:
        mine = [row for row in logins if row["tenant"] == tenant]
        assert {row["role"] for row in mine} >= TENANT_ROLES | {roles.WORKER}
        assert sum(row["role"] == roles.WORKER for row in mine) >= 2
    regulators = [row for row in logins if row["role"] == roles.REGULATOR]
    assert len(regulators) == RegulatorAgency.objects.count() == 4
    assert all(row["tenant"] is None for row in regulators)

    for row in logins:
        assert row["username"].isascii() and len(row["username"]) <= 14
        client_ok = Client().login(request=HttpRequest(), username=row["username"], password=row["password"])
        assert client_ok, row["username"]
        user = User.objects.get(username=row["username"])
        if row["role"] == roles.REGULATOR:
            assert user.agency_membership.agency.name == row["org_unit"]
            continue
        membership = Membership.dangerously_unscoped.select_related("org_unit", "tenant").get(user=user)
        assert membership.role == row["role"]
        assert membership.tenant.name == row["tenant"]
        assert membership.org_unit.name == row["org_unit"].split("/")[-1]
    # A wrong password does not get in.
    assert not Client().login(
        request=HttpRequest(), username=logins[0]["username"], password="wrong-password-2026"
    )


# --- issue 13, "Honest documents": the demo agrees with itself and with the README --------------

# Terms of coal mining only ("煤矿、非煤矿山…" in a rule for both is not one of them).
COAL_WORDS = ("瓦斯", "甲烷", "煤层", "煤尘", "采煤", "综采", "煤与瓦斯突出")


def _mines_by_id() -> dict:
    return {m.path.strip("/").split("/")[-1]: m for m in OrgUnit.objects.filter(kind=OrgUnit.Kind.MINE)}


@pytest.mark.django_db
def test_seed_demo_uses_coal_only_terms_at_coal_mines_only(seeded):
    """No coal-only special operation (a catalogue item of coal mines only, e.g. 瓦斯检查作业), and
    no exam question about gas or coal, reaches anyone at a metal/non-metal mine or tailings pond."""
    from compliance.training.models import (
        Attempt,
        AttemptQuestion,
        Certificate,
        Question,
        QuestionOption,
        SpecialOperationType,
    )

    catalogue = defaultdict(set)
    for group, operation in SpecialOperationType.objects.values_list("mine_group", "operation_type"):
        catalogue[group].add(operation)
    coal_only = catalogue["coal"] - catalogue["non_coal"]
    assert "gas_inspection" in coal_only
    mines = _mines_by_id()
    profiles = {p.org_unit_id: p for p in MineProfile.objects.all()}

    def coal(unit) -> bool:
        return profiles[mine_of(unit, mines).pk].mine_type.startswith("coal")

    for person in Person.objects.exclude(operation_type="").select_related("org_unit"):
        assert coal(person.org_unit) or person.operation_type not in coal_only, person
    for cert in Certificate.objects.exclude(operation_type="").select_related("person__org_unit"):
        assert coal(cert.person.org_unit) or cert.operation_type not in coal_only, cert
    non_coal_attempts = [
        a.pk for a in Attempt.objects.select_related("person__org_unit") if not coal(a.person.org_unit)
    ]
    assert non_coal_attempts, "the demo has exams taken at non-coal mines"
    drawn = set(
        AttemptQuestion.objects.filter(attempt_id__in=non_coal_attempts).values_list("question_id", flat=True)
    )
    assert drawn
    texts = {q.pk: [q.stem, q.explanation] for q in Question.objects.filter(pk__in=drawn)}
    for question_id, text in QuestionOption.objects.filter(question_id__in=drawn).values_list(
        "question_id", "text"
    ):
        texts[question_id].append(text)
    coal_terms = {
        words[0]: [w for w in COAL_WORDS if any(w in t for t in words)]
        for words in texts.values()
        if any(w in t for t in words for w in COAL_WORDS)
    }
    assert not coal_terms, coal_terms


@pytest.mark.django_db
def test_seed_demo_production_status_and_right_to_produce_agree(seeded):
    """A coal mine not permitted to produce (no valid grade) is not recorded as producing; every
    producing coal mine is permitted."""
    from compliance.grading import production

    mines = production.with_grading_status(
        OrgUnit.objects.filter(kind=OrgUnit.Kind.MINE).select_related("mine_profile")
    )
    statuses = production.statuses(mines)
    coal = [s for s in statuses if s.is_coal]
    assert any(s.permitted is False for s in coal), "the demo shows a coal mine that may not produce"
    for status in coal:
        producing = status.production_status == MineProfile.ProductionStatus.PRODUCING
        assert status.permitted or not producing, (status.mine.name, status.production_words)
        if not status.permitted:
            assert status.mine.mine_profile.production_status_since, "a stop is dated"


@pytest.mark.django_db
def test_seed_demo_matches_the_story_the_readme_tells(seeded):
    """The README's demo paragraph names the mines that may not produce, the downgrade after the
    fatal accident and the exam that issued an internal record; the dashboards say the same."""
    from pathlib import Path

    from django.conf import settings

    from compliance.grading import production
    from compliance.grading.models import GradeCertificate
    from compliance.training.models import Certificate

    readme = " ".join((Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8").split())
    story = readme[
        readme.index("For standardization grading the demo") : readme.index("The platform operator")
    ]
    named = set(re.findall(r"[\u4e00-\u9fff]+矿", story))
    not_permitted_sentence = re.search(r"one lapsed grade: (.+?) is not permitted to produce", story)
    readme_stopped = set(re.findall(r"[\u4e00-\u9fff]+矿", not_permitted_sentence.group(1)))
    statuses = production.statuses(
        production.with_grading_status(
            OrgUnit.objects.filter(kind=OrgUnit.Kind.MINE).select_related("mine_profile")
        )
    )
    by_name = {s.mine.name: s for s in statuses}
    assert named <= set(by_name), named - set(by_name)
    assert readme_stopped == {s.mine.name for s in statuses if s.permitted is False}
    assert all(by_name[name].mine.mine_profile.production_status == "suspended" for name in readme_stopped)
    warned = re.search(r"停产整顿\)\. (.+?) are past a re-check interval", story).group(1)
    for name in re.findall(r"[\u4e00-\u9fff]+矿", warned):
        assert by_name[name].permitted and by_name[name]._past_due, name  # 待核实, still permitted
    downgraded = GradeCertificate.objects.get(mine__name="大河边煤矿", status="valid")
    assert (downgraded.awarded_level, downgraded.level) == (1, 3) and "大河边煤矿 from 一级 to 三级" in story
    # "*-worker2 passed the group's own exam for their trade, which issued an internal training record"
    assert "internal training record" in readme
    for key in ("qn", "jt"):
        worker2 = Person.objects.get(user__username=f"{key}-worker2")
        issued = Certificate.objects.filter(person=worker2, source=Certificate.Source.EXAM)
        assert issued.exists() and set(issued.values_list("kind", flat=True)) == {"internal"}
        title = issued.first().attempt.paper.title
        assert "企业内部" in title and "特种作业安全技术" not in title, title


@pytest.mark.django_db
def test_seed_demo_grades_were_approved_when_they_were_awarded(seeded):
    """A grade awarded years ago was submitted and approved then: the report prints those dates
    next to the assessment date, so they may not be the day the demo was built."""
    from compliance.grading.models import Assessment, GradeCertificate

    for grade in GradeCertificate.objects.select_related("assessment"):
        assessment = grade.assessment
        assert assessment.status == Assessment.Status.APPROVED
        assert timezone.localdate(assessment.approved_at) == grade.awarded_on, grade
        assert assessment.assessed_on <= timezone.localdate(assessment.submitted_at) <= grade.awarded_on


@pytest.mark.django_db
def test_seed_demo_staff_logins_have_names_for_reports(seeded):
    """Reports name people by name and post: every staff login of the demo has a name."""
    for key in ("qn", "jt"):
        for role in ("admin", "auditor", "manager", "leader"):
            user = User.objects.get(username=f"{key}-{role}")
            assert re.fullmatch(r"[\u4e00-\u9fff]{2,4}", user.get_full_name()), user.username


@pytest.mark.django_db
def test_seed_demo_inspections_name_their_leader_and_date_their_suspensions(seeded):
    """The printed inspection record shows the leader (a login, by name) beside the list of
    inspectors, and the suspension beside the inspection's date: they agree."""
    from compliance.inspections.models import Inspection, Suspension

    inspections = list(Inspection.objects.select_related("leader"))
    assert len(inspections) == 2
    for inspection in inspections:
        assert f"{inspection.leader.get_full_name()}（组长）" in inspection.inspectors, inspection.inspectors
        suspensions = Suspension.objects.filter(spot_check__inspection=inspection)
        assert suspensions.exists()
        assert all(timezone.localdate(s.started_at) == inspection.date for s in suspensions)
