from django.core.management.base import BaseCommand, CommandError

from compliance.audit.services import audit_verify


class Command(BaseCommand):
    help = "Recompute the audit hash chains; exit non-zero at the first broken event."

    def handle(self, *args, **options):
        result = audit_verify()
        if result.intact:
            self.stdout.write(f"intact: {result.events} events")
            return
        event = result.broken
        where = f"event id={event.pk} chain={event.chain_key} seq={event.seq}" if event else "chain head"
        raise CommandError(f"broken at {where}: {result.reason}")
