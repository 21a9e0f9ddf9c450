"""What responsibility lists plug into (called from ``DutiesConfig.ready_lists()``): permissions,
navigation, the home page's to-dos, the person page's panel, the audit trail's labels and the demo."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from compliance import registry

from . import permissions_lists as perms


def _manager(scope) -> bool:
    return scope.has_perm(perms.VIEW_DUTY_LISTS) and not scope.self_only


def _todos(scope) -> list[registry.TodoItem]:
    from . import selectors_lists as sel

    items: list[registry.TodoItem] = []
    if scope.person_id and scope.has_perm(perms.ACKNOWLEDGE_DUTY_LIST):
        mine = [d for d in sel.my_lists(scope) if d.version is not None and not d.signed]
        if mine:
            items.append(
                registry.TodoItem(
                    key="lists-to-sign",
                    label=_("Responsibility lists to sign"),
                    count=len(mine),
                    url=reverse("duties:my-lists"),
                    severity="overdue" if any(d.overdue for d in mine) else "due",
                    deadline=min(d.due_on for d in mine),
                    hint=_("Read your list and sign it on your phone."),
                )
            )
    if scope.has_perm(perms.MANAGE_DUTY_LISTS):
        overdue = sel.acknowledgement_rows(scope, status="overdue")
        if overdue:
            items.append(
                registry.TodoItem(
                    key="lists-overdue",
                    label=_("Overdue list acknowledgements"),
                    count=len(overdue),
                    url=reverse("duties:ack-list") + "?status=overdue",
                    severity="overdue",
                    deadline=min(r.due_on for r in overdue),
                    hint=_("Remind these people to sign the list of their post."),
                )
            )
    return items


def _person_panel(scope, person):
    from . import selectors_lists as sel

    if not scope.has_perm(perms.VIEW_DUTY_LISTS, person.org_unit.path, person.tenant_id):
        return None
    return {
        "duty_lists": sel.person_lists(scope, person),
        "duty_assessments": list(sel.assessments(scope).filter(person=person)[:12]),
    }


def register() -> None:
    from . import demo_lists

    perms.register()
    registry.register_nav(
        registry.NavEntry(
            "duty-lists", "people", _("Responsibility lists"), "duties:list-dashboard",
            visible=_manager, order=40,
        ),
        registry.NavEntry(
            "my-duty-lists", "people", _("My responsibility list"), "duties:my-lists", order=41,
            visible=lambda s: s.has_perm(perms.ACKNOWLEDGE_DUTY_LIST) and s.self_only and bool(s.person_id),
        ),
    )  # fmt: skip
    registry.register_todo_provider(
        registry.TodoProvider(key="duties.lists", label=_("Responsibility lists"), items=_todos, order=40)
    )
    registry.register_person_panel(
        registry.PersonPanel(
            key="duties.lists",
            title=_("Responsibility lists and duty assessments"),
            template="duties/lists/person_panel.html",
            context=_person_panel,
            order=50,
        )
    )
    registry.register_demo_builder(registry.DemoBuilder(key="duty_lists", build=demo_lists.build, order=60))
    registry.register_audit_actions(
        {
            "list_publish": pgettext_lazy("audit action", "Publish a responsibility list"),
            "post_assign": pgettext_lazy("audit action", "Assign a post"),
            "list_ack": pgettext_lazy("audit action", "Sign a responsibility list"),
            "duty_assess": pgettext_lazy("audit action", "Assess duties"),
            "duty_settings": pgettext_lazy("audit action", "Change list settings"),
        }
    )
    registry.register_audit_object_kinds(
        registry.AuditObjectKind(
            "duties.ListTemplate", url_name="duties:list-template-detail", perm=perms.VIEW_DUTY_LISTS
        ),
        registry.AuditObjectKind(
            "duties.DutyAssessment", url_name="duties:assessment-detail", perm=perms.VIEW_DUTY_LISTS
        ),
        registry.AuditObjectKind("duties.DutyPost"),
        registry.AuditObjectKind("duties.PostHolder"),
        registry.AuditObjectKind("duties.Acknowledgement"),
        registry.AuditObjectKind("duties.DutyListSettings"),
    )
