"""The layering is checked, and the checks bite (issue 12, docs/architecture.md).

- The import-linter contracts of pyproject.toml are run against a small package tree with the
  project's own names: clean, they pass; with one forbidden import added, `lint-imports` fails and
  names it. (CI runs the same contracts on the real tree: .ci/run, "lint".)
- Scope escapes (``dangerously_*``: tenants.scope.dangerously_platform_scope, the
  ``dangerously_unscoped`` managers) stay out of views, API modules (serializers, viewsets) and
  forms. Manager attributes are not imports, so this is an AST check rather than a contract.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


# --- import-linter ---------------------------------------------------------------------------------


def _contract_modules() -> set[str]:
    """Every module the contracts name (optional layers too), so the tree has them all."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    names = set(config["root_packages"])
    for contract in config["contracts"]:
        containers = contract.get("containers") or [""]
        tails = [
            t.strip().strip("()") for layer in contract.get("layers", []) for t in re.split(r"[|:]", layer)
        ]
        tails += contract.get("exhaustive_ignores", [])
        names.update(f"{c}.{t}" if c else t for c in containers for t in tails)
        for key in ("source_modules", "forbidden_modules", "modules"):
            names.update(contract.get(key, []))
    return names


def _write(tree: Path, relpath: str, text: str = "") -> None:
    path = tree / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    for parent in path.relative_to(tree).parents:
        if str(parent) != ".":
            (tree / parent / "__init__.py").touch()
    path.write_text(text)


@pytest.fixture
def package_tree(tmp_path):
    """compliance/ and tenants/ with every module the contracts name, importing only what the
    contracts allow — and the project's pyproject.toml, contracts and all."""
    for name in _contract_modules():
        _write(tmp_path, name.replace(".", "/") + "/__init__.py")
    # What is allowed: a capability uses the platform, the registry and tenants; the platform and
    # tenants use each other; the composition root names the capabilities.
    _write(tmp_path, "compliance/training/views.py", "import compliance.audit\nimport compliance.registry\n")
    _write(tmp_path, "compliance/grading/services.py", "import tenants\nimport compliance.jobs\n")
    _write(tmp_path, "compliance/audit/services.py", "import tenants.services\n")
    _write(tmp_path, "tenants/services.py", "import compliance.audit\nimport compliance.registry\n")
    _write(tmp_path, "compliance/urls.py", "import compliance.training\nimport compliance.grading\n")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _lint_imports(tree: Path) -> subprocess.CompletedProcess:
    assert LINT_IMPORTS.exists(), "import-linter is in the test extras: pip install -e '.[test]'"
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_contracts_hold_on_a_tree_that_keeps_them(package_tree):
    result = _lint_imports(package_tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    "module, source, message",
    [
        # The base reaches into a capability (what tenants/views.py did for the person page).
        (
            "tenants/views.py",
            "import compliance.training\n",
            "tenants is not allowed to import compliance.training",
        ),
        # One capability imports another instead of going through a registry.
        (
            "compliance/grading/views.py",
            "from compliance.training import models\n",
            "compliance.grading is not allowed to import compliance.training",
        ),
        (
            "compliance/inspections/services.py",
            "import compliance.grading\n",
            "compliance.inspections is not allowed to import compliance.grading",
        ),
        # The declared dependency goes one way only: training knows no inspection.
        (
            "compliance/training/attempts.py",
            "import compliance.inspections\n",
            "compliance.training is not allowed to import compliance.inspections",
        ),
        # A platform piece imports a capability.
        (
            "compliance/jobs/services.py",
            "import compliance.inspections\n",
            "compliance.jobs is not allowed to import compliance.inspections",
        ),
        # ... or does so through tenants: indirect imports count.
        (
            "tenants/services.py",
            "import compliance.audit\nimport compliance.grading\n",
            "compliance.audit is not allowed to import compliance.grading",
        ),
        # A new package under compliance/ that nobody placed.
        ("compliance/hazards/__init__.py", "", "compliance.hazards"),
    ],
)
def test_a_forbidden_import_breaks_the_contracts(package_tree, module, source, message):
    _write(package_tree, module, source)
    result = _lint_imports(package_tree)
    assert result.returncode == 1, result.stdout + result.stderr
    assert message in " ".join(result.stdout.split()), result.stdout


# --- scope escapes in views and serializers ---------------------------------------------------------

# A module is a view, an API module (serializers and viewsets) or a form when a part of its path is
# one of these (compliance/training/views/exams.py, tenants/api.py, compliance/api.py) or ends in
# _<one of these> (compliance/training/bank_forms.py).
THIN = {"views", "api", "serializers", "forms", "pages"}

# The escapes that stand in such modules today, each with why it is safe. Keyed by file, the
# enclosing function or class, and the name used. A new one fails the test: the read belongs in a
# selector (or the write in a service), with its comment. An entry that no longer matches fails it
# too, so that this list only shrinks. `<model>.dangerously_unscoped.none()` (an empty queryset for
# the schema generator) is no escape and needs no entry.
ALLOWED_ESCAPES = {
    (
        "compliance/training/views/exams.py",
        "AttemptPageMixin.dispatch.resolve",
        "dangerously_unscoped",
    ): "a spot exam's phone with nobody logged in: the one lookup by the attempt id that the "
    "session proved (one-time code), before the person's own scope is switched to",
    (
        "compliance/training/views/exams.py",
        "_question_count",
        "dangerously_unscoped",
    ): "the paper was found through the caller's assignment; its sections are its own rows",
    (
        "compliance/training/views/exams.py",
        "AttemptAnswerView.post",
        "dangerously_unscoped",
    ): "the status of the attempt the service just refused (AttemptClosed), read back by its id",
    (
        "compliance/training/api/exams.py",
        "_my_person",
        "dangerously_unscoped",
    ): "the caller's own person record, by the id the login resolved, within the scope's tenants",
    (
        "compliance/training/api/exams.py",
        "AnswerView.put",
        "dangerously_unscoped",
    ): "the status of the attempt the service just refused (AttemptClosed), read back by its id",
    (
        "compliance/grading/views/standards.py",
        "<module>",
        "dangerously_platform_scope",
    ): "imported for NationalImportView.post, below",
    (
        "compliance/grading/views/standards.py",
        "NationalImportView.post",
        "dangerously_platform_scope",
    ): "the platform operator's own tool (superuser checked): national standards are platform "
    "reference data, written and audited in the platform scope",
    (
        "compliance/grading/api/grades.py",
        "GradeCertificateViewSet.scoped_queryset",
        "dangerously_unscoped",
    ): "the prefetch of events of certificates already filtered by the scope (same tenant and mine)",
    (
        "compliance/grading/api/standards.py",
        "_Reference.__init__",
        "dangerously_unscoped",
    ): "standards are reference data, not tenant-owned: the attribute only names the schema "
    "generator's empty queryset",
}


def _is_thin(path: Path) -> bool:
    parts = [*path.parts[:-1], path.stem]
    return any(part in THIN or any(part.endswith("_" + name) for name in THIN) for part in parts)


def _thin_modules():
    for package in ("compliance", "tenants"):
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" not in relative.parts and _is_thin(relative):
                yield relative


class _Escapes(ast.NodeVisitor):
    """(qualname, name, line) of every dangerously_* name, attribute, import or getattr string."""

    def __init__(self):
        self.found: list[tuple[str, str, int]] = []
        self.stack: list[str] = []

    def _scoped(self, node):
        self.stack.append(node.name)
        self.generic_visit(node)
        self.stack.pop()

    visit_ClassDef = visit_FunctionDef = visit_AsyncFunctionDef = _scoped

    def _add(self, name: str, node) -> None:
        if name.startswith("dangerously_"):
            self.found.append((".".join(self.stack) or "<module>", name, node.lineno))

    def visit_Call(self, node):
        # <model>.dangerously_unscoped.none(): no rows at all, for the schema generator.
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "none"
            and isinstance(func.value, ast.Attribute)
            and func.value.attr == "dangerously_unscoped"
            and not node.args
        ):
            self.visit(func.value.value)
            return
        self.generic_visit(node)

    def visit_Name(self, node):
        self._add(node.id, node)

    def visit_Attribute(self, node):
        self._add(node.attr, node)
        self.generic_visit(node)

    def visit_alias(self, node):
        self._add(node.asname or node.name.rsplit(".", 1)[-1], node)

    def visit_Constant(self, node):
        if isinstance(node.value, str) and re.fullmatch(r"dangerously_\w+", node.value):
            self._add(node.value, node)


def _escapes_in(source: str) -> list[tuple[str, str, int]]:
    visitor = _Escapes()
    visitor.visit(ast.parse(source))
    return visitor.found


def test_the_view_modules_are_found():
    modules = {str(path) for path in _thin_modules()}
    assert {"tenants/views.py", "tenants/api.py", "compliance/api.py", "compliance/pages.py"} <= modules
    assert "compliance/training/views/exams.py" in modules
    assert "compliance/training/bank_forms.py" in modules
    assert "tenants/services.py" not in modules and "tenants/scope.py" not in modules


def test_no_scope_escape_in_views_or_serializers():
    seen, unexplained = set(), []
    for path in _thin_modules():
        for qualname, name, line in _escapes_in((ROOT / path).read_text()):
            key = (str(path), qualname, name)
            if key in ALLOWED_ESCAPES:
                seen.add(key)
            else:
                unexplained.append(f"{path}:{line} {qualname}: {name}")
    assert not unexplained, (
        "scope escapes in views, API modules or forms: move the read into a selector (the write "
        "into a service) with a comment saying why it is safe:\n  " + "\n  ".join(unexplained)
    )
    stale = set(ALLOWED_ESCAPES) - seen
    assert not stale, f"no longer there, remove from ALLOWED_ESCAPES: {sorted(stale)}"


@pytest.mark.parametrize(
    "source",
    [
        "from tenants.scope import dangerously_platform_scope\n",
        "import tenants.scope\ndef get(request):\n    with tenants.scope.dangerously_platform_scope():\n"
        "        pass\n",
        "def get_queryset(self):\n    return Person.dangerously_unscoped.all()\n",
        "def get_queryset(self):\n    return getattr(Person, 'dangerously_unscoped').all()\n",
        "def get_queryset(self):\n    qs = Person.dangerously_unscoped.all()\n"
        "    return Person.dangerously_unscoped.none().union(qs)\n",
    ],
)
def test_the_escape_check_sees_every_form(source):
    assert _escapes_in(source)


def test_an_empty_queryset_is_no_escape():
    assert not _escapes_in("def get_queryset(self):\n    return self.model.dangerously_unscoped.none()\n")
