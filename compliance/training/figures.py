"""Training's figures for a mine's profile (oversight assembles them from every capability):
people short of this year's hours, statutory certificates falling due, and void certificates
(expired, revoked, or a special-operation review missed) nobody replaced. Internal training
records are the group's own and count in none of them. A constant number of queries whatever the
number of mines."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from compliance.registry import MineFigure, MineFigureProvider, register_mine_figures
from tenants.models import OrgUnit, Person
from tenants.scope import Scope

from . import hours
from .certificate_rules import RuleBook
from .certificates import REVIEW_RULE, void_q
from .models import Certificate

DUE_WITHIN_DAYS = 30


def _mine_of(path: str, mines_by_hex: dict) -> object | None:
    """The mine (its pk) on an org-unit path, if one of ``mines_by_hex`` is on it."""
    return next((mines_by_hex[s] for s in path.split("/") if s in mines_by_hex), None)


def mine_figures(scope: Scope, mine_ids: Iterable, *, today: datetime.date | None = None) -> dict:
    """{mine pk: [MineFigure, ...]} for the mines of ``mine_ids`` the scope may see (others are left
    out). Queries: the mines, the hours (rules and people), the rule book (two) and the
    certificates: eight in all."""
    today = today or timezone.localdate()
    mines = list(scope.filter_queryset(OrgUnit.objects.filter(pk__in=list(mine_ids), kind=OrgUnit.Kind.MINE)))
    if not mines:
        return {}
    by_hex = {m.id.hex: m.pk for m in mines}
    summary = hours.summary_by_mine([m.pk for m in mines], today.year, scope=scope)

    under = Q(pk__in=[])
    for mine in mines:
        under |= Q(person__org_unit__path__startswith=mine.path)
    until = today + datetime.timedelta(days=DUE_WITHIN_DAYS)
    book = RuleBook.load()
    valid = Q(status=Certificate.Status.VALID, expires_on__gte=today) & ~void_q(book, today)
    # A void certificate (expired or revoked) counts only while its holder is still employed and
    # holds no valid certificate of the same kind and operation: a renewed one replaced it.
    replaced = Certificate.dangerously_unscoped.filter(  # same person: as visible as the outer row
        valid,
        person_id=OuterRef("person_id"),
        kind=OuterRef("kind"),
        operation_type=OuterRef("operation_type"),
    )
    rows = (
        scope.filter_queryset(Certificate.objects.filter(under, kind__in=Certificate.STATUTORY_KINDS))
        .exclude(person__status=Person.Status.LEFT)
        .filter(
            (valid & (Q(expires_on__lte=until) | Q(review_due_on__range=(today, until))))
            | (~valid & ~Exists(replaced))
        )
        .values_list(
            "person__org_unit__path",
            "person_id",
            "status",
            "expires_on",
            "kind",
            "review_due_on",
            "issued_on",
        )
    )
    due: dict = {m.pk: 0 for m in mines}
    void: dict = {m.pk: set() for m in mines}
    for path, person_id, status, expires_on, kind, review_due_on, issued_on in rows:
        mine_id = _mine_of(path, by_hex)
        if mine_id is None:
            continue
        review = book.value(issued_on, REVIEW_RULE)
        missed = (
            kind == Certificate.Kind.SPECIAL_OPERATION
            and review_due_on is not None
            and review_due_on < today
            and review is not None
            and review.binding
        )
        if status == Certificate.Status.VALID and expires_on >= today and not missed:
            due[mine_id] += 1
        else:
            void[mine_id].add(person_id)

    hours_url = reverse("training:hours")
    due_url = reverse("training:certificate-expiring")
    out = {}
    for mine in mines:
        s = summary.get(mine.pk, {"people": 0, "short": 0})
        out[mine.pk] = [
            MineFigure(
                key="training.hours_short",
                label=gettext_lazy("People short of training hours this year"),
                value=s["short"],
                status="ok" if not s["short"] else "warning",
                rule=_(
                    "Everyone employed at the mine had the hours the rules require this year (%(n)s people)."
                )
                % {"n": s["people"]},
                url=f"{hours_url}?unit={mine.pk}&short_only=on",
            ),
            MineFigure(
                key="training.certificates_due",
                label=gettext_lazy("Certificates due within 30 days"),
                value=due[mine.pk],
                status="ok" if not due[mine.pk] else "watch",
                rule=_("A certificate's expiry or review falls within 30 days: renew or review it in time."),
                url=f"{due_url}?unit={mine.pk}",
            ),
            MineFigure(
                key="training.certificates_void",
                label=gettext_lazy("People with an expired, void or revoked certificate"),
                value=len(void[mine.pk]),
                status="ok" if not void[mine.pk] else "violation",
                rule=_(
                    "Nobody works on a certificate that expired, was revoked or missed its review "
                    "(void) and was not renewed."
                ),
            ),
        ]
    return out


def register() -> None:
    register_mine_figures(
        MineFigureProvider("training", gettext_lazy("Training and exams"), mine_figures, order=10)
    )
