"""The base knows no capability (issue 12): the navigation, the role bundles and the demo come
from what the capabilities registered in ``compliance.registry``, and each role sees what it saw
before."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from compliance import registry
from compliance.grading import permissions as grading_perms
from compliance.training import permissions as training_perms
from tenants import roles
from tenants.selectors import scope_for_user

from ..conftest import login

ROOT = Path(__file__).resolve().parents[2]
NAV_KEY = re.compile(r'data-testid="nav-([\w-]+)"')


# --- the base names no capability ---------------------------------------------------------------
CAPABILITY_IMPORT = re.compile(r"^\s*(from|import)\s+compliance\.(training|grading|inspections)\b", re.M)
CAPABILITY_NAME = re.compile(r"\b(training|grading|inspection|exam|certificate)s?:", re.I)
CAPABILITY_PERM = re.compile(
    r"\b(VIEW_TRAINING|MANAGE_TRAINING|VIEW_QUESTION_BANK|TAKE_EXAMS|VIEW_GRADING|MANAGE_GRADING|"
    r"REVIEW_GRADING|MANAGE_STANDARDS)\b"
)
# Still there until the holds helper of issue 12 lands: tenants.services asks training whether a
# suspension may be lifted by hand (replaced by PersonHold). Nothing else may join this list.
PENDING = {("tenants/services.py", "from compliance.training.inspections import check_manual_status_change")}


def test_base_template_names_no_capability():
    text = (ROOT / "templates" / "base.html").read_text(encoding="utf-8")
    assert not re.search(r"training|grading|inspection|exam|certificate|question", text, re.I)


def test_tenants_imports_and_names_no_capability():
    offending = set()
    for path in sorted((ROOT / "tenants").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        rel = path.relative_to(ROOT).as_posix()
        for line in path.read_text(encoding="utf-8").splitlines():
            if CAPABILITY_IMPORT.match(line) or CAPABILITY_NAME.search(line) or CAPABILITY_PERM.search(line):
                offending.add((rel, line.strip()))
    assert offending <= PENDING, sorted(offending - PENDING)


# --- permissions and role bundles -----------------------------------------------------------------
# The grants per role as they were when tenants.roles listed every capability (frozen here).
BEFORE = {
    roles.TENANT_ADMIN: {"view_training", "manage_training", "view_question_bank", "take_exams",
                         "view_grading", "manage_grading", "review_grading", "manage_standards"},
    roles.HQ_AUDITOR: {"view_training", "view_question_bank", "take_exams", "view_grading", "review_grading"},
    roles.SAFETY_MANAGER: {"view_training", "manage_training", "view_question_bank", "take_exams",
                           "view_grading", "manage_grading"},
    roles.TEAM_LEADER: {"view_training", "take_exams", "view_grading"},
    roles.WORKER: {"view_training", "take_exams"},
    roles.REGULATOR: {"view_training", "view_grading"},
    roles.GUEST_AUDITOR: {"view_training", "view_grading"},
}  # fmt: skip
CAPABILITY_PERMS = {p for perms in BEFORE.values() for p in perms}


def test_role_bundles_grant_what_they_did_before():
    for role, perms in BEFORE.items():
        assert roles.perms_of(role) & CAPABILITY_PERMS == perms, role
    assert {
        training_perms.MANAGE_TRAINING,
        training_perms.TAKE_EXAMS,
        grading_perms.MANAGE_GRADING,
        grading_perms.REVIEW_GRADING,
        grading_perms.MANAGE_STANDARDS,
    } <= roles.WRITE_PERMS
    assert not {training_perms.VIEW_TRAINING, grading_perms.VIEW_GRADING} & roles.WRITE_PERMS


def test_a_regulator_never_holds_a_capability_write_permission(world):
    scope = scope_for_user(world.regulator_in)
    assert scope.has_perm(training_perms.VIEW_TRAINING) and scope.has_perm(grading_perms.VIEW_GRADING)
    for perm in (training_perms.MANAGE_TRAINING, training_perms.TAKE_EXAMS, grading_perms.MANAGE_GRADING):
        assert not scope.has_perm(perm)


# --- navigation -----------------------------------------------------------------------------------
def old_nav(scope) -> set[str]:
    """The entries the hand-written base.html showed (its context processor, frozen here)."""
    has = scope.has_perm
    self_only = scope.self_only
    shown = {
        "home": True,
        "org": has(roles.VIEW_ORG) and not self_only and not scope.is_regulator,
        "mines": has(roles.VIEW_ORG) and not self_only,
        "people": has(roles.VIEW_PEOPLE) and not self_only,
        "import": has(roles.MANAGE_PEOPLE),
        "roles": has(roles.VIEW_MEMBERSHIPS),
        "audit": has(roles.VIEW_AUDIT),
        "bank": has("view_question_bank"),
        "papers": has("view_question_bank"),
        "exams": has("take_exams") and bool(scope.person_id),
        "certificates": has("view_training"),
        "training-dashboard": has("view_training") and not self_only,
        "inspections": has("view_training") and not self_only,
        "training": has("view_training") and not self_only,
        "my-training": has("view_training") and self_only and bool(scope.person_id),
        "grading": has("view_grading") and not self_only,
        # Added since: my imports and reports (issue 13).
        "jobs": has(roles.VIEW_JOBS) and not self_only,
        "duty-lists": has("view_duty_lists") and not self_only,
        "my-duty-lists": has("acknowledge_duty_list") and self_only and bool(scope.person_id),
        "contractors": has("view_contractors") and not self_only,  # issue 16: the outsourcing capability
        # Hidden dangers (inspections capability): the register, and the worker's phone report.
        "hazards": has("view_hazards") and not self_only,
        "hazards-report": has("report_hazards") and self_only,
        "agency-inspections": has("view_hazards") and not self_only,
        "agency-listings": has("view_hazards") and not self_only,
        # Team safety points (issue 18): the ledger, the worker's own page, a regulator's ranking.
        "points": has("view_points") and not self_only,
        "points-me": self_only and bool(scope.person_id),
        "points-ranking": has("view_points_teams") and not (has("view_points") and not self_only),
        # Monitoring alarms (issue 21): the queue, for whoever reads alarms.
        "alarms": has("view_alarms") and not self_only,
    }
    return {key for key, on in shown.items() if on}


def users(world):
    return {**{role: world.a.users[role] for role in world.a.users}, "regulator": world.regulator_in}


@pytest.mark.django_db
def test_each_role_sees_the_entries_it_saw_before(world):
    for role, user in users(world).items():
        page = login(user).get("/").content.decode()
        keys = NAV_KEY.findall(page.split('<nav class="mainnav"')[1].split("</nav>")[0])
        assert len(keys) == len(set(keys)), role
        assert set(keys) == old_nav(scope_for_user(user)), role
    # What those are, in words, for the main roles.
    admin = set(NAV_KEY.findall(login(world.a.users[roles.TENANT_ADMIN]).get("/").content.decode()))
    assert {"org", "mines", "people", "import", "roles", "audit", "bank", "papers", "training",
            "certificates", "inspections", "training-dashboard", "grading"} <= admin  # fmt: skip
    worker = set(NAV_KEY.findall(login(world.a.users[roles.WORKER]).get("/").content.decode()))
    assert {"home", "my-training", "exams", "certificates"} <= worker
    assert not {"people", "training", "bank", "grading", "inspections"} & worker


@pytest.mark.django_db
def test_groups_with_several_entries_are_menus_and_single_ones_plain_links(world):
    page = login(world.a.users[roles.TENANT_ADMIN]).get("/").content.decode()
    # Training's five entries sit in one drop-down under the group's label.
    menu = page.split('data-testid="navgroup-training"')[1].split('data-testid="navgroup-', 1)[0]
    for key in ("training", "bank", "papers", "certificates", "training-dashboard"):
        assert f'data-testid="nav-{key}"' in menu
    # Standardization is alone in its group: a plain link, no drop-down. Inspections and hazards
    # share theirs ("检查与隐患"): a menu.
    assert 'data-testid="navgroup-grading"' not in page
    menu = page.split('data-testid="navgroup-inspections"')[1].split('data-testid="navgroup-', 1)[0]
    assert 'data-testid="nav-inspections"' in menu and 'data-testid="nav-hazards"' in menu
    # A regulator has no organisation chart: the mines stand alone as a link.
    regulator = login(world.regulator_in).get("/").content.decode()
    assert 'data-testid="navgroup-org"' not in regulator and 'data-testid="nav-mines"' in regulator


@pytest.mark.django_db
def test_current_page_marks_its_entry_and_grading_shows_its_subnavigation(world):
    client = login(world.a.users[roles.TENANT_ADMIN])
    page = client.get("/grading/dashboard/").content.decode()
    assert 'data-testid="grading-subnav"' in page
    assert re.search(r'data-testid="nav-grading" aria-current="page"', page)
    page = client.get("/training/certificates/").content.decode()
    assert 'data-testid="grading-subnav"' not in page
    assert re.search(r'data-testid="nav-certificates" aria-current="page"', page)
    assert 'class="navgroup current" data-testid="navgroup-training"' in page


@pytest.mark.django_db
def test_navigation_costs_no_query(world, django_assert_num_queries):
    scope = scope_for_user(world.a.users[roles.TENANT_ADMIN])
    with django_assert_num_queries(0):
        groups, subnav = registry.navigation_for(scope, view_name="home", namespace="")
    assert [g.key for g in groups][:1] == ["home"] and subnav is None


def test_an_entry_in_an_unknown_group_is_refused():
    with pytest.raises(ValueError, match="unknown navigation group"):
        registry.register_nav(
            registry.NavEntry("x", "nowhere", "X", "home", visible=lambda scope: True)  # type: ignore[arg-type]
        )


# --- demo builders --------------------------------------------------------------------------------
def test_demo_builders_run_training_then_grading():
    keys = [b.key for b in registry.demo_builders()]
    # The posts roster first: grading's demo grades check "five posts staffed" against it.
    assert keys[:3] == ["duties_posts", "training", "grading"]


@pytest.mark.django_db
@pytest.mark.no_world  # counts every group
def test_seed_demo_runs_the_registered_builders_in_order_all_or_nothing():
    import json
    from io import StringIO

    from django.core.exceptions import ValidationError
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from tenants.models import Tenant
    from tenants.scope import dangerously_platform_scope

    calls = []

    def broken(spec, **kwargs):
        raise ValidationError("broken builder")

    def recording(spec, *, scope, today, log):
        calls.append(spec.key)
        return {"things": 1}

    saved = registry.snapshot()
    try:
        registry.register_demo_builder(registry.DemoBuilder("broken", broken, order=99))
        with pytest.raises(CommandError, match="broken builder"):
            call_command("seed_demo", stdout=StringIO(), stderr=StringIO())
        with dangerously_platform_scope():
            assert Tenant.objects.count() == 0  # the base demo went too: one transaction

        registry.restore(saved)
        registry.register_demo_builder(registry.DemoBuilder("later", recording, order=99))
        out, err = StringIO(), StringIO()
        call_command("seed_demo", "--json", stdout=out, stderr=err)
        assert isinstance(json.loads(out.getvalue()), list)  # stdout is still nothing but the JSON
        assert len(calls) == 2
        out = StringIO()
        call_command("seed_demo", stdout=out, stderr=StringIO())
        summary = out.getvalue()
        # Every registered builder in order (the capabilities' own, then "later"), each once.
        assert (
            "training demo added to 0 groups; grading demo added to 0 groups; "
            "inspections demo added to 0 groups; "
        ) in summary
        # Each capability's builder in its order (contractors, issue 16, before the test's "later").
        assert "contractors demo added to 0 groups; " in summary
        assert "duty_lists demo added to 0 groups; " in summary
        assert summary.index("inspections demo") < summary.index("later demo added to 2 groups")
        assert "duties_posts demo added to 0 groups" in summary
        assert "hazards demo added to 0 groups" in summary
    finally:
        registry.restore(saved)
