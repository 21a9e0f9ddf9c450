"""The audit trail as people read it: each stored event becomes a sentence — who (name, role,
unit), did what (the action's label), to which object (its kind and name, linked when the
viewer may open it), where and when — with its changes field by field.

Nothing here changes a stored event (the chain's hashes cover them): names, labels and masks are
applied when an event is shown. What an action, an object kind or a system login is called comes
from ``compliance.registry``, filled by the platform and each capability; field labels are the
models' verbose names, found through the app registry from the event's ``object_type``.

Queries: ``event_rows`` reads the names it needs for a whole page at once (people and units by
id, the actors' people and roles), so a page costs the same number of queries whatever its size.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache

from django.apps import apps
from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from compliance import registry
from tenants import roles
from tenants.personal_data import mask, mask_phone
from tenants.scope import Scope

from .selectors import audit_names

# Keys the platform's own events record that are no model field (see the services writing them).
GENERIC_LABELS = {
    "by": pgettext_lazy("audit field", "By"),
    "rows": pgettext_lazy("audit field", "Rows"),
    "file": pgettext_lazy("audit field", "File"),
    "bytes": pgettext_lazy("audit field", "Size (bytes)"),
    "job": pgettext_lazy("audit field", "Background job"),
    "ip": pgettext_lazy("audit field", "IP address"),
    "username": pgettext_lazy("audit field", "Login name"),
    "event": pgettext_lazy("audit field", "Event"),
    "items": pgettext_lazy("audit field", "Items"),
    "questions": pgettext_lazy("audit field", "Questions"),
    "answered": pgettext_lazy("audit field", "Answered"),
    "filters": pgettext_lazy("audit field", "Filters"),
    # Relations whose models give them no verbose name of their own.
    "user": pgettext_lazy("audit field", "Login"),
    "org_unit": pgettext_lazy("audit field", "Unit"),
    "parent": pgettext_lazy("audit field", "Parent unit"),
    "mine": pgettext_lazy("audit field", "Mine"),
    "person": pgettext_lazy("audit field", "Person"),
    "paper": pgettext_lazy("audit field", "Exam paper"),
    "course": pgettext_lazy("audit field", "Course"),
    "session": pgettext_lazy("audit field", "Training session"),
    "attempt": pgettext_lazy("audit field", "Exam attempt"),
    "certificate": pgettext_lazy("audit field", "Certificate"),
    "assessment": pgettext_lazy("audit field", "Self-assessment"),
    "inspection": pgettext_lazy("audit field", "Inspection"),
    "spot_check": pgettext_lazy("audit field", "Spot exam"),
    "leader": pgettext_lazy("audit field", "Team leader"),
    "started_by": pgettext_lazy("audit field", "Started by"),
    "reviewer": pgettext_lazy("audit field", "Reviewer"),
    "reference_type": pgettext_lazy("audit field", "Reference kind"),
    "reference_id": pgettext_lazy("audit field", "Reference"),
    "reference_text": pgettext_lazy("audit field", "Reference note"),
    "accident": pgettext_lazy("audit field", "Accident"),
    "family": pgettext_lazy("audit field", "Question family"),
    "version": pgettext_lazy("audit field", "Standard version"),
    "on": pgettext_lazy("audit field", "Date"),
    "deductions": pgettext_lazy("audit field", "Deductions"),
}
# Bookkeeping that says nothing to a reader (optimistic-locking counters, row ids).
HIDDEN_KEYS = frozenset({"row_version", "id"})
# Shown as dots whatever they hold: never secrets in the trail, but never shown if one slipped in.
SECRET_KEYS = ("password", "secret", "token_hash", "key_hash", "resident_id_enc", "resident_id_digest")
PHONE_KEYS = ("phone", "mobile")
RESIDENT_ID_KEYS = ("resident_id",)
ROLE_EXTRA = {"platform": pgettext_lazy("audit actor", "Platform operator")}
# An event without any actor was written by a scheduled job (Celery beat runs them as nobody).
SYSTEM = pgettext_lazy("audit actor", "System (scheduled job)")
ANONYMOUS = pgettext_lazy("audit actor", "Someone not logged in")
MAX_VALUE = 300  # characters of one value shown; the rest is in the API
# The representation Django gives a model without __str__: "Assessment object (<uuid>)".
_DEFAULT_REPR = re.compile(r"^\w+ object \(.*\)$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_UNMASKED_RID = re.compile(r"^\d{17}[\dX]$")
PATH_SEGMENT = 33  # one org unit id (32 hex digits) and its slash: tenants.models.OrgUnit.path


@dataclass
class Change:
    label: str
    before: str
    after: str


@dataclass
class EventRow:
    event: object
    actor_name: str
    actor_role: str
    actor_unit: str
    system: bool
    action_label: str
    kind_label: str
    object_name: str
    url: str
    place: str
    changes: list[Change] = field(default_factory=list)


# --- names of things ---------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _legacy_models() -> dict[str, object]:
    """object_type → model for models that kept the type of the app they moved from."""
    return {m.audit_object_type: m for m in apps.get_models() if getattr(m, "audit_object_type", None)}


def model_of(object_type: str):
    if not object_type or "." not in object_type:
        return None
    legacy = _legacy_models().get(object_type)
    if legacy is not None:
        return legacy
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def kind_label(object_type: str) -> str:
    kind = registry.audit_object_kinds().get(object_type)
    if kind is not None and kind.label is not None:
        return str(kind.label)
    model = model_of(object_type)
    return str(capfirst(model._meta.verbose_name)) if model is not None else object_type


def action_label(action: str) -> str:
    label = registry.audit_action_labels().get(action)
    return str(label) if label is not None else action


def action_choices() -> list[tuple[str, str]]:
    """Every action of the platform and every capability, by label."""
    return sorted(((k, str(v)) for k, v in registry.audit_action_labels().items()), key=lambda c: c[1])


def object_kind_choices() -> list[tuple[str, str]]:
    return sorted(((k, kind_label(k)) for k in registry.audit_object_kinds()), key=lambda c: c[1])


def object_name(event) -> str:
    text = event.object_repr or ""
    return "" if _DEFAULT_REPR.match(text) else text


def field_label(model, key: str) -> str:
    """The field's verbose name; for a field that has none of its own (Django made one from its
    name, untranslated) or a key that is no field, the trail's own label for that key."""
    generic = GENERIC_LABELS.get(key)
    if model is not None:
        try:
            name = model._meta.get_field(key).verbose_name
        except Exception:  # not a field of the model (FieldDoesNotExist) or one without a name
            name = None
        if name is not None and (isinstance(name, Promise) or generic is None):
            return str(capfirst(name))
    return str(generic) if generic is not None else key


def _last_unit_id(path: str) -> str:
    segments = [s for s in (path or "").split("/") if s]
    return segments[-1] if segments else ""


# --- values --------------------------------------------------------------------------------------------
USER_KEYS = ("by",)  # keys of the platform's own that hold a login's id


def _fk_target(model, key: str) -> str | None:
    """'unit', 'person' or 'user' when ``key`` names a relation to an org unit, a person or a
    login."""
    if key in USER_KEYS:
        return "user"
    if model is None:
        return None
    try:
        f = model._meta.get_field(key)
    except Exception:
        return None
    related = getattr(f, "related_model", None)
    if related is None:
        return None
    targets = {"tenants.OrgUnit": "unit", "tenants.Person": "person", settings.AUTH_USER_MODEL: "user"}
    return targets.get(related._meta.label)


def _ids_in(value) -> list[str]:
    if isinstance(value, str) and _UUID.match(value):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str) and _UUID.match(v)]
    return []


def _user_ids_in(value) -> list[int]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit() and len(value) < 12):
        return [int(value)]
    return []


def _choices_of(model, key: str) -> dict:
    if model is None:
        return {}
    try:
        f = model._meta.get_field(key)
    except Exception:
        return {}
    return {str(k): v for k, v in (getattr(f, "flatchoices", None) or [])}


def format_value(model, key: str, value, names: dict) -> str:
    if value is None or value == "" or value == []:
        return "—"
    lowered = key.lower()
    if any(s in lowered for s in SECRET_KEYS):
        return "••••"
    if any(s in lowered for s in RESIDENT_ID_KEYS) and isinstance(value, str):
        return mask(value) if _UNMASKED_RID.match(value) else value
    if any(s in lowered for s in PHONE_KEYS) and isinstance(value, str):
        return mask_phone(value)
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    target = _fk_target(model, key)
    if target == "user" and _user_ids_in(value):
        return names["user"].get(_user_ids_in(value)[0]) or str(value)
    if target is not None and _ids_in(value):
        found = [names[target].get(i, "") for i in _ids_in(value)]
        shown = [n for n in found if n]
        if shown:
            return "、".join(shown) if len(found) == len(shown) else "、".join(shown) + " …"
    if isinstance(value, str) and _UUID.match(value):
        return f"#{value[:8]}"  # a reference the page cannot name: short, as the API has it whole
    choices = _choices_of(model, key)
    if choices and not isinstance(value, list | dict) and str(value) in choices:
        return str(choices[str(value)])
    if isinstance(value, list):
        text = "; ".join(
            " ".join(str(x) for x in v)
            if isinstance(v, list)
            else (json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else str(v))
            for v in value
        )
    elif isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = str(value)
    return text if len(text) <= MAX_VALUE else text[:MAX_VALUE] + "…"


def changes_of(event, names: dict) -> list[Change]:
    """Field by field: for a change, the fields that differ; for a creation (or a deletion),
    every field it recorded."""
    model = model_of(event.object_type)
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    keys = list(dict.fromkeys([*before, *after]))
    if model is not None:
        order = {f.name: i for i, f in enumerate(model._meta.get_fields())}
        keys.sort(key=lambda k: order.get(k, len(order)))
    out = []
    for key in keys:
        if key in HIDDEN_KEYS or (key in before and key in after and before[key] == after[key]):
            continue
        out.append(
            Change(
                label=field_label(model, key),
                before=format_value(model, key, before.get(key), names) if key in before else "",
                after=format_value(model, key, after.get(key), names) if key in after else "",
            )
        )
    return out


# --- rows ----------------------------------------------------------------------------------------------
def _collect_ids(events) -> tuple[set[str], set[str], set[int], set[int]]:
    units: set[str] = set()
    people: set[str] = set()
    actors: set[int] = set()
    users: set[int] = set()
    for event in events:
        if event.actor_id:
            actors.add(event.actor_id)
        unit = _last_unit_id(event.org_path)
        if unit:
            units.add(unit)
        model = model_of(event.object_type)
        for data in (event.before, event.after):
            if not isinstance(data, dict):
                continue
            for key, value in data.items():
                target = _fk_target(model, key)
                if target == "unit":
                    units.update(_ids_in(value))
                elif target == "person":
                    people.update(_ids_in(value))
                elif target == "user":
                    users.update(_user_ids_in(value))
    return units, people, actors, users


def _link(scope: Scope, event) -> str:
    kind = registry.audit_object_kinds().get(event.object_type)
    if kind is None or not kind.url_name or not kind.perm or not event.object_id or not event.org_path:
        return ""
    if event.action == "delete" or not scope.has_perm(kind.perm, event.org_path, event.tenant_id):
        return ""
    try:
        return reverse(kind.url_name, kwargs={kind.url_kwarg: event.object_id})
    except NoReverseMatch:
        return ""


def actor_of(event, actors: dict) -> tuple[str, str, str, bool]:
    """(name, role, unit, is a system login) of the event's actor."""
    system = registry.system_actors().get(event.actor_label)
    if system is not None:
        return str(system), "", "", True
    if not event.actor_id and not event.actor_label:
        if event.action == "login_failed":
            return str(ANONYMOUS), "", "", False
        return str(SYSTEM), "", "", True
    role = str(ROLE_EXTRA.get(event.role) or roles.ROLE_LABELS.get(event.role, event.role))
    known = actors.get(event.actor_id) or {}
    name = known.get("name") or event.actor_label or "—"
    unit = known.get("units", {}).get(event.role) or known.get("unit", "")
    return name, role, unit, False


def event_rows(*, scope: Scope, events) -> list[EventRow]:
    """The events (one page of them) as rows to show; a constant number of queries."""
    events = list(events)
    unit_ids, person_ids, actor_ids, user_ids = _collect_ids(events)
    found = audit_names(scope=scope, unit_ids=unit_ids, person_ids=person_ids, user_ids=actor_ids | user_ids)
    names = {"unit": found.units, "person": found.people, "user": found.users}
    rows = []
    for event in events:
        actor_name, actor_role, actor_unit, system = actor_of(event, found.actors)
        rows.append(
            EventRow(
                event=event,
                actor_name=actor_name,
                actor_role=actor_role,
                actor_unit=actor_unit,
                system=system,
                action_label=action_label(event.action),
                kind_label=kind_label(event.object_type),
                object_name=object_name(event),
                url=_link(scope, event),
                place=found.units.get(_last_unit_id(event.org_path), ""),
                changes=changes_of(event, names),
            )
        )
    return rows


# The platform's own actions (compliance.audit and the platform pieces that write events).
PLATFORM_ACTIONS = {
    "create": gettext_lazy("Create"),
    "update": gettext_lazy("Update"),
    "delete": gettext_lazy("Delete"),
    "import": gettext_lazy("Import"),
    "export": gettext_lazy("Export of personal data"),
    "reveal": gettext_lazy("Reveal of a resident ID"),
    "login_failed": gettext_lazy("Login failure"),
    "grant": gettext_lazy("Grant"),
    "revoke": gettext_lazy("Revoke"),
    "password_change": gettext_lazy("Password change"),
    "password_reset": gettext_lazy("Password reset by a group admin"),
}
