"""Fuzzed API: schemathesis walks every operation of the OpenAPI schema, as three logged-in users
(tenant A's tenant admin, tenant B's safety manager, the regulator whose jurisdiction covers a mine
of each tenant), and checks every answer: no 5xx, the body conforms to the documented schema, the
status code and content type are documented, and an object outside the caller's scope — named in
the URL, a filter or the body — gets the answer a missing object gets (404, or the 403 that
refuses any write by a read-only scope).

Operations are read from the schema served by the app, so a new endpoint is fuzzed from its first
commit. The cases per operation are bounded: ``MAX_EXAMPLES`` generated ones plus schemathesis'
coverage cases (every boundary and invalid value the schema defines, a fixed set). Hypothesis is
derandomized, so a run draws the same cases each time (only the ids of the fixture's rows, and
values schemathesis reuses from earlier responses, differ). The whole run takes a couple of
minutes; its totals end up in the terminal summary ("fuzz: N operations, M requests,
F failures", see tests/conftest.py).

A failure prints a ``curl`` line to reproduce it against ``./dev start`` (with a demo login's token).
"""

from __future__ import annotations

import itertools
import re
import uuid
import zlib
from types import SimpleNamespace

import pytest
import schemathesis
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core import signals
from django.db import close_old_connections
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.test import Client
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from compliance.wsgi import application
from tenants import roles
from tenants.selectors import EMPTY_SCOPE

from ..conftest import PASSWORD

MAX_EXAMPLES = 15  # generated cases per operation and identity, on top of examples and coverage cases
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# A read-only scope's write is refused (403) before its body is read; after this many refusals
# of one operation the regulator's remaining generated bodies are not sent.
READ_ONLY_REFUSALS = 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

# Loaded once per process at import: the schema endpoint is public and touches no table.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)

# identity → (who, how it authenticates). Both ways into the API are fuzzed: a token from
# POST /api/v1/auth/token/ (scripts, the mobile app) and a session cookie with its CSRF token (pages).
IDENTITIES = {
    "a-tenant-admin": (lambda w: w.a.users[roles.TENANT_ADMIN], "token"),
    "b-safety-manager": (lambda w: w.b.users[roles.SAFETY_MANAGER], "session"),
    "regulator": (lambda w: w.regulator_in, "token"),
}


def _token(username: str) -> str:
    response = Client().post(
        "/api/v1/auth/token/", {"username": username, "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _credentials(user, how: str) -> tuple[dict, dict]:
    """(headers, cookies) that authenticate ``user`` on every generated request."""
    if how == "token":
        return {"Authorization": f"Token {_token(user.username)}"}, {}
    client = Client()
    client.force_login(user)
    csrf = HttpRequest()
    masked = get_token(csrf)
    cookies = {
        settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value,
        settings.CSRF_COOKIE_NAME: csrf.META["CSRF_COOKIE"],
    }
    return {"X-CSRFToken": masked}, cookies


class Caller:
    """One identity's credentials, plus the ids it can and cannot see, fetched through the API."""

    def __init__(self, world, identity: str):
        who, self._how = IDENTITIES[identity]
        self._user = who(world)
        self.read_only = identity == "regulator"
        self.headers, self.cookies = _credentials(self._user, self._how)
        self._admins = [_credentials(w.users[roles.TENANT_ADMIN], "token")[0] for w in (world.a, world.b)]
        self._ids: dict[str, tuple[list[str], list[str]]] = {}
        self.requests = 0
        self.refused_writes = 0

    def call(self, case):
        response = self._send(case)
        if response.status_code == 401:
            # An earlier case revoked the very token (or ended the session) this identity uses:
            # log in again, as a client would, and repeat the request.
            self.headers, self.cookies = _credentials(self._user, self._how)
            response = self._send(case)
        return response

    def _send(self, case):
        """Through the real WSGI handler, which closes the database connection at the start and
        end of each request; on PostgreSQL that would end the test's transaction, so — as
        Django's test client does around its requests — not here."""
        self.requests += 1
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        try:
            return case.call(headers=self.headers, cookies=self.cookies)
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)

    def all_ids(self) -> tuple[list[str], list[str]]:
        """(own, foreign) ids of every list endpoint in the schema."""
        if "*" not in self._ids:
            lists = [op.path for op in _operations() if _is_list(op)]
            pairs = [self.ids(path) for path in lists]
            self._ids["*"] = tuple(sorted({pk for pair in pairs for pk in pair[i]}) for i in (0, 1))
        return self._ids["*"]

    def ids(self, collection: str) -> tuple[list[str], list[str]]:
        """(own, foreign) ids of the list endpoint ``collection``: those this identity lists, and
        those only the tenant admins of A and B list."""
        if collection not in self._ids:
            own = _listed(collection, self.headers, self.cookies)
            every = {pk for headers in self._admins for pk in _listed(collection, headers, {})}
            self._ids[collection] = (sorted(own), sorted(every - set(own)))
        return self._ids[collection]


def _operations():
    return [result.ok() for result in schema.get_all_operations()]


def _is_list(operation) -> bool:
    """A GET answering a page of rows (``{"count", "results": [...]}``)."""
    ok = operation.definition.raw.get("responses", {}).get("200", {})
    body = _resolve(ok.get("content", {}).get("application/json", {}).get("schema", {}))
    return operation.method.upper() == "GET" and "results" in body.get("properties", {})


def _listed(collection: str, headers: dict, cookies: dict) -> list[str]:
    client = Client(headers=headers)
    for name, value in cookies.items():
        client.cookies[name] = value
    response = client.get(collection, {"page_size": 200})
    if response.status_code != 200 or "json" not in response.get("Content-Type", ""):
        return []
    body = response.json()
    rows = body.get("results", []) if isinstance(body, dict) else body
    return [str(row["id"]) for row in rows if isinstance(row, dict) and "id" in row]


def _uuid_fields(case) -> tuple[list[str], list[str]]:
    """(query parameters, body properties) of the operation that take an object's id."""
    raw = case.operation.definition.raw
    query = [
        p["name"]
        for p in raw.get("parameters", [])
        if p["in"] == "query" and p["schema"].get("format") == "uuid"
    ]
    media = raw.get("requestBody", {}).get("content", {}).get(case.media_type or "", {})
    body = _resolve(media.get("schema", {}))
    props = body.get("properties", {})
    return query, [
        name for name, prop in props.items() if prop.get("format") == "uuid" and not prop.get("readOnly")
    ]


def _resolve(node: dict) -> dict:
    ref = node.get("$ref", "")
    return schema.raw_schema["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else node


def _substitute(case, values: dict, name: str, pools: tuple[list[str], list[str]]) -> str | None:
    """Generated ids only ever reach the 404 branch. For two thirds of them (chosen by a digest
    of the generated case, so runs stay reproducible) put in an object this identity can see,
    or one it must not see; return which, or None when the value is left alone."""
    digest = zlib.crc32(repr((name, case.path_parameters, case.query, case.body)).encode())
    pick = ("generated", "own", "foreign")[digest % 3]
    pool = pools[0] if pick == "own" else pools[1]
    if pick == "generated" or not pool:
        return None
    values[name] = pool[digest // 3 % len(pool)]
    return pick


def _point_at_real_objects(case, caller: Caller) -> list[tuple[dict, str]]:
    """Put real ids where the operation takes ids: in the URL one of the collection's own
    objects; in a filter or the body one of any listed object (the field names its kind only in
    prose, so some picks are of the wrong kind and answer 404 like a missing one). Returns where
    an object outside the identity's scope was put."""
    if case.method.upper() != case.operation.method.upper():
        return []  # a probe with a method the operation does not have (405)
    slots = []
    if case.path_parameters and "id" in case.path_parameters:
        slots.append((case.path_parameters, "id", caller.ids(case.operation.path.split("{", 1)[0])))
    query, body = _uuid_fields(case)
    slots += [(case.query, name, caller.all_ids()) for name in query if name in (case.query or {})]
    if isinstance(case.body, dict):
        slots += [(case.body, name, caller.all_ids()) for name in body if name in case.body]
    return [
        (values, name) for values, name, pools in slots if _substitute(case, values, name, pools) == "foreign"
    ]


@pytest.fixture
def caller(world, request, identity) -> Caller:
    caller = Caller(world, identity)
    yield caller
    request.node.user_properties.append(("fuzz_requests", caller.requests))


@pytest.mark.django_db
@pytest.mark.parametrize("identity", list(IDENTITIES))
@schema.parametrize()
@hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    # `world` and `db` are per test (operation × identity), not per example: the examples of one
    # operation share one transaction, rolled back at the end. That is intended.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_fuzz(case, caller):
    write = case.method.upper() in UNSAFE
    if caller.read_only and write and caller.refused_writes >= READ_ONLY_REFUSALS:
        return  # refused before the body is read: further bodies would only be the same 403
    foreign = _point_at_real_objects(case, caller)
    response = caller.call(case)
    case.validate_response(response, checks=CHECKS, headers=caller.headers)
    refused = caller.read_only and write and response.status_code == 403
    caller.refused_writes += refused
    if foreign and response.status_code != 404 and not refused:
        # Not the plain 404: then a missing object must get the very same answer, or the
        # difference tells that the other tenant's object exists.
        named = f"{case.method} {case.formatted_path} naming an object outside the scope"
        status = response.status_code
        for values, name in foreign:
            values[name] = str(uuid.uuid4())
        missing = caller.call(case).status_code
        assert status == missing, f"{named} answered {status}, one that does not exist {missing}"


# --- documented statuses ------------------------------------------------------------------------
PAGINATION = {"page", "page_size"}


def _view(path: str, method: str):
    """The view instance that serves ``method path`` (path parameters filled with a UUID, or with
    a number where the route takes one — reference data such as a standard's items)."""
    parts = re.split(r"{[^}]+}", path)
    for values in itertools.product((str(uuid.uuid4()), "1"), repeat=len(parts) - 1):
        filled = parts[0] + "".join(v + rest for v, rest in zip(values, parts[1:], strict=True))
        try:
            match = resolve(filled)
            break
        except Resolver404:
            continue
    else:
        raise Resolver404(path)
    view = match.func.cls(**getattr(match.func, "initkwargs", {}))
    actions = getattr(match.func, "actions", None)
    view.action = actions.get(method) if actions else None
    return view


def _refused(view, method: str, user, scope) -> bool:
    """Whether the view's permission classes turn this caller away (before any object lookup)."""
    request = SimpleNamespace(method=method.upper(), user=user, scope=scope)
    return not all(permission.has_permission(request, view) for permission in view.get_permissions())


def _body_names_objects(operation: dict, components: dict) -> bool:
    """A writable UUID field in the request body is a ScopedRelatedField: a foreign id is a 404."""
    for media in operation.get("requestBody", {}).get("content", {}).values():
        ref = media.get("schema", {}).get("$ref", "")
        body = components.get(ref.rsplit("/", 1)[-1], media.get("schema", {}))
        for prop in body.get("properties", {}).values():
            if prop.get("format") == "uuid" and not prop.get("readOnly"):
                return True
    return False


def test_every_operation_documents_the_errors_its_view_can_return():
    """Every status a view can answer is in the schema, so clients (and the fuzzer) can rely on it.
    Read from the view's own classes and from the operation's inputs:

    * 401 — the view turns away an anonymous caller and its first authentication class answers
      with a challenge (``WWW-Authenticate: Token``): no credentials, or a bad, expired or
      revoked token;
    * 403 — the view's permissions turn away a logged-in caller without any grant (ScopePermission;
      the same check refuses every write by a read-only scope such as a regulator);
    * 404 — an object in the URL, a paginated list (``?page=`` past the end), or an object id in
      the body (out of scope answers like missing);
    * 400 — input to validate: a request body or a filter (pagination only ever answers 404);
    * 415 — a request body in a media type the view has no parser for;
    * 204 — DELETE answers No Content, and must not claim to return the object.
    """
    raw = schema.raw_schema
    components = raw.get("components", {}).get("schemas", {})
    anonymous, no_grants = AnonymousUser(), SimpleNamespace(is_authenticated=True)
    missing = []
    for path, methods in raw["paths"].items():
        for method, operation in methods.items():
            documented = set(operation.get("responses", {}))
            params = operation.get("parameters", [])
            query = {p["name"] for p in params if p["in"] == "query"}
            view = _view(path, method)
            expected = set()
            if _refused(view, method, anonymous, None):
                authenticators = view.get_authenticators()
                challenges = authenticators and authenticators[0].authenticate_header(HttpRequest())
                expected.add("401" if challenges else "403")
            if _refused(view, method, no_grants, EMPTY_SCOPE):
                expected.add("403")
            if (
                any(p["in"] == "path" for p in params)
                or "page" in query
                or _body_names_objects(operation, components)
            ):
                expected.add("404")
            if query - PAGINATION or "requestBody" in operation:
                expected.add("400")
            if "requestBody" in operation:
                expected.add("415")
            if method == "delete":
                expected.add("204")
                if "200" in documented:
                    missing.append(f"{method.upper()} {path}: documents 200, but answers 204")
            if expected - documented:
                missing.append(f"{method.upper()} {path}: {sorted(expected - documented)} not documented")
    assert not missing, "\n".join(missing)


# --- deeply nested JSON -------------------------------------------------------------------------
DEEP = 1000  # where Python's own parser runs out of stack


def _deep_bodies() -> list[str]:
    """A bare nest, and one inside a field of an otherwise well-formed object."""
    nest = "[" * DEEP + "]" * DEEP
    return [nest, '{"name": ' + "{" * DEEP + '"a": 1' + "}" * DEEP + "}"]


def _json_operations() -> list[tuple[str, str]]:
    """(method, path) of every operation that reads a JSON request body."""
    return [
        (method, path)
        for path, methods in schema.raw_schema["paths"].items()
        for method, operation in methods.items()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    ]


def _fill(path: str, own_ids: list[str]) -> str:
    """Path parameters filled with an id the caller can see, where it has one (else a new UUID),
    so that the body is read rather than the object refused first."""
    return re.sub(r"{[^}]+}", lambda _m: own_ids[0] if own_ids else str(uuid.uuid4()), path)


@pytest.mark.django_db
def test_deeply_nested_json_answers_400_on_every_json_operation(world):
    """JSON nested a thousand levels deep is refused with 400 and a message (JSON_MAX_DEPTH), before
    it is parsed — never a server error, on every operation that takes a JSON body, logged in or not
    (the token endpoint reads it without a login)."""
    operations = _json_operations()
    assert ("post", "/api/v1/auth/token/") in operations
    admin = Caller(world, "a-tenant-admin")
    client = Client(headers=admin.headers)
    anonymous = Client()
    refused = []
    for method, path in operations:
        url = _fill(path, admin.ids(path.split("{", 1)[0])[0])
        for body in _deep_bodies():
            for who, c in (("tenant admin", client), ("anonymous", anonymous)):
                response = getattr(c, method)(url, body, content_type="application/json")
                assert response.status_code < 500, f"{method.upper()} {path} as {who}: {response.status_code}"
                if response.status_code == 400:
                    assert "32" in response.json()["detail"], response.content
                    refused.append((method, path, who))
    # The body is read, and refused, on every operation the tenant admin may call, and on the token
    # endpoint without a login.
    admin_refused = {(m, p) for m, p, who in refused if who == "tenant admin"}
    assert ("post", "/api/v1/auth/token/", "anonymous") in refused
    assert len(admin_refused) >= len(operations) * 3 // 4, sorted(set(operations) - admin_refused)


def test_json_nesting_depth_counts_brackets_outside_strings():
    from compliance import jsoninput

    assert jsoninput.nesting_depth('{"a": [1, {"b": "[[[[{{{"}], "c": "\\"]]"}') == 3
    assert jsoninput.nesting_depth("[]" * 50) == 1
    assert jsoninput.loads("[" * 32 + "]" * 32) is not None
    with pytest.raises(jsoninput.TooDeep):
        jsoninput.loads("[" * 33 + "]" * 33)
