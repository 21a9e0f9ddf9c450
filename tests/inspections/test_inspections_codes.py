"""One-time spot-exam codes: no login needed, work once, expire, limited wrong tries, and the
session they open holds that one attempt only."""

from __future__ import annotations

import datetime
import re

import pytest
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.inspections import services as inspections
from compliance.inspections.models import SpotCheck
from compliance.training import attempts
from compliance.training.models import Attempt
from tenants import roles
from tenants.scope import dangerously_platform_scope

from ..conftest import login
from .test_inspections import as_role, make_bank, make_inspection, make_paper

pytestmark = pytest.mark.django_db

ENTER = "/training/spot/"


@pytest.fixture
def drawn(world):
    """Tenant A's mine inspected; two people drawn for a spot paper."""
    a = world.a
    make_bank(a)
    paper = make_paper(a)
    inspection = make_inspection(a)
    with as_role(a) as scope:
        checks = inspections.pick_people(
            scope=scope, inspection=inspection, paper=paper, people=[a.people[1], a.people[2]]
        )
    return world, checks


def _issue(world, check, now=None) -> str:
    with as_role(world.a) as scope:
        return inspections.issue_code(scope=scope, spot_check=check, now=now)


def test_the_code_page_needs_no_login_and_the_code_works_once(drawn):
    world, (check, other) = drawn
    assert reverse("inspections:spot-enter") == ENTER
    code = _issue(world, check)
    with dangerously_platform_scope():
        stored = SpotCheck.objects.get(pk=check.pk)
    assert stored.code_digest and code not in stored.code_digest  # only a digest is kept
    assert stored.code_digest == inspections.code_digest(check.pk, code)

    phone = Client()  # nobody logged in
    assert phone.get(ENTER).status_code == 200
    response = phone.post(ENTER, {"code": code})
    assert response.status_code == 302
    with dangerously_platform_scope():
        attempt = Attempt.objects.get(spot_check=check)
        assert attempt.person_id == check.person_id and attempt.paper_id == check.paper_id
        assert AuditEvent.objects.filter(object_id=str(check.pk), action="code_used").exists()
    assert response["Location"] == reverse("training:exam-take", kwargs={"attempt_id": attempt.pk})
    assert phone.session["spot_attempts"] == [str(attempt.pk)]

    again = Client().post(ENTER, {"code": code})  # used: refused, on any phone
    assert again.status_code == 400
    assert "not valid" in again.content.decode() or "无效" in again.content.decode()
    assert phone.post(ENTER, {"code": code}).status_code == 400


def test_the_exam_page_opens_from_the_code_without_a_login(drawn):
    world, (check, _other) = drawn
    phone = Client()
    response = phone.post(ENTER, {"code": _issue(world, check)})
    assert response.status_code == 302
    page = phone.get(response["Location"])
    assert page.status_code == 200, page.get("Location")


def test_the_session_holds_only_the_attempt_its_code_opened(drawn):
    world, (check, other) = drawn
    phone = Client()
    phone.post(ENTER, {"code": _issue(world, check)})
    with as_role(world.a) as scope:
        other_attempt = inspections.start_on_device(
            scope=scope, spot_check=other, user=world.a.users[roles.SAFETY_MANAGER]
        )
    with dangerously_platform_scope():
        mine = Attempt.objects.get(spot_check=check)
    assert (
        phone.get(reverse("training:exam-take", kwargs={"attempt_id": other_attempt.pk})).status_code != 200
    )

    from tenants.selectors import EMPTY_SCOPE

    held = attempts.held_spot_attempts(phone.session)
    with dangerously_platform_scope():
        assert attempts.access_attempt(scope=EMPTY_SCOPE, held=held, attempt_id=mine.pk).pk == mine.pk
        with pytest.raises(Http404):
            attempts.access_attempt(scope=EMPTY_SCOPE, held=held, attempt_id=other_attempt.pk)


def test_codes_expire(drawn):
    world, (check, _other) = drawn
    code = _issue(world, check, now=timezone.now() - datetime.timedelta(hours=2, minutes=1))
    assert Client().post(ENTER, {"code": code}).status_code == 400
    with dangerously_platform_scope():
        assert not Attempt.objects.filter(spot_check=check).exists()


def test_a_new_code_replaces_the_old_one(drawn):
    world, (check, _other) = drawn
    old = _issue(world, check)
    new = _issue(world, check)
    if old != new:
        assert Client().post(ENTER, {"code": old}).status_code == 400
    assert Client().post(ENTER, {"code": new}).status_code == 302


def test_five_wrong_codes_void_the_spot_checks_code(drawn):
    world, (check, _other) = drawn
    code = _issue(world, check)
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    for _ in range(inspections.MAX_CODE_FAILURES):
        response = Client().post(ENTER, {"code": wrong, "s": str(check.pk)})  # fresh session each time
        assert response.status_code == 400
    with dangerously_platform_scope():
        assert AuditEvent.objects.filter(object_id=str(check.pk), action="code_failed").count() == 5
        assert AuditEvent.objects.filter(object_id=str(check.pk), action="code_locked").exists()
    # the right code no longer works: the inspector must issue a new one
    assert Client().post(ENTER, {"code": code, "s": str(check.pk)}).status_code == 400
    assert Client().post(ENTER, {"code": _issue(world, check), "s": str(check.pk)}).status_code == 302


def test_wrong_codes_are_limited_per_session_and_never_say_which_part_was_wrong(drawn):
    world, (check, _other) = drawn
    code = _issue(world, check)
    phone = Client()
    bodies = set()
    for wrong in ("000000" if code != "000000" else "000001", "12", "abcdef", "9999999", ""):
        response = phone.post(ENTER, {"code": wrong})
        assert response.status_code == 400
        alert = re.search(r'<div class="errors" role="alert">(.*?)</div>', response.content.decode(), re.S)
        bodies.add(alert.group(1))
    assert len(bodies) == 1  # the same message whatever was wrong
    response = phone.post(ENTER, {"code": code})
    assert response.status_code == 429  # even the right code, once this session is locked
    with dangerously_platform_scope():
        assert not Attempt.objects.filter(spot_check=check).exists()
    assert Client().post(ENTER, {"code": code}).status_code == 302  # another phone is not affected


def test_regulators_cannot_use_codes_and_inspectors_start_on_their_tablet(drawn):
    world, (check, other) = drawn
    code = _issue(world, check)
    assert login(world.regulator_in).post(ENTER, {"code": code}).status_code == 403

    tablet = login(world.a.users[roles.SAFETY_MANAGER])
    response = tablet.post(reverse("inspections:spot-start", kwargs={"pk": check.pk}))
    assert response.status_code == 302
    with dangerously_platform_scope():
        attempt = Attempt.objects.get(spot_check=check)
        assert SpotCheck.objects.get(pk=check.pk).code_digest == ""  # the code handed out is void
    assert response["Location"] == reverse("training:exam-take", kwargs={"attempt_id": attempt.pk})
    assert tablet.get(response["Location"]).status_code == 200
    assert Client().post(ENTER, {"code": code}).status_code == 400
    # once started, no new code can be issued
    response = tablet.post(reverse("inspections:spot-code", kwargs={"pk": check.pk}))
    assert response.status_code == 302

    # the code page shows the code once, with a QR code as an image (no inline script or style)
    page = tablet.post(reverse("inspections:spot-code", kwargs={"pk": other.pk}))
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    body = page.content.decode()
    assert 'src="data:image/svg+xml' in body and "<script>" not in body and "style=" not in body
    # a team leader (no inspection rights) and a worker cannot start or issue
    for role in (roles.TEAM_LEADER, roles.WORKER):
        client = login(world.a.users[role])
        assert client.post(reverse("inspections:spot-start", kwargs={"pk": other.pk})).status_code == 403
        assert client.post(reverse("inspections:spot-code", kwargs={"pk": other.pk})).status_code == 403
    b_admin = login(world.b.users[roles.TENANT_ADMIN])
    assert b_admin.post(reverse("inspections:spot-code", kwargs={"pk": other.pk})).status_code == 404


@pytest.mark.redis
def test_wrong_codes_from_one_address_count_across_processes_in_the_shared_cache(world, settings):
    """With CACHE_URL set, the per-address count of wrong codes is kept in Redis: failures recorded
    by another process (another web server, its own connection) lock this one's code page too."""
    import os
    import subprocess
    import sys
    import uuid

    from django.core.cache import cache

    from compliance.inspections import views

    url, prefix, address = "redis://127.0.0.1:6379/0", f"test-{uuid.uuid4().hex}", "203.0.113.7"
    other_server = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "from compliance.inspections import views as v\n"
        "print(settings.CACHES['default']['BACKEND'])\n"
        f"for _ in range(v.ADDRESS_FAILURES_MAX): v.address_failed({address!r})\n"
    )
    env = os.environ | {"CACHE_URL": url, "CACHE_KEY_PREFIX": prefix}
    env.pop("DATABASE_URL", None)  # the other process touches no database
    done = subprocess.run(
        [sys.executable, "-c", other_server], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "django.core.cache.backends.redis.RedisCache"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
        }
    }
    try:
        # A fresh phone (no failures in its session) at the same address is refused here.
        response = Client(REMOTE_ADDR=address).post(ENTER, {"code": "000000"})
        assert response.status_code == 429
        assert Client(REMOTE_ADDR="203.0.113.8").post(ENTER, {"code": "000000"}).status_code == 400
    finally:
        cache.delete(views._address_key(address))
        cache.delete(views._address_key("203.0.113.8"))
