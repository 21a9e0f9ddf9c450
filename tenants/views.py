"""Pages of who-is-who. Thin: parse input, call one selector or service, render."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from compliance import registry
from compliance.errors import Conflict
from compliance.http import no_store
from compliance.pages import ScopedPageMixin, apply_service_errors, filter_query, paginate, valid_filters

from . import home, people_io, roles, selectors, services
from .forms import (
    LoginCreateForm,
    MembershipForm,
    MineProfileForm,
    MoveForm,
    OrgUnitForm,
    PersonFilterForm,
    PersonForm,
    RenameForm,
)
from .models import MineProfile, Person


class HomeView(ScopedPageMixin, TemplateView):
    template_name = "tenants/home.html"

    def get_context_data(self, **kwargs):
        scope = self.scope
        context = super().get_context_data(**kwargs)
        if scope.person_id:
            context["me"] = (
                selectors.access_person(scope, scope.person_id) if scope.has_perm(roles.VIEW_PEOPLE) else None
            )
        if scope.has_perm(roles.VIEW_ORG) and not (scope.person_id and scope.roles == {roles.WORKER}):
            mines = list(selectors.mine_list(scope=scope)[:200])
            context["mine_count"] = len(mines)
            context["mines"] = mines[:10]
        if scope.has_perm(roles.VIEW_PEOPLE):
            context["people_by_status"] = {
                row["status"]: row["n"] for row in selectors.people_status_counts(scope=scope)
            }
        # What to do next (every capability's providers), why I may not be on post, what is new.
        context["todos"] = home.todo_list(scope)
        # Group HQ: each subsidiary's mines and their figures (None for every other scope).
        context["group_status"] = home.group_status(scope)
        context["my_holds"] = home.my_open_holds(scope)
        context["unread"] = home.latest_unread(self.request.user)
        return context


# --- org tree ----------------------------------------------------------------------------------------
class OrgTreeView(ScopedPageMixin, TemplateView):
    template_name = "tenants/org_tree.html"
    required_perm = roles.VIEW_ORG

    def get_context_data(self, **kwargs):
        units = list(selectors.org_unit_list(scope=self.scope))
        top = min((u.depth for u in units), default=0)
        for unit in units:  # indent from the highest unit this user can see, not from the HQ
            unit.indent = unit.depth - top
        return super().get_context_data(
            units=units,
            can_manage=self.scope.has_perm(roles.MANAGE_ORG),
            **kwargs,
        )


class OrgUnitCreateView(ScopedPageMixin, View):
    required_perm = roles.MANAGE_ORG
    template_name = "tenants/org_unit_form.html"

    def get(self, request):
        form = OrgUnitForm(initial={"parent": request.GET.get("parent"), "kind": request.GET.get("kind")})
        form.fields["parent"].set_choices(self.scope)
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        form = OrgUnitForm(request.POST)
        form.fields["parent"].set_choices(self.scope)
        if form.is_valid():
            try:
                unit = services.org_unit_create(
                    scope=self.scope,
                    parent=form.cleaned_data["parent"],
                    kind=form.cleaned_data["kind"],
                    name=form.cleaned_data["name"],
                    mine_profile=form.mine_profile(),
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Created %(name)s.") % {"name": unit.name})
                if unit.is_mine:
                    return redirect("mine-edit", pk=unit.pk)
                return redirect("org-tree")
        return render(request, self.template_name, {"form": form}, status=400)


class OrgUnitDetailView(ScopedPageMixin, View):
    required_perm = roles.VIEW_ORG
    template_name = "tenants/org_unit_detail.html"

    def get(self, request, pk, form=None, move_form=None, status=200):
        unit = selectors.access_org_unit(self.scope, pk)
        can_manage = self.scope.has_perm(roles.MANAGE_ORG, unit.path, unit.tenant_id)
        context = {
            "unit": unit,
            "children": selectors.org_unit_list(scope=self.scope).filter(parent=unit),
            "form": form or RenameForm(initial={"name": unit.name}),
            "move_form": move_form
            or (MoveForm(unit=unit, scope=self.scope) if can_manage and unit.parent_id else None),
            "can_manage": can_manage,
        }
        return render(request, self.template_name, context, status=status)

    def post(self, request, pk):
        unit = selectors.access_org_unit(self.scope, pk)
        form = RenameForm(request.POST)
        if form.is_valid():
            try:
                services.org_unit_rename(scope=self.scope, unit=unit, name=form.cleaned_data["name"])
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("org-unit-detail", pk=unit.pk)
        return self.get(request, pk, form=form, status=400)


class OrgUnitMoveView(OrgUnitDetailView):
    """POST only; a refused move shows the unit's page again with the move form's errors."""

    required_perm = roles.MANAGE_ORG
    http_method_names = ["post"]

    def post(self, request, pk):
        unit = selectors.access_org_unit(self.scope, pk)
        form = MoveForm(request.POST, unit=unit, scope=self.scope)
        if form.is_valid():
            try:
                unit = services.org_unit_move(scope=self.scope, unit=unit, parent=form.cleaned_data["parent"])
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                moved = {"name": unit.name, "parent": unit.parent.name}
                messages.success(request, _("Moved %(name)s under %(parent)s.") % moved)
                return redirect("org-unit-detail", pk=unit.pk)
        return self.get(request, pk, move_form=form, status=400)


class OrgUnitDeleteView(ScopedPageMixin, View):
    required_perm = roles.MANAGE_ORG

    def post(self, request, pk):
        unit = selectors.access_org_unit(self.scope, pk)
        try:
            services.org_unit_delete(scope=self.scope, unit=unit)
        except Conflict as exc:
            messages.error(request, exc.message)
            return redirect("org-unit-detail", pk=unit.pk)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("org-unit-detail", pk=unit.pk)
        messages.success(request, _("Deleted %(name)s.") % {"name": unit.name})
        return redirect("org-tree")


# --- mines ----------------------------------------------------------------------------------------------
class MineListView(ScopedPageMixin, TemplateView):
    template_name = "tenants/mine_list.html"
    required_perm = roles.VIEW_ORG

    def get_context_data(self, **kwargs):
        region = self.request.GET.get("region", "").strip()
        mine_type = self.request.GET.get("mine_type", "")
        search = self.request.GET.get("q", "").strip()
        mines = selectors.mine_list(
            scope=self.scope, region_prefix=region, mine_type=mine_type, search=search
        )
        return super().get_context_data(
            page=paginate(self.request, mines),
            mine_types=MineProfile.MineType.choices,
            filters={"region": region, "mine_type": mine_type, "q": search},
            query=filter_query(self.request),
            categories=Person.PostCategory.choices,
            **kwargs,
        )


class MineDetailView(ScopedPageMixin, TemplateView):
    template_name = "tenants/mine_detail.html"
    required_perm = roles.VIEW_ORG

    def get_context_data(self, pk, **kwargs):
        mine = selectors.access_mine(self.scope, pk)
        counts = selectors.mine_headcounts(scope=self.scope, mine=mine)
        return super().get_context_data(
            mine=mine,
            profile=mine.mine_profile,
            headcounts=[(label, counts[key]) for key, label in Person.PostCategory.choices],
            teams=selectors.org_unit_list(scope=self.scope)
            .filter(path__startswith=mine.path)
            .exclude(pk=mine.pk),
            can_edit=self.scope.has_perm(roles.EDIT_MINE_PROFILE, mine.path, mine.tenant_id),
            **kwargs,
        )


class MineEditView(ScopedPageMixin, View):
    required_perm = roles.EDIT_MINE_PROFILE
    template_name = "tenants/mine_form.html"

    def _can_change_jurisdiction(self, mine) -> bool:
        return self.scope.has_perm(roles.CHANGE_JURISDICTION, mine.path, mine.tenant_id)

    def get(self, request, pk):
        mine = selectors.access_mine(self.scope, pk)
        self.scope.require(roles.EDIT_MINE_PROFILE, mine)
        form = MineProfileForm(
            instance=mine.mine_profile, can_change_jurisdiction=self._can_change_jurisdiction(mine)
        )
        return render(request, self.template_name, {"mine": mine, "form": form})

    def post(self, request, pk):
        mine = selectors.access_mine(self.scope, pk)
        profile = mine.mine_profile
        # The form fills a copy, so the service still sees the stored values for the audit's before.
        form = MineProfileForm(
            request.POST,
            instance=copy.copy(profile),
            can_change_jurisdiction=self._can_change_jurisdiction(mine),
        )
        if form.is_valid():
            try:
                services.mine_profile_update(
                    scope=self.scope,
                    profile=profile,
                    reason=form.cleaned_data.get("reason", ""),
                    **{f: form.cleaned_data[f] for f in form.Meta.fields},
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("mine-detail", pk=mine.pk)
        return render(request, self.template_name, {"mine": mine, "form": form}, status=400)


# --- people ----------------------------------------------------------------------------------------------
class PersonListView(ScopedPageMixin, TemplateView):
    template_name = "tenants/person_list.html"
    required_perm = roles.VIEW_PEOPLE

    def get_context_data(self, **kwargs):
        form = PersonFilterForm(self.request.GET or None)
        filters = valid_filters(form)
        unit = selectors.access_org_unit(self.scope, filters["unit"]) if filters.get("unit") else None
        people = selectors.people_list(
            scope=self.scope,
            org_unit=unit,
            post_category=filters.get("post_category", ""),
            status=filters.get("status", ""),
            search=filters.get("q", ""),
            hold=filters.get("hold", ""),
        )
        return super().get_context_data(
            filter_form=form,
            unit=unit,
            page=paginate(self.request, people),
            query=filter_query(self.request),
            can_manage=self.scope.has_perm(roles.MANAGE_PEOPLE),
            can_export=self.scope.has_perm(roles.EXPORT_PEOPLE),
            **kwargs,
        )


class PersonExportView(ScopedPageMixin, View):
    required_perm = roles.EXPORT_PEOPLE

    def get(self, request):
        form = PersonFilterForm(request.GET or None)
        filters = valid_filters(form)
        unit = selectors.access_org_unit(self.scope, filters["unit"]) if filters.get("unit") else None
        people = selectors.people_list(
            scope=self.scope,
            org_unit=unit,
            post_category=filters.get("post_category", ""),
            status=filters.get("status", ""),
            search=filters.get("q", ""),
            hold=filters.get("hold", ""),
        )
        response = HttpResponse(
            people_io.people_export(scope=self.scope, people=people), content_type=people_io.XLSX
        )
        response["Content-Disposition"] = 'attachment; filename="people.xlsx"'
        return no_store(response)


class PersonFormView(ScopedPageMixin, View):
    required_perm = roles.MANAGE_PEOPLE
    template_name = "tenants/person_form.html"

    def _person(self, pk):
        return selectors.access_person(self.scope, pk) if pk else None

    def get(self, request, pk=None):
        person = self._person(pk)
        if person is not None:
            self.scope.require(roles.MANAGE_PEOPLE, person.org_unit)
            initial = {f: getattr(person, f) for f in services.PERSON_FIELDS} | {
                "org_unit": person.org_unit_id
            }
        else:
            initial = {"org_unit": request.GET.get("unit")}
        form = PersonForm(initial=initial, scope=self.scope, creating=person is None)
        return render(request, self.template_name, {"form": form, "person": person})

    def post(self, request, pk=None):
        person = self._person(pk)
        form = PersonForm(request.POST, scope=self.scope, creating=person is None)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                if person is None:
                    person = services.person_create(scope=self.scope, **data)
                else:
                    person = services.person_update(scope=self.scope, person=person, **data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Saved %(name)s.") % {"name": person.name})
                return redirect("person-detail", pk=person.pk)
        return render(request, self.template_name, {"form": form, "person": person}, status=400)


class PersonDetailView(ScopedPageMixin, TemplateView):
    template_name = "tenants/person_detail.html"
    required_perm = roles.VIEW_PEOPLE

    def get_context_data(self, pk, **kwargs):
        person = selectors.access_person(self.scope, pk)
        has = self.scope.has_perm
        where = (person.org_unit.path, person.tenant_id)
        return super().get_context_data(
            person=person,
            can_manage=has(roles.MANAGE_PEOPLE, *where),
            can_reveal=has(roles.REVEAL_RESIDENT_ID, *where),
            can_grant=has(roles.MANAGE_MEMBERSHIPS, *where) and person.user_id is None,
            login_form=LoginCreateForm(),
            # 一人一档: what each capability registered about this person, in order.
            panels=registry.visible_person_panels(self.scope, person),
            **kwargs,
        )


class PersonRevealView(ScopedPageMixin, View):
    """htmx: swaps the masked number for the full one; audited."""

    required_perm = roles.REVEAL_RESIDENT_ID

    def post(self, request, pk):
        person = selectors.access_person(self.scope, pk)
        number = services.person_reveal_resident_id(scope=self.scope, person=person)
        return no_store(render(request, "tenants/_resident_id.html", {"number": number}))


class PersonDeleteView(ScopedPageMixin, View):
    required_perm = roles.MANAGE_PEOPLE

    def post(self, request, pk):
        person = selectors.access_person(self.scope, pk)
        services.person_delete(scope=self.scope, person=person)
        messages.success(request, _("Deleted %(name)s.") % {"name": person.name})
        return redirect("person-list")


class PersonLoginCreateView(ScopedPageMixin, View):
    required_perm = roles.MANAGE_MEMBERSHIPS

    def post(self, request, pk):
        person = selectors.access_person(self.scope, pk)
        form = LoginCreateForm(request.POST)
        if form.is_valid():
            try:
                services.person_login_create(scope=self.scope, person=person, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Login created; it starts with the worker role."))
                return redirect("person-detail", pk=person.pk)
        for field, errors in form.errors.items():
            for error in errors:
                messages.error(
                    request, f"{form.fields[field].label if field in form.fields else ''} {error}".strip()
                )
        return redirect("person-detail", pk=person.pk)


# --- roles -------------------------------------------------------------------------------------------------
class MembershipListView(ScopedPageMixin, TemplateView):
    template_name = "tenants/membership_list.html"
    required_perm = roles.VIEW_MEMBERSHIPS

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            page=paginate(self.request, selectors.membership_list(scope=self.scope)),
            can_manage=self.scope.has_perm(roles.MANAGE_MEMBERSHIPS),
            **kwargs,
        )


class MembershipCreateView(ScopedPageMixin, View):
    required_perm = roles.MANAGE_MEMBERSHIPS
    template_name = "tenants/membership_form.html"

    def get(self, request):
        return render(request, self.template_name, {"form": MembershipForm(scope=self.scope)})

    def post(self, request):
        form = MembershipForm(request.POST, scope=self.scope)
        if form.is_valid():
            try:
                services.membership_grant(
                    scope=self.scope,
                    user=form.cleaned_data["person"].user,
                    org_unit=form.cleaned_data["org_unit"],
                    role=form.cleaned_data["role"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            except PermissionDenied:
                form.add_error(None, _("This login belongs to another group or agency."))
            else:
                messages.success(request, _("Role granted."))
                return redirect("membership-list")
        return render(request, self.template_name, {"form": form}, status=400)


class MembershipRevokeView(ScopedPageMixin, View):
    required_perm = roles.MANAGE_MEMBERSHIPS

    def post(self, request, pk):
        membership = selectors.access_membership(self.scope, pk)
        try:
            services.membership_revoke(scope=self.scope, membership=membership)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Role revoked."))
        return redirect(reverse("membership-list"))
