"""Every write of who-is-who data: validate, save, audit — in one transaction."""

from __future__ import annotations

import os
import uuid
from collections import Counter

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max, ProtectedError, RestrictedError, Value
from django.db.models.functions import Concat, Length, Substr
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from compliance.audit.services import audit_record
from compliance.errors import Conflict
from compliance.notifications.services import notify

from . import holds, personal_data, roles
from .models import AgencyMembership, Membership, MineProfile, OrgUnit, Person, RegulatorAgency, Tenant
from .scope import Scope, dangerously_platform_scope

User = get_user_model()

# Never written to the audit trail: they would put the number back in the clear (or near it).
SECRET_FIELDS = {"resident_id_cipher", "resident_id_digest"}


def snapshot(obj) -> dict:
    data = model_to_dict(obj, exclude=SECRET_FIELDS)
    for field in obj._meta.concrete_fields:
        if field.name in SECRET_FIELDS or not field.editable:
            continue
        if field.is_relation:
            data[field.name] = str(getattr(obj, field.attname)) if getattr(obj, field.attname) else None
    if hasattr(obj, "resident_id_masked"):
        data["resident_id"] = obj.resident_id_masked
    return data


def _save_validated(obj, *, exclude=None) -> None:
    obj.full_clean(exclude=exclude)
    obj.save()


def _diff_fields(instance, fields: dict) -> None:
    for name, value in fields.items():
        setattr(instance, name, value)


# --- platform operator ---------------------------------------------------------------------------
@transaction.atomic
def tenant_create(*, name: str, credit_code: str, hq_name: str | None = None) -> Tenant:
    """A mining group with its HQ as the root of its org tree."""
    tenant = Tenant(name=name.strip(), credit_code=(credit_code or "").strip().upper())
    _save_validated(tenant)
    # The new tenant has no scope of its own yet; only the platform operator (and the demo) call
    # this.
    with dangerously_platform_scope():
        hq = OrgUnit(tenant=tenant, kind=OrgUnit.Kind.HQ, name=hq_name or tenant.name)
        hq.path = f"{hq.id.hex}/"
        _save_validated(hq)
        audit_record(
            action="create", tenant_id=tenant.id, obj=tenant, after=snapshot(tenant), org_path=hq.path
        )
        audit_record(action="create", obj=hq, after=snapshot(hq))
    return tenant


@transaction.atomic
def agency_create(*, name: str, level: str, region_prefix: str) -> RegulatorAgency:
    """Platform operator only (admin, management command)."""
    agency = RegulatorAgency(name=name.strip(), level=level, region_prefix=(region_prefix or "").strip())
    _save_validated(agency)
    with dangerously_platform_scope():  # the platform's own audit chain
        audit_record(action="create", obj=agency, after=snapshot(agency))
    return agency


@transaction.atomic
def agency_user_create(*, agency: RegulatorAgency, username: str, password: str) -> User:
    """Platform operator only."""
    if _login_tenants(username=username):
        raise ValidationError({"username": _("This login already belongs to a mining group.")})
    user = _user_create(username=username, password=password)
    AgencyMembership.objects.create(user=user, agency=agency)
    with dangerously_platform_scope():  # the platform's own audit chain
        audit_record(
            action="grant", obj=agency, object_repr=f"{username} → {agency}", after={"user": username}
        )
    return user


def _login_tenants(**user_filter) -> set:
    """The tenants a login has roles in. Looked at across tenants — also under row-level
    security — because a login must never straddle two; only the answer leaves this function."""
    with dangerously_platform_scope():
        return set(
            Membership.dangerously_unscoped.filter(
                **{f"user__{k}": v for k, v in user_filter.items()}
            ).values_list("tenant_id", flat=True)
        )


def _user_create(*, username: str, password: str) -> User:
    username = (username or "").strip()
    if not username:
        raise ValidationError({"username": _("Enter a login name.")})
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": _("This login name is taken.")})
    user = User(username=username)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user.save()
    return user


# --- org tree ------------------------------------------------------------------------------------
@transaction.atomic
def org_unit_create(
    *, scope: Scope, parent: OrgUnit, kind: str, name: str, mine_profile: dict | None = None
) -> OrgUnit:
    scope.require(roles.MANAGE_ORG, parent)
    if parent.kind not in OrgUnit.ALLOWED_PARENTS.get(kind, set()):
        raise ValidationError(
            {
                "kind": _("A unit of kind %(kind)s cannot be placed under one of kind %(parent)s.")
                % {
                    "kind": OrgUnit.Kind(kind).label if kind in OrgUnit.Kind.values else kind,
                    "parent": parent.get_kind_display(),
                }
            }
        )
    # The parent's row locked and read again: a move of its branch (org_unit_move) in progress
    # finishes first, and the new unit's path is built on the parent's path as it is now.
    parent = OrgUnit.dangerously_unscoped.select_for_update().get(pk=parent.pk)
    unit = OrgUnit(
        id=uuid.uuid4(), tenant_id=parent.tenant_id, parent=parent, kind=kind, name=(name or "").strip()
    )
    unit.path = f"{parent.path}{unit.id.hex}/"
    unit.depth = parent.depth + 1
    _save_validated(unit)
    audit_record(action="create", obj=unit, after=snapshot(unit))
    if kind == OrgUnit.Kind.MINE:
        profile = MineProfile(tenant_id=unit.tenant_id, org_unit=unit, **(mine_profile or {}))
        _save_validated(profile)
        audit_record(action="create", obj=profile, after=snapshot(profile))
    elif mine_profile:
        raise ValidationError({"kind": _("Only a mine has a mine profile.")})
    return unit


@transaction.atomic
def org_unit_rename(*, scope: Scope, unit: OrgUnit, name: str) -> OrgUnit:
    scope.require(roles.MANAGE_ORG, unit)
    before = snapshot(unit)
    unit.name = (name or "").strip()
    _save_validated(unit)
    audit_record(action="update", obj=unit, before=before, after=snapshot(unit))
    return unit


@transaction.atomic
def org_unit_move(*, scope: Scope, unit: OrgUnit, parent: OrgUnit) -> OrgUnit:
    """Move a unit, with everything under it, under another unit of the same group — a mine
    handed to another subsidiary, a team to another mine.

    Everything that hangs off the moved units (people, memberships, records) goes with them, as
    it is reached through their paths: managers of the new branch see it from now on, those of
    the old one no longer do. Needs MANAGE_ORG on the unit and on its new parent. Past audit
    events stay where they happened; the move itself is recorded once, where both branches meet,
    so the HQ and everyone above both places see it."""
    scope.require(roles.MANAGE_ORG, unit)
    scope.require(roles.MANAGE_ORG, parent)
    if parent.tenant_id != unit.tenant_id:  # the forms look parents up in the scope: never reached
        raise PermissionDenied("move across groups")
    if unit.parent_id is None:
        raise ValidationError({"parent": _("The group headquarters cannot be moved.")})
    # One move at a time in a group (its headquarters row is the lock), and every row of the branch
    # locked before its paths change: a unit being created under the branch waits (its parent's
    # row is locked) and then builds its path on the new one. Read again under the locks.
    list(
        OrgUnit.dangerously_unscoped.select_for_update()
        .filter(tenant_id=unit.tenant_id, parent__isnull=True)
        .values_list("pk", flat=True)
    )
    # Unit and parent were fetched in the caller's scope and checked above; re-read by id under the
    # locks (the branch below is the unit's own tenant).
    unit = OrgUnit.dangerously_unscoped.select_related("parent").get(pk=unit.pk)
    branch = OrgUnit.dangerously_unscoped.filter(tenant_id=unit.tenant_id, path__startswith=unit.path)
    list(branch.select_for_update().values_list("pk", flat=True))
    parent = OrgUnit.dangerously_unscoped.get(pk=parent.pk)
    # Checked again on the rows as they are now: a move that finished meanwhile may have taken
    # either out of the caller's branch.
    scope.require(roles.MANAGE_ORG, unit)
    scope.require(roles.MANAGE_ORG, parent)
    if parent.pk == unit.parent_id:
        return unit
    if parent.path.startswith(unit.path):
        raise ValidationError({"parent": _("A unit cannot be moved under itself or a unit under it.")})
    if parent.kind not in OrgUnit.ALLOWED_PARENTS.get(unit.kind, set()):
        raise ValidationError(
            {
                "parent": _("A unit of kind %(kind)s cannot be placed under one of kind %(parent)s.")
                % {"kind": unit.get_kind_display(), "parent": parent.get_kind_display()}
            }
        )
    old_path, old_parent = unit.path, unit.parent
    new_path = f"{parent.path}{unit.id.hex}/"
    longest = branch.aggregate(n=Max(Length("path")))["n"]
    if longest - len(old_path) + len(new_path) > OrgUnit._meta.get_field("path").max_length:
        raise ValidationError({"parent": _("The tree would be too deep there.")})
    branch.update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + (parent.depth + 1 - unit.depth),
    )
    # The unit checked and locked above.
    OrgUnit.dangerously_unscoped.filter(pk=unit.pk).update(parent=parent)
    unit.refresh_from_db()
    meeting = os.path.commonprefix([old_parent.path, parent.path])
    audit_record(
        action="update",
        obj=unit,
        org_path=meeting[: meeting.rfind("/") + 1],
        before={"parent": str(old_parent.pk), "parent_name": old_parent.name, "path": old_path},
        after={"parent": str(parent.pk), "parent_name": parent.name, "path": unit.path},
    )
    return unit


@transaction.atomic
def org_unit_delete(*, scope: Scope, unit: OrgUnit) -> None:
    scope.require(roles.MANAGE_ORG, unit)
    if unit.parent_id is None:
        raise ValidationError(_("The group headquarters cannot be deleted."))
    if (
        # Anything under the unit counts, seen by the caller or not; only whether it exists leaves.
        OrgUnit.dangerously_unscoped.filter(parent=unit).exists()
        or Person.dangerously_unscoped.filter(org_unit=unit).exists()
    ):
        raise ValidationError(_("Move or remove its units and people first."))
    before = snapshot(unit)
    audit_record(action="delete", obj=unit, before=before)
    try:
        unit.delete()
    except (ProtectedError, RestrictedError) as exc:
        # Courses, inspections, papers, assessments… of the capabilities protect the unit they
        # belong to; they are named by their models' own names, so the base never imports them.
        referrers = getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", ())
        raise Conflict(_referred_by(referrers)) from exc


def _referred_by(objects) -> str:
    counts = Counter(type(obj) for obj in objects)
    referrers = ""
    for model, n in sorted(counts.items(), key=lambda item: (-item[1], str(item[0]._meta.verbose_name))):
        part = {"count": n, "things": model._meta.verbose_name if n == 1 else model._meta.verbose_name_plural}
        if referrers:
            referrers = _("%(earlier)s, %(count)d %(things)s") % {"earlier": referrers, **part}
        else:
            referrers = _("%(count)d %(things)s") % part
    return _("This unit is still referred to by %(referrers)s; it cannot be deleted.") % {
        "referrers": referrers
    }


# The fields that decide which regulator oversees a mine (its region, and by its type which
# supervision applies): changed only by the group admin, with a reason, in view of both regions.
JURISDICTION_FIELDS = ("region_code", "mine_type")


@transaction.atomic
def mine_profile_update(*, scope: Scope, profile: MineProfile, reason: str = "", **fields) -> MineProfile:
    """Update a mine's profile. A change of its region code or mine type needs CHANGE_JURISDICTION
    (the group admin) and a reason; its audit event names the old and the new region, so the
    regulators of both read it, and both are notified — all in this transaction."""
    scope.require(roles.EDIT_MINE_PROFILE, profile.org_unit)
    changed = [
        name for name in JURISDICTION_FIELDS if name in fields and fields[name] != getattr(profile, name)
    ]
    if changed and not scope.has_perm(roles.CHANGE_JURISDICTION, profile.org_unit.path, profile.tenant_id):
        message = _(
            "Only the group admin can change the region code or the mine type: they decide which "
            "regulator oversees the mine."
        )
        raise ValidationError({name: message for name in changed})
    reason = (reason or "").strip()
    before = snapshot(profile)
    status_changed = (
        "production_status" in fields and fields["production_status"] != profile.production_status
    )
    _diff_fields(profile, fields)
    errors = {}
    if status_changed and not fields.get("production_status_since"):
        # A status change is dated, so how long a mine has been stopped can be computed.
        profile.production_status_since = timezone.localdate()
    since = profile.production_status_since
    if since is not None and since > timezone.localdate():
        errors["production_status_since"] = [_("The date cannot be in the future.")]
    if changed and not reason:
        errors["reason"] = [_("Give the reason for changing the region code or the mine type.")]
    try:
        profile.full_clean()
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    profile.save()
    after = snapshot(profile)
    if not changed:
        audit_record(action="update", obj=profile, before=before, after=after)
        return profile
    event = audit_record(
        action="update",
        obj=profile,
        before=before,
        after=after | {"reason": reason},
        regions=(before["region_code"], profile.region_code),
    )
    _notify_regulators_of_jurisdiction_change(profile=profile, before=before, reason=reason, event=event)
    return profile


def _regulator_users(region_codes) -> list:
    """Active logins of the agencies whose jurisdiction covers any of the region codes (an
    agency's prefix is a leading part of the code: "" national, 2 digits province, 4, 6)."""
    prefixes = {code[:n] for code in region_codes for n in (0, 2, 4, 6)}
    return list(
        User.objects.filter(
            agency_membership__agency__region_prefix__in=sorted(prefixes), is_active=True
        ).order_by("pk")
    )


def _notify_regulators_of_jurisdiction_change(
    *, profile: MineProfile, before: dict, reason: str, event
) -> None:
    mine = profile.org_unit
    types = dict(MineProfile.MineType.choices)
    title = _("%(group)s %(mine)s: region code or mine type changed") % {
        "group": profile.tenant.name,
        "mine": mine.name,
    }
    body = _(
        "Region code: %(old_region)s → %(new_region)s. Mine type: %(old_type)s → %(new_type)s. "
        "Reason: %(reason)s. Changed by: %(actor)s."
    ) % {
        "old_region": before["region_code"],
        "new_region": profile.region_code,
        "old_type": types.get(before["mine_type"], before["mine_type"]),
        "new_type": types.get(profile.mine_type, profile.mine_type),
        "reason": reason,
        "actor": event.actor_label or "—",
    }
    link = f"{reverse('audit-list')}?{urlencode({'q': mine.name})}"
    for user in _regulator_users([before["region_code"], profile.region_code]):
        notify(
            user=user,
            tenant_id=profile.tenant_id,
            title=title,
            body=body,
            link=link,
            dedupe_key=f"jurisdiction:{event.chain_key}:{event.seq}",
        )


# --- people ---------------------------------------------------------------------------------------
PERSON_FIELDS = (
    "name",
    "phone",
    "employee_no",
    "employer",
    "post_category",
    "operation_type",
    "job_title",
    "status",
    "status_reason",
    "post_started_on",
    "absent_since",
    "returned_on",
)


def _check_person_place(scope: Scope, org_unit: OrgUnit) -> None:
    if org_unit.kind not in (OrgUnit.Kind.MINE, OrgUnit.Kind.TEAM):
        raise ValidationError({"org_unit": _("A person belongs to a mine or a team.")})
    scope.require(roles.MANAGE_PEOPLE, org_unit)


def _unique_errors(person: Person) -> dict:
    # Uniqueness is per tenant, wider than the caller's subtree: look across the whole tenant
    # (only existence is revealed, never the other record).
    others = Person.dangerously_unscoped.filter(tenant_id=person.tenant_id).exclude(pk=person.pk)
    errors = {}
    if person.employee_no and others.filter(employee_no=person.employee_no).exists():
        errors["employee_no"] = [_("This employee number is already used in this group.")]
    if person.resident_id_digest and others.filter(resident_id_digest=person.resident_id_digest).exists():
        errors["resident_id"] = [
            _("A person with this resident ID number is already registered in this group.")
        ]
    return errors


def _set_resident_id(person: Person, resident_id: str) -> None:
    try:
        number = personal_data.normalize_resident_id(resident_id)
    except ValidationError as exc:
        raise ValidationError({"resident_id": exc.messages}) from exc
    person.resident_id_cipher = personal_data.encrypt(number)
    person.resident_id_digest = personal_data.digest(number)
    person.resident_id_masked = personal_data.mask(number)


def _fill_person(person: Person, fields: dict, resident_id: str | None) -> dict:
    """Set the editable fields and, when given, the resident ID; return every error by field."""
    _diff_fields(
        person, {k: (v.strip() if isinstance(v, str) else v) for k, v in fields.items() if k in PERSON_FIELDS}
    )
    if person.status == Person.Status.ON_POST:
        person.status_reason = ""
    errors = {}
    if resident_id is not None:
        try:
            _set_resident_id(person, resident_id)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    try:
        person.full_clean(
            exclude=["resident_id_cipher", "resident_id_digest", "resident_id_masked", "tenant"]
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    return errors


def person_build(*, org_unit: OrgUnit, resident_id: str, **fields) -> Person:
    """An unsaved, fully validated person (the Excel import checks uniqueness for the whole file)."""
    person = Person(tenant_id=org_unit.tenant_id, org_unit=org_unit)
    errors = _fill_person(person, fields, resident_id)
    if errors:
        raise ValidationError(errors)
    return person


@transaction.atomic
def person_create(*, scope: Scope, org_unit: OrgUnit, resident_id: str, **fields) -> Person:
    _check_person_place(scope, org_unit)
    person = Person(tenant_id=org_unit.tenant_id, org_unit=org_unit)
    errors = _fill_person(person, fields, resident_id)
    errors = _unique_errors(person) | errors
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError as exc:  # a concurrent insert won the race
        raise ValidationError(
            {"employee_no": _("This employee number is already used in this group.")}
        ) from exc
    audit_record(action="create", obj=person, after=snapshot(person))
    holds.run_post_gates(scope, person)
    return person


@transaction.atomic
def person_update(
    *, scope: Scope, person: Person, org_unit: OrgUnit | None = None, resident_id: str | None = None, **fields
) -> Person:
    scope.require(roles.MANAGE_PEOPLE, person.org_unit)
    before = snapshot(person)
    if org_unit is not None and org_unit.pk != person.org_unit_id:
        _check_person_place(scope, org_unit)
        person.org_unit = org_unit
    errors = _fill_person(person, fields, resident_id or None)
    errors = _unique_errors(person) | errors
    if person.status == Person.Status.ON_POST:
        # An open hold (e.g. after a failed spot exam) is lifted only by the rule that placed it.
        try:
            holds.check_may_go_on_post(person, person.status)
        except ValidationError as exc:
            errors = exc.message_dict | errors
    if errors:
        raise ValidationError(errors)
    person.save()
    audit_record(action="update", obj=person, before=before, after=snapshot(person))
    if any(before.get(name) != getattr(person, name) for name in ("post_category", "post_started_on")):
        # A new post is a new start: the gates (e.g. pre-job training) are asked again.
        holds.run_post_gates(scope, person)
    return person


@transaction.atomic
def person_delete(*, scope: Scope, person: Person) -> None:
    scope.require(roles.MANAGE_PEOPLE, person.org_unit)
    audit_record(action="delete", obj=person, before=snapshot(person))
    user = person.user
    person.delete()
    if user is not None:
        # The deleted person's own login loses its roles in this tenant, wherever they were granted.
        Membership.dangerously_unscoped.filter(user=user, tenant_id=person.tenant_id).delete()
        user.is_active = False
        user.save(update_fields=["is_active"])


@transaction.atomic
def person_reveal_resident_id(*, scope: Scope, person: Person) -> str:
    """The full number, for a permitted user; every reveal is on the audit trail."""
    scope.require(roles.REVEAL_RESIDENT_ID, person.org_unit)
    audit_record(action="reveal", obj=person, after={"field": "resident_id"})
    return personal_data.decrypt(person.resident_id_cipher)


@transaction.atomic
def person_login_create(*, scope: Scope, person: Person, username: str, password: str) -> User:
    """Give a person a login; it starts as a worker at their team or mine (own records only)."""
    scope.require(roles.MANAGE_MEMBERSHIPS, person.org_unit)
    if person.user_id:
        raise ValidationError({"username": _("This person already has a login.")})
    user = _user_create(username=username, password=password)
    person.user = user
    person.save(update_fields=["user"])
    membership = Membership.objects.create(
        tenant_id=person.tenant_id, user=user, org_unit=person.org_unit, role=roles.WORKER
    )
    audit_record(action="grant", obj=membership, after={"user": username, "role": roles.WORKER})
    return user


# --- roles ----------------------------------------------------------------------------------------
@transaction.atomic
def membership_grant(*, scope: Scope, user, org_unit: OrgUnit, role: str) -> Membership:
    scope.require(roles.MANAGE_MEMBERSHIPS, org_unit)
    if role not in dict(roles.ROLE_CHOICES):
        raise ValidationError({"role": _("Unknown role.")})
    if AgencyMembership.objects.filter(user=user).exists() or _login_tenants(pk=user.pk) - {
        org_unit.tenant_id
    }:
        # A login belongs to one group (or one agency): its scope must never straddle two.
        raise PermissionDenied("user belongs elsewhere")
    if Membership.dangerously_unscoped.filter(user=user, org_unit=org_unit, role=role).exists():
        raise ValidationError({"role": _("This role is already granted here.")})
    membership = Membership(tenant_id=org_unit.tenant_id, user=user, org_unit=org_unit, role=role)
    _save_validated(membership, exclude=["tenant"])
    audit_record(action="grant", obj=membership, after=snapshot(membership))
    return membership


@transaction.atomic
def membership_revoke(*, scope: Scope, membership: Membership) -> None:
    scope.require(roles.MANAGE_MEMBERSHIPS, membership.org_unit)
    if membership.role == roles.TENANT_ADMIN and membership.user_id == scope.user_id:
        raise ValidationError(_("You cannot revoke your own group-admin role."))
    audit_record(action="revoke", obj=membership, before=snapshot(membership))
    membership.delete()


def tenant_user_create(
    *, tenant: Tenant, username: str, password: str, role: str, org_unit: OrgUnit | None = None
):
    """Platform operator: a login with one role, e.g. the first tenant admin."""
    # Only the platform operator calls this (create_tenant), for a tenant that has no admin yet.
    with dangerously_platform_scope() as scope, transaction.atomic():
        if org_unit is None:
            org_unit = OrgUnit.objects.get(tenant=tenant, parent__isnull=True)
        user = _user_create(username=username, password=password)
        membership_grant(scope=scope, user=user, org_unit=org_unit, role=role)
    return user
