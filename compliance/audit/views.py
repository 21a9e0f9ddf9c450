from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from compliance.http import no_store
from compliance.imports.writer import XLSX
from compliance.pages import ScopedPageMixin, filter_query, paginate, valid_filters
from tenants import roles

from .display import event_rows
from .export import audit_events_export
from .forms import AuditFilterForm
from .selectors import audit_event_list


def _filtered(scope, form: AuditFilterForm):
    filters = valid_filters(form)
    events = audit_event_list(
        scope=scope,
        action=filters.get("action", ""),
        object_type=filters.get("object_type", ""),
        actor=filters.get("actor", ""),
        search=filters.get("q", ""),
        since=filters.get("since"),
        until=filters.get("until"),
        unit=filters.get("unit"),
    )
    return events, filters


class AuditEventListView(ScopedPageMixin, TemplateView):
    template_name = "audit/event_list.html"
    required_perm = roles.VIEW_AUDIT

    def get_context_data(self, **kwargs):
        form = AuditFilterForm(self.request.GET or None, scope=self.scope)
        events, _filters = _filtered(self.scope, form)
        page = paginate(self.request, events)
        return super().get_context_data(
            form=form,
            page=page,
            rows=event_rows(scope=self.scope, events=page.object_list),
            query=filter_query(self.request),
            **kwargs,
        )


class AuditEventExportView(ScopedPageMixin, View):
    """The filtered events as an Excel workbook (the filters of the list page)."""

    required_perm = roles.VIEW_AUDIT

    def get(self, request):
        form = AuditFilterForm(request.GET or None, scope=self.scope)
        events, filters = _filtered(self.scope, form)
        try:
            content = audit_events_export(scope=self.scope, events=events, filters=filters)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
            query = filter_query(request)
            return redirect(reverse("audit-list") + (f"?{query}" if query else ""))
        response = HttpResponse(content, content_type=XLSX)
        response["Content-Disposition"] = 'attachment; filename="audit-trail.xlsx"'
        return no_store(response)
