"""Appending to and verifying the audit trail.

Call ``audit_record`` inside the same ``transaction.atomic`` block as the write it describes:
the event and the change commit together or not at all.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from tenants.scope import dangerously_platform_scope

from .context import current_actor
from .models import AuditChain, AuditEvent

PLATFORM_CHAIN = "platform"
HASHED_FIELDS = (
    "chain_key",
    "seq",
    "created_at",
    "actor_id",
    "actor_label",
    "role",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "org_path",
    "regions",
    "before",
    "after",
    "request_id",
    "ip",
    "prev_hash",
)


@dataclass
class PendingEvent:
    action: str
    tenant_id: object | None = None
    obj: object | None = None
    object_type: str = ""
    object_id: str = ""
    object_repr: str = ""
    org_path: str = ""
    before: dict | None = None
    after: dict | None = None
    regions: tuple[str, ...] = ()  # region codes whose regulators read this event (see the model)


def _regions_field(regions) -> str:
    return "".join(f" {code}" for code in dict.fromkeys(regions) if code)


def _canonical(value) -> object:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False))


def event_hash(event: AuditEvent) -> str:
    payload = {}
    for name in HASHED_FIELDS:
        value = getattr(event, name)
        if name == "created_at":
            value = value.isoformat()
        elif name == "actor_id" and value is not None:
            value = int(value)
        if name == "regions" and not value:
            continue  # hashed only when set: the hashes of events from before the field stay valid
        payload[name] = value
    blob = json.dumps(_canonical(payload), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def _chain_key(tenant_id) -> str:
    return str(tenant_id) if tenant_id else PLATFORM_CHAIN


def _org_path_of(obj) -> str:
    for attr in ("path", "org_path"):
        value = getattr(obj, attr, None)
        if isinstance(value, str):
            return value
    unit = getattr(obj, "org_unit", None)
    return getattr(unit, "path", "") if unit is not None else ""


def object_type_of(obj) -> str:
    """The ``object_type`` an event about ``obj`` records: the model's label, or the label it had
    when earlier events were written (``audit_object_type``) if it has moved to another app, so
    one object keeps one type across the whole trail."""
    if obj is None:
        return ""
    return getattr(obj, "audit_object_type", None) or obj._meta.label


def audit_record(**kwargs) -> AuditEvent:
    """Append one event. Keyword arguments are those of PendingEvent."""
    return audit_record_many([PendingEvent(**kwargs)])[0]


def audit_record_many(pending: Iterable[PendingEvent]) -> list[AuditEvent]:
    """Append events in order, each chain locked once (imports write thousands at a time)."""
    actor = current_actor()
    now = timezone.now()
    by_chain: dict[str, list[PendingEvent]] = {}
    tenant_of: dict[str, object] = {}
    for item in pending:
        tenant_id = item.tenant_id or getattr(item.obj, "tenant_id", None)
        key = _chain_key(tenant_id)
        by_chain.setdefault(key, []).append(item)
        tenant_of[key] = tenant_id
    created: list[AuditEvent] = []
    # No savepoint of its own: an audit write that fails fails the write it records, and every
    # action writes events (a savepoint doubled the statements of each one).
    with transaction.atomic(savepoint=False):
        for key in sorted(by_chain):
            head = AuditChain.objects.select_for_update().filter(key=key).first()
            if head is None:  # the chain's first event: create the head (once, even in a race)
                AuditChain.objects.get_or_create(key=key)
                head = AuditChain.objects.select_for_update().get(key=key)
            events = []
            for item in by_chain[key]:
                obj = item.obj
                event = AuditEvent(
                    tenant_id=tenant_of[key],
                    chain_key=key,
                    seq=head.last_seq + 1,
                    created_at=now,
                    actor_id=actor.user_id,
                    actor_label=actor.username[:150],
                    role=actor.role,
                    action=item.action,
                    object_type=item.object_type or object_type_of(obj),
                    object_id=item.object_id or (str(obj.pk) if obj is not None else ""),
                    object_repr=(item.object_repr or (str(obj) if obj is not None else ""))[:200],
                    org_path=item.org_path or (_org_path_of(obj) if obj is not None else ""),
                    regions=_regions_field(item.regions),
                    before=_canonical(item.before) if item.before is not None else None,
                    after=_canonical(item.after) if item.after is not None else None,
                    request_id=actor.request_id,
                    client_request_id=actor.client_request_id,
                    ip=actor.ip,
                    prev_hash=head.last_hash,
                )
                event.hash = event_hash(event)
                head.last_seq, head.last_hash = event.seq, event.hash
                events.append(event)
            # Append-only: each event carries the tenant of its own object and extends that tenant's
            # chain, whose head is locked above; nothing is read.
            AuditEvent.dangerously_unscoped.bulk_create(events)
            head.save(update_fields=["last_seq", "last_hash"])
            created.extend(events)
    return created


@dataclass
class VerifyResult:
    intact: bool
    events: int
    broken: AuditEvent | None = None
    reason: str = ""


def audit_verify() -> VerifyResult:
    """Recompute every chain; report the first event whose hash or link does not match."""
    # The verifier reads every tenant's chain by design: it runs as the platform operator.
    with dangerously_platform_scope():
        return _verify()


def _verify() -> VerifyResult:
    events = AuditEvent.dangerously_unscoped.order_by("chain_key", "seq").iterator(chunk_size=2000)
    count = 0
    prev: dict[str, tuple[int, str]] = {}
    for event in events:
        count += 1
        last_seq, last_hash = prev.get(event.chain_key, (0, "0" * 64))
        if event.seq != last_seq + 1:
            return VerifyResult(
                False, count, event, f"sequence gap: expected {last_seq + 1}, found {event.seq}"
            )
        if event.prev_hash != last_hash:
            return VerifyResult(False, count, event, "link to the previous event does not match")
        if event_hash(event) != event.hash:
            return VerifyResult(False, count, event, "content does not match its hash")
        prev[event.chain_key] = (event.seq, event.hash)
    heads = {c.key: (c.last_seq, c.last_hash) for c in AuditChain.objects.all()}
    for key, (seq, digest) in heads.items():
        if seq and prev.get(key) != (seq, digest):
            return VerifyResult(
                False, count, None, f"chain {key}: events after #{prev.get(key, (0,))[0]} are missing"
            )
    return VerifyResult(True, count)
