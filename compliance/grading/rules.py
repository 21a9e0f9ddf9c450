"""The grading rule values as data (DESIGN.md, "Rules as data"; issue 14): reads of the rules in
force, the one writer that corrects a value, and the kinds registered for ``manage.py rules``.

Four kinds, each a model with ``compliance.rules.base.RuleSource`` fields:

- ``grading.level`` — ``LevelRule``: what each level needs, per standard version;
- ``grading.recheck`` — ``StandardVersion.recheck_months``: the re-check interval of an edition;
- ``grading.accident`` — ``AccidentRule``: what a fatal accident does to a grade, per edition;
- ``grading.policy`` — ``PolicyRule``: stopped production, the non-coal deadline for 三级, the
  coal waiting year before 一级.

**Correcting a value** (the operator, after reading the text): level, accident and policy rules
are never edited in place. ``rule_correct`` writes a new row with the corrected values and its
source, pointing at the row it ``replaces``; the old row gets ``superseded_at`` and stays for
history. Only rows in force (``superseded_at`` empty) are read, so every outcome not yet decided
follows the correction at once; grades already decided keep their frozen level and reason, and
the audit trail holds both rows. The re-check interval lives on the edition itself (a
``StandardVersion`` carries its parts, items and assessments, too much to copy): it is corrected
in place, audited with the value before and after — certificates already awarded keep the
re-check date they were given. A corrected value is unverified until the operator verifies it
(``manage.py rules --verify``), unless the correction says it was checked.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance.audit.services import audit_record
from compliance.rules.base import RuleSource, register_rule_kind

from .models import ACCIDENT_CLASS_ORDER, AccidentRule, LevelRule, PolicyRule, StandardVersion
from .scoring import LEVEL_NAMES

CLASS_NAMES = {"general": "一般", "large": "较大", "major": "重大", "grave": "特别重大"}


# --- descriptions (operator's tools, docs) -----------------------------------------------------------
def describe_level(rule: LevelRule) -> str:
    parts = [f"总分 ≥ {rule.min_total}"]
    parts += [f"{code} ≥ {value}" for code, value in (rule.part_minimums or {}).items()]
    if rule.min_every_part is not None:
        parts.append(f"每个要素 ≥ {rule.min_every_part}")
    parts += [
        f"无{CLASS_NAMES.get(c, c)}死亡事故 {y}年" for c, y in (rule.fatal_lookback_years or {}).items()
    ]
    return f"{rule.version} {LEVEL_NAMES[rule.level]}: " + "；".join(parts)


def describe_recheck(version: StandardVersion) -> str:
    months = f"每{version.recheck_months}个月复查" if version.recheck_months else "无固定复查周期"
    return f"{version}: {months}"


def describe_accident(rule: AccidentRule) -> str:
    outcome = f"降为{LEVEL_NAMES[rule.to_level]}" if rule.to_level else "撤销等级"
    accident = f"{CLASS_NAMES.get(rule.accident_class)}及以上死亡事故"
    return f"{rule.version}: {LEVEL_NAMES[rule.level]} + {accident} → {outcome}"


def describe_policy(rule: PolicyRule) -> str:
    since = f"（自 {rule.starts_on.isoformat()} 起算）" if rule.starts_on else ""
    return f"{rule.get_key_display()}: {rule.value}{since}"


def register() -> None:
    register_rule_kind("grading.level", LevelRule, "grading level rule", describe_level)
    register_rule_kind("grading.recheck", StandardVersion, "grading re-check interval", describe_recheck)
    register_rule_kind("grading.accident", AccidentRule, "grading accident rule", describe_accident)
    register_rule_kind("grading.policy", PolicyRule, "grading policy rule", describe_policy)


# --- reads -----------------------------------------------------------------------------------------
def policy_rules() -> dict[str, PolicyRule]:
    """The national policy rules in force, by key (one query)."""
    return {r.key: r for r in PolicyRule.objects.filter(superseded_at__isnull=True)}


def accident_rule(version_id: int, level: int, accident_class: str) -> AccidentRule | None:
    """The rule of ``version`` for a fatal accident of ``accident_class`` at a grade of ``level``:
    the row of that level with the gravest class not graver than the accident's."""
    rank = ACCIDENT_CLASS_ORDER.index(accident_class) if accident_class in ACCIDENT_CLASS_ORDER else -1
    rows = AccidentRule.objects.filter(version_id=version_id, level=level, superseded_at__isnull=True)
    best = None
    for row in rows:
        row_rank = ACCIDENT_CLASS_ORDER.index(row.accident_class)
        if row_rank <= rank and (best is None or row_rank > ACCIDENT_CLASS_ORDER.index(best.accident_class)):
            best = row
    return best


# --- the one writer: a correction ------------------------------------------------------------------
CORRECTABLE = {
    LevelRule: ("min_total", "min_every_part", "part_minimums", "fatal_lookback_years", "clean_history_days"),
    AccidentRule: ("to_level",),
    PolicyRule: ("value", "starts_on"),
    StandardVersion: ("recheck_months",),
}


def _fields_of(rule) -> tuple[str, ...]:
    for model, fields in CORRECTABLE.items():
        if isinstance(rule, model):
            return fields
    raise ValidationError({"rule": [_("This kind of rule cannot be corrected here.")]})


def _snapshot(rule: RuleSource, fields) -> dict:
    out = {name: getattr(rule, name) for name in fields}
    return out | {"source": rule.source, "verified": rule.verified}


@transaction.atomic
def rule_correct(rule: RuleSource, *, by: str, values: dict, source: str, verified: bool = False):
    """Correct a rule value after reading its source: a new row replacing ``rule`` (the re-check
    interval: in place), audited with the values before and after. Returns the row in force.

    ``by`` names who read the text; ``source`` the document and article read. Nothing changes on
    bad input (a ValidationError names the field)."""
    fields = _fields_of(rule)
    errors: dict[str, list[str]] = {}
    if not (by or "").strip():
        errors["by"] = [_("Name who read the source.")]
    if not (source or "").strip():
        errors["source"] = [_("Give the document number and article the corrected value is read from.")]
    unknown = sorted(set(values) - set(fields))
    if unknown:
        errors["values"] = [
            _("Not a value of this rule: %(names)s (correctable: %(fields)s).")
            % {"names": ", ".join(unknown), "fields": ", ".join(fields)}
        ]
    if not values:
        errors.setdefault("values", []).append(_("Give at least one corrected value."))
    if errors:
        raise ValidationError(errors)
    model = type(rule)
    old = model.objects.select_for_update().get(pk=rule.pk)
    if getattr(old, "superseded_at", None) is not None:
        raise ValidationError({"rule": [_("This rule was already corrected: correct the row in force.")]})
    before = _snapshot(old, fields)
    now = timezone.now()
    provenance = {
        "source": source.strip(),
        "verified": verified,
        "verified_by": by.strip() if verified else "",
        "verified_at": now if verified else None,
    }
    if isinstance(old, StandardVersion):
        new = old
        for name, value in (values | provenance).items():
            setattr(new, name, value)
        new.full_clean(exclude=["standard"])
        new.save()
    else:
        old.superseded_at = now
        old.save(update_fields=["superseded_at"])
        new = model.objects.get(pk=old.pk)
        new.pk = None
        new.superseded_at = None
        new.replaces_id = old.pk
        for name, value in (values | provenance).items():
            setattr(new, name, value)
        new.full_clean(exclude=["version", "replaces"])
        new.save(force_insert=True)
    audit_record(
        action="rule.correct",
        tenant_id=None,
        obj=new,
        before=before | {"id": old.pk},
        after=_snapshot(new, fields) | {"id": new.pk, "by": by.strip(), "replaces": old.pk},
    )
    return new
