"""Lists built through the services, for the tests of responsibility lists."""

from __future__ import annotations

import datetime

from compliance.duties import services_lists as svc
from tenants import roles
from tenants.scope import activate
from tenants.selectors import scope_for_user

ITEMS = [
    {
        "duty": "遵守安全规程",
        "scope": "本岗位",
        "criterion": "无违章记录",
        "evidence": "班前会记录",
        "max_score": 10,
    },
    {
        "duty": "参加班前会",
        "scope": "本班组",
        "criterion": "出勤率100%",
        "evidence": "签到表",
        "max_score": 10,
    },
]


def admin_scope(tw):
    return scope_for_user(tw.users[roles.TENANT_ADMIN])


def make_post(tw, code="miner", name="采煤工", level="worker", **extra):
    scope = admin_scope(tw)
    with activate(scope):
        return svc.duty_post_create(scope=scope, code=code, name=name, level=level, **extra)


def publish(tw, post, unit=None, items=None, note=""):
    scope = admin_scope(tw)
    with activate(scope):
        return svc.list_publish(
            scope=scope, post=post, org_unit=unit or tw.hq, items=items or ITEMS, note=note
        )


def assign(tw, person, post, since=None):
    scope = admin_scope(tw)
    with activate(scope):
        return svc.post_holder_assign(
            scope=scope, person=person, post=post, since=since or datetime.date(2026, 1, 1)
        )


def setup_worker_list(tw):
    """The worker of ``tw`` holds 采煤工, whose group list has two items."""
    post = make_post(tw)
    version = publish(tw, post)
    holder = assign(tw, tw.worker_person, post)
    return post, version, holder
