"""Login lockout (django-axes): 5 failures lock the login name, and LOGIN_ADDRESS_FAILURE_LIMIT (30)
from one address lock that address for every name — on the login page and on the API's token
endpoint — for 30 minutes. Every failure, refused ones included, stays in the audit trail."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from rest_framework.test import APIClient

from compliance.audit.models import AuditEvent
from tenants import roles
from tenants.scope import dangerously_platform_scope

from ..conftest import PASSWORD

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
LOCKED_TEXT = "登录失败次数过多"
WRONG_TEXT = "账号或密码错误"


def page_login(username: str, password: str, ip: str = "127.0.0.1"):
    return Client(REMOTE_ADDR=ip).post("/accounts/login/", {"username": username, "password": password})


def api_login(username: str, password: str, ip: str = "127.0.0.1"):
    return APIClient(REMOTE_ADDR=ip).post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )


def logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/"


def test_login_page_locks_the_account_after_5_failures(world):
    name = world.a.users[roles.SAFETY_MANAGER].username
    with time_machine.travel(T0, tick=False):
        for attempt in range(4):
            response = page_login(name, "wrong-password", ip=f"10.0.0.{attempt + 1}")
            assert response.status_code == 200 and WRONG_TEXT in response.content.decode()
            assert not logged_in(response)
        fifth = page_login(name, "wrong-password", ip="10.0.0.5")
        assert fifth.status_code == 429
        # Even the right password is refused now, from yet another address.
        right = page_login(name, PASSWORD, ip="10.0.0.6")
        assert right.status_code == 429
        page = right.content.decode()
        assert LOCKED_TEXT in page and "30 分钟" in page and 'data-testid="locked-out"' in page
        assert "sessionid" not in right.cookies
        # Another login from the same addresses is not affected by this account's lockout.
        assert logged_in(page_login(world.a.users[roles.WORKER].username, PASSWORD, ip="10.0.0.7"))
    with time_machine.travel(T0 + dt.timedelta(minutes=31), tick=False):
        assert logged_in(page_login(name, PASSWORD, ip="10.0.0.6"))


def test_token_endpoint_locks_the_account_after_5_failures(world):
    name = world.a.users[roles.TENANT_ADMIN].username
    with time_machine.travel(T0, tick=False):
        for attempt in range(4):
            response = api_login(name, "wrong-password", ip=f"10.0.1.{attempt + 1}")
            assert response.status_code == 400 and "non_field_errors" in response.json()
        fifth = api_login(name, "wrong-password", ip="10.0.1.5")
        assert fifth.status_code == 429
        right = api_login(name, PASSWORD, ip="10.0.1.6")
        assert right.status_code == 429
        assert set(right.json()) == {"detail"} and LOCKED_TEXT in right.json()["detail"]
        assert "token" not in right.json()
        # The web login of the same account is locked too: it is one account.
        assert page_login(name, PASSWORD, ip="10.0.1.7").status_code == 429
    with time_machine.travel(T0 + dt.timedelta(minutes=31), tick=False):
        assert api_login(name, PASSWORD, ip="10.0.1.6").status_code == 200


def test_one_address_is_locked_across_login_names(world, settings):
    ip = "192.0.2.10"
    limit = settings.LOGIN_ADDRESS_FAILURE_LIMIT
    assert limit == 30  # the default
    names = [f"nobody-{n}" for n in range(limit - 1)] + [world.a.users[roles.WORKER].username]
    with time_machine.travel(T0, tick=False):
        for name in names[:-1]:  # no name fails 5 times; the address fails limit − 1 times
            assert not logged_in(page_login(name, "guess", ip=ip))
        # A site behind one address: one more person's typo does not lock everyone out yet ...
        hq = world.a.users[roles.HQ_AUDITOR].username
        assert logged_in(page_login(hq, PASSWORD, ip=ip))
        # ... the address's limit-th failure does.
        assert api_login(names[-1], "guess", ip=ip).status_code == 429
        # Now every login from that address is refused, correct passwords included.
        assert page_login(hq, PASSWORD, ip=ip).status_code == 429
        assert api_login(world.b.users[roles.WORKER].username, PASSWORD, ip=ip).status_code == 429
        # The same logins from another address work: none of them failed 5 times itself.
        assert logged_in(page_login(hq, PASSWORD, ip="192.0.2.11"))
        assert api_login(world.b.users[roles.WORKER].username, PASSWORD, ip="192.0.2.11").status_code == 200
    with time_machine.travel(T0 + dt.timedelta(minutes=31), tick=False):
        assert logged_in(page_login(hq, PASSWORD, ip=ip))


def test_a_site_behind_one_address_keeps_logging_in_through_a_few_typos(world):
    """Five people at one mine mistype their passwords once each: nobody is locked out."""
    ip = "198.51.100.7"
    with time_machine.travel(T0, tick=False):
        for role in (
            roles.WORKER,
            roles.TEAM_LEADER,
            roles.SAFETY_MANAGER,
            roles.HQ_AUDITOR,
            roles.TENANT_ADMIN,
        ):
            assert not logged_in(page_login(world.a.users[role].username, "typo", ip=ip))
        for role in (
            roles.WORKER,
            roles.TEAM_LEADER,
            roles.SAFETY_MANAGER,
            roles.HQ_AUDITOR,
            roles.TENANT_ADMIN,
        ):
            assert logged_in(page_login(world.a.users[role].username, PASSWORD, ip=ip))


def test_failures_age_out_after_the_cool_off(world):
    name = world.a.users[roles.WORKER].username
    with time_machine.travel(T0, tick=False):
        for _ in range(4):
            page_login(name, "wrong-password")
    with time_machine.travel(T0 + dt.timedelta(minutes=31), tick=False):
        page_login(name, "wrong-password")  # one new failure, not the fifth
        assert logged_in(page_login(name, PASSWORD))


def test_every_failure_is_audited_locked_ones_included(world):
    name = world.a.users[roles.TEAM_LEADER].username
    with time_machine.travel(T0, tick=False):
        for _ in range(5):
            page_login(name, "wrong-password")
        api_login(name, PASSWORD)  # refused while locked out
    with dangerously_platform_scope():
        events = AuditEvent.objects.filter(action="login_failed", object_repr=name)
        assert events.count() == 6
        assert {e.tenant_id for e in events} == {world.a.tenant.pk}
        assert all(e.after["ip"] == "127.0.0.1" for e in events)


def test_a_locked_out_login_page_is_english_after_the_switch(world):
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    for _ in range(5):
        response = client.post("/accounts/login/", {"username": "someone", "password": "x"})
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
