"""manage.py seed_demo: build the demo world (idempotent) and print its logins."""

from __future__ import annotations

import json
import time
import unicodedata

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from compliance import registry
from tenants import demo, roles
from tenants.models import Person

from .create_tenant import validation_message


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def render_table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(_width(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    line = "-+-".join("-" * w for w in widths)
    out = [" | ".join(_pad(h, w) for h, w in zip(headers, widths, strict=True)), line]
    out += [" | ".join(_pad(str(c), w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(text.rstrip() for text in out)


class Command(BaseCommand):
    help = (
        "Build the demo: two mining groups with subsidiaries, mines, teams and people, regulators, "
        "one login per role, then each capability's part of the demo (the registered demo builders, "
        "in order). Safe to run again: what exists is left alone. Prints the logins."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--json",
            action="store_true",
            help='Print only a JSON list of {"username","password","role","tenant","org_unit"} on stdout.',
        )

    def handle(self, *args, **options):
        as_json = options["json"]
        verbose = options["verbosity"] >= 1
        progress = self.stderr if as_json else self.stdout

        def log(message: str) -> None:
            if verbose:
                progress.write(message)

        started = time.monotonic()
        try:
            report = demo.build_demo(builders=registry.demo_builders(), log=log)
        except ValidationError as exc:
            raise CommandError(f"Demo not built (nothing saved):\n{validation_message(exc)}") from exc
        elapsed = time.monotonic() - started
        logins, missing = demo.existing_logins()
        for row in missing:
            self.stderr.write(
                f"Missing login {row['username']}: {row['org_unit']} was not built by seed_demo."
            )

        if as_json:
            self.stdout.write(json.dumps(logins, ensure_ascii=False, indent=2))
            return
        if verbose:
            self.stdout.write(
                f"Groups and agencies built: {len(report.created)}, already there: {len(report.skipped)}; "
                f"{report.people} people added; "
                + "".join(
                    f"{key} demo added to {len(groups)} groups; " for key, groups in report.added.items()
                )
                + f"{elapsed:.1f} s."
            )
        names = dict(
            # An operator's command: the names of the demo logins it just made, for its own report.
            Person.dangerously_unscoped.filter(
                user__username__in=[r["username"] for r in logins]
            ).values_list("user__username", "name")
        )
        rows = [
            [
                r["username"],
                r["password"],
                str(roles.ROLE_LABELS.get(r["role"], r["role"])),
                r["tenant"] or "—",
                r["org_unit"],
                names.get(r["username"], ""),
            ]
            for r in logins
        ]
        self.stdout.write("")
        self.stdout.write(render_table(["username", "password", "role", "group", "unit", "person"], rows))
