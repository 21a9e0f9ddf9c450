"""``manage.py hazard_criteria_import <catalogue code> <file.xlsx> [--verified-by NAME]``: the
platform operator loads the full text of a major-hazard criteria catalogue (docs/hazards.md)."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from compliance.audit.context import ActorContext, acting_as
from compliance.inspections.hazards.criteria_import import import_criteria
from compliance.inspections.hazards.models import CriteriaCatalogue
from tenants.scope import dangerously_platform_scope


class Command(BaseCommand):
    help = "Import the criteria of a major-hazard catalogue from Excel (all rows or none)."

    def add_arguments(self, parser):
        parser.add_argument("catalogue", help="catalogue code, e.g. coal-2026-21")
        parser.add_argument("file", help="the .xlsx file")
        parser.add_argument("--verified-by", default="", help="who checked the rows against the text")

    def handle(self, *args, **options):
        catalogue = CriteriaCatalogue.objects.filter(code=options["catalogue"]).first()
        if catalogue is None:
            codes = ", ".join(CriteriaCatalogue.objects.values_list("code", flat=True))
            raise CommandError(f"no catalogue {options['catalogue']!r}; known: {codes}")
        content = Path(options["file"]).read_bytes()
        # The platform operator's tool: global reference data, no tenant's rows.
        with dangerously_platform_scope(), acting_as(ActorContext(username="manage.py")):
            try:
                n = import_criteria(catalogue=catalogue, content=content, verified_by=options["verified_by"])
            except ValidationError as exc:
                raise CommandError("Nothing imported:\n" + "\n".join(exc.messages)) from exc
        self.stdout.write(f"{n} criteria imported into {catalogue.code}")
