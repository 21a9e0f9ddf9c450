"""The points pages: the worker's own page (phone), the ledger with its record and reversal forms,
the managers' watch list (near thresholds, open actions, proposals), a team's page and the monthly
team ranking of a mine (公示 board, printable). Thin: parse, call one service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from compliance.http import no_store
from compliance.pages import ScopedPageMixin, apply_service_errors, filter_query, paginate
from tenants import selectors as tenant_selectors

from . import files, forms, selectors, services
from .models import ActionKind
from .permissions import APPROVE_POINTS, MANAGE_POINTS_RULES, RECORD_POINTS, VIEW_POINTS, VIEW_POINTS_TEAMS


class MyPointsView(ScopedPageMixin, View):
    required_perm = VIEW_POINTS

    def get(self, request):
        if self.scope.person_id is None:  # a login with no person record: nothing of its own
            return render(request, "points/me.html", {"p": None})
        mine = selectors.my_points(scope=self.scope)
        return render(
            request,
            "points/me.html",
            {
                "p": mine,
                "thresholds": [(t, selectors.describe_threshold(t)) for t in mine.thresholds],
            },
        )


class EntryListView(ScopedPageMixin, View):
    required_perm = VIEW_POINTS

    def get(self, request):
        q = (request.GET.get("q") or "").strip()[:64]
        rows = selectors.with_reversed(selectors.entry_list(scope=self.scope, q=q))
        return render(
            request,
            "points/entry_list.html",
            {
                "page": paginate(request, rows),
                "query": filter_query(request),
                "q": q,
                "can_record": self.scope.has_perm(RECORD_POINTS),
                "can_reverse": self.scope.has_perm(APPROVE_POINTS),
            },
        )


class EntryExportView(ScopedPageMixin, View):
    """The ledger, with the list's filter, as an Excel workbook (audited: people's records)."""

    required_perm = VIEW_POINTS

    def get(self, request):
        q = (request.GET.get("q") or "").strip()[:64]
        rows = selectors.entry_list(scope=self.scope, q=q)
        response = HttpResponse(files.ledger_xlsx(self.scope, rows), content_type=files.XLSX)
        response["Content-Disposition"] = 'attachment; filename="points.xlsx"'
        return no_store(response)


class EntryCreateView(ScopedPageMixin, View):
    required_perm = RECORD_POINTS

    def _render(self, request, form, status=200):
        return render(
            request, "points/form.html", {"form": form, "title": _("Record safety points")}, status=status
        )

    def get(self, request):
        return self._render(request, forms.EntryForm(scope=self.scope))

    def post(self, request):
        form = forms.EntryForm(request.POST, scope=self.scope)
        if form.is_valid():
            try:
                done = services.entry_record(
                    scope=self.scope,
                    person=form.cleaned_data["person"],
                    rule=form.cleaned_data["rule"],
                    occurred_on=form.cleaned_data["occurred_on"],
                    reason=form.cleaned_data["reason"],
                    evidence_url=form.cleaned_data["evidence_url"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                for warning in done.warnings:
                    messages.warning(request, warning)
                if done.proposal is not None:
                    messages.success(request, _("Recorded: the rule needs approval, a manager decides."))
                else:
                    messages.success(request, _("Points recorded."))
                return redirect("points:entry-list")
        return self._render(request, form, status=400)


class EntryReverseView(ScopedPageMixin, View):
    required_perm = APPROVE_POINTS

    def _render(self, request, entry, form, status=200):
        return render(
            request,
            "points/reverse.html",
            {"entry": entry, "form": form, "title": _("Correct an entry")},
            status=status,
        )

    def get(self, request, pk):
        entry = selectors.access_entry(self.scope, pk)
        return self._render(request, entry, forms.ReasonForm())

    def post(self, request, pk):
        entry = selectors.access_entry(self.scope, pk)
        form = forms.ReasonForm(request.POST)
        if form.is_valid():
            try:
                services.entry_reverse(scope=self.scope, entry=entry, reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("The entry is reversed."))
                return redirect("points:entry-list")
        return self._render(request, entry, form, status=400)


class WatchView(ScopedPageMixin, View):
    """People near or below a threshold, the open threshold actions and the proposals to decide."""

    required_perm = VIEW_POINTS

    def get(self, request):
        # ``?show=talk|training|hold|proposals``: one kind only — where each home to-do leads, so
        # the count there is the rows here.
        show = request.GET.get("show", "")
        actions = selectors.open_actions(scope=self.scope)
        proposals = selectors.pending_proposals(scope=self.scope)
        if show in ActionKind.values:
            actions, proposals = actions.filter(action=show), proposals.none()
        elif show == "proposals":
            actions = actions.none()
        actions, proposals = list(actions[:200]), list(proposals[:200])
        context = {
            "near": selectors.near_threshold(scope=self.scope),
            "actions": actions,
            "proposals": proposals,
            "thresholds": selectors.thresholds_of(self.scope.tenant_id) if self.scope.tenant_id else [],
            "can_approve": self.scope.has_perm(APPROVE_POINTS),
        }
        if show:
            context["rows"] = proposals if show == "proposals" else actions
        return render(request, "points/watch.html", context)


class ActionCloseView(ScopedPageMixin, View):
    required_perm = APPROVE_POINTS

    def post(self, request, pk):
        action = selectors.access_action(self.scope, pk)
        form = forms.CloseForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError(form.errors.get("note") or _("Say what was done."))
            services.action_close(scope=self.scope, action=action, note=form.cleaned_data["note"])
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Action closed."))
        return redirect("points:watch")


class ProposalDecideView(ScopedPageMixin, View):
    required_perm = APPROVE_POINTS

    def post(self, request, pk):
        proposal = selectors.access_proposal(self.scope, pk)
        form = forms.DecideForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError(_("Accept or reject the proposal."))
            services.proposal_decide(
                scope=self.scope,
                proposal=proposal,
                accept=form.cleaned_data["accept"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Decision recorded."))
        return redirect("points:watch")


class TeamView(ScopedPageMixin, View):
    required_perm = VIEW_POINTS

    def get(self, request, pk):
        team = tenant_selectors.access_org_unit(self.scope, pk)
        cycle = selectors.current_cycle(team.tenant_id)
        balances = selectors.balance_list(scope=self.scope, cycle_start=cycle).filter(team_id=team.pk)
        entries = selectors.entry_list(scope=self.scope, team=team)
        return render(
            request,
            "points/team.html",
            {
                "team": team,
                "cycle": cycle,
                "balances": list(balances[:300]),
                "page": paginate(request, entries),
            },
        )


class RankingView(ScopedPageMixin, View):
    """The monthly ranking of a mine's teams: a 公示 board, printable and for a wall screen."""

    required_perm = VIEW_POINTS_TEAMS

    def get(self, request):
        form = forms.RankingForm(request.GET or None, scope=self.scope)
        mine, month = None, timezone.localdate().replace(day=1)
        if form.is_bound and form.is_valid():
            mine = form.cleaned_data["mine"]
            month = (form.cleaned_data["month"] or month).replace(day=1)
        else:
            mine = selectors.ranking_mines(self.scope).first()
        rows = selectors.team_ranking(scope=self.scope, mine=mine, month=month) if mine else []
        return render(
            request,
            "points/ranking.html",
            {
                "form": form,
                "mine": mine,
                "month": month,
                "rows": rows,
                "board": request.GET.get("board") == "1",
                "can_open_team": self.scope.has_perm(VIEW_POINTS) and not self.scope.self_only,
            },
        )


class RulesView(ScopedPageMixin, View):
    """The catalogue, the thresholds (whether the group has set them) and the cycle."""

    required_perm = VIEW_POINTS

    def get(self, request):
        tenant_id = self.scope.tenant_id
        settings = services.settings_of(tenant_id) if tenant_id else None
        return render(
            request,
            "points/rules.html",
            {
                "rules": list(selectors.rules_for(scope=self.scope).order_by("category", "code")[:500]),
                "thresholds": selectors.thresholds_of(tenant_id) if tenant_id else [],
                "settings": settings,
                "can_manage": tenant_id is not None
                and self.scope.has_perm(MANAGE_POINTS_RULES, services.root_path(tenant_id), tenant_id),
                "threshold_form": forms.ThresholdForm(),
                "defaults_form": forms.DefaultsForm(),
                "settings_form": forms.SettingsForm(
                    initial={
                        "cycle": settings.cycle,
                        "starting_balance": settings.starting_balance,
                        "carry_over_cap": settings.carry_over_cap,
                    }
                )
                if settings
                else None,
            },
        )


class ThresholdSetView(ScopedPageMixin, View):
    """The group sets a threshold: from then on its own rule (verified), which may hold people."""

    required_perm = MANAGE_POINTS_RULES

    def post(self, request):
        form = forms.ThresholdForm(request.POST)
        if self.scope.tenant_id is None:
            raise PermissionDenied
        if not form.is_valid():
            return HttpResponseBadRequest(_("Choose the action and the balance."))
        services.threshold_set(
            scope=self.scope,
            tenant_id=self.scope.tenant_id,
            action=form.cleaned_data["action"],
            below=form.cleaned_data["below"],
            by=request.user.get_username(),
        )
        messages.success(request, _("Threshold set."))
        return redirect("points:rules")


class DefaultsInstallView(ScopedPageMixin, View):
    required_perm = MANAGE_POINTS_RULES

    def post(self, request):
        form = forms.DefaultsForm(request.POST)
        if self.scope.tenant_id is None:
            raise PermissionDenied
        if not form.is_valid():
            return HttpResponseBadRequest(_("Confirm the installation."))
        made = services.defaults_install(scope=self.scope, tenant_id=self.scope.tenant_id)
        messages.success(request, _("%(n)d rows installed.") % {"n": made})
        return redirect("points:rules")


class SettingsSetView(ScopedPageMixin, View):
    required_perm = MANAGE_POINTS_RULES

    def post(self, request):
        form = forms.SettingsForm(request.POST)
        if self.scope.tenant_id is None:
            raise PermissionDenied
        if not form.is_valid():
            return HttpResponseBadRequest(_("Choose the cycle and give the numbers."))
        services.settings_set(scope=self.scope, tenant_id=self.scope.tenant_id, **form.cleaned_data)
        messages.success(request, _("Points settings saved."))
        return redirect("points:rules")
