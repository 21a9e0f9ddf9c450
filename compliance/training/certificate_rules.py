"""Certificate rules as data: each value of a rule pack with its source and verified flag, and the
national catalogue of special operations for mines (issue 14, points 7-9).

A value is read from the pack in force on the record's own date (a certificate's issue date, a
manager's day of taking the post). Its provenance is a ``PackValueSource`` row; a value without
one counts as unverified. Only a verified value is binding: it voids a certificate or places a
hold. An unverified one shows the same verdict as a warning (待核实) naming the source to check.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from compliance.rules.base import register_rule_kind
from tenants.models import MineProfile, Person

from .models import MineGroup, PackValueSource, RulePack, SpecialOperationType, mine_group_of

# The pack fields that are certificate rules, in the order docs/training.md lists them.
CERTIFICATE_FIELDS = (
    "special_cert_valid_years",
    "special_cert_review_years",
    "special_cert_review_years_long_service",
    "special_cert_long_service_years",
    "special_cert_review_min_hours",
    "special_reexam_after_absence_months",
    "manager_cert_valid_years",
    "manager_apply_within_days",
    "manager_pass_within_months",
    "manager_resits_allowed",
    "manager_wait_after_fail_months",
    "internal_record_valid_years",
)


@dataclass(frozen=True)
class RuleValue:
    field: str
    value: int
    source: str
    verified: bool

    @property
    def binding(self) -> bool:
        return self.verified


class RuleBook:
    """Every rule pack with its value sources, read once (two queries) and asked many times: a
    list of certificates judges each row by its own issue date without a query per row."""

    def __init__(self, packs: list[RulePack], sources: dict[tuple[int, str], PackValueSource]):
        self.packs = sorted(packs, key=lambda p: p.effective_from, reverse=True)
        self.sources = sources

    @classmethod
    def load(cls) -> RuleBook:
        packs = list(RulePack.objects.all())
        sources = {(s.pack_id, s.field): s for s in PackValueSource.objects.all()}
        return cls(packs, sources)

    def pack_for(self, day: datetime.date) -> RulePack | None:
        for pack in self.packs:
            if pack.effective_from <= day and (pack.effective_to is None or pack.effective_to >= day):
                return pack
        return None

    def value(self, day: datetime.date, field: str) -> RuleValue | None:
        pack = self.pack_for(day)
        if pack is None:
            return None
        source = self.sources.get((pack.pk, field))
        return RuleValue(
            field=field,
            value=getattr(pack, field),
            source=source.source if source else "",
            verified=bool(source and source.verified),
        )

    def binding_days(self, field: str, date_field: str) -> Q:
        """The condition "``date_field`` falls in a pack whose ``field`` is verified", for a query."""
        cond = Q(pk__in=[])
        for pack in self.packs:
            source = self.sources.get((pack.pk, field))
            if source and source.verified:
                span = Q(**{f"{date_field}__gte": pack.effective_from})
                if pack.effective_to is not None:
                    span &= Q(**{f"{date_field}__lte": pack.effective_to})
                cond |= span
        return cond


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later, or the month's last day (31 August + 6 → 28/29 February)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for dom in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=dom)
        except ValueError:
            continue
    raise AssertionError("unreachable")


# --- the national catalogue of special operations --------------------------------------------------


def mine_group_of_person(person: Person) -> str:
    """Coal or non-coal by the mine the person's unit is in or under; "" above any mine (one
    query). The person was reached through the caller's scope; their own mine is no secret."""
    segments = [s for s in person.org_unit.path.split("/") if s]
    # Paths are "<hq>/<sub>/<mine>/…/": the unit's own path and each ancestor's.
    prefixes = ["/".join(segments[: i + 1]) + "/" for i in range(len(segments))]
    mine_type = (
        MineProfile.dangerously_unscoped.filter(tenant_id=person.tenant_id, org_unit__path__in=prefixes)
        .order_by("-org_unit__path")
        .values_list("mine_type", flat=True)
        .first()
    )
    return mine_group_of(mine_type)


def catalogue(mine_group: str = "") -> list[SpecialOperationType]:
    qs = SpecialOperationType.objects.all()
    if mine_group:
        qs = qs.filter(mine_group=mine_group)
    return list(qs)


def special_operation_error(operation_type: str, mine_group: str) -> str | None:
    """Why ``operation_type`` cannot be named on a statutory special-operation certificate of a
    person in a mine of ``mine_group`` (any group when unknown), or None when it can."""
    rows = catalogue(mine_group)
    if any(r.operation_type == operation_type for r in rows):
        return None
    label = str(dict(Person.OperationType.choices).get(operation_type, operation_type))
    where = {
        MineGroup.COAL: _("coal mines"),
        MineGroup.NON_COAL: _("metal and non-metal mines"),
    }.get(mine_group, _("mines"))
    names = "、".join(r.name for r in rows) or "—"
    return _(
        "%(type)s is not a special operation in the national catalogue for %(where)s "
        "(特种作业目录, 令第30号): %(names)s. A mine's own post is trained and recorded internally."
    ) % {"type": label, "where": where, "names": names}


# --- registration --------------------------------------------------------------------------------


def _describe_value(rule: PackValueSource) -> str:
    return f"{rule.pack.code}: {rule.field} = {getattr(rule.pack, rule.field, '?')}"


def _describe_operation(rule: SpecialOperationType) -> str:
    return f"{rule.get_mine_group_display()} {rule.item} {rule.name}"


def register() -> None:
    register_rule_kind(
        "training.pack_value", PackValueSource, gettext_lazy("Training rule pack value"), _describe_value
    )
    register_rule_kind(
        "training.special_operation",
        SpecialOperationType,
        gettext_lazy("Special operation (national catalogue)"),
        _describe_operation,
    )
