"""In-app notifications: one's own only, newest first; mark one or all read; the bell's count."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compliance.notifications import services
from compliance.notifications.models import Notification
from tenants import roles
from tenants.scope import dangerously_platform_scope

from .conftest import login

pytestmark = pytest.mark.django_db


def _notify(tw, role, key, title=None):
    with dangerously_platform_scope():
        return services.notify(
            user=tw.users[role],
            tenant_id=tw.tenant.pk,
            title=title or f"通知{key}",
            body="正文",
            link="/",
            dedupe_key=key,
        )


def test_same_key_never_twice(world):
    first = _notify(world.a, roles.WORKER, "k1")
    again = _notify(world.a, roles.WORKER, "k1", title="别的标题")
    assert first.pk == again.pk
    with dangerously_platform_scope():
        assert Notification.objects.filter(user=world.a.users[roles.WORKER]).count() == 1


def test_list_shows_own_only_newest_first(world):
    for i in range(3):
        _notify(world.a, roles.WORKER, f"w{i}", title=f"工人通知{i}")
    _notify(world.a, roles.SAFETY_MANAGER, "m", title="安全员通知")
    _notify(world.b, roles.WORKER, "b", title="乙方通知")
    page = login(world.a.users[roles.WORKER]).get("/notifications/").content.decode()
    assert "安全员通知" not in page and "乙方通知" not in page
    assert page.index("工人通知2") < page.index("工人通知1") < page.index("工人通知0")


def test_bell_count_and_mark_read(world):
    worker = world.a.users[roles.WORKER]
    one = _notify(world.a, roles.WORKER, "a")
    _notify(world.a, roles.WORKER, "b")
    client = login(worker)
    page = client.get("/").content.decode()
    assert 'data-testid="unread-count">2<' in page
    response = client.post(f"/notifications/{one.pk}/read/")
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    with dangerously_platform_scope():
        one.refresh_from_db()
    assert one.read_at is not None
    assert 'data-testid="unread-count">1<' in client.get("/").content.decode()
    assert client.post("/notifications/read-all/").status_code == 302
    assert 'data-testid="unread-count"' not in client.get("/").content.decode()
    # Follow: mark read and go to the link.
    other = _notify(world.a, roles.WORKER, "c")
    response = client.post(f"/notifications/{other.pk}/read/", {"follow": "1"})
    assert response["Location"] == "/"


def test_external_links_are_not_followed(world):
    with dangerously_platform_scope():
        evil = services.notify(
            user=world.a.users[roles.WORKER],
            tenant_id=world.a.tenant.pk,
            title="x",
            link="https://evil.example/",
            dedupe_key="e",
        )
    response = login(world.a.users[roles.WORKER]).post(f"/notifications/{evil.pk}/read/", {"follow": "1"})
    assert response["Location"] == "/notifications/"


def test_another_users_notification_is_404(world):
    mine = _notify(world.a, roles.SAFETY_MANAGER, "x")
    for user in (
        world.a.users[roles.WORKER],
        world.a.users[roles.TENANT_ADMIN],
        world.b.users[roles.SAFETY_MANAGER],
    ):
        assert login(user).post(f"/notifications/{mine.pk}/read/").status_code == 404
    # Read-all touches only the caller's own.
    login(world.a.users[roles.TENANT_ADMIN]).post("/notifications/read-all/")
    with dangerously_platform_scope():
        mine.refresh_from_db()
    assert mine.read_at is None


def test_regulators_cannot_write_and_anonymous_is_sent_to_login(world):
    from django.test import Client

    for user in (world.regulator_in, world.regulator_out):
        client = login(user)
        assert client.post("/notifications/read-all/").status_code == 403
    response = Client().post("/notifications/read-all/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert Client().get("/api/v1/me/notifications/").status_code in (401, 403)


def test_api_me_notifications(world):
    _notify(world.a, roles.WORKER, "api1", title="接口通知")
    _notify(world.a, roles.SAFETY_MANAGER, "api2", title="别人的")
    data = login(world.a.users[roles.WORKER]).get("/api/v1/me/notifications/").json()
    assert [row["title"] for row in data["results"]] == ["接口通知"]
    assert set(data["results"][0]) == {"id", "title", "body", "link", "created_at", "read_at"}


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_constant_queries(world):
    client = login(world.a.users[roles.WORKER])
    for i in range(2):
        _notify(world.a, roles.WORKER, f"q{i}")
    small = [
        _count(client, "/notifications/"),
        _count(client, "/api/v1/me/notifications/"),
        _count(client, "/"),
    ]
    for i in range(2, 25):
        _notify(world.a, roles.WORKER, f"q{i}")
    assert [
        _count(client, "/notifications/"),
        _count(client, "/api/v1/me/notifications/"),
        _count(client, "/"),
    ] == small


def test_a_new_notification_goes_by_email_to_a_user_with_an_address_once(
    world, settings, django_capture_on_commit_callbacks
):
    from django.core import mail

    settings.SITE_URL = "https://kuangan.example.cn"
    worker, manager = world.a.users[roles.WORKER], world.a.users[roles.SAFETY_MANAGER]
    worker.email, manager.email = "worker@example.cn", ""
    worker.save()
    manager.save()
    with django_capture_on_commit_callbacks(execute=True):
        _notify(world.a, roles.WORKER, "mail", title="证书30天内到期")
        _notify(world.a, roles.WORKER, "mail", title="证书30天内到期")  # the same key: no second email
        _notify(world.a, roles.SAFETY_MANAGER, "mail", title="无邮箱")
    (message,) = mail.outbox
    assert message.to == ["worker@example.cn"] and message.subject == "证书30天内到期"
    assert "正文" in message.body and "https://kuangan.example.cn/" in message.body


def test_embedded_default_prints_email_and_smtp_comes_from_the_environment():
    import os
    import subprocess
    import sys

    code = "from django.conf import settings as s; print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT)"
    run = [sys.executable, "-c", f"import django; django.setup(); {code}"]
    env = {
        "DJANGO_SETTINGS_MODULE": "compliance.settings",
        "PATH": "/usr/bin:/bin",
        "KUANGAN_VAR_DIR": os.environ.get("KUANGAN_VAR_DIR", "/tmp/kuangan-email-test"),
    }
    out = subprocess.run(run, env=env, capture_output=True, text=True, check=True).stdout
    assert out.split()[0] == "django.core.mail.backends.console.EmailBackend"
    env |= {"EMAIL_HOST": "smtp.example.cn", "EMAIL_PORT": "465"}
    out = subprocess.run(run, env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["django.core.mail.backends.smtp.EmailBackend", "smtp.example.cn", "465"]
