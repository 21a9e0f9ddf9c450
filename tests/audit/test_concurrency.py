"""Two processes appending to one tenant's audit chain at once leave an intact chain."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection

from compliance.audit.models import AuditEvent
from compliance.audit.services import audit_verify
from tenants import roles
from tenants.scope import dangerously_platform_scope

WRITER = """
import os, sys, time, django
os.environ["DJANGO_SETTINGS_MODULE"] = "compliance.settings"
django.setup()
from django.contrib.auth import get_user_model
from compliance.audit.services import audit_record
from tenants.scope import activate
from tenants.selectors import scope_for_user
user = get_user_model().objects.get(username=sys.argv[1])
start = float(sys.argv[2])
with activate(scope_for_user(user)):
    while time.time() < start:
        time.sleep(0.001)
    for n in range(int(sys.argv[3])):
        audit_record(action="update", tenant_id=scope_for_user(user).tenant_id, object_type="test.Concurrent",
                     object_repr=f"{sys.argv[4]}-{n}", after={"n": n})
"""


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_writers_at_once_keep_the_chain_intact(world, tmp_path):
    per_writer = 150
    env = os.environ | {"DATABASE_URL": _database_url(), "KUANGAN_VAR_DIR": str(tmp_path)}
    username = world.a.users[roles.TENANT_ADMIN].username
    with dangerously_platform_scope():
        before = AuditEvent.objects.filter(tenant=world.a.tenant).count()
    start = time.time() + 4  # both begin at the same instant, after Django has loaded
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, username, str(start), str(per_writer), name],
            cwd=settings.BASE_DIR,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for name in ("first", "second")
    ]
    for writer in writers:
        _out, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err[-2000:]
    with dangerously_platform_scope():
        events = list(
            AuditEvent.objects.filter(tenant=world.a.tenant).order_by("seq").values_list("seq", "object_repr")
        )
    assert len(events) == before + 2 * per_writer
    assert [seq for seq, _r in events] == list(range(1, len(events) + 1))
    written = [r for _s, r in events if r.startswith(("first-", "second-"))]
    # The two writers really interleaved (neither simply ran after the other).
    switches = sum(
        1 for a, b in zip(written, written[1:], strict=False) if a.split("-")[0] != b.split("-")[0]
    )
    assert switches > 2, f"writers did not overlap ({switches} switches)"
    assert audit_verify().intact
