"""Holds on a person (``PersonHold``): reads and writes.

A capability places a hold when one of its rules takes a person off post — a failed spot exam
today; later a lapsed contractor qualification or a points threshold — and lifts it when the
rule is satisfied again. While any hold is open the person cannot be put on post
(``check_may_go_on_post``, called by ``tenants.services.person_update``).

The base, not the capability, sets ``Person.status``: placing a hold takes the person off post
(``SUSPENDED``, the hold's reason as the status reason); lifting the last open hold puts a
suspended person back on post. Each write is idempotent by (source, reference), audited, and
runs in one transaction — usually the capability's own (e.g. the grading of an attempt).
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance.audit.services import PendingEvent, audit_record, audit_record_many

from .models import Person, PersonHold
from .scope import Scope

Reference = models.Model | tuple[str, object] | str


def _reference(reference: Reference) -> dict:
    """(type, id, text) of a reference: a saved model instance, a ``(type, id)`` pair, or text."""
    if isinstance(reference, models.Model):
        return {
            "reference_type": reference._meta.label,
            "reference_id": str(reference.pk),
            "reference_text": "",
        }
    if isinstance(reference, tuple):
        kind, pk = reference
        return {"reference_type": str(kind), "reference_id": str(pk), "reference_text": ""}
    text = str(reference or "").strip()
    if not text:
        raise ValueError("a hold needs a reference: a record or a text")
    return {"reference_type": "", "reference_id": "", "reference_text": text[:200]}


def _check_scope(scope: Scope, person: Person) -> None:
    # A hold follows from a rule of the capability, not from the user's role (a worker who fails
    # their own spot exam places one): the scope must only be of the person's own group and able
    # to write. Fail closed otherwise.
    if scope.read_only or not (scope.is_platform or person.tenant_id in scope.tenant_ids):
        raise PermissionDenied("hold outside the scope's groups")


def _hold_after(hold: PersonHold) -> dict:
    return {
        "person": str(hold.person_id),
        "source": hold.source,
        "reason": hold.reason,
        "reference_type": hold.reference_type,
        "reference_id": hold.reference_id,
        "reference_text": hold.reference_text,
    }


def _locked_person(person: Person) -> Person:
    # Serialises holds and status changes of one person. By id: the caller's scope was checked.
    return Person.dangerously_unscoped.select_for_update().select_related("org_unit").get(pk=person.pk)


def _set_status(person: Person, status: str, reason: str) -> None:
    from .services import snapshot  # services imports this module for the on-post rule

    if person.status == status and person.status_reason == reason[:200]:
        return
    before = snapshot(person)
    person.status = status
    person.status_reason = reason[:200]
    person.save(update_fields=["status", "status_reason", "updated_at"])
    audit_record(action="update", obj=person, before=before, after=snapshot(person))


# --- reads ----------------------------------------------------------------------------------------
def open_holds(person: Person) -> QuerySet[PersonHold]:
    """The person's open holds, newest first. By id: callers have the person in their scope."""
    return PersonHold.dangerously_unscoped.filter(person_id=person.pk, lifted_at__isnull=True).order_by(
        "-placed_at"
    )


def has_open_hold(person: Person) -> bool:
    return bool(person.pk) and open_holds(person).exists()


def holds_of(*, scope: Scope, person: Person, limit: int = 20) -> list[PersonHold]:
    """The person's holds the scope may read, open ones first (one query)."""
    return list(
        scope.filter_queryset(PersonHold.objects.filter(person_id=person.pk))
        .select_related("placed_by", "lifted_by")
        .order_by(models.F("lifted_at").desc(nulls_first=True), "-placed_at")[:limit]
    )


def check_may_go_on_post(person: Person, new_status: str) -> None:
    """Refuse putting a person on post while a hold is open (a field error on ``status``)."""
    if new_status != Person.Status.ON_POST or not person.pk:
        return
    hold = open_holds(person).first()
    if hold is not None:
        raise ValidationError(
            {
                "status": _(
                    "This person is held off post (%(reason)s): they go back on post only once the "
                    "hold is lifted."
                )
                % {"reason": hold.reason}
            }
        )


# --- post gates -----------------------------------------------------------------------------------
# Rules a capability checks when a person is registered or takes a new post (training's pre-job
# hours, 岗前培训): a gate that is not met places a hold through ``place_hold`` below, and lifts it
# itself when its rule is met. The base only calls them; it knows no capability.
Gate = Callable[[Scope, Person], None]
BatchGate = Callable[[Scope, list[Person]], None]
_post_gates: dict[str, tuple[Gate, BatchGate | None]] = {}


def register_post_gate(key: str, gate: Gate, *, batch: BatchGate | None = None) -> None:
    """Called from a capability's ``AppConfig.ready()``. Idempotent by key. ``batch`` asks the
    same rule of many people at once (an Excel import): it must leave each person as ``gate``
    would, in a number of queries that does not grow with the people where it can."""
    _post_gates[key] = (gate, batch)


def run_post_gates(scope: Scope, person: Person) -> None:
    """Inside the caller's transaction, after the person is saved and audited."""
    for gate, _batch in list(_post_gates.values()):
        gate(scope, person)


def run_post_gates_many(scope: Scope, people: list[Person]) -> None:
    """``run_post_gates`` for people saved and audited together (the people import), inside the
    caller's transaction: each gate's batch entry point, or the gate once per person."""
    if not people:
        return
    for gate, batch in list(_post_gates.values()):
        if batch is not None:
            batch(scope, people)
        else:
            for person in people:
                gate(scope, person)


# --- writes ---------------------------------------------------------------------------------------
@transaction.atomic
def place_hold(*, scope: Scope, person: Person, source: str, reason: str, reference: Reference) -> PersonHold:
    """Place a hold (once per source and reference) and take the person off post.

    Placing it again returns the existing hold, open or lifted, and changes nothing.
    """
    _check_scope(scope, person)
    ref = _reference(reference)
    reason = (reason or "").strip()[:300]
    if not source or not reason:
        raise ValueError("a hold needs a source and a reason")
    person = _locked_person(person)
    existing = PersonHold.dangerously_unscoped.filter(
        tenant_id=person.tenant_id, source=source, **ref
    ).first()
    if existing is not None:
        return existing
    hold = PersonHold.dangerously_unscoped.create(
        tenant_id=person.tenant_id,
        person=person,
        source=source,
        reason=reason,
        placed_at=timezone.now(),
        placed_by_id=scope.user_id,
        **ref,
    )
    audit_record(
        action="create",
        obj=hold,
        object_repr=person.name,
        org_path=person.org_unit.path,
        after=_hold_after(hold),
    )
    if person.status != Person.Status.LEFT:
        _set_status(person, Person.Status.SUSPENDED, reason)
    return hold


@transaction.atomic
def place_holds(
    *, scope: Scope, source: str, placements: list[tuple[Person, str, Reference]]
) -> list[PersonHold]:
    """``place_hold`` for many people at once — (person, reason, reference) each — with the same
    holds, statuses and audit events, in five queries whatever their number (a post gate run over
    an import). A placement whose hold exists already (open or lifted) changes nothing."""
    if not placements:
        return []
    if not source:
        raise ValueError("a hold needs a source and a reason")
    wanted = []
    for person, reason, reference in placements:
        _check_scope(scope, person)
        reason = (reason or "").strip()[:300]
        if not reason:
            raise ValueError("a hold needs a source and a reason")
        wanted.append((person.pk, reason, _reference(reference)))
    # Serialises with place_hold/lift_hold of the same people (one lock, in id order).
    people = {
        p.pk: p
        for p in Person.dangerously_unscoped.select_for_update()
        .select_related("org_unit")
        .filter(pk__in=[pk for pk, _r, _ref in wanted])
        .order_by("pk")
    }
    key_fields = ("tenant_id", "reference_type", "reference_id", "reference_text")
    # Once per (tenant, source, reference), as the constraint says and place_hold checks.
    ids = {ref["reference_id"] for _pk, _r, ref in wanted if ref["reference_id"]}
    texts = {ref["reference_text"] for _pk, _r, ref in wanted if ref["reference_text"]}
    taken = set(
        PersonHold.dangerously_unscoped.filter(
            # Only the groups of the people just checked against the scope.
            tenant_id__in={p.tenant_id for p in people.values()},
            source=source,
        )
        .filter(Q(reference_id__in=ids) | Q(reference_text__in=texts))
        .values_list(*key_fields)
    )
    now = timezone.now()
    created: list[PersonHold] = []
    for pk, reason, ref in wanted:
        person = people[pk]
        key = (person.tenant_id, ref["reference_type"], ref["reference_id"], ref["reference_text"])
        if key in taken:
            continue
        taken.add(key)
        created.append(
            PersonHold(
                tenant_id=person.tenant_id,
                person=person,
                source=source,
                reason=reason,
                placed_at=now,
                placed_by_id=scope.user_id,
                **ref,
            )
        )
    if not created:
        return []
    PersonHold.dangerously_unscoped.bulk_create(created)
    from .services import snapshot  # services imports this module for the on-post rule

    events = [
        PendingEvent(
            action="create",
            obj=hold,
            object_repr=hold.person.name,
            org_path=hold.person.org_unit.path,
            after=_hold_after(hold),
        )
        for hold in created
    ]
    # Each person takes the reason of their last new hold, as place_hold one by one would leave them.
    last = {hold.person_id: hold for hold in created}
    changed: dict[object, Person] = {}
    for hold in last.values():
        person = hold.person
        reason = hold.reason[:200]
        if person.status == Person.Status.LEFT:
            continue
        if person.status == Person.Status.SUSPENDED and person.status_reason == reason:
            continue
        before = snapshot(person)
        person.status, person.status_reason, person.updated_at = Person.Status.SUSPENDED, reason, now
        changed[person.pk] = person
        events.append(PendingEvent(action="update", obj=person, before=before, after=snapshot(person)))
    if changed:
        fields = ["status", "status_reason", "updated_at"]
        Person.dangerously_unscoped.bulk_update(list(changed.values()), fields)
    audit_record_many(events)
    return created


@transaction.atomic
def lift_hold(
    *, scope: Scope, person: Person, source: str, reference: Reference, lift_reason: str = ""
) -> PersonHold | None:
    """Lift the open hold of (source, reference); a person held by nothing else who was taken off
    post goes back on post. None (and nothing changes) when there is no such open hold."""
    _check_scope(scope, person)
    ref = _reference(reference)
    person = _locked_person(person)
    hold = (
        PersonHold.dangerously_unscoped.select_for_update()
        .filter(tenant_id=person.tenant_id, person_id=person.pk, source=source, lifted_at__isnull=True, **ref)
        .first()
    )
    if hold is None:
        return None
    hold.lifted_at = timezone.now()
    hold.lifted_by_id = scope.user_id
    hold.lift_reason = (lift_reason or "").strip()[:300]
    hold.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
    audit_record(
        action="update",
        obj=hold,
        object_repr=person.name,
        org_path=person.org_unit.path,
        before={"lifted_at": None},
        after={"event": "lift_hold", "lifted_at": hold.lifted_at, "lift_reason": hold.lift_reason},
    )
    if person.status == Person.Status.SUSPENDED:
        remaining = open_holds(person).first()
        if remaining is None:
            _set_status(person, Person.Status.ON_POST, "")
        else:
            _set_status(person, Person.Status.SUSPENDED, remaining.reason)
    return hold
