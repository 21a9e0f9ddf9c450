from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from tenants.models import Membership, OrgUnit, Person
from tenants.scope import Scope

from .models import AuditEvent


def audit_event_list(
    *,
    scope: Scope,
    action: str = "",
    search: str = "",
    actor: str = "",
    object_type: str = "",
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    unit: OrgUnit | None = None,
):
    """The events of the scope, newest first. ``since`` and ``until`` are days (both included, in
    the site's time zone); ``actor`` matches the login name or the name of the person behind it;
    ``unit`` keeps the events at that unit and below."""
    qs = scope.filter_queryset(AuditEvent.objects.all())
    if action:
        qs = qs.filter(action=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if since:
        qs = qs.filter(created_at__gte=_start_of(since))
    if until:
        qs = qs.filter(created_at__lt=_start_of(until + datetime.timedelta(days=1)))
    if unit is not None:
        qs = qs.filter(org_path__startswith=unit.path)
    if actor:
        people = scope.filter_queryset(Person.objects.filter(name__icontains=actor, user__isnull=False))
        qs = qs.filter(Q(actor_label__icontains=actor) | Q(actor_id__in=people.values("user_id")))
    if search:
        qs = qs.filter(Q(object_repr__icontains=search) | Q(actor_label__icontains=search))
    return qs.order_by("-created_at", "-seq")


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@dataclass
class AuditNames:
    units: dict[str, str] = field(default_factory=dict)  # org unit id (hex) → name
    people: dict[str, str] = field(default_factory=dict)  # person id (str) → name
    # user id → {"name", "unit", "units": {role: unit name}}
    actors: dict[int, dict] = field(default_factory=dict)
    users: dict[int, str] = field(default_factory=dict)  # user id → the person's name, or the login


def audit_names(*, scope: Scope, unit_ids, person_ids, user_ids) -> AuditNames:
    """Names of the units, people and actors a page of events mentions, as far as the scope may
    read them (what it may not read keeps its stored label). Three queries at most, whatever the
    number of events."""
    out = AuditNames()
    keys = {_hex(u) for u in unit_ids} - {""}
    if keys:
        for unit in scope.filter_queryset(OrgUnit.objects.filter(pk__in=keys)).only("id", "name"):
            out.units[unit.pk.hex] = unit.name
        out.units.update({str_id: out.units[h] for str_id in unit_ids if (h := _hex(str_id)) in out.units})
    user_ids = {u for u in user_ids if u}
    person_ids = set(person_ids)
    if person_ids or user_ids:
        rows = scope.filter_queryset(
            Person.objects.filter(Q(pk__in=person_ids) | Q(user_id__in=user_ids))
        ).select_related("org_unit")
        for person in rows:
            out.people[str(person.pk)] = person.name
            if person.user_id in user_ids:
                out.actors[person.user_id] = {"name": person.name, "unit": person.org_unit.name, "units": {}}
                out.users[person.user_id] = person.name
    if user_ids:
        memberships = scope.filter_queryset(Membership.objects.filter(user_id__in=user_ids)).select_related(
            "org_unit", "user"
        )
        for m in memberships.order_by("org_unit__path"):
            entry = out.actors.setdefault(m.user_id, {"name": "", "unit": "", "units": {}})
            entry["units"].setdefault(m.role, m.org_unit.name)
            out.users.setdefault(m.user_id, m.user.get_username())
    return out


def _hex(value) -> str:
    text = str(value).replace("-", "").lower()
    return text if len(text) == 32 else ""
