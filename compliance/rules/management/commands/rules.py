"""manage.py rules: the platform operator lists rule values with their sources and marks them
verified after checking the text (audited).

    manage.py rules                       # every rule kind, unverified values first
    manage.py rules --unverified          # only what is still 待核实
    manage.py rules --verify grading.level:42 --by "张工 (核对 煤安监行管〔2020〕16号)"
    manage.py rules --unverify grading.level:42 --by "张工"
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from compliance.rules.base import mark_verified, rule_kind, rule_kinds
from tenants.scope import dangerously_platform_scope


def _parse(target: str):
    key, _, pk = target.rpartition(":")
    if not key or not pk:
        raise CommandError(f"expected <kind>:<id>, got {target!r}")
    try:
        kind = rule_kind(key)
    except LookupError as exc:
        raise CommandError(str(exc)) from None
    try:
        return kind, kind.model.objects.get(pk=pk)
    except (kind.model.DoesNotExist, ValueError):
        raise CommandError(f"no {key} rule with id {pk}") from None


class Command(BaseCommand):
    help = "List rule values with their sources; mark one verified (or not) after checking the text."

    def add_arguments(self, parser):
        parser.add_argument("--unverified", action="store_true", help="only rules not yet verified")
        parser.add_argument("--verify", metavar="KIND:ID", help="mark this rule verified")
        parser.add_argument("--unverify", metavar="KIND:ID", help="withdraw the verification")
        parser.add_argument("--by", default="", help="who checked the text (required with --verify)")
        parser.add_argument("--note", default="", help="what was checked, recorded in the audit trail")

    def handle(self, *args, unverified, verify, unverify, by, note, **options):
        # The operator's tool: rule data is shared by every tenant (national packs) or owned by one,
        # and the operator verifies any of it; nothing here is shown to a tenant's user.
        with dangerously_platform_scope():
            if verify or unverify:
                kind, rule = _parse(verify or unverify)
                try:
                    rule = mark_verified(rule, by=by, verified=bool(verify), note=note)
                except ValueError as exc:
                    raise CommandError(str(exc)) from None
                state = "verified" if rule.verified else "unverified"
                self.stdout.write(f"{kind.key}:{rule.pk} {state}: {kind.describe(rule)}")
                return
            for kind in rule_kinds():
                rows = kind.model.objects.all()
                if unverified:
                    rows = rows.filter(verified=False)
                for rule in sorted(rows, key=lambda r: (r.verified, str(r.pk))):
                    flag = "verified  " if rule.verified else "待核实    "
                    self.stdout.write(
                        f"{flag}{kind.key}:{rule.pk}  {kind.describe(rule)}  — {rule.source or '(no source)'}"
                    )
