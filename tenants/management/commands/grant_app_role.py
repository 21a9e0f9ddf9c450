from django.core.management.base import BaseCommand

from compliance import rls


class Command(BaseCommand):
    help = (
        "Grant the application's PostgreSQL role (DATABASE_APP_ROLE) its privileges: data access on "
        "every table, append-only on the audit trail. Run as the tables' owner; safe to repeat."
    )

    def handle(self, *args, **options):
        rls.grant_app_role()
        self.stdout.write(f"granted to {rls.app_role()}")
