from django.views.generic import TemplateView

from compliance.pages import ScopedPageMixin, filter_query, paginate
from tenants import roles

from .models import AuditEvent
from .selectors import audit_event_list


class AuditEventListView(ScopedPageMixin, TemplateView):
    template_name = "audit/event_list.html"
    required_perm = roles.VIEW_AUDIT

    def get_context_data(self, **kwargs):
        action = self.request.GET.get("action", "")
        search = self.request.GET.get("q", "").strip()
        events = audit_event_list(scope=self.scope, action=action, search=search)
        return super().get_context_data(
            page=paginate(self.request, events),
            actions=AuditEvent.Action.choices,
            filters={"action": action, "q": search},
            query=filter_query(self.request),
            **kwargs,
        )
