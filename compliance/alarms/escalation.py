"""Overdue escalation (督办) of monitoring alarms: an alarm past its handling deadline goes up to the
subsidiary, and still open ``escalate_hq_hours`` past its closing deadline, to group HQ; the
managers there and the mine's own are notified. Run every few minutes by
``tasks.escalate_overdue_alarms`` across all tenants; idempotent (a level rises once, a
notification is deduplicated by its key)."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from compliance.audit.context import ActorContext, acting_as
from compliance.notifications.services import escalation_recipients, notify
from tenants.scope import dangerously_platform_scope

from . import services
from .models import Alarm

SYSTEM_ACTOR = "system:alarms"


def escalate_overdue(now: datetime.datetime | None = None) -> int:
    """Raise every overdue alarm to its due level; returns how many rose."""
    now = now or timezone.now()
    risen = 0
    with (
        dangerously_platform_scope(),
        acting_as(ActorContext(username=SYSTEM_ACTOR)),
        translation.override("zh-hans"),
    ):
        # Only alarms whose due level is above the one they have: a second run finds none.
        overdue = (
            Alarm.objects.filter(services.q_overdue(now))
            .exclude(escalation__gte=2)
            .select_related("mine")
            .order_by("close_due_at")
        )
        for alarm in overdue.iterator():
            level = services.escalation_due(alarm, now)
            if level <= alarm.escalation:
                continue
            with transaction.atomic():
                if not services.alarm_escalate(alarm=alarm, level=level):
                    continue
                risen += 1
                where = _("group HQ") if level >= 2 else _("the subsidiary")
                title = _("Alarm overdue at %(mine)s: escalated to %(where)s") % {
                    "mine": alarm.mine.name,
                    "where": where,
                }
                body = _("%(kind)s · point %(point)s · occurred %(at)s · close by %(due)s") % {
                    "kind": alarm.get_kind_display(),
                    "point": alarm.point_code,
                    "at": timezone.localtime(alarm.occurred_at).strftime("%Y-%m-%d %H:%M"),
                    "due": timezone.localtime(alarm.close_due_at).strftime("%Y-%m-%d %H:%M"),
                }
                if not alarm.deadline_verified:
                    body += " · " + _("deadline not verified (待核实): %(source)s") % {
                        "source": alarm.deadline_source
                    }
                link = reverse("alarms:alarm-detail", kwargs={"pk": alarm.pk})
                for membership in escalation_recipients(
                    tenant_id=alarm.tenant_id, mine_path=alarm.mine.path, level=level
                ):
                    notify(
                        user=membership.user,
                        tenant_id=alarm.tenant_id,
                        title=title,
                        body=body,
                        link=link,
                        dedupe_key=f"alarm-overdue:{alarm.pk}:{level}",
                    )
    return risen
