"""Inspections plug in through the registry: a failed spot exam places a hold (tenants), passing
the clearing paper lifts it; the person page's panel; training knows nothing of inspections."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from compliance import registry
from compliance.audit.models import AuditEvent
from compliance.inspections import selectors, services
from compliance.inspections.models import Suspension
from tenants import holds, roles
from tenants.models import Person, PersonHold
from tenants.scope import activate, dangerously_platform_scope

from .test_inspections import as_role, make_bank, make_inspection, make_paper
from .test_inspections_suspension import _take

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def failed(world):
    a = world.a
    make_bank(a)
    paper = make_paper(a)
    clearing = make_paper(a, title="下岗复训考试", spot=False, clears=True)
    inspection = make_inspection(a)
    person = a.people[1]
    with as_role(a) as scope:
        (check,) = services.pick_people(scope=scope, inspection=inspection, paper=paper, people=[person])
    attempt = _take(paper, person, right=False, spot_check=check)
    return world, person, check, attempt, clearing


def test_a_failed_spot_exam_places_one_hold_and_the_clearing_paper_lifts_it(failed):
    world, person, check, attempt, clearing = failed
    with dangerously_platform_scope():
        suspension = Suspension.objects.get(person=person)
        (hold,) = PersonHold.objects.filter(person=person)
        assert (hold.source, hold.reference_type, hold.reference_id) == (
            services.SPOT_EXAM_HOLD,
            "inspections.Suspension",
            str(suspension.pk),
        )
        assert hold.is_open and hold.reason == suspension.reason
        # the listener again (a retried grading) changes nothing
        services.apply_attempt_result(attempt)
        assert PersonHold.objects.filter(person=person).count() == 1
        assert AuditEvent.objects.filter(object_type="tenants.PersonHold", action="create").count() == 1
    _take(clearing, person, right=True, assign=False)
    with dangerously_platform_scope():
        hold.refresh_from_db()
        assert hold.lifted_at is not None and clearing.title in hold.lift_reason
        assert Person.objects.get(pk=person.pk).status == Person.Status.ON_POST


def test_the_attempt_is_linked_from_the_spot_check_and_old_events_keep_their_type(failed):
    world, person, check, attempt, clearing = failed
    with dangerously_platform_scope():
        check.refresh_from_db()
        assert check.attempt_id == attempt.pk and attempt.occasion == "spot_exam"
        assert attempt.spot_check == check  # the reverse accessor tests and pages use
        types = set(AuditEvent.objects.values_list("object_type", flat=True))
    assert {"training.SpotCheck", "training.Inspection", "training.Suspension"} <= types
    assert not {t for t in types if t.startswith("inspections.")}


def test_the_registry_holds_what_inspections_contributes():
    assert services.apply_attempt_result in registry.attempt_listeners()
    assert selectors.spot_attempt_access in registry.attempt_access_conditions()
    nav = {e.key: e for e in registry.nav_entries()}["inspections"]
    with translation.override("en"):
        label = str(nav.label)
    assert (nav.group, label, nav.url_name) == ("inspections", "Inspections", "inspections:inspection-list")
    assert "inspections.spot_exams" in {p.key for p in registry.person_panels()}
    assert "inspections" in {b.key for b in registry.demo_builders()}
    assert "view_inspections" in roles.perms_of(roles.TEAM_LEADER)
    assert "conduct_inspections" in roles.perms_of(roles.SAFETY_MANAGER)
    assert "conduct_inspections" not in roles.perms_of(roles.REGULATOR)
    assert "conduct_inspections" in roles.WRITE_PERMS


def test_nav_visible_as_before(world):
    nav = {e.key: e for e in registry.nav_entries()}["inspections"]
    visible = {role: nav.visible(world.a.scope(role)) for role in world.a.users}
    assert visible == {
        roles.TENANT_ADMIN: True,
        roles.HQ_AUDITOR: True,
        roles.SAFETY_MANAGER: True,
        roles.TEAM_LEADER: True,
        roles.WORKER: False,
    }


def test_the_person_panel_shows_spot_exams_and_holds_in_constant_queries(failed):
    world, person, check, attempt, clearing = failed
    panel = {p.key: p for p in registry.person_panels()}["inspections.spot_exams"]
    with activate(world.a.scope(roles.SAFETY_MANAGER)) as scope:
        person = Person.objects.select_related("org_unit").get(pk=person.pk)
        with CaptureQueriesContext(connection) as one:
            context = panel.context(scope, person)
        html = render_to_string(panel.template, {**context, "person": person, "scope": scope})
        assert check.paper.title in html and holds.open_holds(person).get().reason in html
        # more spot exams and holds, same number of queries
        for n in range(3):
            holds.place_hold(
                scope=scope, person=person, source="test.more", reason=f"原因{n}", reference=f"r{n}"
            )
        with CaptureQueriesContext(connection) as more:
            assert len(panel.context(scope, person)["holds"]) == 4
        assert len(more) == len(one) <= 4
    with activate(world.b.scope(roles.TENANT_ADMIN)) as b_scope:
        assert panel.context(b_scope, person) is None


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_training_imports_nothing_from_inspections():
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            n for n in _imports(path) if n.startswith("compliance.inspections")
        )
        for path in (ROOT / "compliance" / "training").rglob("*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}
    # nor names it in a lazy reference to a model or a URL
    text = "\n".join(p.read_text() for p in (ROOT / "compliance" / "training").rglob("*.py"))
    text += "\n".join(p.read_text() for p in (ROOT / "templates" / "training").rglob("*.html"))
    assert not re.search(r"[\"']inspections[.:]", text)


def test_tenants_imports_no_inspections_and_no_capability_writes_person_status():
    for path in (ROOT / "tenants").rglob("*.py"):
        assert not {n for n in _imports(path) if n.startswith("compliance.inspections")}, path
    for name in ("services.py", "holds.py"):
        assert not {
            n
            for n in _imports(ROOT / "tenants" / name)
            if n.startswith(("compliance.training", "compliance.grading"))
        }, name
    # A person's status or its reason, assigned or passed as a keyword (another model's
    # ``contractor.status_reason`` is its own business).
    writes = re.compile(
        r"\bperson\.status(_reason)?\s*=[^=]|(?<![\w.])status_reason\s*=\s*(?!models\.)[^=\s]"
    )
    for path in (ROOT / "compliance").rglob("*.py"):
        if "migrations" in path.parts:
            continue
        assert not writes.search(path.read_text()), path


def test_the_migration_gives_every_open_suspension_its_hold_once(failed):
    """inspections 0003: suspensions opened before holds existed get their open hold; a cleared
    one none; running it twice adds nothing."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.utils import timezone

    migration = importlib.import_module("compliance.inspections.migrations.0003_holds_for_open_suspensions")
    world, person, check, attempt, clearing = failed
    other = world.a.people[0]
    with dangerously_platform_scope():
        suspension = Suspension.objects.get(person=person)
        PersonHold.objects.all().delete()  # as before holds existed
        Suspension.objects.create(
            tenant=world.a.tenant,
            person=other,
            reason="已解除的下岗",
            clearing_paper=clearing,
            started_at=timezone.now(),
            cleared_at=timezone.now(),
        )
        with connection.cursor() as cursor:
            editor = SimpleNamespace(connection=connection, execute=cursor.execute)
            migration.place(apps, editor)
            migration.place(apps, editor)
        (hold,) = PersonHold.objects.all()
        assert (hold.person_id, hold.reference_id, hold.reason) == (
            person.pk,
            str(suspension.pk),
            suspension.reason,
        )
        assert hold.reference_type == "inspections.Suspension" and hold.source == services.SPOT_EXAM_HOLD
    # the hold the migration placed is the one the clearing paper lifts
    _take(clearing, person, right=True, assign=False)
    with dangerously_platform_scope():
        hold.refresh_from_db()
        assert hold.lifted_at is not None
