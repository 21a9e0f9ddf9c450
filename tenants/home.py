"""The home page as a to-do list: what this scope should do next, from every capability.

Capabilities register ``TodoProvider``s (compliance.registry) from their ``AppConfig.ready()``;
the base reads them and knows none. Each provider runs a constant number of queries, so the page
does too, whatever the number of people, mines or certificates behind the counts.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from compliance.notifications.services import own_notifications
from compliance.registry import TodoItem, todo_providers

from .models import PersonHold
from .scope import Scope

# Most urgent first: what stops someone working, then what is late, then what falls due.
SEVERITY_ORDER = {"blocked": 0, "overdue": 1, "due": 2, "info": 3}
LATEST_UNREAD = 5


@dataclass(frozen=True)
class Todo:
    provider: str  # the provider's key
    section: str  # the provider's label (the capability's name), shown beside the item
    item: TodoItem

    @property
    def testid(self) -> str:
        return f"todo-{self.item.key}"


def _sort_key(todo: Todo, order: int):
    deadline = todo.item.deadline
    if isinstance(deadline, datetime.datetime):
        deadline = deadline.date()
    return (
        SEVERITY_ORDER.get(todo.item.severity, len(SEVERITY_ORDER)),
        deadline is None,
        deadline or datetime.date.max,
        order,
        todo.item.key,
    )


def todo_list(scope: Scope) -> list[Todo]:
    """Every provider's items for this scope with a count above zero, most urgent first."""
    keyed = []
    for order, provider in enumerate(todo_providers()):
        for item in provider.items(scope):
            if item.count:
                keyed.append((Todo(provider.key, str(provider.label), item), order))
    keyed.sort(key=lambda pair: _sort_key(*pair))
    return [todo for todo, _order in keyed]


def my_open_holds(scope: Scope) -> list[PersonHold]:
    """The open holds on the login's own person (why they may not be on post), oldest first."""
    if not scope.person_id:
        return []
    return list(
        scope.filter_queryset(PersonHold.objects.filter(person_id=scope.person_id, lifted_at__isnull=True))
        .order_by("placed_at")
        .only("reason", "placed_at", "source")
    )


def latest_unread(user, limit: int = LATEST_UNREAD) -> list:
    return list(own_notifications(user).filter(read_at__isnull=True)[:limit])
