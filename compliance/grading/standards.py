"""The grading standards library: load a standard from a python structure or a parsed workbook,
and a group's own internal standards.

Who may write what:
- National standards (``owner_tenant`` empty) are platform reference data: only the platform
  operator (the platform scope) adds or replaces them; a tenant never can, whatever its role.
- A tenant admin (``manage_standards`` at the group's root unit) adds the group's own internal
  standards and versions (``owner_tenant`` = the group); those writes are audited in the group's
  trail. National writes are audited in the platform chain.
- A version that an assessment uses is never changed (``Assessment.version`` is PROTECT, and an
  import naming such a version is refused); a new version gets a new label.

The structure is the one of ``grading.data`` (see its docstring); ``version_structure`` turns a
stored version back into it, so export → import gives the same standard.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from compliance.access import first_or_404
from compliance.audit.services import audit_record
from compliance.grading import permissions as grading_perms
from tenants.models import MineProfile, OrgUnit
from tenants.scope import Scope, dangerously_platform_scope

from . import data as shipped
from .models import (
    AccidentClass,
    AccidentRule,
    Assessment,
    Item,
    Level,
    LevelRule,
    Part,
    Standard,
    StandardVersion,
)

PRECONDITIONS = {
    # grading.history checks them; an unknown code fails closed there.
    "licences_valid": "licences_valid",
    "five_posts_staffed": "five_posts_staffed",
}
CODE_RE = re.compile(r"^[-a-zA-Z0-9_]+$")


def precondition_labels() -> dict[str, str]:
    return {
        "licences_valid": _("Mining, safety-production and business licences valid"),
        "five_posts_staffed": _("The five manager posts staffed"),
    }


# --- reading a version back as a structure ---------------------------------------------------------
def _num(value: Decimal | None):
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else value.normalize()


def version_structure(version: StandardVersion) -> dict:
    """The standard and this one version as a ``grading.data`` structure (items as dicts with
    their codes), in four queries."""
    standard = version.standard
    parts = list(version.parts.order_by("position", "code"))
    items = list(version.items.order_by("position", "code"))
    rules = list(version.level_rules.filter(superseded_at__isnull=True).order_by("level"))
    by_parent: dict[int | None, list[Part]] = {}
    for part in parts:
        by_parent.setdefault(part.parent_id, []).append(part)
    items_of: dict[int, list[Item]] = {}
    for item in items:
        items_of.setdefault(item.part_id, []).append(item)

    def node(part: Part) -> dict:
        out = {"code": part.code, "name": part.name, "weight": _num(part.weight), "position": part.position}
        children = by_parent.get(part.id, [])
        if children:
            out["parts"] = [node(child) for child in children]
        else:
            out["items"] = [
                {
                    "code": i.code,
                    "title": i.title,
                    "max_points": _num(i.max_points),
                    "guidance": i.guidance,
                    "is_veto": i.is_veto,
                    "position": i.position,
                }
                for i in items_of.get(part.id, [])
            ]
        return out

    return {
        "code": standard.code,
        "name": standard.name,
        "method": standard.method,
        "mine_types": list(standard.mine_types),
        "versions": [
            {
                "label": version.label,
                "document_no": version.document_no,
                "effective_from": version.effective_from.isoformat(),
                "effective_to": version.effective_to.isoformat() if version.effective_to else None,
                "preconditions": list(version.preconditions or []),
                "recheck_months": version.recheck_months,
                "notes": version.notes,
                "parts": [node(p) for p in by_parent.get(None, [])],
                "level_rules": [
                    {
                        "level": r.level,
                        "min_total": _num(r.min_total),
                        "min_every_part": _num(r.min_every_part),
                        "part_minimums": {
                            k: _num(Decimal(str(v))) for k, v in (r.part_minimums or {}).items()
                        },
                        "fatal_lookback_years": dict(r.fatal_lookback_years or {}),
                        "clean_history_days": r.clean_history_days,
                    }
                    for r in rules
                ],
            }
        ],
    }


# --- checks ------------------------------------------------------------------------------------------
def _depths(parts: list[dict], depth: int = 1):
    for part in parts:
        yield part, depth
        yield from _depths(part.get("parts") or [], depth + 1)


def structure_problems(data: dict) -> list[str]:
    """What is wrong with a structure as a whole (the workbook import checks cells first, with
    their rows; this catches the same for python structures)."""
    problems = []
    if not CODE_RE.match(str(data.get("code") or "")) or len(data["code"]) > 60:
        problems.append(_("The standard code must be letters, digits, - or _ (at most 60)."))
    if not data.get("name"):
        problems.append(_("The standard needs a name."))
    if data.get("method") not in Standard.Method.values:
        problems.append(_("Unknown scoring method: %(v)s") % {"v": data.get("method")})
    bad_types = [t for t in data.get("mine_types") or [] if t not in MineProfile.MineType.values]
    if bad_types or not data.get("mine_types"):
        problems.append(
            _("Mine types must be some of: %(v)s") % {"v": "、".join(MineProfile.MineType.values)}
        )
    for version in data.get("versions") or []:
        part_codes, item_codes = set(), set()
        for part, depth in _depths(version.get("parts") or []):
            if part["code"] in part_codes:
                problems.append(_("Part code %(c)s appears twice.") % {"c": part["code"]})
            part_codes.add(part["code"])
            if depth > 2:
                problems.append(_("Parts nest at most two levels (%(c)s).") % {"c": part["code"]})
            if part.get("parts") and part.get("items"):
                problems.append(_("Part %(c)s holds both parts and items.") % {"c": part["code"]})
            for item in shipped.items_of(part):
                if item["code"] in item_codes:
                    problems.append(_("Item code %(c)s appears twice.") % {"c": item["code"]})
                item_codes.add(item["code"])
                if item["max_points"] <= 0:
                    problems.append(_("Item %(c)s needs a maximum above 0.") % {"c": item["code"]})
        if not item_codes:
            problems.append(_("Version %(v)s has no items.") % {"v": version.get("label")})
        levels = [r.get("level") for r in version.get("level_rules") or []]
        if not levels or len(set(levels)) != len(levels) or not set(levels) <= set(Level.values):
            problems.append(_("Level rules: one rule per level 1, 2, 3 at most, and at least one."))
        for rule in version.get("level_rules") or []:
            unknown = [c for c in (rule.get("part_minimums") or {}) if c not in part_codes]
            if unknown:
                problems.append(_("Level rule names unknown parts: %(v)s") % {"v": "、".join(unknown)})
            classes = [c for c in (rule.get("fatal_lookback_years") or {}) if c not in AccidentClass.values]
            if classes:
                problems.append(_("Unknown accident classes: %(v)s") % {"v": "、".join(classes)})
        unknown = [p for p in version.get("preconditions") or [] if p not in PRECONDITIONS]
        if unknown:
            problems.append(_("Unknown preconditions: %(v)s") % {"v": "、".join(unknown)})
    return problems


def _root_unit(tenant_id) -> OrgUnit | None:
    return OrgUnit.objects.filter(tenant_id=tenant_id, parent__isnull=True).first()


def owner_for(scope: Scope, *, national: bool) -> tuple[object | None, OrgUnit | None]:
    """(owner tenant id, the group's root unit) for a write, or PermissionDenied."""
    if national:
        if not scope.is_platform:
            raise PermissionDenied(_("Only the platform operator may change national standards."))
        return None, None
    tenant_id = scope.tenant_id
    root = _root_unit(tenant_id) if tenant_id is not None else None
    if root is None:
        raise PermissionDenied(grading_perms.MANAGE_STANDARDS)
    scope.require(grading_perms.MANAGE_STANDARDS, root)
    return tenant_id, root


def version_in_use(version: StandardVersion) -> bool:
    # An existence check across groups (a national version may be used by any of them); it reads
    # one boolean and nothing of any group's data.
    with dangerously_platform_scope():
        return Assessment.objects.filter(version=version).exists()


def require_editable(scope: Scope, version: StandardVersion) -> None:
    """A version may be changed only by its owner (the operator for national ones), and only
    while no assessment uses it."""
    standard = version.standard
    owner_for(scope, national=standard.is_national)
    if not standard.is_national and standard.owner_tenant_id != scope.tenant_id:
        raise PermissionDenied
    if version_in_use(version):
        raise ValidationError(
            _(
                "Version %(v)s is used by an assessment and cannot be changed; "
                "import it under a new version label."
            )
            % {"v": version.label}
        )


def import_problems(scope: Scope, data: dict, *, national: bool) -> list[str]:
    """Whether ``data`` (one standard with one version) may be imported by ``scope``: the
    standard's method cannot change, and an existing version is replaced only if unused."""
    owner_tenant_id, _root = owner_for(scope, national=national)
    problems = structure_problems(data)
    standard = Standard.objects.filter(code=data["code"], owner_tenant_id=owner_tenant_id).first()
    if standard is None:
        return problems
    if standard.method != data["method"]:
        problems.append(
            _("Standard %(c)s is scored by “%(m)s”; a new version cannot change the method.")
            % {"c": standard.code, "m": standard.get_method_display()}
        )
    for version in data["versions"]:
        existing = standard.versions.filter(label=version["label"]).first()
        if existing is not None and version_in_use(existing):
            problems.append(
                _("Version %(v)s is used by an assessment and cannot be changed; use a new version label.")
                % {"v": existing.label}
            )
    return problems


# --- writes -------------------------------------------------------------------------------------------
def _summary(version: StandardVersion) -> dict:
    return {
        "standard": version.standard.code,
        "version": version.label,
        "document_no": version.document_no,
        "effective_from": version.effective_from,
        "parts": version.parts.count(),
        "items": version.items.count(),
        "level_rules": version.level_rules.filter(superseded_at__isnull=True).count(),
    }


@transaction.atomic
def standard_import(*, scope: Scope, data: dict, national: bool = False) -> list[StandardVersion]:
    """Add a standard (or new versions of an existing one) from a structure, for the group of
    ``scope`` or — in the platform scope, ``national=True`` — as a national standard. A version
    whose label exists is replaced, unless an assessment uses it. Audited, all or nothing."""
    owner_tenant_id, root = owner_for(scope, national=national)
    problems = import_problems(scope, data, national=national)
    if problems:
        raise ValidationError(problems)
    standard = Standard.objects.filter(code=data["code"], owner_tenant_id=owner_tenant_id).first()
    before = None
    if standard is not None:
        before = {"name": standard.name, "mine_types": standard.mine_types}
        standard.name, standard.mine_types = data["name"], list(data["mine_types"])
        standard.save(update_fields=["name", "mine_types"])
    replaced = []
    if standard is not None:
        labels = [v["label"] for v in data["versions"]]
        for old in standard.versions.filter(label__in=labels):
            replaced.append(_summary(old))
            _version_remove(old)
    standard, created = shipped.load_standard(data, owner_tenant_id=owner_tenant_id)
    if owner_tenant_id is not None:
        _own_rules_bind(created)
    for version in created:
        audit_record(
            action="import",
            tenant_id=owner_tenant_id,
            obj=version,
            object_type="grading.StandardVersion",
            object_repr=f"{standard.name} {version.label}"[:200],
            org_path=root.path if root is not None else "",
            before={"standard": before, "replaced": replaced} if (before or replaced) else None,
            after=_summary(version),
        )
    return created


def _own_rules_bind(versions: list[StandardVersion]) -> None:
    """A group's own standard is the group's rule for its own mines, not a reading of a national
    text for the operator to check: its rule values bind as imported, their source the group's
    document (DESIGN.md "Rules as data": a tenant may be stricter)."""
    now = timezone.now()
    for version in versions:
        with translation.override(settings.LANGUAGE_CODE):  # stored text: in the site's language
            source = version.source or _("%(document)s (the group's own standard)") % {
                "document": version.document_no
            }
            marks = {"verified": True, "verified_by": _("the group"), "verified_at": now}
        StandardVersion.objects.filter(pk=version.pk).update(source=source, **marks)
        LevelRule.objects.filter(version=version, source="").update(source=source)
        LevelRule.objects.filter(version=version).update(**marks)
        AccidentRule.objects.filter(version=version, source="").update(source=source)
        AccidentRule.objects.filter(version=version).update(**marks)
        version.source, version.verified = source, True


def _version_remove(version: StandardVersion) -> None:
    Item.objects.filter(version=version).delete()
    LevelRule.objects.filter(version=version).delete()
    Part.objects.filter(version=version, parent__isnull=False).delete()
    Part.objects.filter(version=version).delete()
    version.delete()


@transaction.atomic
def standard_version_delete(*, scope: Scope, version: StandardVersion) -> None:
    """Remove a version nobody uses (a tenant: only its own; national: the operator only)."""
    require_editable(scope, version)
    standard = version.standard
    root = _root_unit(standard.owner_tenant_id) if standard.owner_tenant_id else None
    summary = _summary(version)
    audit_record(
        action="delete",
        tenant_id=standard.owner_tenant_id,
        obj=version,
        object_type="grading.StandardVersion",
        object_repr=f"{standard.name} {version.label}"[:200],
        org_path=root.path if root is not None else "",
        before=summary,
    )
    _version_remove(version)
    if not standard.versions.exists():
        standard.delete()


def standard_create(*, scope: Scope, data: dict) -> list[StandardVersion]:
    """A group's own internal standard from a python structure (e.g. a copy of a national one
    with its own items)."""
    return standard_import(scope=scope, data=data, national=False)


# --- reading helpers for pages and the API ------------------------------------------------------
def access_standard(scope: Scope, pk) -> Standard:
    """A standard ``scope`` may read; missing and foreign ones are the same 404."""
    from .selectors import visible_standards

    return first_or_404(visible_standards(scope), pk=pk)


def access_version(scope: Scope, pk) -> StandardVersion:
    from .selectors import visible_versions

    return first_or_404(visible_versions(scope), pk=pk)


def can_manage(scope: Scope, standard: Standard) -> bool:
    """Whether ``scope`` may import new versions of ``standard`` (never a national one from a group)."""
    if standard.is_national:
        return scope.is_platform
    if standard.owner_tenant_id != scope.tenant_id:
        return False
    root = _root_unit(standard.owner_tenant_id)
    return root is not None and scope.has_perm(grading_perms.MANAGE_STANDARDS, root.path, root.tenant_id)


def level_rule_phrases(rule: LevelRule, part_names: dict[str, str], *, percentage: bool) -> list[str]:
    """A level rule in words, one phrase per condition."""
    from .scoring import accident_class_name, fmt

    phrases = [
        (_("score ≥ %(n)s%%") if percentage else _("total ≥ %(n)s")) % {"n": fmt(Decimal(rule.min_total))}
    ]
    for code, minimum in (rule.part_minimums or {}).items():
        phrases.append(f"{part_names.get(code, code)} ≥ {fmt(Decimal(str(minimum)))}")
    if rule.min_every_part is not None:
        phrases.append(_("every element or speciality ≥ %(n)s") % {"n": fmt(Decimal(rule.min_every_part))})
    for cls, years in (rule.fatal_lookback_years or {}).items():
        phrases.append(
            _("no fatal %(cls)s within %(years)s year(s)") % {"cls": accident_class_name(cls), "years": years}
        )
    if rule.clean_history_days is not None:
        phrases.append(
            _("no failed check or downgrade within %(days)s days") % {"days": rule.clean_history_days}
        )
    return phrases
