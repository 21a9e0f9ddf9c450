"""Writing and reading one's own in-app notifications."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from compliance.access import first_or_404
from tenants import roles
from tenants.models import Membership

from .models import Notification

logger = logging.getLogger(__name__)


def notify(*, user, tenant_id, title: str, body: str = "", link: str = "", dedupe_key: str) -> Notification:
    """One notification to ``user``; the same ``dedupe_key`` to the same user never makes a second.

    A new notification also goes by email to the user's address, when they have one, through
    Django's email settings (the console by default, SMTP when EMAIL_HOST is set), after the
    commit: a rolled-back notification sends nothing, a repeated one sends nothing again.

    Called by scheduled jobs in the platform scope, which have already chosen the tenant.
    """
    # The recipient's own rows only (user and key in the filter); the caller chose the tenant.
    existing = Notification.dangerously_unscoped.filter(user=user, dedupe_key=dedupe_key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            note = Notification.dangerously_unscoped.create(
                tenant_id=tenant_id,
                user=user,
                title=title[:200],
                body=body,
                link=link[:300],
                dedupe_key=dedupe_key[:200],
            )
    except IntegrityError:  # a concurrent run made it a moment ago
        return Notification.dangerously_unscoped.get(user=user, dedupe_key=dedupe_key[:200])
    address = (getattr(user, "email", "") or "").strip()
    if address:
        transaction.on_commit(lambda: _email(address, note.title, note.body, note.link))
    return note


def _email(address: str, title: str, body: str, link: str) -> None:
    base = getattr(settings, "SITE_URL", "").rstrip("/")
    text = "\n\n".join(part for part in (body, f"{base}{link}" if link else "") if part)
    try:
        send_mail(title, text, None, [address])
    except Exception:  # a courtesy copy: the in-app notification is already there
        logger.exception("notification email to %s failed", address)


# --- who hears of an escalation (督办) ------------------------------------------------------------------
# The managers an overdue record of a mine is escalated to: the mine's own, then (level 1) those of
# the units between group HQ and the mine — the subsidiary —, then (level 2) group HQ's as well.
ESCALATION_ROLES = (roles.TENANT_ADMIN, roles.HQ_AUDITOR, roles.SAFETY_MANAGER)


def _ancestors(path: str) -> list[str]:
    segments = path.split("/")[:-1]
    return ["/".join(segments[: i + 1]) + "/" for i in range(len(segments))]


def escalation_recipients(*, tenant_id, mine_path: str, level: int) -> list:
    """The memberships (with their users) to notify of a record of the mine at ``mine_path``
    escalated to ``level`` (0: the mine; 1: and the subsidiary; 2: and group HQ)."""
    ancestors = _ancestors(mine_path)  # [hq, subsidiary…, mine]
    wanted = {mine_path}
    if level >= 1:
        wanted.update(ancestors[1:-1])
    if level >= 2:
        wanted.add(ancestors[0])
    return list(
        Membership.objects.filter(
            tenant_id=tenant_id, org_unit__path__in=wanted, role__in=ESCALATION_ROLES
        ).select_related("user")
    )


def own_notifications(user) -> QuerySet[Notification]:
    """The login's own notifications, newest first.

    A notification belongs to exactly one login and is read by nobody else, whatever their role,
    so the filter is the user, not a role's scope. Row-level security (tenant) still applies on
    PostgreSQL.
    """
    if user is None or not user.is_authenticated:
        return Notification.dangerously_unscoped.none()
    return Notification.dangerously_unscoped.filter(user=user).order_by("-created_at", "-id")


def unread_count(user) -> int:
    return own_notifications(user).filter(read_at__isnull=True).count()


def access_own(user, pk) -> Notification:
    """One of the login's own notifications; anyone else's is a 404 like a missing one."""
    return first_or_404(own_notifications(user), pk=pk)


def mark_read(notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def mark_all_read(user) -> int:
    return own_notifications(user).filter(read_at__isnull=True).update(read_at=timezone.now())
