"""The home page is a to-do list: every capability's items for the scope, counts linking to the
filtered lists, zero counts dropped, most urgent first, a constant number of queries; the latest
unread notifications and one's own holds beside it."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from compliance import registry
from compliance.inspections.services import SPOT_EXAM_HOLD
from compliance.notifications import services as notifications
from compliance.training.models import Certificate
from tenants import holds, roles
from tenants.home import todo_list
from tenants.scope import dangerously_platform_scope

from ..conftest import login

pytestmark = pytest.mark.django_db

ITEM = re.compile(r'data-testid="(todo-[a-z0-9-]+)-count">(\d+)<')


def items(client) -> dict[str, int]:
    response = client.get("/")
    assert response.status_code == 200
    return {key: int(n) for key, n in ITEM.findall(response.content.decode())}


@pytest.fixture
def providers():
    saved = registry.snapshot()
    yield
    registry.restore(saved)


def test_items_ordered_by_severity_and_zero_counts_dropped(world, providers):
    registry._todo_providers.clear()
    D = datetime.date

    def fake(scope):
        return [
            registry.TodoItem("info", "信息", 3, severity="info"),
            registry.TodoItem("none", "没有", 0, severity="blocked"),
            registry.TodoItem("due-late", "晚到期", 2, severity="due", deadline=D(2027, 3, 1)),
            registry.TodoItem("due-soon", "早到期", 2, severity="due", deadline=D(2027, 1, 1)),
            registry.TodoItem("blocked", "停岗", 1, severity="blocked"),
            registry.TodoItem("overdue", "逾期", 5, severity="overdue"),
        ]

    registry.register_todo_provider(registry.TodoProvider("fake", "测试", fake))
    keys = [t.item.key for t in todo_list(world.a.scope(roles.SAFETY_MANAGER))]
    assert keys == ["blocked", "overdue", "due-soon", "due-late", "info"]


def test_nothing_to_do_says_so(world, providers):
    registry._todo_providers.clear()
    page = login(world.a.users[roles.WORKER]).get("/").content.decode()
    assert 'data-testid="todo-empty"' in page


def _expired_certificate(world, person):
    today = timezone.localdate()
    with dangerously_platform_scope():
        return Certificate.objects.create(
            tenant=world.a.tenant,
            person=person,
            kind=Certificate.Kind.SAFETY_MANAGEMENT,
            number=f"T-{person.pk.hex[:8]}",
            issued_on=today - datetime.timedelta(days=400),
            expires_on=today - datetime.timedelta(days=3),
            source=Certificate.Source.EXTERNAL,
        )


def test_each_role_sees_its_own_to_dos_and_another_tenant_nothing_of_them(world):
    worker = world.a.worker_person
    _expired_certificate(world, worker)
    # The worker: their own expired certificate; the manager and the regulator: one in scope.
    assert items(login(world.a.users[roles.WORKER])).get("todo-training-certificates-expired") == 1
    assert items(login(world.a.users[roles.SAFETY_MANAGER])).get("todo-training-certificates-expired") == 1
    assert items(login(world.regulator_in)).get("todo-training-certificates-expired") == 1
    # Tenant B's manager sees nothing of tenant A's certificate.
    assert "todo-training-certificates-expired" not in items(login(world.b.users[roles.SAFETY_MANAGER]))
    # The regulator never gets the write-side items (drafts, reviews).
    reg = items(login(world.regulator_in))
    assert not {"todo-grading-drafts", "todo-grading-submitted", "todo-training-people-short"} & set(reg)


def test_a_held_worker_sees_why_and_the_manager_sees_them_counted(world):
    person = world.a.worker_person
    manager_scope = world.a.scope(roles.SAFETY_MANAGER)
    with dangerously_platform_scope():
        holds.place_hold(
            scope=manager_scope,
            person=person,
            source=SPOT_EXAM_HOLD,
            reason="抽考不合格，暂停上岗",
            reference=("test", "1"),
        )
    page = login(world.a.users[roles.WORKER]).get("/").content.decode()
    assert 'data-testid="my-holds"' in page and "抽考不合格，暂停上岗" in page
    manager = login(world.a.users[roles.SAFETY_MANAGER])
    assert items(manager)["todo-inspections-suspended"] == 1
    listed = manager.get(f"/people/?hold={SPOT_EXAM_HOLD}")
    assert listed.context["page"].paginator.count == 1


def test_latest_unread_notifications_on_the_home_page(world):
    user = world.a.users[roles.WORKER]
    with dangerously_platform_scope():
        for i in range(7):
            notifications.notify(user=user, tenant_id=world.a.tenant.pk, title=f"提醒{i}", dedupe_key=f"h{i}")
        read = notifications.notify(user=user, tenant_id=world.a.tenant.pk, title="已读的", dedupe_key="r")
        notifications.mark_read(read)
    page = login(user).get("/").content.decode()
    block = page.split('data-testid="home-notifications"', 1)[1].split("</section>", 1)[0]
    assert "提醒6" in block and "提醒2" in block and "提醒1" not in block and "已读的" not in block
    assert (
        'data-testid="home-notifications"'
        not in login(world.a.users[roles.SAFETY_MANAGER]).get("/").content.decode()
    )


@pytest.mark.parametrize("role", [roles.WORKER, roles.SAFETY_MANAGER, roles.HQ_AUDITOR, "regulator"])
def test_home_queries_do_not_grow_with_rows(world, role, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = world.regulator_in if role == "regulator" else world.a.users[role]
    client = login(user)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/").status_code == 200
    with dangerously_platform_scope():
        people = [world.a.worker_person] * 30
    for n, person in enumerate(people):
        with dangerously_platform_scope():
            Certificate.objects.create(
                tenant=world.a.tenant,
                person=person,
                kind=Certificate.Kind.SAFETY_MANAGEMENT,
                number=f"Q-{n}",
                issued_on=timezone.localdate() - datetime.timedelta(days=400),
                expires_on=timezone.localdate() + datetime.timedelta(days=n),
                source=Certificate.Source.EXTERNAL,
            )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/").status_code == 200
