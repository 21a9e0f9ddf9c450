"""Reminders of certificates falling due (expiry or review), sent once a day by the scheduled job
``training.send_certificate_reminders``: in the app to the person and their safety managers, and
by email to those with an address (compliance.notifications). The thresholds (days before the
date) come from the rule pack in force.
"""

from __future__ import annotations

import datetime
import logging

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from compliance.notifications import services as notifications
from tenants import roles
from tenants.models import Membership, Person
from tenants.scope import dangerously_platform_scope

from .certificates import kind_label
from .models import Certificate, Reminder, RulePack

logger = logging.getLogger(__name__)

DEFAULT_REMINDER_DAYS = (90, 30, 7)


def _thresholds(today: datetime.date) -> list[int]:
    try:
        days = RulePack.for_date(today).reminder_days
    except RulePack.DoesNotExist:
        days = None
    return sorted({int(d) for d in (days or DEFAULT_REMINDER_DAYS) if int(d) >= 0})


def threshold_for(days_left: int, thresholds: list[int]) -> int | None:
    """The most urgent reminder a due date ``days_left`` away calls for (7 before 30 before 90);
    None when it is further off than every threshold, or already past."""
    if days_left < 0:
        return None
    for t in sorted(thresholds):
        if days_left <= t:
            return t
    return None


def _safety_managers(person: Person) -> list:
    """Logins with the safety-manager role at the person's unit or any unit above it."""
    ancestors = [p for p in _path_prefixes(person.org_unit.path)]
    return [
        m.user
        # Who to notify about a person's certificate: the managers of that person's own units
        # (tenant in the filter), whoever triggered it.
        for m in Membership.dangerously_unscoped.filter(
            tenant_id=person.tenant_id,
            role=roles.SAFETY_MANAGER,
            org_unit__path__in=ancestors,
            user__is_active=True,
        )
        .select_related("user")
        .order_by("user_id")
    ]


def _path_prefixes(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["".join(f"{p}/" for p in parts[: i + 1]) for i in range(len(parts))]


def _message(cert: Certificate, due_kind: str, due_on: datetime.date, days_left: int) -> tuple[str, str]:
    with translation.override("zh-hans"):
        values = {
            "name": cert.person.name,
            "kind": kind_label(cert),
            "number": cert.number,
            "date": due_on.isoformat(),
            "days": days_left,
        }
        if due_kind == "expiry":
            title = _("Certificate expires in %(days)s days: %(name)s, %(kind)s") % values
            body = (
                _(
                    "The %(kind)s certificate %(number)s of %(name)s expires on %(date)s, "
                    "%(days)s days from today. Arrange retraining and renewal in time."
                )
                % values
            )
        else:
            title = _("Certificate review due in %(days)s days: %(name)s, %(kind)s") % values
            body = (
                _(
                    "The %(kind)s certificate %(number)s of %(name)s is due for review on %(date)s, "
                    "%(days)s days from today. Arrange the review in time."
                )
                % values
            )
    return title, body


def send_due_reminders(today: datetime.date | None = None) -> int:
    """Notify the person and their safety managers of every certificate expiring or due for review
    within a reminder threshold. Returns the number of reminders sent (new ones only).

    Idempotent: each (certificate, due kind, due date, threshold) is sent once — the Reminder row
    and the notifications commit together, so a run that crashes half way or runs twice never
    notifies twice. Email (when configured) goes out after the commit; a failure is logged.
    """
    today = today or timezone.localdate()
    thresholds = _thresholds(today)
    if not thresholds:
        return 0
    until = today + datetime.timedelta(days=max(thresholds))
    sent = 0
    # A scheduled job for every tenant, run by the platform (no user, no request): it reads every
    # tenant's certificates and writes each notification into the certificate's own tenant.
    with dangerously_platform_scope():
        certs = list(
            Certificate.dangerously_unscoped.filter(status=Certificate.Status.VALID)
            .filter(Q(expires_on__range=(today, until)) | Q(review_due_on__range=(today, until)))
            .exclude(person__status=Person.Status.LEFT)  # no longer on the books: nothing to renew
            .select_related("person", "person__org_unit", "person__user")
            .order_by("tenant_id", "expires_on")
        )
        for cert in certs:
            for due_kind, due_on in (("expiry", cert.expires_on), ("review", cert.review_due_on)):
                if due_on is None:
                    continue
                days_left = (due_on - today).days
                threshold = threshold_for(days_left, thresholds)
                if threshold is None:
                    continue
                try:
                    if _remind(cert, due_kind, due_on, days_left, threshold):
                        sent += 1
                except Exception:  # one bad certificate must not stop everyone else's reminders
                    logger.exception("certificate reminder failed for %s", cert.pk)
    return sent


def _remind(cert: Certificate, due_kind: str, due_on: datetime.date, days_left: int, threshold: int) -> bool:
    with transaction.atomic():
        try:
            with transaction.atomic():
                # Written by the scheduled job (platform scope) in the certificate's own tenant.
                Reminder.dangerously_unscoped.create(
                    tenant_id=cert.tenant_id,
                    certificate=cert,
                    due_kind=due_kind,
                    due_on=due_on,
                    days_before=threshold,
                )
        except IntegrityError:
            return False  # already sent by an earlier run
        recipients = []
        person_user = cert.person.user
        if person_user is not None and person_user.is_active:
            recipients.append(person_user)
        recipients += [u for u in _safety_managers(cert.person) if u.pk not in {r.pk for r in recipients}]
        title, body = _message(cert, due_kind, due_on, days_left)
        link = reverse("training:certificate-detail", args=[cert.pk])
        key = f"cert:{cert.pk}:{due_kind}:{due_on.isoformat()}:{threshold}"
        for user in recipients:
            notifications.notify(
                user=user, tenant_id=cert.tenant_id, title=title, body=body, link=link, dedupe_key=key
            )
        # Each new notification also goes by email to a recipient with an address (notify does it).
    return True
