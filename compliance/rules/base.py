"""Rules as data: every rule value carries its source and a verified flag (DESIGN.md).

A rule value (a level minimum, a re-check interval, a training-hours figure, a certificate review
period …) is read from the regulation texts by people, and a reading can be wrong. So each value
says where it comes from (document number and article) and whether someone has checked it against
the text. The product acts on the flag in one way everywhere:

- a **verified** rule may stop a mine or a person (not permitted to produce, a hold, a refusal);
- an **unverified** rule only warns (待核实), naming the source to check, never stops anything on
  its own.

Capabilities give their rule models the fields with ``RuleSource`` and register them here, so the
operator's tools (``manage.py rules``, the admin) list and verify every kind of rule without
knowing any capability. Marking a rule verified is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compliance.audit.services import audit_record


class RuleSource(models.Model):
    """The provenance fields of a rule value. Abstract: each rule model keeps its own table."""

    source = models.CharField(
        _("source"),
        max_length=300,
        blank=True,
        help_text=_("Document number and article the value is read from."),
    )
    verified = models.BooleanField(
        _("verified"),
        default=False,
        help_text=_("Checked against the text of the source. Only verified rules stop a mine or a person."),
    )
    verified_by = models.CharField(_("verified by"), max_length=150, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def binding(self) -> bool:
        """Whether this rule's consequence may stop a mine or a person (else it only warns)."""
        return self.verified


# --- the registry of rule kinds --------------------------------------------------------------------
@dataclass(frozen=True)
class RuleKind:
    key: str  # e.g. "grading.level"; used on the command line
    model: type[RuleSource]
    label: str
    describe: object = str  # (rule) -> one line naming the value, e.g. "煤矿 二级: 总分 ≥ 80"


_kinds: dict[str, RuleKind] = {}


def register_rule_kind(key: str, model: type[RuleSource], label: str, describe=str) -> None:
    """Called from a capability's ``AppConfig.ready()``. Idempotent by key."""
    _kinds[key] = RuleKind(key=key, model=model, label=label, describe=describe)


def rule_kinds() -> list[RuleKind]:
    return sorted(_kinds.values(), key=lambda k: k.key)


def rule_kind(key: str) -> RuleKind:
    try:
        return _kinds[key]
    except KeyError:
        raise LookupError(f"unknown rule kind {key!r}; known: {', '.join(sorted(_kinds))}") from None


def mark_verified(rule: RuleSource, *, by: str, verified: bool = True, note: str = "") -> RuleSource:
    """The operator has checked ``rule`` against its source (or withdraws that). Audited with the
    rule's before and after, in one transaction with the change."""
    if not by.strip():
        raise ValueError("who verified the rule must be named")
    with transaction.atomic():
        rule = type(rule).objects.select_for_update().get(pk=rule.pk)
        before = {"verified": rule.verified, "verified_by": rule.verified_by}
        rule.verified = verified
        rule.verified_by = by.strip() if verified else ""
        rule.verified_at = timezone.now() if verified else None
        rule.save(update_fields=["verified", "verified_by", "verified_at"])
        audit_record(
            action="rule.verify" if verified else "rule.unverify",
            tenant_id=getattr(rule, "owner_tenant_id", None) or getattr(rule, "tenant_id", None),
            obj=rule,
            before=before,
            after={
                "verified": rule.verified,
                "verified_by": rule.verified_by,
                "source": rule.source,
                "note": note,
            },
        )
    return rule
