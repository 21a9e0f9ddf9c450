"""Walks every URL of the site and the API and proves, for each, that

* a user of tenant A gets 404 for tenant B's objects, whether the id is in the URL, in the body
  or in a filter, and that tenant B's data is unchanged afterwards;
* tenant B's rows never appear in tenant A's lists;
* a regulator gets 403 for every unsafe method — except on its own API tokens (routes marked
  ``own_credentials``), where another login's token is 404 like any foreign object.

A URL added without an entry in ROUTES (or EXEMPT, with the reason) fails this test, so every
new page and endpoint is covered from its first commit.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from openpyxl import Workbook

from compliance.audit.models import AuditEvent
from compliance.jobs.models import Job
from compliance.jobs.services import job_start
from compliance.tokens.models import ApiToken
from compliance.tokens.services import api_token_issue
from tenants import roles
from tenants.models import Membership, OrgUnit, Person
from tenants.scope import dangerously_platform_scope

from ..conftest import login
from ..factories import resident_id

UNSAFE = ("post", "put", "patch", "delete")

# Reachable by anyone, or by the platform operator only; each says why it is not in the matrix.
EXEMPT = {
    "login": "public: the login form",
    "logout": "ends the caller's own session only",
    "set_language": "public: stores a language choice in the caller's session",
    "api-schema": "public: the OpenAPI description, no data",
    "api-docs": "public: the Swagger UI page, no data",
    "api:api-token": "public: exchanges the caller's own credentials for a token",
}


@dataclass
class Route:
    kwargs: Callable | None = None  # world → URL kwargs naming tenant B's object
    body: Callable | None = None  # world → a body that names tenant B's object (create endpoints)
    multipart: bool = False
    query: Callable | None = None  # world → a filter that names tenant B's object
    list_page: bool = False  # GET shows rows: must contain nothing of tenant B
    # The caller's own API tokens, not tenant data: a regulator may revoke its own (see tokens/).
    own_credentials: bool = False
    extra: dict = field(default_factory=dict)


def _b_person(w):
    return w.b.people[1]


def _xlsx() -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号", "工号", "岗位类别"])
    ws.append(["甲", resident_id("520201", seq=901), "M-901", "其他从业人员"])
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "people.xlsx"
    return out


PERSON_BODY = {
    "name": "越界者",
    "employee_no": "X-1",
    "post_category": "other",
    "status": "on_post",
    "resident_id": "11010519491231002X",
}

ROUTES: dict[str, Route] = {
    # pages
    "home": Route(list_page=True),
    "org-tree": Route(list_page=True),
    "org-unit-create": Route(body=lambda w: {"parent": w.b.subsidiary.pk, "kind": "team", "name": "越界"}),
    "org-unit-detail": Route(kwargs=lambda w: {"pk": w.b.subsidiary.pk}),
    "org-unit-delete": Route(kwargs=lambda w: {"pk": w.b.other_team.pk}),
    "mine-list": Route(list_page=True),
    "mine-detail": Route(kwargs=lambda w: {"pk": w.b.mine.pk}),
    "mine-edit": Route(kwargs=lambda w: {"pk": w.b.mine.pk}),
    "person-list": Route(list_page=True, query=lambda w: {"unit": w.b.team.pk}),
    "person-create": Route(body=lambda w: {"org_unit": w.b.team.pk, **PERSON_BODY}),
    "person-import": Route(body=lambda w: {"org_unit": w.b.team.pk, "file": _xlsx()}, multipart=True),
    "person-import-template": Route(),
    "person-export": Route(query=lambda w: {"unit": w.b.team.pk}),
    "person-detail": Route(kwargs=lambda w: {"pk": _b_person(w).pk}),
    "person-edit": Route(kwargs=lambda w: {"pk": _b_person(w).pk}),
    "person-delete": Route(kwargs=lambda w: {"pk": _b_person(w).pk}),
    "person-reveal": Route(kwargs=lambda w: {"pk": _b_person(w).pk}),
    "person-login-create": Route(kwargs=lambda w: {"pk": _b_person(w).pk}),
    "membership-list": Route(list_page=True),
    "membership-create": Route(
        body=lambda w: {"person": w.b.worker_person.pk, "org_unit": w.a.hq.pk, "role": roles.SAFETY_MANAGER}
    ),
    "membership-revoke": Route(kwargs=lambda w: {"pk": w.b_membership.pk}),
    "audit-list": Route(list_page=True),
    "job-detail": Route(kwargs=lambda w: {"pk": w.b_job.pk}),
    "account-tokens": Route(list_page=True, own_credentials=True),
    "account-token-revoke": Route(kwargs=lambda w: {"pk": w.b_token.pk}, own_credentials=True),
    "job-input": Route(kwargs=lambda w: {"pk": w.b_job.pk}),
    # API
    "api:api-me": Route(),
    "api:org-unit-list": Route(
        list_page=True, body=lambda w: {"parent": str(w.b.subsidiary.pk), "kind": "team", "name": "越界"}
    ),
    "api:org-unit-detail": Route(kwargs=lambda w: {"pk": w.b.subsidiary.pk}, body=lambda w: {"name": "改名"}),
    "api:mine-list": Route(list_page=True),
    "api:mine-detail": Route(kwargs=lambda w: {"pk": w.b.mine.pk}, body=lambda w: {"region_code": "110101"}),
    "api:person-list": Route(
        list_page=True,
        query=lambda w: {"org_unit": w.b.team.pk},
        body=lambda w: {"org_unit": str(w.b.team.pk), **PERSON_BODY},
    ),
    "api:person-detail": Route(kwargs=lambda w: {"pk": _b_person(w).pk}, body=lambda w: {"name": "改名"}),
    "api:person-reveal-resident-id": Route(kwargs=lambda w: {"pk": _b_person(w).pk}),
    "api:person-import-xlsx": Route(
        body=lambda w: {"org_unit": str(w.b.team.pk), "file": _xlsx()}, multipart=True
    ),
    "api:person-export-xlsx": Route(query=lambda w: {"org_unit": w.b.team.pk}),
    "api:person-import-template": Route(),
    "api:membership-list": Route(
        list_page=True,
        body=lambda w: {"person": str(w.b.worker_person.pk), "org_unit": str(w.a.hq.pk), "role": "worker"},
    ),
    "api:membership-detail": Route(kwargs=lambda w: {"pk": w.b_membership.pk}),
    "api:audit-event-list": Route(list_page=True),
    "api:job-detail": Route(kwargs=lambda w: {"pk": w.b_job.pk}),
    "api:api-token-list": Route(list_page=True, own_credentials=True),
    "api:api-token-detail": Route(kwargs=lambda w: {"pk": w.b_token.pk}, own_credentials=True),
    "api:job-input": Route(kwargs=lambda w: {"pk": w.b_job.pk}),
}


def _walk(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            if entry.app_name == "admin":
                continue  # Django admin: platform operator only, runs in the platform scope
            yield from _walk(entry, namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{prefix}{entry.name}"


def all_url_names() -> set[str]:
    names = set(_walk(get_resolver()))
    # drf-spectacular's and DRF's format-suffix variants are not used by the router we mount.
    return {n for n in names if not n.endswith("-format")}


def test_every_url_is_covered():
    uncovered = all_url_names() - set(ROUTES) - set(EXEMPT)
    assert not uncovered, f"URLs with no isolation coverage: {sorted(uncovered)} — add them to ROUTES"
    stale = set(ROUTES) - all_url_names()
    assert not stale, f"ROUTES names URLs that no longer exist: {sorted(stale)}"


@pytest.fixture
def matrix_world(world):
    with dangerously_platform_scope() as platform:
        world.b_membership = Membership.objects.filter(tenant=world.b.tenant, role=roles.SAFETY_MANAGER).get()
        world.b_job = job_start(
            scope=platform,
            user=world.b.users[roles.TENANT_ADMIN],
            kind="people_import",
            org_unit=world.b.team,
            params={"filename": "b.xlsx"},
            input_bytes=_xlsx().getvalue(),  # job-input must refuse a file that exists
            input_suffix=".xlsx",
        )
    world.b_token, _key = api_token_issue(user=world.b.users[roles.TENANT_ADMIN], name="B-集团脚本")
    return world


def _b_fingerprint(w) -> dict:
    """Everything of tenant B that a leak through a write would change."""
    with dangerously_platform_scope():
        t = w.b.tenant
        return {
            "units": sorted(OrgUnit.objects.filter(tenant=t).values_list("name", "path")),
            "people": sorted(
                Person.objects.filter(tenant=t).values_list("name", "employee_no", "org_unit_id", "status")
            ),
            "memberships": sorted(
                Membership.objects.filter(tenant=t).values_list("user_id", "role", "org_unit_id")
            ),
            "audit": AuditEvent.objects.filter(tenant=t).count(),
            "jobs": list(Job.objects.filter(tenant=t).values_list("status", flat=True)),
            "tokens": sorted(
                ApiToken.objects.filter(tenant=t).values_list("name", "revoked_at", "expires_at")
            ),
        }


def _b_markers(w) -> list[str]:
    with dangerously_platform_scope():
        ids = [str(pk) for pk in OrgUnit.objects.filter(tenant=w.b.tenant).values_list("pk", flat=True)]
        ids += [str(pk) for pk in Person.objects.filter(tenant=w.b.tenant).values_list("pk", flat=True)]
        people = list(Person.objects.filter(tenant=w.b.tenant).values_list("name", "resident_id_masked"))
    tokens = [str(w.b_token.pk), w.b_token.name, w.b_token.key_prefix]
    return ids + [name for name, _m in people] + [w.b.tenant.name, w.b.mine.name, w.b.team.name] + tokens


def _send(client, method: str, url: str, route: Route, w, with_body: bool):
    data = route.body(w) if (with_body and route.body) else {}
    if method == "get":
        return client.get(url, route.query(w) if route.query else None)
    if route.multipart and method == "post":
        return client.post(url, data)  # multipart
    if url.startswith("/api/"):
        return getattr(client, method)(
            url, data=json.dumps(data, default=str), content_type="application/json"
        )
    return getattr(client, method)(url, data)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [roles.TENANT_ADMIN, roles.HQ_AUDITOR, roles.SAFETY_MANAGER, roles.WORKER])
def test_tenant_a_never_reaches_tenant_b(matrix_world, role):
    w = matrix_world
    client = login(w.a.users[role])
    before = _b_fingerprint(w)
    markers = _b_markers(w)
    failures = []
    for name, route in ROUTES.items():
        url = reverse(name, kwargs=route.kwargs(w) if route.kwargs else None)
        for method in ("get", *UNSAFE):
            response = _send(client, method, url, route, w, with_body=True)
            code = response.status_code
            names_b = (
                route.kwargs is not None
                or (route.body is not None and method != "get")
                or (route.query is not None and method == "get")
            )
            # 403 (role lacks the permission) and 405 (method not offered) are decided before any
            # lookup, so they reveal nothing about tenant B either.
            if names_b and code not in (403, 404, 405):
                failures.append(f"{method.upper()} {name}: {code}, expected 404")
            elif not names_b and 200 <= code < 400 and method != "get":
                failures.append(f"{method.upper()} {name}: {code} without naming any object")
            if 200 <= code < 300 and response.get("Content-Type", "").startswith(
                ("text/html", "application/json")
            ):
                body = response.content.decode()
                leaked = [m for m in markers if m in body]
                if leaked:
                    failures.append(f"{method.upper()} {name}: shows tenant B data {leaked[:3]}")
        if route.list_page:
            response = client.get(url)
            assert response.status_code in (200, 403), f"{name}: {response.status_code}"
    assert not failures, "\n".join(failures)
    assert _b_fingerprint(w) == before, "tenant B's data changed"


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["regulator_in", "regulator_out"])
def test_regulator_never_writes(matrix_world, who):
    """Every unsafe method on every URL is 403 for a regulator — for objects inside its
    jurisdiction (tenant B's Guizhou mine is inside regulator_in's) and outside it."""
    w = matrix_world
    client = login(getattr(w, who))
    before = _b_fingerprint(w)
    failures = []
    for name, route in ROUTES.items():
        url = reverse(name, kwargs=route.kwargs(w) if route.kwargs else None)
        for method in UNSAFE:
            code = _send(client, method, url, route, w, with_body=True).status_code
            if route.own_credentials:
                # Its own tokens only: another's is 404, an empty form 400, no such method 405.
                if code not in (400, 404, 405):
                    failures.append(f"{method.upper()} {name}: {code}, expected 400, 404 or 405")
                continue
            if code != 403:
                failures.append(f"{method.upper()} {name}: {code}, expected 403")
    assert not failures, "\n".join(failures)
    assert _b_fingerprint(w) == before


@pytest.mark.django_db
def test_anonymous_gets_nothing(matrix_world):
    w = matrix_world
    from django.test import Client

    client = Client()
    for name, route in ROUTES.items():
        url = reverse(name, kwargs=route.kwargs(w) if route.kwargs else None)
        response = client.get(url)
        if url.startswith("/api/"):
            assert response.status_code in (401, 403), f"{name}: {response.status_code}"
        else:
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], name
