"""Training's items on the home page's to-do list (compliance.registry.TodoProvider).

Selectors, each a constant number of queries, and each count equal to the number of rows on the
page it links to (tests/training/test_todos.py checks that they agree):

* a person with a login: exams to take (with the earliest deadline), hours still missing this
  year, their own certificates falling due or expired, and their training holds with how to clear
  them;
* whoever manages training (a safety manager, a tenant admin): people short of hours this year,
  certificates due within 7, 30 and 90 days, and expired ones;
* a regulator: expired certificates in its jurisdiction.
"""

from __future__ import annotations

import datetime
import math

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from compliance.registry import TodoItem, TodoProvider, register_todo_provider
from tenants.models import Person, PersonHold
from tenants.scope import Scope

from . import certificates as certs
from . import hours, prejob, reviews, selectors
from . import permissions as perms

SEVERITY_BY_WINDOW = {7: "overdue", 30: "due", 90: "info"}


def _url(name: str, **query) -> str:
    url = reverse(name)
    return f"{url}?{urlencode(query)}" if query else url


def certificate_items(scope: Scope, *, today: datetime.date | None = None) -> list[TodoItem]:
    """Certificates due within 7 / 30 / 90 days (each count includes the nearer window, as the
    list it links to does) and expired ones, in the scope (a worker's own only)."""
    today = today or timezone.localdate()
    counts = certs.expiring_counts(scope=scope, windows=certs.EXPIRING_WINDOWS, today=today)
    items = [
        TodoItem(
            key=f"training-certificates-{d}",
            label=_("Certificates due within %(days)s days") % {"days": d},
            count=counts[d],
            url=_url("training:certificate-expiring", days=d),
            severity=SEVERITY_BY_WINDOW[d],
            hint=_("Arrange retraining and renewal or the review in time."),
        )
        for d in certs.EXPIRING_WINDOWS
    ]
    expired = certs.certificate_list(scope=scope, status=certs.Display.EXPIRED, today=today).count()
    items.append(
        TodoItem(
            key="training-certificates-expired",
            label=_("Certificates expired"),
            count=expired,
            url=_url("training:certificate-list", status=certs.Display.EXPIRED),
            severity="overdue",
            hint=_("Whoever holds one may not do that work until it is renewed."),
        )
    )
    return items


def people_short_of_hours(scope: Scope, *, year: int | None = None) -> TodoItem:
    year = year or hours.today().year
    count = hours.people_hours(scope=scope, year=year, short_only=True).count()
    return TodoItem(
        key="training-people-short",
        label=_("People short of training hours this year"),
        count=count,
        url=_url("training:hours", year=year, short_only="on"),
        severity="due",
        deadline=datetime.date(year, 12, 31),
        hint=_("Plan sessions for them before the year ends."),
    )


def my_items(scope: Scope, person: Person, *, now=None) -> list[TodoItem]:
    """What the person themself should do next."""
    now = now or timezone.now()
    items = []
    exams = [row for row in selectors.my_exams(person, now=now) if row.can_start or row.in_progress]
    deadlines = [row.paper.closes_at for row in exams if row.paper.closes_at]
    items.append(
        TodoItem(
            key="training-my-exams",
            label=_("Exams to take"),
            count=len(exams),
            url=reverse("training:my-exams"),
            severity="due",
            deadline=timezone.localtime(min(deadlines)).date() if deadlines else None,
            hint=_("Open the exam on your phone and submit it before the deadline."),
        )
    )
    year = hours.today().year
    row = hours.person_hours(scope=scope, person=person, year=year)
    short = math.ceil(row.shortfall) if row is not None and row.shortfall > 0 else 0
    items.append(
        TodoItem(
            key="training-my-hours",
            label=_("Training hours still missing this year"),
            count=short,
            url=reverse("training:my-training"),
            severity="due",
            deadline=datetime.date(year, 12, 31),
            hint=_("Attend the sessions your safety manager plans."),
        )
    )
    hold_hints = {
        prejob.SOURCE: _("Lifted by itself once your pre-job training hours are recorded."),
        reviews.MANAGER_HOLD_SOURCE: _("Lifted once your assessment by the regulator is recorded."),
    }
    held = list(
        scope.filter_queryset(
            PersonHold.objects.filter(person=person, lifted_at__isnull=True, source__in=list(hold_hints))
        ).values_list("source", flat=True)
    )
    for source, hint in hold_hints.items():
        items.append(
            TodoItem(
                key=f"training-my-hold-{source.rsplit('.', 1)[-1].replace('_', '-')}",
                label=_("Held off post: pre-job training")
                if source == prejob.SOURCE
                else _("Held off post: assessment overdue"),
                count=held.count(source),
                url=reverse("training:my-training"),
                severity="blocked",
                hint=hint,
            )
        )
    return items


def todo_items(scope: Scope) -> list[TodoItem]:
    items: list[TodoItem] = []
    if scope.person_id and scope.has_perm(perms.TAKE_EXAMS):
        person = scope.filter_queryset(Person.objects.filter(pk=scope.person_id)).first()
        if person is not None:
            items += my_items(scope, person)
    if scope.self_only:
        items += certificate_items(scope)  # the scope holds only their own certificates
    elif scope.has_perm(perms.MANAGE_TRAINING):
        items.append(people_short_of_hours(scope))
        items += certificate_items(scope)
    elif scope.is_regulator:
        items += [i for i in certificate_items(scope) if i.key == "training-certificates-expired"]
    return items


def register() -> None:
    register_todo_provider(TodoProvider("training", _("Training and exams"), todo_items, order=10))
