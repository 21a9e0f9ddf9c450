"""Grading's items on the home page's to-do list (compliance.registry.TodoProvider).

Selectors, a constant number of queries each; every count is the row count of the list it links
to (the assessment list and the mine list, with the same filters):

* whoever scores self-assessments (a safety manager): assessments in progress, and those HQ
  returned to the mine;
* whoever reviews them (group HQ): assessments waiting for review or under review;
* whoever oversees mines (a safety manager, group HQ, a regulator): coal mines not permitted to
  produce, grade re-checks overdue and falling due.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from compliance.registry import TodoItem, TodoProvider, register_todo_provider
from tenants.scope import Scope

from . import assessments, dashboard, production
from . import permissions as perms
from .models import Assessment

Status = Assessment.Status


def _url(name: str, **query) -> str:
    return f"{reverse(name)}?{urlencode(query)}"


def assessment_items(scope: Scope) -> list[TodoItem]:
    items = []
    if scope.has_perm(perms.MANAGE_GRADING):
        returned = len(assessments.returned_ids(scope=scope))
        items.append(
            TodoItem(
                key="grading-returned",
                label=_("Self-assessments returned by HQ"),
                count=returned,
                url=_url("grading:assessment-list", status=Status.DRAFT, returned="on"),
                severity="overdue",
                hint=_("Read the reviewer's comment, correct and submit again."),
            )
        )
        drafts = assessments.assessment_list(scope=scope, status=Status.DRAFT).count()
        items.append(
            TodoItem(
                key="grading-drafts",
                label=_("Self-assessments in progress"),
                count=drafts,
                url=_url("grading:assessment-list", status=Status.DRAFT),
                severity="info",
                hint=_("Score every item, then submit for HQ review."),
            )
        )
    if scope.has_perm(perms.REVIEW_GRADING):
        for status, label, severity, hint in (
            (Status.SUBMITTED, _("Self-assessments waiting for review"), "due", _("Start the review.")),
            (Status.UNDER_REVIEW, _("Reviews in progress"), "info", _("Approve or return to the mine.")),
        ):
            items.append(
                TodoItem(
                    key=f"grading-{status.replace('_', '-')}",
                    label=label,
                    count=assessments.assessment_list(scope=scope, status=status).count(),
                    url=_url("grading:assessment-list", status=status),
                    severity=severity,
                    hint=hint,
                )
            )
    return items


def mine_items(scope: Scope) -> list[TodoItem]:
    """The red flags of the mines in the scope, as the grading mine list filters them."""
    today = timezone.localdate()
    policies = production.policy_rules()
    flags = (
        (
            "grading-not-permitted",
            {"permitted": "no"},
            _("Coal mines not permitted to produce"),
            "blocked",
            _("Without a valid grade a coal mine may not produce: arrange the assessment."),
        ),
        (
            "grading-recheck-overdue",
            {"recheck": "overdue"},
            _("Grade re-checks overdue"),
            "overdue",
            _("The grade lapses: arrange the re-check now."),
        ),
        (
            "grading-recheck-due",
            {"recheck": "due"},
            _("Grade re-checks due within %(days)s days") % {"days": production.RECHECK_WINDOW_DAYS},
            "due",
            _("Start the self-assessment for the re-check in time."),
        ),
    )
    items = []
    for key, filters, label, severity, hint in flags:
        count = dashboard.mine_list(scope=scope, today=today, policies=policies, **filters).count()
        items.append(
            TodoItem(
                key=key,
                label=label,
                count=count,
                url=_url("grading:mine-list", **filters),
                severity=severity,
                # What to do is the mine's; a regulator reads the flag and opens the list.
                hint="" if scope.is_regulator else hint,
            )
        )
    return items


def todo_items(scope: Scope) -> list[TodoItem]:
    if not scope.has_perm(perms.VIEW_GRADING) or scope.self_only:
        return []
    items = assessment_items(scope)
    if scope.is_regulator or scope.has_perm(perms.MANAGE_GRADING) or scope.has_perm(perms.REVIEW_GRADING):
        items += mine_items(scope)
    return items


def register() -> None:
    register_todo_provider(TodoProvider("grading", _("Standardization grading"), todo_items, order=30))
