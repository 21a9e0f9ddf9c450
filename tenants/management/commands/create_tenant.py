"""manage.py create_tenant: a mining group (platform operator), optionally with its first admin."""

from __future__ import annotations

import getpass
import sys

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from compliance.audit.context import ActorContext, acting_as
from tenants import roles, services


def validation_message(exc: ValidationError) -> str:
    """Every field message of a ValidationError, one per line: ``field: message``."""
    if not hasattr(exc, "error_dict"):
        return "\n".join(exc.messages)
    lines = []
    for name, messages in exc.message_dict.items():
        for message in messages:
            lines.append(message if name == NON_FIELD_ERRORS else f"{name}: {message}")
    return "\n".join(lines)


def read_password(username: str | None, password: str | None, option: str) -> str | None:
    """The password given, or asked for on a terminal (a password on the command line is seen by
    ``ps`` and lands in the shell history)."""
    if not username:
        if password:
            raise CommandError(f"{option} needs the matching username option.")
        return None
    if password:
        return password
    if not sys.stdin.isatty():
        raise CommandError(f"{option} is required with a username when not on a terminal.")
    return getpass.getpass(f"Password for {username}: ")


class Command(BaseCommand):
    help = "Create a mining group (tenant) with its headquarters, and optionally its first tenant admin."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="Group name, e.g. 黔能矿业集团有限责任公司.")
        parser.add_argument("--credit-code", required=True, help="统一社会信用代码 (18 characters).")
        parser.add_argument("--hq-name", help="Name of the headquarters unit (default: the group name).")
        parser.add_argument("--admin-username", help="Login of the first tenant admin.")
        parser.add_argument("--admin-password", help="Its password (asked for on a terminal if omitted).")

    def handle(self, *args, **options):
        username = options["admin_username"]
        password = read_password(username, options["admin_password"], "--admin-password")
        try:
            with acting_as(ActorContext(username="manage.py create_tenant", role="platform")):
                with transaction.atomic():  # the group and its admin, or nothing
                    tenant = services.tenant_create(
                        name=options["name"], credit_code=options["credit_code"], hq_name=options["hq_name"]
                    )
                    if username:
                        services.tenant_user_create(
                            tenant=tenant, username=username, password=password, role=roles.TENANT_ADMIN
                        )
        except ValidationError as exc:
            raise CommandError(validation_message(exc)) from exc
        self.stdout.write(f"Created mining group {tenant.name} ({tenant.credit_code}), id {tenant.pk}.")
        if username:
            self.stdout.write(f"Tenant admin login: {username}")
