"""The national grading standards shipped with the platform, as plain python data, and the one
loader that turns such a structure into rows.

A structure is a dict::

    {"code", "name", "method", "mine_types": [...], "versions": [version, ...]}
    version = {"label", "document_no", "effective_from": "YYYY-MM-DD", "effective_to": … or None,
               "preconditions": [...], "recheck_months": int or None, "notes",
               "source", "verified" (of the re-check interval),
               "parts": [part, ...], "level_rules": [rule, ...], "accident_rules": [rule, ...]}
    rule = {... its values ..., "source": "document, article", "verified": bool}
    part = {"code", "name", "weight", "no": "1.2", "parts": [part, ...] | "items": [item, ...]}
    item = (title, max_points, guidance) or (title, max_points, guidance, True) for a veto item (否决项)
           or a dict {"code", "title", "max_points", "guidance", "is_veto"}

Tuple items get the code ``<part no>.<n>`` (e.g. ``2.3.4``), stable as long as their order is.
The loader takes the migration's app registry (``apps``) so that the data migration never
imports the models themselves; ``grading.standards`` wraps it for the services (audit, checks).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from . import coal, noncoal

SHIPPED = [
    coal.COAL_UNDERGROUND,
    coal.COAL_OPEN_PIT,
    noncoal.METAL_UNDERGROUND,
    noncoal.METAL_OPEN_PIT,
    noncoal.TAILINGS_POND,
]


# National grading rule values that belong to no standard version (grading.models.PolicyRule).
POLICY_RULES = [
    {
        "key": "stopped_production_months",
        "value": 6,
        "source": "煤安监行管〔2020〕16号 考核定级办法（停产6个月以上的煤矿等级失效；条款待核实）",
        "verified": False,
    },
    {
        "key": "non_coal_level3_years",
        "value": 3,
        "starts_on": "2023-01-01",
        "source": "2023年全国矿山安全生产工作会议：生产非煤矿山3年内达到三级（政策起算日待核实）",
        "verified": False,
    },
    {
        "key": "level1_wait_years",
        "value": 1,
        "source": "2023年全国矿山安全生产工作会议：二级煤矿满一年无事故方可申报一级（待核实）",
        "verified": False,
    },
    {
        # Regulators finding more major hazards than the mine reported itself → the grade falls one
        # level (三级 → revoked). The speech gives the rule, not the look-back: 12 months assumed.
        "key": "regulator_majors_months",
        "value": 12,
        "source": (
            "全国矿山安全生产工作会议讲话：监管监察查出的重大隐患多于企业自查上报的，"
            "降低安全生产标准化等级（回溯月数待核实）"
        ),
        "verified": False,
    },
]


def _has_field(model, name: str) -> bool:
    # The data migration of 0003 loads with the models of its time, before rules had sources.
    return any(f.name == name for f in model._meta.get_fields())


def _provenance(model, rule: dict) -> dict:
    if not _has_field(model, "source"):
        return {}
    return {"source": rule.get("source", ""), "verified": bool(rule.get("verified", False))}


def _date(value) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value))


def items_of(part: dict) -> list[dict]:
    """A leaf part's items as dicts, with their codes."""
    out = []
    for index, item in enumerate(part.get("items", []), start=1):
        if isinstance(item, dict):
            out.append(
                {
                    "code": item["code"],
                    "title": item["title"],
                    "max_points": Decimal(str(item["max_points"])),
                    "guidance": item.get("guidance", ""),
                    "is_veto": bool(item.get("is_veto", False)),
                }
            )
            continue
        title, points, guidance, *rest = item
        out.append(
            {
                "code": f"{part['no']}.{index}",
                "title": title,
                "max_points": Decimal(str(points)),
                "guidance": guidance,
                "is_veto": bool(rest and rest[0]),
            }
        )
    return out


def walk_parts(parts: list[dict], parent: dict | None = None):
    """(part, parent) pairs, depth first in order."""
    for part in parts:
        yield part, parent
        yield from walk_parts(part.get("parts", []), part)


def _models(apps):
    if apps is None:
        from django.apps import apps as registry

        apps = registry
    return (
        apps.get_model("grading", "Standard"),
        apps.get_model("grading", "StandardVersion"),
        apps.get_model("grading", "Part"),
        apps.get_model("grading", "Item"),
        apps.get_model("grading", "LevelRule"),
    )


def load_version(version_model_obj, version: dict, *, apps=None) -> None:
    """Parts, items and level rules of one version (whose row exists and is empty)."""
    _s, _v, Part, Item, LevelRule = _models(apps)
    part_rows: dict[int, object] = {}
    items = []
    positions: dict[int | None, int] = {}
    for part, parent in walk_parts(version["parts"]):
        parent_key = id(parent) if parent is not None else None
        positions[parent_key] = positions.get(parent_key, 0) + 1
        row = Part.objects.create(
            version=version_model_obj,
            parent=part_rows[id(parent)] if parent is not None else None,
            code=part["code"],
            name=part["name"],
            weight=Decimal(str(part.get("weight", 1))),
            position=part.get("position", positions[parent_key]),
        )
        part_rows[id(part)] = row
        for index, item in enumerate(items_of(part), start=1):
            items.append(
                Item(version=version_model_obj, part=row, position=item.pop("position", index), **item)
            )
    Item.objects.bulk_create(items)
    LevelRule.objects.bulk_create(
        [
            LevelRule(
                version=version_model_obj,
                level=rule["level"],
                min_total=Decimal(str(rule["min_total"])),
                min_every_part=(
                    Decimal(str(rule["min_every_part"])) if rule.get("min_every_part") is not None else None
                ),
                part_minimums={k: float(v) for k, v in (rule.get("part_minimums") or {}).items()},
                fatal_lookback_years={k: int(v) for k, v in (rule.get("fatal_lookback_years") or {}).items()},
                clean_history_days=rule.get("clean_history_days"),
                **_provenance(LevelRule, rule),
            )
            for rule in version["level_rules"]
        ]
    )
    load_accident_rules(version_model_obj, version, apps=apps)


def _accident_rule_model(apps):
    try:
        return (apps or _registry()).get_model("grading", "AccidentRule")
    except LookupError:  # before migration 0006
        return None


def _registry():
    from django.apps import apps as registry

    return registry


def load_accident_rules(version_model_obj, version: dict, *, apps=None) -> None:
    AccidentRule = _accident_rule_model(apps)
    if AccidentRule is None or AccidentRule.objects.filter(version=version_model_obj).exists():
        return
    AccidentRule.objects.bulk_create(
        [
            AccidentRule(
                version=version_model_obj,
                level=rule["level"],
                accident_class=rule["accident_class"],
                to_level=rule.get("to_level"),
                **_provenance(AccidentRule, rule),
            )
            for rule in version.get("accident_rules") or []
        ]
    )


def load_policy_rules(apps=None) -> None:
    """The national policy rules, each once (a row already in force is left as it is)."""
    PolicyRule = (apps or _registry()).get_model("grading", "PolicyRule")
    for rule in POLICY_RULES:
        if PolicyRule.objects.filter(key=rule["key"], superseded_at__isnull=True).exists():
            continue
        PolicyRule.objects.create(
            key=rule["key"],
            value=rule["value"],
            starts_on=_date(rule.get("starts_on")),
            source=rule["source"],
            verified=rule["verified"],
        )


def upgrade_shipped(apps=None) -> None:
    """Bring the rows of the shipped national standards to the data here (migration 0007): the
    provenance of every rule value, the coal 二级/三级 minimums on the three management parts
    instead of every element, the accident rules per edition, the policy rules.

    Only the rule values in force are rewritten (level rules by level); parts and items are left
    as they are. Idempotent."""
    Standard, StandardVersion, _p, _i, LevelRule = _models(apps)
    for data in SHIPPED:
        standard = Standard.objects.filter(code=data["code"], owner_tenant__isnull=True).first()
        if standard is None:
            continue
        for version in data["versions"]:
            row = StandardVersion.objects.filter(standard=standard, label=version["label"]).first()
            if row is None:
                continue
            row.source, row.verified = version.get("source", ""), bool(version.get("verified"))
            row.recheck_months = version.get("recheck_months")
            row.save(update_fields=["source", "verified", "recheck_months"])
            for rule in version["level_rules"]:
                LevelRule.objects.filter(version=row, level=rule["level"], superseded_at__isnull=True).update(
                    min_total=Decimal(str(rule["min_total"])),
                    min_every_part=(
                        Decimal(str(rule["min_every_part"]))
                        if rule.get("min_every_part") is not None
                        else None
                    ),
                    part_minimums={k: float(v) for k, v in (rule.get("part_minimums") or {}).items()},
                    source=rule.get("source", ""),
                    verified=bool(rule.get("verified")),
                )
            load_accident_rules(row, version, apps=apps)
    load_policy_rules(apps)


def version_fields(version: dict, model=None) -> dict:
    provenance = _provenance(model, version) if model is not None else {}
    return {
        **provenance,
        "document_no": version["document_no"],
        "effective_from": _date(version["effective_from"]),
        "effective_to": _date(version.get("effective_to")),
        "preconditions": list(version.get("preconditions") or []),
        "recheck_months": version.get("recheck_months"),
        "notes": version.get("notes", ""),
    }


def load_standard(data: dict, *, apps=None, owner_tenant_id=None) -> tuple[object, list]:
    """Create the standard (unless it exists for that owner) and each of its versions that does
    not exist yet; an existing version is left as it is. Returns (standard, versions created)."""
    Standard, StandardVersion, *_rest = _models(apps)
    standard = Standard.objects.filter(code=data["code"], owner_tenant_id=owner_tenant_id).first()
    if standard is None:
        standard = Standard.objects.create(
            code=data["code"],
            name=data["name"],
            method=data["method"],
            mine_types=list(data.get("mine_types") or []),
            owner_tenant_id=owner_tenant_id,
        )
    created = []
    for version in data.get("versions", []):
        if StandardVersion.objects.filter(standard=standard, label=version["label"]).exists():
            continue
        row = StandardVersion.objects.create(
            standard=standard, label=version["label"], **version_fields(version, StandardVersion)
        )
        load_version(row, version, apps=apps)
        created.append(row)
    return standard, created


def load_shipped(apps=None) -> None:
    for data in SHIPPED:
        load_standard(data, apps=apps)


def unload_shipped(apps=None) -> None:
    """Remove the shipped national versions again (reverse of the data migration). A version an
    assessment uses is protected and makes this fail, as it should."""
    Standard, StandardVersion, Part, Item, LevelRule = _models(apps)
    for data in SHIPPED:
        standard = Standard.objects.filter(code=data["code"], owner_tenant__isnull=True).first()
        if standard is None:
            continue
        labels = [v["label"] for v in data["versions"]]
        versions = StandardVersion.objects.filter(standard=standard, label__in=labels)
        Item.objects.filter(version__in=versions).delete()
        LevelRule.objects.filter(version__in=versions).delete()
        AccidentRule = _accident_rule_model(apps)
        if AccidentRule is not None:
            AccidentRule.objects.filter(version__in=versions).delete()
        Part.objects.filter(version__in=versions, parent__isnull=False).delete()
        Part.objects.filter(version__in=versions).delete()
        versions.delete()
        if not StandardVersion.objects.filter(standard=standard).exists():
            standard.delete()
