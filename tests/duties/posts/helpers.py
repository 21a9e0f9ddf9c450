"""Builders for the posts tests: people at a mine and a full roster, through the services."""

from __future__ import annotations

import datetime

from compliance.duties import services
from compliance.duties.models import Education, required_posts
from tenants import roles
from tenants import services as tenant_services
from tenants.scope import activate, dangerously_platform_scope

from ...factories import resident_id

D = datetime.date
JAN5 = D(2026, 1, 5)


def make_people(tw, n: int, *, seq: int = 500, region: str = "520201"):
    out = []
    with dangerously_platform_scope() as platform:
        for i in range(n):
            out.append(
                tenant_services.person_create(
                    scope=platform,
                    org_unit=tw.mine,
                    resident_id=resident_id(region, seq=seq + i),
                    name=f"{tw.tenant.name[:1]}干部{seq + i}",
                    employee_no=f"{tw.tenant.name[:1]}-L{seq + i}",
                    post_category="safety_management",
                )
            )
    return out


def appoint(tw, mine, post, person, *, on=JAN5, **extra):
    fields = {"education": Education.BACHELOR, "years_experience": 10, "mining_field": True} | extra
    role = roles.SAFETY_MANAGER if mine.pk == tw.mine.pk else roles.TENANT_ADMIN
    with activate(tw.scope(role)) as scope:
        return services.appointment_create(
            scope=scope, mine=mine, post=post, person=person, started_on=on, **fields
        )


def full_roster(tw, mine=None, *, coal=True, seq=500):
    mine = mine or tw.mine
    posts = required_posts(coal)
    people = make_people(tw, len(posts), seq=seq)
    return {post: appoint(tw, mine, post, person) for post, person in zip(posts, people, strict=True)}
