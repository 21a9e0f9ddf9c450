"""Pages of monitoring alarms, mounted under /alarms/ (namespace "alarms"): the duty officer's
queue (phone-ready), an alarm's page with its history and the one handling step its state
allows, the monthly statistics with their chart (HQ and regulators read them), the mine's alarm
feeds (the monitoring systems' keys) and the import of a system's export."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views import View
from django.views.generic import TemplateView

from compliance.errors import Conflict
from compliance.pages import ScopedPageMixin, apply_service_errors, filter_query, paginate, valid_filters
from compliance.reports import charts
from tenants import selectors as tenant_selectors

from . import machine, rules, selectors, services
from .forms import AcknowledgeForm, AlarmFilterForm, CheckForm, CloseForm, DeadlineForm, FeedForm
from .permissions import HANDLE_ALARMS, INGEST_ALARMS, MANAGE_ALARM_FEEDS, MANAGE_ALARM_RULES, VIEW_ALARMS


class AlarmListView(ScopedPageMixin, TemplateView):
    template_name = "alarms/alarm_list.html"
    required_perm = VIEW_ALARMS

    def get_context_data(self, **kwargs):
        mines = list(selectors.alarm_mines(self.scope))
        form = AlarmFilterForm(self.request.GET or None, mines=mines)
        f = valid_filters(form)
        mine = tenant_selectors.access_org_unit(self.scope, f["mine"]) if f.get("mine") else None
        now = timezone.now()
        rows = selectors.alarm_queue(
            scope=self.scope,
            mine=mine,
            kind=f.get("kind", ""),
            status=f.get("status", ""),
            overdue=bool(f.get("overdue")),
            point_code=f.get("point", ""),
            now=now,
        )
        page = paginate(self.request, rows)
        for alarm in page:
            alarm.overdue = alarm.overdue_at(now)
        return super().get_context_data(
            filter_form=form,
            mine=mine,
            page=page,
            query=filter_query(self.request),
            can_import=self.scope.has_perm(INGEST_ALARMS),
            can_feeds=self.scope.has_perm(MANAGE_ALARM_FEEDS),
            **kwargs,
        )


class AlarmDetailView(ScopedPageMixin, View):
    required_perm = VIEW_ALARMS
    template_name = "alarms/alarm_detail.html"

    def get(self, request, pk, forms=None, status=200):
        alarm = selectors.access_alarm(self.scope, pk)
        can_handle = selectors.can_handle(self.scope, alarm)
        forms = forms or {}
        context = {
            "alarm": alarm,
            "events": selectors.history(alarm),
            "actions": machine.actions_from(alarm.status) if can_handle else [],
            "overdue": alarm.overdue_at(timezone.now()),
            "acknowledge_form": forms.get("acknowledge") or AcknowledgeForm(),
            "check_form": forms.get("check") or CheckForm(),
            "close_form": forms.get("close") or CloseForm(),
        }
        return render(request, self.template_name, context, status=status)


class _StepView(ScopedPageMixin, View):
    """POST one handling step from the alarm's page; errors come back on that page, by field."""

    required_perm = HANDLE_ALARMS
    form_class = AcknowledgeForm
    key = "acknowledge"

    def run(self, alarm, data):
        raise NotImplementedError

    def post(self, request, pk):
        alarm = selectors.access_alarm(self.scope, pk)
        form = self.form_class(request.POST)
        if form.is_valid():
            try:
                self.run(alarm, form.cleaned_data)
            except Conflict as exc:
                messages.error(request, exc.message)
                return redirect("alarms:alarm-detail", pk=alarm.pk)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("alarms:alarm-detail", pk=alarm.pk)
        return AlarmDetailView(request=request, scope=self.scope).get(
            request, pk, forms={self.key: form}, status=400
        )


class AcknowledgeView(_StepView):
    def run(self, alarm, data):
        services.alarm_acknowledge(scope=self.scope, alarm=alarm, user=self.request.user, note=data["note"])


class CheckView(_StepView):
    form_class = CheckForm
    key = "check"

    def run(self, alarm, data):
        services.alarm_check(scope=self.scope, alarm=alarm, user=self.request.user, findings=data["findings"])


class CloseView(_StepView):
    form_class = CloseForm
    key = "close"

    def run(self, alarm, data):
        services.alarm_close(
            scope=self.scope,
            alarm=alarm,
            user=self.request.user,
            cause=data["cause"],
            measures=data["measures"],
        )


class StatsView(ScopedPageMixin, TemplateView):
    """Per mine and month: alarms, closed on time, late, open (HQ and regulators, read-only)."""

    template_name = "alarms/stats.html"
    required_perm = VIEW_ALARMS

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            stats=selectors.monthly_stats(scope=self.scope),
            repeats=selectors.repeated_points(self.scope),
            repeat_rule=rules.repeat_rule(),
            **kwargs,
        )


@method_decorator(charts.chart_csp, name="get")
class StatsChartView(ScopedPageMixin, View):
    required_perm = VIEW_ALARMS

    def get(self, request):
        totals = selectors.monthly_totals(selectors.monthly_stats(scope=self.scope))
        svg = charts.line_svg(
            [t["month"] for t in totals],
            [
                (_("Alarms"), [t["count"] for t in totals]),
                (pgettext("alarm count", "Closed on time"), [t["on_time"] for t in totals]),
                (_("Closed late"), [t["late"] for t in totals]),
                (_("Not closed"), [t["open"] for t in totals]),
            ],
            title=_("Monitoring alarms per month"),
        )
        return charts.svg_response(svg)


class FeedListView(ScopedPageMixin, View):
    """The mine's monitoring systems' keys: make one (shown once), revoke one."""

    required_perm = MANAGE_ALARM_FEEDS
    template_name = "alarms/feeds.html"

    def _render(self, request, form, key=None, status=200):
        context = {"form": form, "feeds": selectors.feeds(scope=self.scope), "new_key": key}
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        return self._render(request, FeedForm(scope=self.scope))

    def post(self, request):
        form = FeedForm(request.POST, scope=self.scope)
        if form.is_valid():
            try:
                _feed, key = services.alarm_feed_create(
                    scope=self.scope,
                    mine=form.cleaned_data["mine"],
                    name=form.cleaned_data["name"],
                    user=request.user,
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                # Shown once, on this answer only: it is not stored anywhere.
                return self._render(request, FeedForm(scope=self.scope), key=key, status=201)
        return self._render(request, form, status=400)


class FeedRevokeView(ScopedPageMixin, View):
    required_perm = MANAGE_ALARM_FEEDS

    def post(self, request, pk):
        feed = selectors.access_feed(self.scope, pk)
        services.alarm_feed_revoke(scope=self.scope, feed=feed)
        messages.success(request, _("The key is revoked."))
        return redirect("alarms:feed-list")


class DeadlinesView(ScopedPageMixin, View):
    """The handling deadlines by kind with their sources and standing; a group admin sets the
    group's own, stricter ones here."""

    required_perm = VIEW_ALARMS
    template_name = "alarms/deadlines.html"

    def _render(self, request, form, status=200):
        can_set = self.scope.tenant_id is not None and self.scope.has_perm(MANAGE_ALARM_RULES)
        context = {"rows": selectors.deadline_table(self.scope), "form": form if can_set else None}
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        return self._render(request, DeadlineForm())

    def post(self, request):
        form = DeadlineForm(request.POST)
        if form.is_valid():
            try:
                services.alarm_deadline_set(
                    scope=self.scope, tenant_id=self.scope.tenant_id, **form.cleaned_data
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("alarms:deadlines")
        return self._render(request, form, status=400)
