"""Reads of monitoring alarms: the queue, one alarm, its history, to-dos, per-mine figures, the
monthly statistics and the points with repeated alarms. Each runs a constant number of queries."""

from __future__ import annotations

import datetime

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from compliance import registry
from compliance.access import first_or_404
from tenants.models import OrgUnit
from tenants.scope import Scope

from . import rules
from .models import Alarm, AlarmEvent, AlarmFeed
from .permissions import HANDLE_ALARMS, MANAGE_ALARM_FEEDS, VIEW_ALARMS
from .services import q_overdue

S = Alarm.Status
STATS_MONTHS = 6

# The queue's filter for every state but closed ("open" is itself a state: nobody acknowledged it).
UNCLOSED = "unclosed"


def alarms(*, scope: Scope) -> QuerySet[Alarm]:
    return scope.queryset(Alarm)


def alarm_mines(scope: Scope) -> QuerySet[OrgUnit]:
    """The mines whose alarms this scope reads."""
    return scope.queryset(OrgUnit).filter(kind=OrgUnit.Kind.MINE).order_by("path")


def access_alarm(scope: Scope, pk) -> Alarm:
    """The alarm ``pk`` if the scope sees it, else 404 (missing and foreign alike)."""
    return first_or_404(alarms(scope=scope).select_related("mine", "tenant"), pk=pk)


def access_feed(scope: Scope, pk) -> AlarmFeed:
    return first_or_404(scope.queryset(AlarmFeed).select_related("mine"), pk=pk)


def alarm_queue(
    *,
    scope: Scope,
    mine: OrgUnit | None = None,
    kind: str = "",
    status: str = "",
    overdue: bool = False,
    point_code: str = "",
    now: datetime.datetime | None = None,
) -> QuerySet[Alarm]:
    """The duty officer's queue: open alarms first (the oldest deadline first), then the closed
    ones newest first. ``status`` may be a state or "unclosed" (every state but closed: "open" is the state
    nobody has acknowledged)."""
    now = now or timezone.now()
    # Found by the scope's mines (``Scope.at_mines``: one query for the mines first), so the
    # (tenant, mine, …) indexes serve a regulator's queue instead of a region test on every row.
    qs = scope.at_mines(Alarm, alarm_mines(scope)).select_related("mine", "tenant")
    if mine is not None:
        qs = qs.filter(tenant_id=mine.tenant_id, mine__path__startswith=mine.path)
    if kind:
        qs = qs.filter(kind=kind)
    if status == UNCLOSED:
        qs = qs.filter(status__in=Alarm.OPEN_STATES)
    elif status:
        qs = qs.filter(status=status)
    if overdue:
        qs = qs.filter(q_overdue(now))
    if point_code:
        qs = qs.filter(point_code=point_code)
    return qs.order_by(F("closed_at").desc(nulls_first=True), "close_due_at", "-occurred_at", "pk")


def history(alarm: Alarm) -> list[AlarmEvent]:
    return list(AlarmEvent.objects.filter(alarm=alarm).order_by("at", "pk"))


def can_handle(scope: Scope, alarm: Alarm) -> bool:
    return scope.has_perm(HANDLE_ALARMS, alarm.mine.path, alarm.tenant_id)


def feeds(*, scope: Scope) -> QuerySet[AlarmFeed]:
    return scope.queryset(AlarmFeed).select_related("mine").order_by("mine__path", "-created_at")


def feed_mines(scope: Scope) -> QuerySet[OrgUnit]:
    """The mines where this scope may make alarm feeds."""
    return (
        scope.queryset(OrgUnit)
        .filter(
            kind=OrgUnit.Kind.MINE,
            pk__in=[
                m.pk
                for m in scope.queryset(OrgUnit)
                .filter(kind=OrgUnit.Kind.MINE)
                .only("pk", "path", "tenant_id")
                if scope.has_perm(MANAGE_ALARM_FEEDS, m.path, m.tenant_id)
            ],
        )
        .order_by("path")
    )


# --- to-dos and figures ------------------------------------------------------------------------------
def todo_items(scope: Scope) -> list[registry.TodoItem]:
    """Those who handle alarms: overdue alarms (a warning while their deadline is unverified),
    alarms waiting for someone to take them on, checked alarms to close. Those who only read them
    at HQ: the open alarms escalated to group HQ. One query either way."""
    handles = scope.has_perm(HANDLE_ALARMS)
    if not handles and (scope.is_regulator or not scope.has_perm(VIEW_ALARMS) or scope.self_only):
        return []
    now = timezone.now()
    url = reverse("alarms:alarm-list")
    if not handles:
        escalated = alarms(scope=scope).filter(status__in=Alarm.OPEN_STATES, escalation__gte=2).count()
        return [
            registry.TodoItem(
                "escalated", _("Alarms escalated to group HQ"), escalated, f"{url}?status={UNCLOSED}", "info"
            )
        ]
    counts = alarms(scope=scope).aggregate(
        overdue=Count("pk", filter=q_overdue(now)),
        unverified=Count("pk", filter=q_overdue(now) & Q(deadline_verified=False)),
        open=Count("pk", filter=Q(status=S.OPEN)),
        checked=Count("pk", filter=Q(status=S.CHECKED)),
    )
    return [
        registry.TodoItem(
            "overdue",
            _("Alarms past their handling deadline"),
            counts["overdue"],
            f"{url}?overdue=on",
            # Unverified deadlines only warn (compliance.rules): the item says to check the source.
            "overdue" if counts["overdue"] > counts["unverified"] else "due",
            hint=_("Deadlines not verified yet: their source is on the deadlines page.")
            if counts["unverified"]
            else "",
        ),
        registry.TodoItem(
            "open", _("Alarms nobody has acknowledged"), counts["open"], f"{url}?status={S.OPEN}"
        ),
        registry.TodoItem(
            "checked", _("Alarms checked on site, to close"), counts["checked"], f"{url}?status={S.CHECKED}"
        ),
    ]


def repeated_points(scope: Scope, mine_ids=None, *, now=None) -> list[dict]:
    """Points where alarms repeat: at least the rule's count within its window, per mine and point,
    most first. What the risk register can read to flag the point's risk for reassessment."""
    now = now or timezone.now()
    rule = rules.repeat_rule()
    qs = alarms(scope=scope).filter(occurred_at__gte=now - datetime.timedelta(days=rule.days))
    if mine_ids is not None:
        qs = qs.filter(mine_id__in=list(mine_ids))
    rows = (
        qs.values("mine_id", "mine__name", "point_code", "kind")
        .annotate(count=Count("pk"))
        .filter(count__gte=rule.count)
        .order_by("-count", "mine__name", "point_code")
    )
    return [dict(r, days=rule.days, verified=rule.verified, source=rule.source) for r in rows]


def mine_figures(scope: Scope, mine_ids) -> dict:
    """Per mine: open and overdue alarms, and points with repeated alarms (two queries)."""
    mine_ids = list(mine_ids)
    if not scope.has_perm(VIEW_ALARMS) or not mine_ids:
        return {}
    now = timezone.now()
    counts = {
        row["mine_id"]: row
        for row in alarms(scope=scope)
        .filter(mine_id__in=mine_ids)
        .values("mine_id")
        .annotate(
            open=Count("pk", filter=Q(status__in=Alarm.OPEN_STATES)),
            overdue=Count("pk", filter=q_overdue(now)),
            overdue_binding=Count("pk", filter=q_overdue(now) & Q(deadline_verified=True)),
        )
    }
    repeats: dict = {}
    for row in repeated_points(scope, mine_ids, now=now):
        repeats[row["mine_id"]] = repeats.get(row["mine_id"], 0) + 1
    url = reverse("alarms:alarm-list")
    out: dict = {}
    for mine_id in mine_ids:
        row = counts.get(mine_id, {"open": 0, "overdue": 0, "overdue_binding": 0})
        overdue_status = "ok"
        if row["overdue"]:
            overdue_status = "violation" if row["overdue_binding"] else "warning"
        out[mine_id] = [
            registry.MineFigure("alarms.open", gettext_lazy("Open alarms"), row["open"],
                                "watch" if row["open"] else "ok", url=f"{url}?mine={mine_id}&status={UNCLOSED}"),  # noqa: E501
            registry.MineFigure("alarms.overdue", gettext_lazy("Overdue alarms"), row["overdue"],
                                overdue_status,
                                rule=rules.SOURCE_100 if overdue_status == "warning" else "",
                                url=f"{url}?mine={mine_id}&overdue=on"),
            registry.MineFigure("alarms.repeated_points", gettext_lazy("Points with repeated alarms"),
                                repeats.get(mine_id, 0), "watch" if repeats.get(mine_id) else "ok",
                                url=reverse("alarms:stats")),
        ]  # fmt: skip
    return out


# --- statistics per mine and month --------------------------------------------------------------------
def _month_start(today: datetime.date, back: int) -> datetime.date:
    year, month = today.year, today.month - back
    while month <= 0:
        month += 12
        year -= 1
    return datetime.date(year, month, 1)


def monthly_stats(*, scope: Scope, months: int = STATS_MONTHS, mine: OrgUnit | None = None) -> list[dict]:
    """Per mine and month (of occurrence, China time): alarms, closed on time, closed late, still
    open, overdue now. One query."""
    now = timezone.now()
    since = _month_start(timezone.localdate(), months - 1)
    start = timezone.make_aware(datetime.datetime.combine(since, datetime.time.min))
    qs = alarms(scope=scope).filter(occurred_at__gte=start)
    if mine is not None:
        qs = qs.filter(tenant_id=mine.tenant_id, mine__path__startswith=mine.path)
    rows = (
        qs.annotate(month=TruncMonth("occurred_at"))
        .values("month", "mine_id", "mine__name", "tenant__name")
        .annotate(
            count=Count("pk"),
            on_time=Count("pk", filter=Q(status=S.CLOSED, closed_at__lte=F("close_due_at"))),
            late=Count("pk", filter=Q(status=S.CLOSED, closed_at__gt=F("close_due_at"))),
            open=Count("pk", filter=Q(status__in=Alarm.OPEN_STATES)),
            overdue=Count("pk", filter=q_overdue(now)),
        )
        .order_by("-month", "mine__name")
    )
    out = []
    for r in rows:
        month = r["month"]
        if isinstance(month, datetime.datetime):
            month = timezone.localtime(month).date() if timezone.is_aware(month) else month.date()
        r["month"] = month.strftime("%Y-%m") if month else ""
        r["on_time_rate"] = round(100 * r["on_time"] / r["count"]) if r["count"] else None
        out.append(r)
    return out


def monthly_totals(stats: list[dict]) -> list[dict]:
    """The statistics summed per month (for the chart), oldest first."""
    totals: dict[str, dict] = {}
    for r in stats:
        t = totals.setdefault(
            r["month"], {"month": r["month"], "count": 0, "on_time": 0, "late": 0, "open": 0}
        )
        for key in ("count", "on_time", "late", "open"):
            t[key] += r[key]
    return [totals[m] for m in sorted(totals)]


# --- the deadlines in force --------------------------------------------------------------------------
def deadline_table(scope: Scope) -> list[dict]:
    """Per kind: the national deadline and, for a scope of one group, the group's own and the one in
    force (two queries). Each with its source and standing (待核实 while unverified)."""
    from .models import AlarmDeadline, Kind

    national = rules.deadlines()
    tenant_id = scope.tenant_id
    own = {}
    if tenant_id is not None:
        own = {row.kind: row for row in AlarmDeadline.objects.filter(owner_tenant_id=tenant_id)}
    in_force = rules.deadlines(tenant_id) if tenant_id is not None else national
    return [
        {
            "kind": kind,
            "label": label,
            "national": national[kind],
            "own": own.get(kind),
            "in_force": in_force[kind],
        }
        for kind, label in Kind.choices
    ]
