"""manage.py grading_rule_correct: the platform operator corrects a grading rule value after
reading its source, as a new rule version (grading.rules.rule_correct; audited).

    manage.py grading_rule_correct grading.accident:17 --set to_level= \\
        --source "矿安〔2024〕109号 第X条" --by "张工" --verified
    manage.py grading_rule_correct grading.policy:2 --set starts_on=2023-03-01 --source "…" --by "张工"
    manage.py grading_rule_correct grading.level:5 --set 'part_minimums={"basics": 80}' \
        --source "…" --by "张工"

``--set NAME=VALUE`` may repeat; a value is read as JSON when it parses (numbers, objects, null),
else as text; an empty value is null. Without ``--verified`` the corrected value is 待核实 until
``manage.py rules --verify``.
"""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from compliance.rules.base import rule_kind
from tenants.scope import dangerously_platform_scope


def _value(text: str):
    if text == "":
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


class Command(BaseCommand):
    help = "Correct a grading rule value as a new rule version (the old one kept for history)."

    def add_arguments(self, parser):
        parser.add_argument("target", metavar="KIND:ID", help="e.g. grading.level:5")
        parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", dest="values")
        parser.add_argument("--source", required=True, help="document number and article read")
        parser.add_argument("--by", required=True, help="who read the text")
        parser.add_argument("--verified", action="store_true", help="the corrected value was checked")

    def handle(self, *args, target, values, source, by, verified, **options):
        from compliance.grading.rules import rule_correct

        key, _sep, pk = target.rpartition(":")
        if not key.startswith("grading."):
            raise CommandError(
                "only grading rules are corrected here (grading.level, .recheck, .accident, .policy)"
            )
        try:
            kind = rule_kind(key)
        except LookupError as exc:
            raise CommandError(str(exc)) from None
        parsed = {}
        for item in values:
            name, sep, text = item.partition("=")
            if not sep:
                raise CommandError(f"expected NAME=VALUE, got {item!r}")
            parsed[name.strip()] = _value(text.strip())
        # The operator's tool: national rule data belongs to no tenant.
        with dangerously_platform_scope():
            try:
                rule = kind.model.objects.get(pk=pk)
            except (kind.model.DoesNotExist, ValueError):
                raise CommandError(f"no {key} rule with id {pk}") from None
            try:
                new = rule_correct(rule, by=by, values=parsed, source=source, verified=verified)
            except ValidationError as exc:
                raise CommandError(
                    "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
                ) from None
        state = "verified" if new.verified else "待核实"
        how = "corrected in place" if new.pk == rule.pk else f"replaces {key}:{rule.pk}"
        self.stdout.write(f"{key}:{new.pk} ({state}) {how}: {kind.describe(new)}")
