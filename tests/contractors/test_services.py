"""Outsourcing rules (DOMAIN.md "Outsourcing", issue 16): the register per group, qualifications
and the holds they place, the caps on engagements (each as rule data, a verified one refuses and
names its document, an unverified one warns), sub-contracting, main ventilation, the coal
labour-only condition, the project manager's one post, staff and appraisals."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from compliance import registry
from compliance.audit.models import AuditEvent
from compliance.contractors import reminders, selectors, services
from compliance.contractors.models import Contractor, Engagement, OutsourcingRule, Qualification
from compliance.notifications.models import Notification
from tenants import roles
from tenants.models import MineProfile, Person, PersonHold
from tenants.scope import activate, dangerously_platform_scope

from .factories import TODAY, contractor, engage, engagement_data, person, qualify

pytestmark = pytest.mark.django_db
K = OutsourcingRule.Key


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 6, 30, 4, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def sm(world):
    return world.a.scope(roles.SAFETY_MANAGER)


def set_rule(key, *, value=None, verified=None):
    row = OutsourcingRule.objects.get(key=key)
    if value is not None:
        row.value = value
    if verified is not None:
        row.verified = verified
    row.save()


def set_capacity(mine, capacity):
    with dangerously_platform_scope():
        MineProfile.objects.filter(org_unit=mine).update(rated_capacity=capacity)


# --- contractors ---------------------------------------------------------------------------------
def test_credit_code_is_checked_by_its_check_character_field_by_field(world, sm):
    with activate(sm):
        with pytest.raises(ValidationError) as exc:
            services.contractor_create(
                scope=sm,
                data={
                    "name": "",
                    "credit_code": "91520000MA0000001X",
                    "legal_representative": "",
                    "work_kind": "x",
                },
            )
        assert {"name", "credit_code", "legal_representative", "work_kind"} <= set(exc.value.message_dict)
        assert not Contractor.objects.exists()


def test_same_company_in_two_groups_neither_sees_the_other(world):
    a, b = world.a.scope(roles.TENANT_ADMIN), world.b.scope(roles.TENANT_ADMIN)
    ca = contractor(a, name="黔通建设", code="91520000MA6DKQ0R9D", qualified=False)
    cb = contractor(b, name="黔通建设", code="91520000MA6DKQ0R9D", qualified=False)
    assert ca.pk != cb.pk
    with activate(a):
        assert list(selectors.contractor_list(scope=a)) == [ca]
        with pytest.raises(ValidationError) as exc:
            contractor(a, code="91520000MA6DKQ0R9D", qualified=False)
        assert "credit_code" in exc.value.message_dict


def test_phase_out_needs_a_reason_and_is_audited(world, sm):
    c = contractor(sm, qualified=False)
    with activate(sm):
        with pytest.raises(ValidationError) as exc:
            services.contractor_set_status(scope=sm, contractor=c, status="phased_out", reason="")
        assert "reason" in exc.value.message_dict
        services.contractor_set_status(scope=sm, contractor=c, status="phased_out", reason="两次考核不合格")
    with dangerously_platform_scope():  # row-level security: no scope reads nothing
        c.refresh_from_db()
    assert (c.status, c.status_reason, c.status_on) == ("phased_out", "两次考核不合格", TODAY)
    with dangerously_platform_scope():
        assert AuditEvent.objects.filter(object_id=str(c.pk), action="set_status").exists()


def test_an_auditor_and_a_regulator_may_not_write(world):
    with pytest.raises(PermissionDenied):
        contractor(world.a.scope(roles.HQ_AUDITOR), qualified=False)


# --- qualifications and holds --------------------------------------------------------------------
def test_missing_qualification_blocks_a_new_engagement_naming_the_rule(world, sm):
    c = contractor(sm, qualified=False)
    with pytest.raises(ValidationError) as exc:
        engage(sm, world.a, c)
    text = " ".join(exc.value.message_dict["contractor"])
    assert "总局令第62号" in text
    with activate(sm):
        assert not Engagement.objects.exists()


def test_expired_qualification_holds_staff_and_a_valid_one_lifts(world, sm):
    c = contractor(sm, until=TODAY + datetime.timedelta(days=10))
    result = engage(sm, world.a, c)
    worker = person(world.a)
    with activate(sm):
        services.staff_assign(scope=sm, engagement=result.engagement, person=worker)
    with dangerously_platform_scope():  # row-level security: no scope reads nothing
        worker.refresh_from_db()
    assert worker.employer == c.name and worker.status == Person.Status.ON_POST
    # Eleven days on the licence has lapsed: the daily job holds the staff.
    later = datetime.datetime(2026, 7, 11, 4, tzinfo=datetime.UTC)
    with time_machine.travel(later, tick=False):
        assert reminders.sync_all_holds() == 1
        assert reminders.sync_all_holds() == 1  # idempotent
    with dangerously_platform_scope():  # row-level security: no scope reads nothing
        worker.refresh_from_db()
    assert worker.status == Person.Status.SUSPENDED
    with dangerously_platform_scope():
        assert (
            PersonHold.objects.filter(
                person=worker, source=services.HOLD_SOURCE, lifted_at__isnull=True
            ).count()
            == 1
        )
    with time_machine.travel(later, tick=False):
        qualify(sm, c, until=TODAY + datetime.timedelta(days=400))
    with dangerously_platform_scope():  # row-level security: no scope reads nothing
        worker.refresh_from_db()
    assert worker.status == Person.Status.ON_POST
    with dangerously_platform_scope():
        assert not PersonHold.objects.filter(person=worker, lifted_at__isnull=True).exists()


def test_unverified_qualification_rule_only_warns_never_holds(world, sm):
    set_rule(K.REQUIRE_SAFETY_LICENCE, verified=False)
    c = contractor(sm, qualified=False)
    qualify(sm, c, kinds=(Qualification.Kind.CONSTRUCTION,))
    result = engage(sm, world.a, c)
    assert any("待核实" in w or "To be verified" in w for w in result.warnings)
    worker = person(world.a)
    with activate(sm):
        services.staff_assign(scope=sm, engagement=result.engagement, person=worker)
    reminders.sync_all_holds()
    with dangerously_platform_scope():  # row-level security: no scope reads nothing
        worker.refresh_from_db()
    assert worker.status == Person.Status.ON_POST


def test_reminders_at_90_30_7_days_once_each(world, sm):
    c = contractor(sm, until=TODAY + datetime.timedelta(days=30))
    engage(sm, world.a, c)
    sent = reminders.send_due_reminders()
    assert sent >= 2  # two qualifications, to the group admin and the mine's safety manager
    assert reminders.send_due_reminders() == 0
    with dangerously_platform_scope():
        users = set(
            Notification.objects.filter(dedupe_key__startswith="contractors.").values_list(
                "user_id", flat=True
            )
        )
    assert {world.a.users[roles.TENANT_ADMIN].pk, world.a.users[roles.SAFETY_MANAGER].pk} <= users
    assert reminders.threshold_for(91) is None and reminders.threshold_for(7) == 7
    assert reminders.threshold_for(8) == 30 and reminders.threshold_for(-1) is None


# --- caps ------------------------------------------------------------------------------------------
def test_at_most_three_contractors_per_underground_system(world, sm):
    set_capacity(world.a.mine, 150)  # large: the mining cap (2) is not the one tested
    for kind in ("installation", "transport", "geology"):
        engage(sm, world.a, contractor(sm, work_kind=kind), work_kind=kind)
    with pytest.raises(ValidationError) as exc:
        engage(sm, world.a, contractor(sm), work_kind="other")
    assert "矿安〔2021〕55号" in " ".join(exc.value.message_dict["underground_system"])
    # Another system of the same mine has room.
    engage(sm, world.a, contractor(sm), work_kind="other", underground_system="二号井")


def test_a_contractor_with_two_engagements_counts_once(world, sm):
    set_capacity(world.a.mine, 150)
    c = contractor(sm, work_kind="installation")
    engage(sm, world.a, c, work_kind="installation")
    engage(sm, world.a, c, work_kind="installation")
    with activate(sm):
        assert selectors.caps_used(sm, [world.a.mine.pk])[world.a.mine.pk]["systems"]["一号井"] == (1, 3)


def test_mining_and_tunnelling_cap_by_mine_size_blasting_excepted(world, sm):
    # A small mine (no capacity recorded counts as small): one mining or tunnelling contractor.
    engage(sm, world.a, contractor(sm), work_kind="mining", underground_system="")
    engage(sm, world.a, contractor(sm, work_kind="blasting"), work_kind="blasting", underground_system="")
    with pytest.raises(ValidationError) as exc:
        engage(sm, world.a, contractor(sm), work_kind="tunnelling", underground_system="")
    assert "work_kind" in exc.value.message_dict
    # A large mine: two.
    set_capacity(world.a.mine, 120)
    engage(sm, world.a, contractor(sm), work_kind="tunnelling", underground_system="")
    with pytest.raises(ValidationError):
        engage(sm, world.a, contractor(sm), work_kind="mining", underground_system="")


def test_an_engagement_that_ended_frees_its_slot(world, sm):
    engage(
        sm,
        world.a,
        contractor(sm),
        underground_system="",
        starts_on=TODAY - datetime.timedelta(days=100),
        ends_on=TODAY - datetime.timedelta(days=1),
    )
    engage(sm, world.a, contractor(sm), underground_system="", starts_on=TODAY)


def test_extending_into_a_full_period_is_refused(world, sm):
    first = engage(
        sm, world.a, contractor(sm), underground_system="", ends_on=TODAY + datetime.timedelta(days=10)
    )
    engage(
        sm,
        world.a,
        contractor(sm),
        underground_system="",
        starts_on=TODAY + datetime.timedelta(days=20),
        ends_on=TODAY + datetime.timedelta(days=100),
    )
    with activate(sm), pytest.raises(ValidationError) as exc:
        services.engagement_extend(
            scope=sm, engagement=first.engagement, ends_on=TODAY + datetime.timedelta(days=50)
        )
    assert "ends_on" in exc.value.message_dict
    with activate(sm):
        services.engagement_extend(
            scope=sm, engagement=first.engagement, ends_on=TODAY + datetime.timedelta(days=15)
        )


def test_an_unverified_cap_warns_and_reports_the_condition(world, sm, monkeypatch):
    reported = []
    saved = registry.snapshot()
    registry.register_condition_sink("test", lambda scope, c, present: reported.append((c, present)))
    try:
        set_rule(K.MAX_MINING_SMALL, verified=False)
        engage(sm, world.a, contractor(sm), underground_system="")
        result = engage(sm, world.a, contractor(sm), underground_system="")
    finally:
        registry.restore(saved)
    assert result.warnings and "待核实" in "".join(result.warnings) or "verified" in "".join(result.warnings)
    caps = [c for c, present in reported if c.kind == "contractors.cap_exceeded"]
    assert caps and caps[0].key == f"contractors.cap_exceeded:{world.a.mine.pk}:{K.MAX_MINING_SMALL}:"
    assert caps[0].mine_id == world.a.mine.pk and not caps[0].major


def test_no_subcontracting_and_no_main_ventilation(world, sm):
    main = engage(sm, world.a, contractor(sm, work_kind="installation"), work_kind="installation")
    with pytest.raises(ValidationError) as exc:
        engage(
            sm,
            world.a,
            contractor(sm, work_kind="installation"),
            work_kind="installation",
            parent=main.engagement,
        )
    assert "总局令第62号" in " ".join(exc.value.message_dict["parent"])
    with pytest.raises(ValidationError) as exc:
        engage(
            sm,
            world.a,
            contractor(sm, work_kind="installation"),
            work_kind="installation",
            main_ventilation=True,
        )
    assert "main_ventilation" in exc.value.message_dict


def test_coal_labour_only_mining_is_a_major_hazard_condition(world, sm):
    reported = []
    saved = registry.snapshot()
    registry.register_condition_sink("test", lambda scope, c, present: reported.append((c, present)))
    try:
        result = engage(sm, world.a, contractor(sm), labour_only=True)
        # Not at a metal mine.
        admin = world.a.scope(roles.TENANT_ADMIN)
        engage(admin, world.a, contractor(admin), mine=world.a.other_mine, labour_only=True)
    finally:
        registry.restore(saved)
    [(condition, present)] = [(c, p) for c, p in reported if c.kind == "contractors.labour_only"]
    assert present and condition.major and condition.key == f"contractors.labour_only:{result.engagement.pk}"
    assert "煤矿重大事故隐患判定标准" in condition.source


def test_project_manager_holds_no_post_at_another_mine_at_the_same_time(world, sm):
    admin = world.a.scope(roles.TENANT_ADMIN)
    pm = person(world.a)
    engage(admin, world.a, contractor(admin, work_kind="installation"), pm=pm, work_kind="installation")
    with pytest.raises(ValidationError) as exc:
        engage(
            admin,
            world.a,
            contractor(admin, work_kind="installation"),
            mine=world.a.other_mine,
            pm=pm,
            work_kind="installation",
        )
    assert "project_manager" in exc.value.message_dict


def test_engagement_input_errors_field_by_field_nothing_saved(world, sm):
    c = contractor(sm)
    with activate(sm), pytest.raises(ValidationError) as exc:
        services.engagement_create(
            scope=sm,
            mine=world.a.mine,
            contractor=c,
            data=engagement_data(
                world.a, None, work_kind="", contract_number="", ends_on=TODAY - datetime.timedelta(days=90)
            ),
        )
    assert {"work_kind", "contract_number", "ends_on", "project_manager"} <= set(exc.value.message_dict)
    with activate(sm):
        assert not Engagement.objects.exists()


def test_a_safety_manager_engages_only_at_their_own_mine(world, sm):
    with pytest.raises(PermissionDenied):
        engage(sm, world.a, contractor(sm), mine=world.a.other_mine)


# --- staff and appraisals ------------------------------------------------------------------------
def test_headcounts_show_employees_and_contractor_staff_apart(world, sm):
    result = engage(sm, world.a, contractor(sm))
    worker = person(world.a)
    with activate(sm):
        before = selectors.headcounts(sm, world.a.mine)
        services.staff_assign(scope=sm, engagement=result.engagement, person=worker)
        after = selectors.headcounts(sm, world.a.mine)
    assert after["contractor_staff"] == before["contractor_staff"] + 1
    assert after["employees"] == before["employees"] - 1


def test_two_poor_appraisals_in_a_row_propose_phase_out(world, sm):
    c = contractor(sm)
    e = engage(sm, world.a, c).engagement
    with activate(sm):
        services.appraisal_record(scope=sm, engagement=e, period=datetime.date(2026, 4, 1), score=55)
        services.appraisal_record(scope=sm, engagement=e, period=datetime.date(2026, 5, 1), score=80)
        services.appraisal_record(scope=sm, engagement=e, period=datetime.date(2026, 6, 1), score=50)
        c.refresh_from_db()
        assert c.phase_out_proposed_on is None
        with pytest.raises(ValidationError) as exc:
            services.appraisal_record(scope=sm, engagement=e, period=datetime.date(2026, 6, 15), score=40)
        assert "period" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            services.appraisal_record(scope=sm, engagement=e, period=datetime.date(2026, 7, 1), score=101)
        assert "score" in exc.value.message_dict
        services.appraisal_record(scope=sm, engagement=e, period=datetime.date(2026, 7, 1), score=40)
    with dangerously_platform_scope():  # row-level security: no scope reads nothing
        c.refresh_from_db()
    assert c.phase_out_proposed_on == TODAY


def test_person_panel_and_todos_and_mine_figures_run_in_constant_queries(
    world, sm, django_assert_max_num_queries
):
    c = contractor(sm, until=TODAY + datetime.timedelta(days=5))
    e = engage(sm, world.a, c).engagement
    worker = person(world.a)
    with activate(sm):
        services.staff_assign(scope=sm, engagement=e, person=worker)
        with django_assert_max_num_queries(2):
            panel = selectors.person_panel(sm, worker)
        assert panel["assignments"][0].engagement == e
        with django_assert_max_num_queries(6):
            todos = {t.key: t.count for t in selectors.todo_items(sm)}
        assert todos["qualifications-7"] == 1  # one contractor (both its qualifications due)
        with django_assert_max_num_queries(6):
            figures = selectors.mine_figures(sm, [world.a.mine.pk, world.a.other_mine.pk])
        assert {f.key: f.value for f in figures[world.a.mine.pk]}["contractors.mining_cap"] == "1/1"
