"""manage.py create_agency: a regulator agency (platform operator), optionally with one login."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from compliance.audit.context import ActorContext, acting_as
from tenants import services
from tenants.models import RegulatorAgency

from .create_tenant import read_password, validation_message


class Command(BaseCommand):
    help = (
        "Create a regulator agency whose jurisdiction is a region-code prefix "
        "(national: empty, provincial: 2 digits, prefecture: 4, county: 6), optionally with a login."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="e.g. 国家矿山安全监察局贵州局.")
        parser.add_argument("--level", required=True, choices=RegulatorAgency.Level.values)
        parser.add_argument(
            "--region-prefix", default="", help="Region-code prefix of the jurisdiction (empty for national)."
        )
        parser.add_argument("--username", help="Login of the agency's first user.")
        parser.add_argument("--password", help="Its password (asked for on a terminal if omitted).")

    def handle(self, *args, **options):
        username = options["username"]
        password = read_password(username, options["password"], "--password")
        try:
            with acting_as(ActorContext(username="manage.py create_agency", role="platform")):
                with transaction.atomic():  # the agency and its login, or nothing
                    agency = services.agency_create(
                        name=options["name"], level=options["level"], region_prefix=options["region_prefix"]
                    )
                    if username:
                        services.agency_user_create(agency=agency, username=username, password=password)
        except ValidationError as exc:
            raise CommandError(validation_message(exc)) from exc
        prefix = agency.region_prefix or "(all regions)"
        self.stdout.write(f"Created regulator agency {agency.name} ({agency.get_level_display()}, {prefix}).")
        if username:
            self.stdout.write(f"Regulator login: {username}")
