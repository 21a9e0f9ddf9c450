"""The base's own entries of the top bar: who is who. Capabilities register theirs the same way
(``compliance.registry.register_nav`` in their ``AppConfig.ready()``)."""

from django.utils.translation import gettext_lazy as _

from compliance.registry import NavEntry, register_nav

from . import roles


def _org(scope) -> bool:
    return scope.has_perm(roles.VIEW_ORG) and not scope.self_only and not scope.is_regulator


def _mines(scope) -> bool:
    return scope.has_perm(roles.VIEW_ORG) and not scope.self_only


def _people(scope) -> bool:
    # A worker reads only their own record, shown on the home page: no list for them.
    return scope.has_perm(roles.VIEW_PEOPLE) and not scope.self_only


def register() -> None:
    register_nav(
        NavEntry("home", "home", _("Home"), "home", visible=lambda scope: True),
        NavEntry("org", "org", _("Organisation"), "org-tree", visible=_org, order=10),
        NavEntry("mines", "org", _("Mines"), "mine-list", visible=_mines, order=20),
        NavEntry("people", "people", _("People"), "person-list", visible=_people, order=10),
        NavEntry(
            "import",
            "people",
            _("Import"),
            "person-import",
            visible=lambda scope: scope.has_perm(roles.MANAGE_PEOPLE),
            order=20,
        ),  # fmt: skip
        NavEntry(
            "roles",
            "system",
            _("Roles"),
            "membership-list",
            visible=lambda scope: scope.has_perm(roles.VIEW_MEMBERSHIPS),
            order=10,
        ),  # fmt: skip
        NavEntry(
            "audit",
            "system",
            _("Audit trail"),
            "audit-list",
            visible=lambda scope: scope.has_perm(roles.VIEW_AUDIT),
            order=20,
        ),  # fmt: skip
    )
