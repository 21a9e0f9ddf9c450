"""Rule packs per province and per group: which pack applies, and the stricter-never-looser rule.

Resolution (DESIGN.md "Rules as data"; issue 14 point 10). For a mine on a day, the packs in
force that concern it are, most specific first:

1. the mine's group's own pack (``owner_tenant``);
2. provincial packs whose ``region_prefix`` starts the mine's region code, longest prefix first
   (a prefecture's pack, 4 digits, beats its province's, 2 digits);
3. the national pack.

Among packs of the same rank, the one that started last wins. A pack's own values (pass mark,
attempts, periods) come from the most specific pack; an hours figure comes from the most
specific pack that has a row for the post (and, within a pack, the row for the mine type beats
the row for the mine group, which beats the row for any mine) — so a province that publishes
only its managers' hours does not have to copy the national table.

A provincial or group pack may be **stricter, never looser** than the national pack in force on
the day it takes effect: a higher pass mark, fewer attempts, shorter certificate periods, a
shorter absence before retraining, a longer supervised practice, and hours at least those of
every national row its row covers. Anything looser is refused, field by field, with a message
naming the value and the national figure.

Reads are by the caller's scope: a group's own pack is read only within that group (a regulator
reads the packs of the groups whose mines it oversees, to judge their hours as the group does).
Every list resolves with two queries (the packs in force, their hours rules), however many rows
it shows: ``Candidates`` is loaded once per page and resolved in memory or in one SQL ``Case``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from compliance.audit.services import audit_record
from tenants.models import MineProfile, OrgUnit
from tenants.scope import Scope

from . import permissions as perms
from .models import HoursRule, MineGroup, RulePack, mine_group_of

# The pack's own values and which way is stricter: +1 a higher figure is stricter, -1 a lower one.
PACK_VALUES: dict[str, int] = {
    "pass_mark": +1,
    "attempts_allowed": -1,
    "special_cert_valid_years": -1,
    "special_cert_review_years": -1,
    "manager_cert_valid_years": -1,
    "retrain_after_absence_days": -1,
    "supervised_practice_months": +1,
}
HOURS_VALUES = ("initial_hours", "annual_hours")  # higher is stricter


def _in_force(qs: models.QuerySet, day: datetime.date) -> models.QuerySet:
    return qs.filter(effective_from__lte=day).filter(
        models.Q(effective_to__isnull=True) | models.Q(effective_to__gte=day)
    )


def visible_packs(scope: Scope) -> models.QuerySet[RulePack]:
    """Shared packs (national, provincial) and the scope's groups' own packs — never another
    group's."""
    qs = RulePack.objects.all()
    if scope.is_platform:
        return qs
    return qs.filter(
        models.Q(owner_tenant__isnull=True) | models.Q(owner_tenant_id__in=list(scope.tenant_ids))
    )


def _rank(pack: RulePack) -> tuple:
    return (pack.specificity, pack.effective_from)


@dataclass(frozen=True)
class ResolvedHours:
    initial: int
    annual: int
    rule: HoursRule

    @property
    def verified(self) -> bool:
        return self.rule.verified


@dataclass
class Candidates:
    """The packs in force on one day that the scope may apply, with their hours rules: loaded
    once (two queries), then resolved for any number of mines without another query."""

    day: datetime.date
    packs: list[RulePack] = field(default_factory=list)  # most specific first
    rules: dict = field(default_factory=dict)  # pack id -> [HoursRule]

    def chain(self, *, tenant_id=None, region_code: str = "") -> list[RulePack]:
        """The packs that concern a mine of ``tenant_id`` at ``region_code``, most specific first
        (the national pack last). Without a region (a unit above the mines) only the group's and
        the national packs apply."""
        out = []
        for pack in self.packs:
            if pack.owner_tenant_id is not None:
                if pack.owner_tenant_id == tenant_id:
                    out.append(pack)
            elif pack.region_prefix:
                if region_code and region_code.startswith(pack.region_prefix):
                    out.append(pack)
            else:
                out.append(pack)
        return out

    def pack_for(self, *, tenant_id=None, region_code: str = "") -> RulePack | None:
        chain = self.chain(tenant_id=tenant_id, region_code=region_code)
        return chain[0] if chain else None

    def hours_for(
        self, post_category: str, mine_type: str = "", *, tenant_id=None, region_code: str = ""
    ) -> ResolvedHours | None:
        group = mine_group_of(mine_type)
        for pack in self.chain(tenant_id=tenant_id, region_code=region_code):
            rule = best_row(self.rules.get(pack.pk, []), post_category, mine_type, group)
            if rule is not None:
                return ResolvedHours(rule.initial_hours, rule.annual_hours, rule)
        return None

    def rule(self, pk) -> HoursRule | None:
        if pk is None:
            return None
        return next((r for rows in self.rules.values() for r in rows if r.pk == pk), None)

    @property
    def pack(self) -> RulePack | None:
        """The national pack (the one every mine falls back to); pages name it."""
        return self.national

    @property
    def overrides(self) -> list[RulePack]:
        """Provincial and group packs in force that the scope may apply."""
        return [p for p in self.packs if p.level != RulePack.Level.NATIONAL]

    @property
    def national(self) -> RulePack | None:
        return next((p for p in self.packs if p.level == RulePack.Level.NATIONAL), None)


def best_row(rows, post_category: str, mine_type: str, group: str) -> HoursRule | None:
    """Within one pack: the row for the mine type, else for its group, else for any mine."""
    mine = [r for r in rows if r.post_category == post_category]
    if mine_type:
        for r in mine:
            if r.mine_type == mine_type:
                return r
    if group:
        for r in mine:
            if not r.mine_type and r.mine_group == group:
                return r
    for r in mine:
        if not r.mine_type and r.mine_group == MineGroup.ANY:
            return r
    return None


def candidates(*, scope: Scope, day: datetime.date) -> Candidates:
    """The packs in force on ``day`` that the scope may apply (two queries)."""
    packs = sorted(_in_force(visible_packs(scope), day), key=_rank, reverse=True)
    if not any(p.level == RulePack.Level.NATIONAL for p in packs):
        # Before the first national pack took effect: judge by the oldest one rather than by nothing.
        oldest = RulePack.objects.filter(owner_tenant__isnull=True, region_prefix="").order_by(
            "effective_from"
        )
        first = oldest.first()
        if first is not None:
            packs.append(first)
    rules: dict = {}
    by_id = {p.pk: p for p in packs}
    for rule in HoursRule.objects.filter(pack_id__in=list(by_id)).order_by("pk"):
        rule.pack = by_id[rule.pack_id]  # already loaded: naming a row's pack costs no query
        rules.setdefault(rule.pack_id, []).append(rule)
    return Candidates(day=day, packs=packs, rules=rules)


def mine_of(unit: OrgUnit) -> MineProfile | None:
    """The mine profile of the mine ``unit`` is or sits under (None above the mines). One query.
    By path: the caller holds the unit, and a unit's own mine is no secret to it."""
    segments = [s for s in unit.path.split("/") if s]
    return (
        MineProfile.dangerously_unscoped.filter(tenant_id=unit.tenant_id, org_unit_id__in=segments)
        .select_related("org_unit")
        .first()
    )


def pack_for_unit(*, scope: Scope, unit: OrgUnit, day: datetime.date) -> RulePack | None:
    """The pack that applies at ``unit`` on ``day`` (three queries)."""
    profile = mine_of(unit)
    return candidates(scope=scope, day=day).pack_for(
        tenant_id=unit.tenant_id, region_code=profile.region_code if profile else ""
    )


# --- stricter, never looser ---------------------------------------------------------------------
def _looser(direction: int, value, national) -> bool:
    return value < national if direction > 0 else value > national


def _national_on(day: datetime.date) -> RulePack | None:
    try:
        return RulePack.for_date(day)
    except RulePack.DoesNotExist:
        return None


def pack_errors(pack: RulePack) -> dict:
    """Field errors of a provincial or group pack that is looser than the national pack in force
    on its first day (empty for a national pack)."""
    if pack.level == RulePack.Level.NATIONAL:
        return {}
    national = _national_on(pack.effective_from)
    if national is None:
        return {}
    errors = {}
    for name, direction in PACK_VALUES.items():
        value, floor = getattr(pack, name), getattr(national, name)
        if value is not None and _looser(direction, value, floor):
            errors[name] = [
                _(
                    "%(field)s %(value)s is looser than the national %(national)s (%(doc)s): "
                    "a pack may be stricter, never looser."
                )
                % {
                    "field": RulePack._meta.get_field(name).verbose_name,
                    "value": value,
                    "national": floor,
                    "doc": national.document_no,
                }
            ]
    return errors


def _covered(national_row: HoursRule, row: HoursRule) -> bool:
    """Whether the national row and ``row`` can both apply to one person (same post, and their
    mine scopes meet): then ``row`` must be at least the national figure."""
    if national_row.post_category != row.post_category:
        return False
    if row.mine_type and national_row.mine_type:
        return row.mine_type == national_row.mine_type
    row_group = row.mine_group or mine_group_of(row.mine_type)
    nat_group = national_row.mine_group or mine_group_of(national_row.mine_type)
    return not row_group or not nat_group or row_group == nat_group


def hours_errors(row: HoursRule) -> dict:
    """Field errors of an hours row of a provincial or group pack that asks fewer hours than a
    national row covering the same people."""
    pack = row.pack
    if pack.level == RulePack.Level.NATIONAL:
        return {}
    national = _national_on(pack.effective_from)
    if national is None:
        return {}
    errors: dict = {}
    for nat in HoursRule.objects.filter(pack=national, post_category=row.post_category):
        if not _covered(nat, row):
            continue
        for name in HOURS_VALUES:
            if getattr(row, name) < getattr(nat, name):
                errors.setdefault(name, []).append(
                    _(
                        "%(field)s %(value)s is below the national %(national)s (%(source)s): "
                        "a pack may be stricter, never looser."
                    )
                    % {
                        "field": HoursRule._meta.get_field(name).verbose_name,
                        "value": getattr(row, name),
                        "national": getattr(nat, name),
                        "source": nat.source or national.document_no,
                    }
                )
    return errors


# --- writes -------------------------------------------------------------------------------------
def _check_writer(scope: Scope, owner_tenant_id) -> None:
    # Shared packs (national, provincial) are reference data: the platform operator's. A group
    # writes only its own pack, with the permission to manage training at its root.
    if scope.is_platform:
        return
    if scope.read_only or owner_tenant_id is None or owner_tenant_id not in scope.tenant_ids:
        raise PermissionDenied(_("Only the platform operator changes shared rule packs."))
    if not scope.has_perm(perms.MANAGE_TRAINING, tenant_id=owner_tenant_id):
        raise PermissionDenied(_("You may not change this group's rule pack."))


def _snapshot(obj) -> dict:
    data = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
    return {
        k: (str(v) if not isinstance(v, int | bool | str | list | type(None)) else v) for k, v in data.items()
    }


@transaction.atomic
def rule_pack_create(
    *, scope: Scope, code: str, name: str, document_no: str, effective_from, owner_tenant_id=None, **values
) -> RulePack:
    """A provincial pack (``region_prefix``; platform only) or a group's own pack
    (``owner_tenant_id``). Values not given are those of the national pack in force on
    ``effective_from``; anything looser than it is refused field by field."""
    _check_writer(scope, owner_tenant_id)
    national = _national_on(effective_from) if effective_from else None
    base = {name: getattr(national, name) for name in [*PACK_VALUES, "reminder_days"]} if national else {}
    pack = RulePack(
        code=(code or "").strip(),
        name=(name or "").strip(),
        document_no=(document_no or "").strip(),
        effective_from=effective_from,
        owner_tenant_id=owner_tenant_id,
        **(base | values),
    )
    errors = {}
    if owner_tenant_id is None and not pack.region_prefix:
        errors["region_prefix"] = [
            _("A shared pack other than the national one names its region-code prefix.")
        ]
    try:
        pack.full_clean(exclude=["owner_tenant"], validate_constraints=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if pack.effective_from and not errors:
        errors.update(pack_errors(pack))
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            pack.save()
    except IntegrityError as exc:
        raise ValidationError({"code": [_("This code is already used.")]}) from exc
    audit_record(action="create", obj=pack, tenant_id=owner_tenant_id, after=_snapshot(pack))
    return pack


@transaction.atomic
def hours_rule_set(
    *,
    scope: Scope,
    pack: RulePack,
    post_category: str,
    initial_hours: int,
    annual_hours: int,
    mine_group: str = "",
    mine_type: str = "",
    source: str = "",
) -> HoursRule:
    """Set (create or change) one hours row of a provincial or group pack. A new or changed
    value starts unverified: the operator verifies it after checking ``source``."""
    _check_writer(scope, pack.owner_tenant_id)
    if pack.level == RulePack.Level.NATIONAL:
        raise PermissionDenied(_("National hours are changed as a new national pack, not in place."))
    rule = HoursRule.objects.filter(
        pack=pack,
        post_category=post_category,
        mine_group=mine_group_of(mine_type) if mine_type else mine_group,
        mine_type=mine_type,
    ).first() or HoursRule(pack=pack, post_category=post_category)
    before = _snapshot(rule) if rule.pk else None
    rule.mine_group, rule.mine_type = mine_group, mine_type
    rule.initial_hours, rule.annual_hours = initial_hours, annual_hours
    rule.source = (source or "").strip()
    rule.verified, rule.verified_by, rule.verified_at = False, "", None
    errors = {}
    try:
        rule.full_clean(validate_constraints=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if not errors:
        errors.update(hours_errors(rule))
    if errors:
        raise ValidationError(errors)
    rule.save()
    audit_record(
        action="update" if before else "create",
        obj=rule,
        tenant_id=pack.owner_tenant_id,
        before=before,
        after=_snapshot(rule),
    )
    return rule


def describe_pack(pack: RulePack) -> str:
    where = {
        RulePack.Level.NATIONAL: "全国",
        RulePack.Level.PROVINCIAL: f"地区 {pack.region_prefix}",
        RulePack.Level.TENANT: f"集团 {pack.owner_tenant_id}",
    }[pack.level]
    return f"{pack.code} [{where}] 合格 {pack.pass_mark} 分、{pack.attempts_allowed} 次"


def describe_hours(rule: HoursRule) -> str:
    scope = rule.mine_type or rule.mine_group or "any"
    return f"{rule.pack.code} {rule.post_category}/{scope}: {rule.initial_hours}+{rule.annual_hours} h"
