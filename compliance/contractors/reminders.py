"""The daily qualification job: reminders 90, 30 and 7 days before a contractor's qualification
expires, to the group admins and the safety managers of the mines where it works; and the holds on
the staff of every contractor whose required qualification has lapsed (lifted when one is valid).

Runs across all tenants in the platform scope (a scheduled job, no user); each notification is
written into the qualification's own tenant. Idempotent: a notification is sent once per
(qualification, expiry date, threshold) by its dedupe key; the holds are placed once per lapse.
"""

from __future__ import annotations

import datetime
import logging

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from compliance.notifications import services as notifications
from tenants import roles
from tenants.models import Membership
from tenants.scope import dangerously_platform_scope

from . import services
from .models import Contractor, Engagement, Qualification

logger = logging.getLogger(__name__)
THRESHOLDS = (7, 30, 90)


def threshold_for(days_left: int) -> int | None:
    if days_left < 0:
        return None
    return next((t for t in THRESHOLDS if days_left <= t), None)


def _recipients(tenant_id, contractor_id, today) -> list:
    """Group admins, and safety managers at or above a mine where the contractor works now."""
    mines = list(
        # The contractor's engagements (the job runs for every tenant; tenant in the filter).
        Engagement.dangerously_unscoped.filter(
            tenant_id=tenant_id, contractor_id=contractor_id, ends_on__gte=today
        )
        .values_list("mine__path", flat=True)
        .distinct()
    )
    prefixes = set()
    for path in mines:
        parts = [p for p in path.split("/") if p]
        prefixes |= {"".join(f"{p}/" for p in parts[: i + 1]) for i in range(len(parts))}
    memberships = Membership.dangerously_unscoped.filter(tenant_id=tenant_id, user__is_active=True).filter(
        Q(role=roles.TENANT_ADMIN) | Q(role=roles.SAFETY_MANAGER, org_unit__path__in=prefixes)
    )
    return [m.user for m in memberships.select_related("user").order_by("user_id")]


def send_due_reminders(today: datetime.date | None = None) -> int:
    today = today or timezone.localdate()
    until = today + datetime.timedelta(days=max(THRESHOLDS))
    sent = 0
    with dangerously_platform_scope():
        due = list(
            # Every tenant's qualifications about to expire (see the module's docstring).
            Qualification.dangerously_unscoped.filter(valid_until__range=(today, until))
            .exclude(contractor__status__in=[Contractor.Status.PHASED_OUT, Contractor.Status.BLACKLISTED])
            .select_related("contractor")
            .order_by("tenant_id", "valid_until")
        )
        for q in due:
            days_left = (q.valid_until - today).days
            threshold = threshold_for(days_left)
            if threshold is None:
                continue
            with translation.override("zh-hans"):
                values = {
                    "name": q.contractor.name,
                    "kind": q.get_kind_display(),
                    "number": q.number,
                    "date": q.valid_until.isoformat(),
                    "days": days_left,
                }
                title = _("Contractor qualification expires in %(days)s days: %(name)s") % values
                body = (
                    _(
                        "The %(kind)s %(number)s of %(name)s expires on %(date)s. Without a valid one the "
                        "contractor takes no new engagement and its staff are held off post."
                    )
                    % values
                )
            link = reverse("contractors:contractor-detail", kwargs={"pk": q.contractor_id})
            for user in _recipients(q.tenant_id, q.contractor_id, today):
                key = f"contractors.qualification:{q.pk}:{q.valid_until.isoformat()}:{threshold}"
                before = notifications.Notification.dangerously_unscoped.filter(
                    user=user, dedupe_key=key
                ).exists()
                notifications.notify(
                    user=user, tenant_id=q.tenant_id, title=title, body=body, link=link, dedupe_key=key
                )
                sent += 0 if before else 1
    return sent


def sync_all_holds(today: datetime.date | None = None) -> int:
    """Holds for every contractor whose required qualification lapsed or came back. Returns the
    number of contractors in lapse."""
    today = today or timezone.localdate()
    lapsed = 0
    with dangerously_platform_scope() as platform:
        # Contractors in lapse, and those with staff or a past lapse: every tenant's, by the job.
        candidates = Contractor.dangerously_unscoped.filter(
            Q(lapsed_since__isnull=False) | Q(staff__left_on__isnull=True)
        ).distinct()
        for contractor in candidates:
            try:
                with translation.override("zh-hans"):
                    problems = services.sync_qualification_holds(
                        scope=platform, contractor=contractor, today=today
                    )
                lapsed += any(v.binding for v in problems)
            except Exception:  # one contractor must not stop the others
                logger.exception("qualification holds failed for contractor %s", contractor.pk)
    return lapsed
