"""Monitoring alarms: every write. Each takes the scope first, checks the permission on the
alarm's mine, moves the alarm through ``machine`` (illegal steps refused), records the step in
the alarm's history and the audit trail, all in one transaction.

Intake is idempotent by the monitoring system's alarm id: the unique constraint (tenant, mine,
source id) and ``INSERT … ON CONFLICT DO NOTHING`` (``bulk_create(ignore_conflicts=True)``) store a
retried alarm once, also when two retries race; the caller gets the stored row back either way.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance.audit.services import PendingEvent, audit_record, audit_record_many
from tenants import roles
from tenants.models import OrgUnit
from tenants.scope import Grant, Scope, dangerously_platform_scope
from tenants.services import snapshot

from . import machine, rules
from .models import Alarm, AlarmDeadline, AlarmEvent, AlarmFeed, Kind, System
from .permissions import HANDLE_ALARMS, INGEST_ALARMS, MANAGE_ALARM_FEEDS, MANAGE_ALARM_RULES

S = Alarm.Status
MAX_BATCH = 500
# Readings are stored with 4 decimals and at most 10 whole digits (Alarm.value / Alarm.limit).
READING_LIMIT = Decimal(10) ** 10
FOUR_PLACES = Decimal("0.0001")


def _reading(number: Decimal | None) -> Decimal | None:
    """A sensor's reading as stored: more decimals than four are rounded, never refused."""
    return None if number is None else number.quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


FEED_KEY_START = "kaf_"
# The trail stores at most 16 characters of an action.
AUDIT_ACTIONS = {
    "acknowledge": "alarm_ack",
    "check": "alarm_check",
    "close": "alarm_close",
}  # recognisable in logs and by secret scanners, apart from login tokens


# --- helpers -------------------------------------------------------------------------------------------
def _who(user) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    person = getattr(user, "person", None) if hasattr(user, "person") else None
    return ((getattr(person, "name", "") if person is not None else "") or user.get_username())[:100]


def _require_mine(mine: OrgUnit) -> None:
    if mine.kind != OrgUnit.Kind.MINE:
        raise ValidationError({"mine": _("Choose a mine.")})


def _event(alarm: Alarm, *, step: str, user, before: str, note: str = "", at=None) -> AlarmEvent:
    return AlarmEvent.objects.create(
        tenant_id=alarm.tenant_id,
        alarm=alarm,
        action=step,
        from_status=before,
        to_status=alarm.status,
        actor=user if user is not None and getattr(user, "is_authenticated", False) else None,
        actor_name=_who(user),
        note=note,
        at=at or timezone.now(),
    )


def _lock(alarm: Alarm) -> Alarm:
    # Two officers acting on one alarm at once: the second sees the first's step and is refused.
    return Alarm.dangerously_unscoped.select_for_update().select_related("mine").get(pk=alarm.pk)


# --- intake --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Incoming:
    """One alarm as a monitoring system reports it (already parsed: the API's serializer or a row
    of an import)."""

    source_id: str
    system: str
    kind: str
    point_code: str
    occurred_at: datetime.datetime
    location: str = ""
    value: Decimal | None = None
    unit: str = ""
    limit: Decimal | None = None
    ended_at: datetime.datetime | None = None


def check_incoming(item: Incoming) -> dict[str, str]:
    """The problems of one alarm, by field (empty: fine). The same checks for the API and imports."""
    errors: dict[str, str] = {}
    if not (item.source_id or "").strip():
        errors["source_id"] = _("The system's alarm id is required.")
    elif len(item.source_id) > 64:
        errors["source_id"] = _("At most 64 characters.")
    if item.system not in System.values:
        errors["system"] = _("Not a known monitoring system.")
    if item.kind not in Kind.values:
        errors["kind"] = _("Not a known alarm kind.")
    if not (item.point_code or "").strip():
        errors["point_code"] = _("The point code is required.")
    elif len(item.point_code) > 64:
        errors["point_code"] = _("At most 64 characters.")
    for name in ("value", "limit"):
        number = getattr(item, name)
        if number is not None and (not number.is_finite() or abs(number) >= READING_LIMIT):
            errors[name] = _("Out of range.")
    if len(item.location or "") > 200:
        errors["location"] = _("At most 200 characters.")
    if len(item.unit or "") > 16:
        errors["unit"] = _("At most 16 characters.")
    if item.occurred_at is None:
        errors["occurred_at"] = _("When the alarm occurred is required.")
    elif item.occurred_at > timezone.now() + datetime.timedelta(minutes=10):
        # A clock ahead by more than a few minutes would make deadlines start in the future.
        errors["occurred_at"] = _("The alarm cannot occur in the future.")
    elif item.ended_at is not None and item.ended_at < item.occurred_at:
        errors["ended_at"] = _("An alarm cannot end before it occurred.")
    return errors


def alarms_ingest(
    *,
    scope: Scope,
    mine: OrgUnit,
    items: Iterable[Incoming],
    feed: AlarmFeed | None = None,
    source: str = Alarm.Source.FEED,
) -> list[tuple[Alarm, bool]]:
    """Store the alarms of ``mine`` that are not stored yet; returns, in the order given, each
    stored alarm and whether this call stored it. A batch is all or nothing: one bad alarm and
    none is stored (ValidationError with the problems by position)."""
    scope.require(INGEST_ALARMS, mine)
    _require_mine(mine)
    items = list(items)
    if not items:
        raise ValidationError({"alarms": _("No alarms.")})
    if len(items) > MAX_BATCH:
        raise ValidationError({"alarms": _("At most %(n)d alarms at a time.") % {"n": MAX_BATCH}})
    problems = {str(i): errs for i, item in enumerate(items) if (errs := check_incoming(item))}
    if problems:
        raise ValidationError({"alarms": [f"{i}: {field}: {msg}" for i, e in problems.items()
                                          for field, msg in e.items()]})  # fmt: skip
    by_kind = rules.deadlines(mine.tenant_id)
    fresh: dict[str, Alarm] = {}
    for item in items:
        if item.source_id in fresh:
            continue  # the same alarm twice in one batch: stored once
        fresh[item.source_id] = Alarm(
            tenant_id=mine.tenant_id,
            mine=mine,
            system=item.system,
            kind=item.kind,
            point_code=item.point_code.strip(),
            location=(item.location or "").strip(),
            value=_reading(item.value),
            unit=(item.unit or "").strip(),
            limit=_reading(item.limit),
            occurred_at=item.occurred_at,
            ended_at=item.ended_at,
            source_id=item.source_id.strip(),
            source=source,
            feed=feed,
            **by_kind[item.kind].due(item.occurred_at),
        )
    with transaction.atomic():
        # ON CONFLICT DO NOTHING: a stored alarm (a retry, or a racing twin) is skipped. The ids are
        # made here, so the rows read back whose id is ours are the ones this call stored.
        Alarm.objects.bulk_create(list(fresh.values()), ignore_conflicts=True)
        stored = {
            a.source_id: a
            for a in Alarm.objects.filter(tenant_id=mine.tenant_id, mine=mine, source_id__in=list(fresh))
        }
        new = [a for sid, a in stored.items() if a.pk == fresh[sid].pk]
        if new:
            audit_record_many(
                [
                    PendingEvent(
                        action="alarm_receive",
                        obj=a,
                        tenant_id=a.tenant_id,
                        org_path=mine.path,
                        after={
                            "source_id": a.source_id,
                            "kind": a.kind,
                            "point_code": a.point_code,
                            "source": a.source,
                            "occurred_at": a.occurred_at,
                        },
                    )  # fmt: skip
                    for a in new
                ]
            )
    new_ids = {a.pk for a in new}
    out = []
    for item in items:
        alarm = stored[item.source_id.strip()]
        alarm.mine = mine
        out.append((alarm, alarm.pk in new_ids))
    return out


# --- handling ------------------------------------------------------------------------------------------
def _step(alarm: Alarm, *, scope: Scope, user, step: str, fields: dict, note: str = "") -> Alarm:
    alarm = _lock(alarm)
    scope.require(HANDLE_ALARMS, alarm.mine)
    before, snap = alarm.status, snapshot(alarm)
    alarm.status = machine.transition(alarm, step)
    for name, value in fields.items():
        setattr(alarm, name, value)
    alarm.save()
    _event(alarm, step=step, user=user, before=before, note=note)
    audit_record(
        action=AUDIT_ACTIONS[step], obj=alarm, before=snap, after=snapshot(alarm), org_path=alarm.mine.path
    )
    return alarm


def _required(**texts: str) -> dict[str, str]:
    errors = {name: _("This field is required.") for name, text in texts.items() if not (text or "").strip()}
    if errors:
        raise ValidationError(errors)
    return {name: text.strip() for name, text in texts.items()}


@transaction.atomic
def alarm_acknowledge(*, scope: Scope, alarm: Alarm, user, note: str = "") -> Alarm:
    """The duty officer has seen the alarm and takes it on (确认): who and when."""
    now = timezone.now()
    return _step(
        alarm,
        scope=scope,
        user=user,
        step="acknowledge",
        fields={"acknowledged_by": _who(user), "acknowledged_at": now},
        note=(note or "").strip(),
    )


@transaction.atomic
def alarm_check(*, scope: Scope, alarm: Alarm, user, findings: str) -> Alarm:
    """Someone has been to the point and says what they found (现场核查)."""
    v = _required(findings=findings)
    return _step(
        alarm,
        scope=scope,
        user=user,
        step="check",
        fields={"checked_by": _who(user), "checked_at": timezone.now(), "findings": v["findings"]},
        note=v["findings"],
    )


@transaction.atomic
def alarm_close(*, scope: Scope, alarm: Alarm, user, cause: str, measures: str) -> Alarm:
    """Close the loop (闭环): the cause and the measures taken, both required."""
    v = _required(cause=cause, measures=measures)
    return _step(
        alarm,
        scope=scope,
        user=user,
        step="close",
        fields={"closed_by": _who(user), "closed_at": timezone.now(), **v},
        note=f"{v['cause']}\n{v['measures']}",
    )


# --- overdue escalation --------------------------------------------------------------------------------
def q_overdue(now: datetime.datetime) -> Q:
    """Alarms past a running deadline: not acknowledged in time, or not closed in time."""
    return Q(status=S.OPEN, acknowledge_due_at__lt=now) | Q(
        status__in=Alarm.OPEN_STATES, close_due_at__lt=now
    )


def escalation_due(alarm: Alarm, now: datetime.datetime) -> int:
    """1 (the subsidiary) once the alarm is overdue; 2 (group HQ too) once it is still open at
    ``escalate_hq_at`` (the kind's hours past the closing deadline)."""
    if not alarm.overdue_at(now):
        return 0
    return 2 if now >= alarm.escalate_hq_at else 1


def alarm_escalate(*, alarm: Alarm, level: int) -> bool:
    """Raise the alarm's escalation to ``level`` (never lowers); True when it rose. In the
    caller's transaction."""
    alarm = _lock(alarm)
    if level <= alarm.escalation or not alarm.is_open:
        return False
    snap = snapshot(alarm)
    alarm.escalation = level
    alarm.save(update_fields=["escalation"])
    _event(alarm, step="escalate", user=None, before=alarm.status, note=str(level))
    audit_record(
        action="alarm_escalate", obj=alarm, before=snap, after=snapshot(alarm), org_path=alarm.mine.path
    )
    return True


# --- a group's own, stricter deadlines ---------------------------------------------------------------
@transaction.atomic
def alarm_deadline_set(
    *, scope: Scope, tenant_id, kind: str, acknowledge_minutes: int, close_hours: int,
    escalate_hq_hours: int, source: str,
) -> AlarmDeadline:  # fmt: skip
    """The group's own deadline for ``kind`` (MANAGE_ALARM_RULES at group HQ). Stricter than the
    national one or refused, value by value; it applies to alarms that come in from now on."""
    hq = OrgUnit.objects.filter(tenant_id=tenant_id, parent__isnull=True).first()
    if hq is None:
        raise PermissionDenied(MANAGE_ALARM_RULES)
    scope.require(MANAGE_ALARM_RULES, hq)
    if kind not in Kind.values:
        raise ValidationError({"kind": _("Not a known alarm kind.")})
    national = rules.deadlines()[kind]
    wanted = {
        "acknowledge_minutes": (acknowledge_minutes, national.acknowledge_minutes),
        "close_hours": (close_hours, national.close_hours),
        "escalate_hq_hours": (escalate_hq_hours, national.escalate_hq_hours),
    }
    errors = {
        name: _("A group's deadline may be stricter than the national one (%(n)s), never looser.")
        % {"n": limit}
        for name, (value, limit) in wanted.items()
        if value is None or value < 1 or value > limit
    }
    if not (source or "").strip():
        errors["source"] = _("Name the group's document that sets this deadline.")
    if errors:
        raise ValidationError(errors)
    row = AlarmDeadline.objects.filter(owner_tenant_id=tenant_id, kind=kind).select_for_update().first()
    before = snapshot(row) if row is not None else None
    row = row or AlarmDeadline(owner_tenant_id=tenant_id, kind=kind)
    row.acknowledge_minutes, row.close_hours, row.escalate_hq_hours = (v for v, _l in wanted.values())
    row.source, row.verified, row.verified_by, row.verified_at = source.strip()[:300], False, "", None
    row.save()
    audit_record(action="deadline_set", tenant_id=tenant_id, obj=row, before=before, after=snapshot(row),
                 org_path=hq.path)  # fmt: skip
    return row


# --- alarm feeds (the monitoring systems' keys) ----------------------------------------------------------
def feed_key_hash(key: str) -> str:
    # 256 random bits: a plain SHA-256 cannot be reversed, and finds the feed in one indexed lookup.
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def alarm_feed_create(*, scope: Scope, mine: OrgUnit, name: str, user) -> tuple[AlarmFeed, str]:
    """A key for one monitoring system of ``mine``; returns the feed and its key, shown once."""
    scope.require(MANAGE_ALARM_FEEDS, mine)
    _require_mine(mine)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("This field is required.")})
    key = FEED_KEY_START + secrets.token_urlsafe(32)
    feed = AlarmFeed(
        tenant_id=mine.tenant_id,
        mine=mine,
        name=name[:100],
        key_prefix=key[:12],
        key_hash=feed_key_hash(key),
        created_by=_who(user),
    )
    feed.save()
    audit_record(
        action="feed_create",
        obj=feed,
        org_path=mine.path,
        after={"name": feed.name, "mine": str(mine.pk), "key_prefix": feed.key_prefix},
    )
    return feed, key


@transaction.atomic
def alarm_feed_revoke(*, scope: Scope, feed: AlarmFeed) -> AlarmFeed:
    feed = AlarmFeed.dangerously_unscoped.select_for_update().select_related("mine").get(pk=feed.pk)
    scope.require(MANAGE_ALARM_FEEDS, feed.mine)
    if feed.revoked_at is not None:
        return feed
    feed.revoked_at = timezone.now()
    feed.save(update_fields=["revoked_at"])
    audit_record(
        action="feed_revoke", obj=feed, org_path=feed.mine.path, after={"revoked_at": feed.revoked_at}
    )
    return feed


LAST_USED_RESOLUTION = datetime.timedelta(minutes=5)


def feed_authenticate(key: str) -> AlarmFeed | None:
    """The active feed with this key, or None. Notes the time of use at most every few minutes
    (a system posting every second does not write the feed's row every second)."""
    if not key.startswith(FEED_KEY_START) or len(key) > 100:
        return None
    # Before any scope exists: the lookup is by the hash of the secret the caller presented, so it
    # can only find the caller's own feed (platform scope for row-level security).
    with dangerously_platform_scope():
        feed = (
            AlarmFeed.dangerously_unscoped.select_related("mine")
            .filter(key_hash=feed_key_hash(key), revoked_at__isnull=True)
            .first()
        )
        if feed is None:
            return None
        now = timezone.now()
        if feed.last_used_at is None or now - feed.last_used_at >= LAST_USED_RESOLUTION:
            AlarmFeed.dangerously_unscoped.filter(pk=feed.pk).filter(
                Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
            ).update(last_used_at=now)
            feed.last_used_at = now
    return feed


def feed_scope(feed: AlarmFeed) -> Scope:
    """What a feed may do: a safety manager's bundle confined to its one mine's subtree. The
    intake endpoint offers nothing but ``alarms_ingest``, which needs INGEST_ALARMS on the mine
    named — so a feed posts its own mine's alarms and is refused any other mine's."""
    return Scope(
        kind="tenant",
        grants=(Grant(feed.tenant_id, feed.mine.path, roles.SAFETY_MANAGER),),
        extra={"alarm_feed": feed.pk},
    )
