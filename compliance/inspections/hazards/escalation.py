"""Overdue escalation (督办): a hazard past its rectification deadline goes up a level — the
subsidiary the day after the deadline, group HQ a week after — and the managers there, and the
mine's own, are notified. Run daily by ``tasks.escalate_overdue_hazards`` across all tenants."""

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
from .models import Hazard

S = Hazard.Status
SYSTEM_ACTOR = "system:hazards"


def escalate_overdue(today: datetime.date | None = None) -> int:
    """Raise every overdue hazard to its due level; returns how many rose."""
    today = today or timezone.localdate()
    risen = 0
    with (
        dangerously_platform_scope(),
        acting_as(ActorContext(username=SYSTEM_ACTOR)),
        translation.override("zh-hans"),
    ):
        overdue = Hazard.objects.filter(
            status__in=(S.REGISTERED, S.RECTIFYING, S.AWAITING_ACCEPTANCE), deadline__lt=today
        ).select_related("mine")
        for hazard in overdue.iterator():
            level = services.escalation_due(hazard, today)
            with transaction.atomic():
                if not services.hazard_escalate(hazard=hazard, level=level):
                    continue
                risen += 1
                where = _("group HQ") if level >= 2 else _("the subsidiary")
                title = _("Hazard %(number)s is overdue: escalated to %(where)s") % {
                    "number": hazard.number,
                    "where": where,
                }
                body = _("%(mine)s · %(location)s · deadline %(deadline)s") % {
                    "mine": hazard.mine.name,
                    "location": hazard.location,
                    "deadline": hazard.deadline,
                }
                link = reverse("hazards:hazard-detail", kwargs={"pk": hazard.pk})
                for membership in escalation_recipients(
                    tenant_id=hazard.tenant_id, mine_path=hazard.mine.path, level=level
                ):
                    notify(
                        user=membership.user,
                        tenant_id=hazard.tenant_id,
                        title=title,
                        body=body,
                        link=link,
                        dedupe_key=f"hazard-overdue:{hazard.pk}:{level}",
                    )
    return risen
