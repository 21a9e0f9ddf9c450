from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class DutiesConfig(AppConfig):
    """Plugged in through ``compliance.registry``; no other capability imports it. Two areas, each
    registering its own pieces: responsibility lists with their assessment, and the mine-manager
    posts with leaders on shift."""

    name = "compliance.duties"
    label = "duties"
    verbose_name = _("Duties")

    def ready(self):
        self.ready_lists()
        self.ready_posts()

    def ready_lists(self):
        """Responsibility lists (templates, adaptations, acknowledgements) and duty assessments."""
        # lists_io: its importer; results_report: its PDF job's handler (a worker loads no URLconf).
        from compliance.duties import lists_io, registrations_lists, results_report  # noqa: F401

        registrations_lists.register()

    def ready_posts(self):
        """The mine-manager posts, their filings and warnings; leaders going underground on shift."""
        from compliance import registry
        from compliance.rules.base import register_rule_kind

        from . import demo, permissions, person_posts, selectors
        from .models import PostRule

        permissions.register()
        # One entry (the posts' pages link to each other through their sub-navigation), under
        # "People": the posts are who holds them; a regulator's "Organisation" stays a plain link.
        registry.register_nav(
            registry.NavEntry(
                key="duties.posts",
                group="people",
                label=_("Mine-manager posts"),
                url_name="duties:post-roster",
                visible=lambda scope: scope.has_perm(permissions.VIEW_POSTS) and not scope.self_only,
                order=60,
            ),
        )
        # 一人一档: the posts a person holds or held, their filings and the roster's warnings.
        registry.register_person_panel(
            registry.PersonPanel(
                key="duties.posts",
                title=_("Posts held"),
                template="duties/posts/person_panel.html",
                context=person_posts.panel_context,
                order=55,
            )
        )
        registry.register_mine_figures(
            registry.MineFigureProvider(
                key="duties.posts",
                label=_("Mine-manager posts and shifts"),
                figures=selectors.mine_figures,
                order=50,
            )
        )
        registry.register_todo_provider(
            registry.TodoProvider(
                key="duties.posts", label=_("Mine-manager posts"), items=selectors.todo_items, order=50
            )
        )
        registry.register_mine_precondition(
            "five_posts_staffed",
            lambda mine, on_date: registry.PreconditionAnswer(
                *_answer(selectors.five_posts_staffed(mine, on_date))
            ),
        )
        # Before grading's demo (20): its grades check "five posts staffed" against this roster.
        registry.register_demo_builder(
            registry.DemoBuilder(key="duties_posts", build=demo.build_posts, order=5)
        )
        register_rule_kind("duties.posts", PostRule, "mine-manager posts and shifts rule", _describe_rule)
        registry.register_audit_actions(
            {
                "post_appoint": pgettext_lazy("audit action", "Appoint to a mine-manager post"),
                "post_update": pgettext_lazy("audit action", "Correct an appointment"),
                "post_depart": pgettext_lazy("audit action", "Leave a mine-manager post"),
                "post_filed": pgettext_lazy("audit action", "Record a post filing"),
                "shift_plan": pgettext_lazy("audit action", "Plan a leader on shift"),
                "shift_plan_del": pgettext_lazy("audit action", "Remove a planned leader"),
                "shift_record": pgettext_lazy("audit action", "Record a shift"),
                "shift_import": pgettext_lazy("audit action", "Import a shift record"),
            }
        )
        registry.register_audit_object_kinds(
            registry.AuditObjectKind(
                "duties.PostAppointment", url_name="duties:appointment-detail", perm=permissions.VIEW_POSTS
            ),
            registry.AuditObjectKind("duties.PostFiling"),
            registry.AuditObjectKind("duties.ShiftPlan"),
            registry.AuditObjectKind("duties.ShiftRecord"),
        )


def _answer(answer):
    return answer.met, answer.message


def _describe_rule(rule) -> str:
    where = rule.region_prefix or "全国"
    group = {"coal": "煤矿", "non_coal": "非煤矿山"}.get(rule.mine_group, "各类矿山")
    owner = "（集团自定）" if rule.owner_tenant_id else ""
    return f"{where} {group}{owner} {rule.get_key_display()}: {rule.value}"
