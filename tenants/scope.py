"""The one module that decides what a request, task or command may see and change.

A *scope* is resolved once per request (or task) and held in a context variable. Every
tenant-owned model's default manager reads it and filters itself; with no active scope it
raises instead of returning everything (the same idea as django-scopes, extended to
org-subtree grants and to regulators whose view crosses tenants).

Grants are (tenant, org path prefix, role). A role is a bundle of permissions
(tenants.roles). A regulator's grants name a region instead of a path: every mine of the tenant
whose region code starts with the prefix, decided by the database when a query runs (see
``Grant.region``). A model says which permission lets one read it (``scope_view_perm``), where
its org path is (``scope_path``), for records a worker may see of their own, how it links to
a person (``scope_owner``) and, for records a regulator reads by the regions they name rather
than by where they sit, the field listing those regions (``scope_regions``). Content a group
makes once for the units below it (courses, the question bank, papers) names the permission
whose holders also *read* the rows placed at the units above their grant
(``scope_ancestor_perm``): a mine's safety manager reads the group HQ's courses. Writes never
widen: services check ``Scope.require`` on the row's own unit.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import BooleanField, Exists, Expression, F, OuterRef, Q, Subquery

from compliance import rls

from . import roles


class ScopeError(RuntimeError):
    """A tenant-owned table was queried with no active scope."""


REGION_PATH = "region:"  # the path of a region grant: no org path starts with it


@dataclass(frozen=True)
class Grant:
    tenant_id: int
    path: str
    role: str
    # A regulator's jurisdiction in ``tenant_id``: every mine (and everything under it) whose
    # region code starts with this prefix ("" is the whole country). Its ``path`` is
    # REGION_PATH + prefix, which no org path starts with, so code that reads grant paths
    # directly fails closed; Scope.filter_queryset and Scope.has_perm understand it.
    region: str | None = None

    def covers(self, path: str) -> bool:
        return self.region is None and path.startswith(self.path)


def region_grant(tenant_id, prefix: str, role: str) -> Grant:
    return Grant(tenant_id, REGION_PATH + prefix, role, region=prefix)


@dataclass(frozen=True)
class Scope:
    kind: str  # "tenant" | "regulator" | "platform"
    grants: tuple[Grant, ...] = ()
    user_id: int | None = None
    person_id: object | None = None
    agency_id: int | None = None
    read_only: bool = False
    extra: dict = field(default_factory=dict, compare=False, hash=False)
    # Mine paths of region grants, read at most once in the life of this scope object (a
    # request): only has_perm with a path needs them, filtering never does.
    _region_mines: dict = field(default_factory=dict, init=False, compare=False, hash=False, repr=False)

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
    def self_only(self) -> bool:
        """A login that reads only records about its own person (a worker): the navigation offers
        "my" pages instead of lists."""
        return len(self.roles) == 1 and any(roles.SELF_ONLY in roles.perms_of(r) for r in self.roles)

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
            if grant.region is not None and self._in_region(grant, path):
                return True
        return False

    def _in_region(self, grant: Grant, path: str) -> bool:
        """Whether ``path`` lies under a mine of ``grant``'s tenant in its region."""
        mines = self._region_mines.get(grant.region)
        if mines is None:
            from .models import MineProfile

            # Which mines lie in the jurisdiction is part of resolving the scope (see
            # tenants.selectors.regulator_scope): read under the platform scope, limited to the
            # region and to the tenants this scope was resolved with.
            with dangerously_platform_scope():
                mines = frozenset(
                    MineProfile.dangerously_unscoped.filter(
                        region_code__startswith=grant.region, tenant_id__in=self.tenant_ids
                    ).values_list("tenant_id", "org_unit__path")
                )
            self._region_mines[grant.region] = mines
        ancestors = path.split("/")[:-1]  # "a/b/c/" → the paths "a/", "a/b/", "a/b/c/"
        return any(
            (grant.tenant_id, "/".join(ancestors[: i + 1]) + "/") in mines for i in range(len(ancestors))
        )

    def self_only_for(self, perm: str) -> bool:
        """Whether a grant gives ``perm`` for the holder's own rows only (a worker's)."""
        return any({perm, roles.SELF_ONLY} <= roles.perms_of(g.role) for g in self.grants)

    def at_mines(self, model: type[models.Model], mines) -> models.QuerySet:
        """The rows of ``model`` at ``mines`` (org units; the model is placed by ``mine__path``)
        that this scope reads: the rows ``filter_queryset`` would give, found by their tenant and
        mine instead of testing the scope on every row.

        Per row, a regulator's region test makes PostgreSQL list every mine of the region and
        join each row to it — 20–60 ms a query over 2,000 mines however few rows are asked for,
        and seconds over a million rows (``bench/duties_scale.py``, ``bench/hazards_scale.py``).
        Here the scope is asked once per mine in Python (``has_perm`` reads a region's mines once
        per scope) and the query names the mines, so the tables' (tenant, mine, …) indexes serve
        it. Row-level security still holds the tenant rule in the database. A self-only grant
        (a worker: their own rows of a mine, not the mine's) keeps the per-row condition."""
        mines = list(mines)
        perm = model.scope_view_perm
        if getattr(model, "scope_path", None) != "mine__path":
            raise ValueError(f"{model.__name__} is not placed by its mine")
        if self.self_only_for(perm):
            # Safe unscoped: filter_queryset applies this scope's whole condition.
            return self.filter_queryset(model.dangerously_unscoped.filter(mine_id__in=[m.pk for m in mines]))
        allowed = [m for m in mines if self.has_perm(perm, m.path, m.tenant_id)]
        # Safe unscoped: only mines where this scope reads the model's rows (checked just above).
        return model.dangerously_unscoped.filter(
            tenant_id__in=sorted({m.tenant_id for m in allowed}, key=str), mine_id__in=[m.pk for m in allowed]
        )

    def require(self, perm: str, org_unit=None) -> None:
        path = org_unit.path if org_unit is not None else None
        tenant_id = org_unit.tenant_id if org_unit is not None else None
        if not self.has_perm(perm, path, tenant_id):
            raise PermissionDenied(perm)

    # --- filtering ---------------------------------------------------------------------
    def queryset(self, model: type[models.Model]) -> models.QuerySet:
        """The rows of ``model`` this scope sees, through its fail-closed default manager.

        That manager already filters by the active scope; when this scope is the active one, a
        second ``filter_queryset`` would only repeat the same condition in the SQL — for a
        regulator, the region test evaluated twice over every row. Any other scope is applied on
        top, so the result is never wider than either; and a model whose ``objects`` is not the
        scoped manager is always filtered here."""
        qs = model.objects.all()
        already = isinstance(model.objects, ScopedManager) and _current.get() is self
        return qs if already else self.filter_queryset(qs)

    def filter_queryset(self, qs: models.QuerySet) -> models.QuerySet:
        if self.is_platform:
            return qs
        model = qs.model
        view_perm = getattr(model, "scope_view_perm", None)
        path_field = getattr(model, "scope_path", None)
        owner_field = getattr(model, "scope_owner", None)
        regions_field = getattr(model, "scope_regions", None)
        ancestor_perm = getattr(model, "scope_ancestor_perm", None)
        condition = Q(pk__in=[])
        regions: dict[str, set] = {}
        for grant in self.grants:
            perms = roles.perms_of(grant.role)
            if view_perm is None or view_perm not in perms:
                continue
            if grant.region is not None:
                # One condition per region, whatever its tenants.
                regions.setdefault(grant.region, set()).add(grant.tenant_id)
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
                here = Q(**{f"{path_field}__startswith": grant.path})
                if ancestor_perm and ancestor_perm in perms:
                    # The units above the grant, by their exact paths (a path is its ancestors'
                    # paths plus one segment each): content the group placed there applies here.
                    above = _ancestor_paths(grant.path)
                    if above:
                        here |= Q(**{f"{path_field}__in": above})
                cond &= here
            condition |= cond
        for prefix in sorted(regions):
            condition |= _in_region_condition(prefix, path_field)
            if regions_field:
                # Rows that name a region themselves (a mine's change of region: the region it
                # left too), for the tenants this region's grants were resolved with.
                condition |= Q(
                    **{f"{regions_field}__contains": f" {prefix}"}, tenant_id__in=sorted(regions[prefix])
                )
        return qs.filter(condition)

    def filter_agency_records(self, qs: models.QuerySet) -> models.QuerySet:
        """An agency's own records (``tenants.models.AgencyOwned``): a regulator reads only its
        own agency's, whatever its region; a tenant's logins read those about the units their
        grants cover (the model's ``scope_view_perm`` and ``scope_path``); the operator all."""
        if self.is_platform:
            return qs
        if self.is_regulator:
            return qs.filter(agency_id=self.agency_id) if self.agency_id is not None else qs.none()
        return self.filter_queryset(qs)

    def require_agency(self):
        """The agency a write of an agency-owned record acts for: a regulator's own, else 403."""
        if not self.is_regulator or self.agency_id is None:
            raise PermissionDenied("only a regulator agency keeps its own records")
        return self.agency_id


def _ancestor_paths(path: str) -> list[str]:
    """The paths of the units strictly above the unit at ``path`` ("<hq>/<sub>/<mine>/" gives
    "<hq>/" and "<hq>/<sub>/")."""
    segments = [s for s in path.split("/") if s]
    return ["".join(f"{s}/" for s in segments[:n]) for n in range(1, len(segments))]


# An org path is "<32 hex digits>/" per level (tenants.services). The region test looks for a mine
# at most this deep: beyond every path the 400-character column can hold (depth 11, checked by
# tests/tenants/test_regulator_scope.py) and far beyond real trees (group → subsidiaries → mine).
PATH_SEGMENT = 33
MAX_MINE_DEPTH = 12


def _in_region_condition(prefix: str, path_field: str | None):
    """Rows under a mine whose region code starts with ``prefix``, in SQL whose size does not
    depend on the number of mines (a model without an org path: any mine of its tenant there).

    A row lies under such a mine when one of the leading segments of its org path is that mine's
    path (paths are unique ids, so this also means the same tenant). Evaluated when the query
    runs, so a mine that moves out of the region drops out at once."""
    from .models import OrgUnit

    # A subquery of paths only, inside a condition the caller's query adds: it narrows, never
    # widens, what that query returns.
    mines = OrgUnit.dangerously_unscoped.filter(
        kind=OrgUnit.Kind.MINE, mine_profile__region_code__startswith=prefix
    ).order_by()  # a set to hash: the model's default ordering would only add a sort
    if not path_field:
        return Exists(mines.filter(tenant_id=OuterRef("tenant_id")))
    return Q(UnderAnyOf(F(path_field), Subquery(mines.values("path"))))


class UnderAnyOf(Expression):
    """Whether a leading segment of an org path (one per possible mine depth) is among the paths
    of a subquery::

        EXISTS (SELECT 1 FROM (VALUES (66), (99), …) AS mine_depth
                 WHERE SUBSTR(path, 1, mine_depth.column1) IN (<paths>))

    The subquery does not depend on the row, so the database hashes it once for the whole
    statement and each row costs a few probes. (One ``IN`` per depth, OR-ed, made the database
    build that hash once per depth: twelve times for every row under no mine, such as a
    subsidiary — 160 ms over 2,000 mines.) Plain SQL: PostgreSQL and SQLite alike."""

    output_field = BooleanField()

    def __init__(self, path, paths):
        super().__init__()
        self.path, self.paths = path, paths

    def get_source_expressions(self):
        return [self.path, self.paths]

    def set_source_expressions(self, exprs):
        self.path, self.paths = exprs

    def as_sql(self, compiler, connection):
        path_sql, path_params = compiler.compile(self.path)
        paths_sql, paths_params = compiler.compile(self.paths)
        lengths = ", ".join(f"({(depth + 1) * PATH_SEGMENT})" for depth in range(1, MAX_MINE_DEPTH + 1))
        sql = (
            f"EXISTS (SELECT 1 FROM (VALUES {lengths}) AS mine_depth "
            f"WHERE SUBSTR({path_sql}, 1, mine_depth.column1) IN {paths_sql})"
        )
        return sql, (*path_params, *paths_params)


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


def switch_to_resolved(resolve) -> Scope:
    """Run ``resolve()`` under the platform scope, then switch (as ``switch``) to the scope it
    returns — the API's token check and scope resolution. The connection's settings are written
    twice (platform, then the result) instead of four times (platform, back, platform for the
    scope, back); if ``resolve`` raises, the previous scope is back in force."""
    previous = _current.get()
    token = _current.set(PLATFORM)
    try:
        rls.apply_scope(PLATFORM)
        scope = resolve()
    except BaseException:
        _current.reset(token)
        rls.apply_scope(previous)
        raise
    _current.reset(token)
    switch(scope)
    return scope


PLATFORM = Scope(kind="platform")


@contextlib.contextmanager
def dangerously_platform_scope():
    """Sees every tenant. Only for the platform operator's tools (admin, management commands,
    migrations of data); never on a tenant user's request.

    Inside an active platform scope it changes nothing (the token check and the scope
    resolution nest in one): the connection already sees everything, so there is nothing to
    write and nothing to restore."""
    if _current.get() is PLATFORM:
        yield PLATFORM
        return
    with activate(PLATFORM) as scope:
        yield scope


class ScopedQuerySet(models.QuerySet):
    pass


class ScopedManager(models.Manager.from_queryset(ScopedQuerySet)):
    """Default manager of every tenant-owned model: fails closed without a scope."""

    def get_queryset(self):
        return current_scope().filter_queryset(super().get_queryset())


class AgencyScopedManager(models.Manager.from_queryset(ScopedQuerySet)):
    """Default manager of every agency-owned model: fails closed without a scope."""

    def get_queryset(self):
        return current_scope().filter_agency_records(super().get_queryset())


def require_writable(scope: Scope) -> None:
    if scope.read_only:
        raise PermissionDenied("read-only scope")
