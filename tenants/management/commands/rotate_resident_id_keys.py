"""Key rotation for resident ID numbers.

1. Generate a new Fernet key and put it FIRST in RESIDENT_ID_KEYS (keep the old ones after it):
   new rows are encrypted with it at once, old rows stay readable.
2. Run this command: every ciphertext is re-encrypted under the first key, and every keyed hash
   is recomputed with the current RESIDENT_ID_HASH_KEY (so a new hash key takes effect here too).
3. Remove the old keys from RESIDENT_ID_KEYS.

Work is done in batches, each in its own transaction; running it again is harmless.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from tenants import personal_data
from tenants.models import Person
from tenants.scope import dangerously_platform_scope


class Command(BaseCommand):
    help = "Re-encrypt every resident ID number under the newest key in RESIDENT_ID_KEYS and rehash it."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size, **options):
        done = 0
        # Key rotation covers every tenant: it is the platform operator's task.
        with dangerously_platform_scope():
            ids = list(Person.dangerously_unscoped.order_by("pk").values_list("pk", flat=True))
            for start in range(0, len(ids), batch_size):
                with transaction.atomic():
                    people = Person.dangerously_unscoped.select_for_update().filter(
                        pk__in=ids[start : start + batch_size]
                    )
                    for person in people:
                        number = personal_data.decrypt(person.resident_id_cipher)
                        person.resident_id_cipher = personal_data.rotate(person.resident_id_cipher)
                        person.resident_id_digest = personal_data.digest(number)
                    Person.dangerously_unscoped.bulk_update(
                        people, ["resident_id_cipher", "resident_id_digest"]
                    )
                    done += len(people)
        self.stdout.write(f"re-encrypted {done} resident ID numbers")
