"""Inspections' items on the home page's to-do list (compliance.registry.TodoProvider).

Selectors, a constant number of queries each; every count is the row count of the list it links
to (the same selector with the same filter):

* a person suspended after a failed spot exam: the re-test that puts them back on post;
* whoever runs inspections (safety manager, HQ auditor, tenant admin): people suspended after a
  failed spot exam, and inspections of the last 90 days where someone failed.
"""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from compliance.registry import TodoItem, TodoProvider, register_todo_provider
from tenants import roles
from tenants import selectors as tenant_selectors
from tenants.scope import Scope

from . import selectors
from .models import Suspension
from .permissions import CONDUCT_INSPECTIONS
from .services import SPOT_EXAM_HOLD

FAILURES_WINDOW_DAYS = 90


def my_suspension_item(scope: Scope) -> TodoItem:
    suspension = (
        scope.filter_queryset(Suspension.objects.filter(person_id=scope.person_id, cleared_at__isnull=True))
        .select_related("clearing_paper")
        .order_by("started_at")
        .first()
    )
    hint = ""
    if suspension is not None:
        hint = _("Suspended from post after a failed spot exam: pass the re-test “%(paper)s” to return.") % {
            "paper": suspension.clearing_paper.title
        }
    return TodoItem(
        key="inspections-my-retest",
        label=_("Re-test to take"),
        count=int(suspension is not None),
        url=reverse("training:my-exams"),
        severity="blocked",
        hint=hint,
    )


def suspended_people_item(scope: Scope) -> TodoItem:
    count = tenant_selectors.people_list(scope=scope, hold=SPOT_EXAM_HOLD).count()
    return TodoItem(
        key="inspections-suspended",
        label=_("People suspended after a failed spot exam"),
        count=count,
        url=f"{reverse('person-list')}?{urlencode({'hold': SPOT_EXAM_HOLD})}",
        severity="blocked",
        hint=_("Each returns to post once they pass the re-test."),
    )


def failed_inspections_item(scope: Scope, *, today: datetime.date | None = None) -> TodoItem:
    since = (today or timezone.localdate()) - datetime.timedelta(days=FAILURES_WINDOW_DAYS)
    count = selectors.inspection_list(scope=scope, date_from=since, failed=True).count()
    query = urlencode({"failed": "on", "date_from": since.isoformat()})
    return TodoItem(
        key="inspections-failed",
        label=_("Inspections with failed spot exams (last %(days)s days)") % {"days": FAILURES_WINDOW_DAYS},
        count=count,
        url=f"{reverse('inspections:inspection-list')}?{query}",
        severity="due",
        hint=_("Check that everyone who failed has a re-test arranged."),
    )


def todo_items(scope: Scope) -> list[TodoItem]:
    items = []
    if scope.person_id and scope.has_perm(roles.VIEW_PEOPLE):
        items.append(my_suspension_item(scope))
    if scope.has_perm(CONDUCT_INSPECTIONS) and not scope.self_only:
        if scope.has_perm(roles.VIEW_PEOPLE):
            items.append(suspended_people_item(scope))
        items.append(failed_inspections_item(scope))
    return items


def register() -> None:
    register_todo_provider(TodoProvider("inspections", _("Inspections"), todo_items, order=20))
