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
from tenants.home import group_status, todo_list
from tenants.scope import activate, dangerously_platform_scope

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


# --- group HQ: each subsidiary's status -----------------------------------------------------------
def _status_block(client) -> str:
    page = client.get("/").content.decode()
    assert 'data-testid="group-status"' in page
    return page.split('data-testid="group-status"', 1)[1].split("</section>", 1)[0]


def _add_mine(world, parent, name, region="520201"):
    from tenants import services

    with dangerously_platform_scope() as platform:
        return services.org_unit_create(
            scope=platform,
            parent=parent,
            kind="mine",
            name=name,
            mine_profile={"mine_type": "coal_underground", "region_code": region},
        )


@pytest.mark.parametrize("role", [roles.HQ_AUDITOR, roles.TENANT_ADMIN])
def test_group_hq_sees_each_subsidiary_with_its_mines_and_figures(world, role):
    block = _status_block(login(world.a.users[role]))
    assert f'data-unit="{world.a.subsidiary.pk}"' in block and world.a.subsidiary.name in block
    for mine in (world.a.mine, world.a.other_mine):
        assert f'data-mine="{mine.pk}"' in block and mine.name in block
    # Columns are the registered providers' figure labels (zh by default), each cell a flag.
    assert "本年度学时不足人数" in block and "标准化等级" in block
    for key in ("training.hours_short", "grading.grade", "duties.vacancies", "hazards.open"):
        assert f'<th data-key="{key}">' in block
    assert 'class="flag ' in block


@pytest.mark.parametrize("role", [roles.SAFETY_MANAGER, roles.TEAM_LEADER, roles.WORKER, "regulator"])
def test_only_group_hq_sees_the_subsidiaries(world, role):
    user = world.regulator_in if role == "regulator" else world.a.users[role]
    response = login(user).get("/")
    assert response.status_code == 200
    assert 'data-testid="group-status"' not in response.content.decode()
    assert response.context["group_status"] is None


def test_another_groups_subsidiaries_never_appear(world):
    for this, other in ((world.a, world.b), (world.b, world.a)):
        with activate(this.scope(roles.HQ_AUDITOR)) as scope:
            status = group_status(scope)
        assert {s.unit.pk for s in status.subsidiaries} == {this.subsidiary.pk}
        mines = {m.mine.pk for s in status.subsidiaries for m in s.mines}
        assert mines == {this.mine.pk, this.other_mine.pk}
        block = _status_block(login(this.users[roles.TENANT_ADMIN]))
        for unit in (other.subsidiary, other.mine, other.other_mine):
            assert str(unit.pk) not in block and unit.name not in block


def test_summary_counts_and_worst_flag_come_from_the_figures(world, providers):
    a = world.a
    registry._mine_figures.clear()
    flags = {a.mine.pk: ("violation", "warning"), a.other_mine.pk: ("ok", "warning")}
    heard = []

    def fake(scope, mine_ids):
        heard.append(set(mine_ids))
        return {
            mine_id: [
                registry.MineFigure(
                    "fake.one", "甲项", 3, flags[mine_id][0], "规则甲", f"/one/?mine={mine_id}"
                ),
                registry.MineFigure("fake.two", "乙项", "1/2", flags[mine_id][1], "规则乙"),
            ]
            for mine_id in mine_ids
            if mine_id in flags
        }

    registry.register_mine_figures(registry.MineFigureProvider("fake", "测试", fake))
    lone = _add_mine(world, a.hq, "A直属矿")
    with activate(a.scope(roles.HQ_AUDITOR)) as scope:
        status = group_status(scope)
    assert heard == [{a.mine.pk, a.other_mine.pk, lone.pk}]  # one call for every mine
    assert status.columns == [("fake.one", "甲项"), ("fake.two", "乙项")]
    sub, direct = status.subsidiaries
    assert sub.unit == a.subsidiary and direct.unit is None and [m.mine for m in direct.mines] == [lone]
    assert (len(sub.mines), sub.with_violation, sub.with_warning, sub.worst) == (2, 1, 2, "violation")
    assert direct.worst is None and direct.mines[0].cells == [None, None]

    block = _status_block(login(a.users[roles.HQ_AUDITOR]))
    assert "集团直属" in block and "违规" in block and "警告" in block
    summary = block.split(f'data-unit="{a.subsidiary.pk}"', 1)[1].split("</summary>", 1)[0]
    assert 'data-worst="violation"' in summary
    assert re.search(r'data-testid="sub-violations">[^<]*1<', summary)
    assert re.search(r'data-testid="sub-warnings">[^<]*2<', summary)
    # A figure cell: its value, its flag, the rule as title text, linking to the list behind it.
    assert f'href="/one/?mine={a.mine.pk}" class="figure" data-key="fake.one" title="规则甲"' in block
    row = block.split(f'data-mine="{a.other_mine.pk}"', 1)[1].split("</tr>", 1)[0]
    assert '<b>1/2</b> <span class="flag warning">警告</span>' in row and 'title="规则乙"' in row


def test_english_after_the_language_switch(world, providers):
    registry._mine_figures.clear()
    registry.register_mine_figures(
        registry.MineFigureProvider(
            "fake", "test", lambda scope, ids: {i: [registry.MineFigure("f", "F", 0, "watch")] for i in ids}
        )
    )
    client = login(world.a.users[roles.HQ_AUDITOR])
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    block = _status_block(client)
    assert "Subsidiaries&#x27; status" in block or "Subsidiaries' status" in block
    assert ">Watch<" in block and "2 mines" in block


def test_group_status_queries_do_not_grow_with_subsidiaries_and_mines(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tenants import services

    client = login(world.a.users[roles.HQ_AUDITOR])
    assert client.get("/").status_code == 200  # caches warmed
    with CaptureQueriesContext(connection) as few:
        assert client.get("/").status_code == 200
    with dangerously_platform_scope() as platform:
        for n in range(3):
            sub = services.org_unit_create(
                scope=platform, parent=world.a.hq, kind="subsidiary", name=f"A新子公司{n}"
            )
            for m in range(2):
                _add_mine(world, sub, f"A新{n}矿{m}", region="530102")
    _add_mine(world, world.a.hq, "A直属矿")
    with CaptureQueriesContext(connection) as many:
        response = client.get("/")
    assert response.content.decode().count('data-testid="subsidiary"') == 5  # 4 subsidiaries + direct
    assert response.content.decode().count('data-testid="mine-status"') == 9
    assert len(many.captured_queries) <= len(few.captured_queries), [
        q["sql"][:200] for q in many.captured_queries
    ]


def test_columns_keep_provider_order_when_a_figure_is_missing_on_the_first_mine():
    from tenants.home import _columns

    def figs(*keys):
        return [registry.MineFigure(k, k.upper(), 0) for k in keys]

    got = _columns([figs("t1", "g1", "c1"), figs("t1", "g1", "h1", "h2", "c1"), figs("x0", "t1")])
    assert list(got) == ["x0", "t1", "g1", "h1", "h2", "c1"] and got["h1"] == "H1"
