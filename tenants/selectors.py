"""Reads of tenant data. Each takes the scope first and filters on it itself, on top of the
fail-closed manager ("belt and braces")."""

from __future__ import annotations

import uuid

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from compliance.access import access_or_404

from . import roles
from .models import (
    AgencyMembership,
    Membership,
    MineProfile,
    OrgUnit,
    OrgUnitUserObjectPermission,
    Person,
    PersonHold,
)
from .scope import Grant, Scope, dangerously_platform_scope, region_grant

EMPTY_SCOPE = Scope(kind="tenant")


# --- resolving the scope -----------------------------------------------------------------------
def scope_for_user(user) -> Scope:
    """Everything a login may read and change, from its memberships, agency and ad-hoc grants."""
    if user is None or not user.is_authenticated or not user.is_active:
        return EMPTY_SCOPE
    # Resolving the scope is the one place that reads grants before a scope exists; it reads only
    # this user's own grants (and, for a regulator, which tenants have mines in the jurisdiction).
    with dangerously_platform_scope():
        return _resolve(user)


def _resolve(user) -> Scope:
    # One query reads everything about this login that decides its scope (see _scope_rows);
    # global model permissions and superuser status never widen a scope.
    grants, guest_units, person_id, agency = [], [], None, None
    for kind, tenant_id, path, role, ref in _scope_rows(user):
        if kind == "membership":
            grants.append(Grant(tenant_id, path, role))
        elif kind == "guest":
            guest_units.append((tenant_id, path))
        elif kind == "person":
            person_id = ref
        elif kind == "agency":
            agency = (ref, path)
    if agency is not None:
        return regulator_scope(user, agency_id=agency[0], region_prefix=agency[1], extra_units=guest_units)
    grants.sort(key=lambda g: (g.path, g.role))
    grants += [Grant(t, p, roles.GUEST_AUDITOR) for t, p in sorted(guest_units)]
    return Scope(kind="tenant", grants=tuple(grants), user_id=user.pk, person_id=person_id)


def _scope_rows(user) -> list[tuple]:
    """(kind, tenant, path, role, ref) rows, in one UNION ALL query: the login's memberships
    (kind "membership": tenant, org path, role), its ad-hoc django-guardian ``view_orgunit``
    grants ("guest": tenant, org path), its person record ("person": tenant, ref = person id) and
    its regulator agency ("agency": path = region prefix, ref = agency id).

    Written as SQL because it runs on every request: the same query through the ORM (four
    annotated querysets in a union) cost more to compile than the database took to answer it."""
    sql = _scope_rows_sql(connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk] * 4)
        rows = cursor.fetchall()
    return [
        (kind, _uuid_or_none(tenant_id), path, role, _uuid_or_none(ref))
        for kind, tenant_id, path, role, ref in rows
    ]


def _uuid_or_none(value):
    # PostgreSQL hands back UUIDs, SQLite the 32 hex digits Django stores.
    return value if value is None or isinstance(value, uuid.UUID) else uuid.UUID(value)


_SCOPE_ROWS_SQL: dict[str, str] = {}


def _scope_rows_sql(conn) -> str:
    sql = _SCOPE_ROWS_SQL.get(conn.vendor)
    if sql is None:
        sql = _SCOPE_ROWS_SQL[conn.vendor] = _build_scope_rows_sql(conn.ops.quote_name)
    return sql


def _build_scope_rows_sql(quote) -> str:
    def table(model) -> str:
        return quote(model._meta.db_table)

    def col(model, name: str) -> str:
        return quote(model._meta.get_field(name).column)

    unit, person, permission = OrgUnit, Person, OrgUnitUserObjectPermission
    perm_model = permission._meta.get_field("permission").related_model
    content_type = perm_model._meta.get_field("content_type").related_model
    agency = AgencyMembership._meta.get_field("agency").related_model
    null_uuid = "CAST(NULL AS uuid)"  # typed: PostgreSQL must match the columns of a UNION
    return f"""
        SELECT 'membership', m.{col(Membership, "tenant")}, u.{col(unit, "path")},
               m.{col(Membership, "role")}, {null_uuid}
          FROM {table(Membership)} m
          JOIN {table(unit)} u ON u.{col(unit, "id")} = m.{col(Membership, "org_unit")}
         WHERE m.{col(Membership, "user")} = %s
        UNION ALL
        SELECT 'guest', u.{col(unit, "tenant")}, u.{col(unit, "path")}, '', {null_uuid}
          FROM {table(permission)} g
          JOIN {table(perm_model)} p ON p.{col(perm_model, "id")} = g.{col(permission, "permission")}
          JOIN {table(content_type)} ct ON ct.{col(content_type, "id")} = p.{col(perm_model, "content_type")}
          JOIN {table(unit)} u ON u.{col(unit, "id")} = g.{col(permission, "content_object")}
         WHERE g.{col(permission, "user")} = %s
           AND p.{col(perm_model, "codename")} = 'view_orgunit'
           AND ct.{col(content_type, "app_label")} = 'tenants'
        UNION ALL
        SELECT 'person', pe.{col(person, "tenant")}, '', '', pe.{col(person, "id")}
          FROM {table(person)} pe
         WHERE pe.{col(person, "user")} = %s
        UNION ALL
        SELECT 'agency', {null_uuid}, a.{col(agency, "region_prefix")}, '', a.{col(agency, "id")}
          FROM {table(AgencyMembership)} am
          JOIN {table(agency)} a ON a.{col(agency, "id")} = am.{col(AgencyMembership, "agency")}
         WHERE am.{col(AgencyMembership, "user")} = %s
    """


def regulator_scope(user, *, agency_id, region_prefix: str, extra_units=()) -> Scope:
    # A regulator's view crosses tenants by design: every mine whose region code starts with the
    # agency's prefix. The grant names the region, not the mines: one region grant per tenant
    # that has a mine there (the tenants row-level security lets through), and the database
    # decides which rows lie under such a mine when each query runs (Scope.filter_queryset), so
    # the SQL does not grow with the number of mines and a mine that moves away drops out at once.
    # A tenant whose mine left the region stays among them for the record of that change only (an
    # audit event naming the region, see AuditEvent.regions): a region grant shows nothing else of
    # a tenant with no mine there.
    from compliance.audit.models import AuditEvent

    mines_here = MineProfile.dangerously_unscoped.filter(region_code__startswith=region_prefix)
    changes_here = AuditEvent.dangerously_unscoped.exclude(regions="").filter(
        regions__contains=f" {region_prefix}", tenant__isnull=False
    )
    tenant_ids = sorted(
        set(
            mines_here.order_by()
            .values_list("tenant_id", flat=True)
            .union(changes_here.order_by().values_list("tenant_id", flat=True))
        )
    )
    grants = [region_grant(t, region_prefix, roles.REGULATOR) for t in tenant_ids]
    grants += [Grant(t, p, roles.REGULATOR) for t, p in sorted(extra_units)]
    return Scope(kind="regulator", grants=tuple(grants), user_id=user.pk, agency_id=agency_id, read_only=True)


def login_home(*, user=None, username: str = "") -> tuple[object | None, str]:
    """The group a login belongs to and its headquarters path, where the login's own events are
    recorded (its tokens, passwords and failed logins): the group admin and HQ auditor read them
    there, while no mine's path holds them, so a regulator or a guest auditor of one unit does not.
    (None, "") for a login of no group — a regulator, the operator, a name nobody has.

    Read across tenants, because it runs for logins with no scope yet (a failed login before
    anyone is logged in); it reads only this login's own rows and reveals nothing to the caller.
    A login belongs to one group: membership_grant refuses a second."""
    logins = {"user": user} if user is not None else {"user__username": username}
    with dangerously_platform_scope():
        memberships = Membership.dangerously_unscoped.filter(**logins)
        tenant_id = memberships.values_list("tenant_id", flat=True).first()
        if tenant_id is None:
            return None, ""
        path = (
            OrgUnit.dangerously_unscoped.filter(tenant_id=tenant_id, parent__isnull=True)
            .values_list("path", flat=True)
            .first()
        )
    return tenant_id, path or ""


# --- access helpers: missing and foreign objects are the same 404 --------------------------------
def access_org_unit(scope: Scope, pk) -> OrgUnit:
    return access_or_404(scope, OrgUnit.objects.select_related("parent"), pk)


def access_mine(scope: Scope, pk) -> OrgUnit:
    return access_or_404(
        scope, OrgUnit.objects.select_related("mine_profile", "tenant"), pk, kind=OrgUnit.Kind.MINE
    )


def access_person(scope: Scope, pk) -> Person:
    return access_or_404(scope, Person.objects.select_related("org_unit", "user"), pk)


def access_membership(scope: Scope, pk) -> Membership:
    return access_or_404(scope, Membership.objects.select_related("org_unit", "user"), pk)


# --- lists ---------------------------------------------------------------------------------------
def org_unit_list(*, scope: Scope, kind: str | None = None) -> QuerySet[OrgUnit]:
    qs = scope.queryset(OrgUnit).select_related("parent", "mine_profile")
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("path")


def people_list(
    *,
    scope: Scope,
    org_unit: OrgUnit | None = None,
    post_category: str = "",
    status: str = "",
    search: str = "",
    hold: str = "",
) -> QuerySet[Person]:
    qs = scope.filter_queryset(Person.objects.select_related("org_unit", "tenant"))
    if org_unit is not None:
        qs = qs.filter(org_unit__path__startswith=org_unit.path)
    if post_category:
        qs = qs.filter(post_category=post_category)
    if status:
        qs = qs.filter(status=status)
    if hold:
        # People with an open hold from that source (e.g. "inspections.spot_exam"): the home
        # page's "suspended after a failed spot exam" links here.
        qs = qs.filter(
            Exists(
                PersonHold.objects.filter(
                    tenant_id=OuterRef("tenant_id"),
                    person_id=OuterRef("pk"),
                    source=hold,
                    lifted_at__isnull=True,
                )
            )
        )
    if search:
        qs = qs.filter(
            Q(name__icontains=search) | Q(employee_no__icontains=search) | Q(job_title__icontains=search)
        )
    return qs.order_by("employee_no")


def membership_list(*, scope: Scope, org_unit: OrgUnit | None = None) -> QuerySet[Membership]:
    qs = scope.filter_queryset(Membership.objects.select_related("org_unit", "user", "user__person"))
    if org_unit is not None:
        qs = qs.filter(org_unit__path__startswith=org_unit.path)
    return qs.order_by("org_unit__path", "role", "user__username")


HEADCOUNT_KEYS = [c.value for c in Person.PostCategory]


def mine_list(
    *, scope: Scope, region_prefix: str = "", mine_type: str = "", search: str = ""
) -> QuerySet[OrgUnit]:
    """Mines with their profile and head counts on post by post category, in one query."""
    annotations = {f"count_{key}": _subtree_headcount(key) for key in HEADCOUNT_KEYS}
    qs = (
        scope.filter_queryset(OrgUnit.objects.filter(kind=OrgUnit.Kind.MINE))
        .select_related("mine_profile", "tenant", "parent")
        .annotate(**annotations)
    )
    if region_prefix:
        qs = qs.filter(mine_profile__region_code__startswith=region_prefix)
    if mine_type:
        qs = qs.filter(mine_profile__mine_type=mine_type)
    if search:
        qs = qs.filter(name__icontains=search)
    return qs.order_by("mine_profile__region_code", "name")


def _subtree_headcount(post_category: str):
    # The outer query is scoped to mines the caller may see; counting everyone under such a mine
    # is what oversight needs, so the inner count may use the unscoped manager.
    people = (
        Person.dangerously_unscoped.filter(
            tenant_id=OuterRef("tenant_id"),
            org_unit__path__startswith=OuterRef("path"),
            status=Person.Status.ON_POST,
            post_category=post_category,
        )
        .order_by()
        .values("tenant_id")
        .annotate(n=Count("id"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(people), Value(0))


def mine_headcounts(*, scope: Scope, mine: OrgUnit) -> dict[str, int]:
    """Head counts on post under a mine (its teams included), by post category."""
    rows = (
        scope.filter_queryset(
            Person.objects.filter(org_unit__path__startswith=mine.path, status=Person.Status.ON_POST)
        )
        .values("post_category")
        .annotate(n=Count("id"))
    )
    counts = dict.fromkeys(HEADCOUNT_KEYS, 0)
    counts.update({row["post_category"]: row["n"] for row in rows})
    return counts


def writable_units(*, scope: Scope, perm: str, kinds=None) -> QuerySet[OrgUnit]:
    """Org units where the scope may use ``perm`` — the choices of a form field."""
    prefixes = [g.path for g in scope.grants if perm in roles.perms_of(g.role)] if not scope.read_only else []
    cond = Q(pk__in=[])
    for prefix in prefixes:
        cond |= Q(path__startswith=prefix)
    qs = scope.filter_queryset(OrgUnit.objects.all()).filter(cond)
    if kinds:
        qs = qs.filter(kind__in=kinds)
    return qs.order_by("path")


def people_status_counts(*, scope: Scope):
    return scope.filter_queryset(Person.objects.all()).values("status").annotate(n=Count("id")).order_by()
