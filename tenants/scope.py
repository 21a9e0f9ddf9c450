"""The one module that decides what a request, task or command may see and change.

A *scope* is resolved once per request (or task) and held in a context variable. Every
tenant-owned model's default manager reads it and filters itself; with no active scope it
raises instead of returning everything (the same idea as django-scopes, extended to
org-subtree grants and to regulators whose view crosses tenants).

Grants are (tenant, org path prefix, role). A role is a bundle of permissions
(tenants.roles). A model says which permission lets one read it (``scope_view_perm``), where
its org path is (``scope_path``) and, for records a worker may see of their own, how it
links to a person (``scope_owner``).
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q

from compliance import rls

from . import roles


class ScopeError(RuntimeError):
    """A tenant-owned table was queried with no active scope."""


@dataclass(frozen=True)
class Grant:
    tenant_id: int
    path: str
    role: str

    def covers(self, path: str) -> bool:
        return path.startswith(self.path)


@dataclass(frozen=True)
class Scope:
    kind: str  # "tenant" | "regulator" | "platform"
    grants: tuple[Grant, ...] = ()
    user_id: int | None = None
    person_id: object | None = None
    agency_id: int | None = None
    read_only: bool = False
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    # --- who ---------------------------------------------------------------------------
    @property
    def tenant_ids(self) -> frozenset[int]:
        return frozenset(g.tenant_id for g in self.grants)

    @property
    def tenant_id(self) -> int | None:
        """The single tenant of a tenant-user scope (None for regulators and platform)."""
        ids = self.tenant_ids
        return next(iter(ids)) if self.kind == "tenant" and len(ids) == 1 else None

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(g.role for g in self.grants)

    @property
    def is_platform(self) -> bool:
        return self.kind == "platform"

    @property
    def is_regulator(self) -> bool:
        return self.kind == "regulator"

    @property
    def primary_role(self) -> str | None:
        for role in roles.ROLE_ORDER:
            if role in self.roles:
                return role
        return None

    # --- permission checks ---------------------------------------------------------------
    def has_perm(self, perm: str, path: str | None = None, tenant_id: int | None = None) -> bool:
        """Whether some grant gives ``perm`` on the org unit at ``path`` (anywhere if None)."""
        if self.is_platform:
            return True
        if self.read_only and perm in roles.WRITE_PERMS:
            return False
        for grant in self.grants:
            if perm not in roles.perms_of(grant.role):
                continue
            if tenant_id is not None and grant.tenant_id != tenant_id:
                continue
            if path is None or grant.covers(path):
                return True
        return False

    def require(self, perm: str, org_unit=None) -> None:
        path = org_unit.path if org_unit is not None else None
        tenant_id = org_unit.tenant_id if org_unit is not None else None
        if not self.has_perm(perm, path, tenant_id):
            raise PermissionDenied(perm)

    # --- filtering ---------------------------------------------------------------------
    def filter_queryset(self, qs: models.QuerySet) -> models.QuerySet:
        if self.is_platform:
            return qs
        model = qs.model
        view_perm = getattr(model, "scope_view_perm", None)
        path_field = getattr(model, "scope_path", None)
        owner_field = getattr(model, "scope_owner", None)
        condition = Q(pk__in=[])
        for grant in self.grants:
            perms = roles.perms_of(grant.role)
            if view_perm is None or view_perm not in perms:
                continue
            cond = Q(tenant_id=grant.tenant_id)
            if roles.SELF_ONLY in perms:
                # A worker reads records about themself only; a model with no link to a
                # person is visible to a worker only if it is an org unit on their path.
                if owner_field:
                    cond &= Q(**{owner_field: self.person_id})
                elif path_field:
                    cond &= Q(**{f"{path_field}__startswith": grant.path})
                else:
                    continue
            elif path_field:
                cond &= Q(**{f"{path_field}__startswith": grant.path})
            condition |= cond
        return qs.filter(condition)


_current: ContextVar[Scope | None] = ContextVar("kuangan_scope", default=None)


def current_scope() -> Scope:
    scope = _current.get()
    if scope is None:
        raise ScopeError(
            "No active scope: tenant-owned data may only be read inside activate(scope). "
            "Use dangerously_unscoped only where a comment says why it is safe."
        )
    return scope


def active_scope() -> Scope | None:
    return _current.get()


@contextlib.contextmanager
def activate(scope: Scope):
    previous = _current.get()
    token = _current.set(scope)
    rls.apply_scope(scope)
    try:
        yield scope
    finally:
        _current.reset(token)
        rls.apply_scope(previous)


def switch(scope: Scope) -> None:
    """Replace the active scope for the rest of an enclosing ``activate`` block (the API resolves
    token users after the page middleware has opened the request's scope)."""
    _current.set(scope)
    rls.apply_scope(scope)


PLATFORM = Scope(kind="platform")


@contextlib.contextmanager
def dangerously_platform_scope():
    """Sees every tenant. Only for the platform operator's tools (admin, management commands,
    migrations of data); never on a tenant user's request."""
    with activate(PLATFORM) as scope:
        yield scope


class ScopedQuerySet(models.QuerySet):
    pass


class ScopedManager(models.Manager.from_queryset(ScopedQuerySet)):
    """Default manager of every tenant-owned model: fails closed without a scope."""

    def get_queryset(self):
        return current_scope().filter_queryset(super().get_queryset())


def require_writable(scope: Scope) -> None:
    if scope.read_only:
        raise PermissionDenied("read-only scope")
