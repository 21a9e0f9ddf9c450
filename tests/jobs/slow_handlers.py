"""A job kind for the worker-crash test, registered only where this module is imported: by the
test, and by the worker it starts (``celery worker --include tests.jobs.slow_handlers``).

It is the real people import, except that the first time its apply step runs it stops after its
writes — inside the job's transaction, before the commit — leaves a marker file saying so, and
sleeps, so the test can kill the worker exactly there.
"""

import os
import time
from pathlib import Path

from compliance.jobs.services import job_handler
from tenants import people_io, roles

KIND = "test_slow_people_import"


def _apply(job, plan) -> dict:
    result = people_io.people_import_apply(job, plan)
    marker = Path(job.params["marker"])
    if not marker.exists():
        marker.write_text(str(os.getpid()))
        time.sleep(300)  # killed here by the test
    return result


job_handler(KIND, prepare=people_io.people_import_prepare, apply=_apply, input_perm=roles.REVEAL_RESIDENT_ID)
