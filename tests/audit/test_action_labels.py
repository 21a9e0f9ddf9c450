"""Every action the code writes to the trail has a label in the user's language, and every kind
of object it writes about is named: the audit page never shows ``score_item`` or
``tenants.MineProfile``."""

import ast
from pathlib import Path

import pytest
from django.utils import translation

from compliance import registry
from compliance.audit.display import action_label, kind_label
from compliance.audit.models import AuditEvent
from tenants.scope import dangerously_platform_scope

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "compliance", ROOT / "tenants"]


def _written_actions() -> dict[str, str]:
    """Each ``action="…"`` keyword literal in the code (argparse's ``add_argument(action=…)``
    aside), with where it was found."""
    found = {}
    for base in SOURCES:
        for path in base.rglob("*.py"):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                if isinstance(node.func, ast.Attribute) and node.func.attr == "add_argument":
                    continue
                for kw in node.keywords:
                    if (
                        kw.arg == "action"
                        and isinstance(kw.value, ast.Constant)
                        and isinstance(kw.value.value, str)
                    ):
                        found.setdefault(kw.value.value, str(path.relative_to(ROOT)))
    return found


def test_the_grep_finds_the_actions_of_every_capability():
    actions = _written_actions()
    assert {"score_item", "review_start", "suspend", "login_failed", "grant", "export"} <= set(actions)


def test_every_action_written_in_the_code_has_a_label():
    labels = registry.audit_action_labels()
    missing = {a: where for a, where in _written_actions().items() if a not in labels}
    assert not missing, f"register a label for these audit actions (compliance.registry): {missing}"


def test_actions_passed_as_values_have_labels_too():
    """Grading writes the kind of a grade event as the action (grading.grades: MANUAL_KINDS)."""
    from compliance.grading.grades import MANUAL_KINDS

    labels = registry.audit_action_labels()
    assert {str(k) for k in MANUAL_KINDS} <= set(labels)
    assert {v for v, _ in AuditEvent.Action.choices} <= set(labels)


@pytest.mark.django_db
def test_every_action_and_object_kind_of_the_test_world_is_named(world):
    with dangerously_platform_scope():
        seen = set(AuditEvent.objects.values_list("action", "object_type").distinct())
    kinds = registry.audit_object_kinds()
    with translation.override("zh-hans"):
        for action, object_type in seen:
            assert action_label(action) != action, action
            assert object_type in kinds, object_type
            assert kind_label(object_type) != object_type, object_type


def test_every_label_is_translated():
    with translation.override("zh-hans"):
        for key, label in registry.audit_action_labels().items():
            assert not str(label).isascii(), (key, str(label))
        for label in registry.system_actors().values():
            assert not str(label).isascii(), str(label)
