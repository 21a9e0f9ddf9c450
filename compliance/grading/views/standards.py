"""Pages of the grading standards library (评分标准库). Thin: parse input, call one selector or
service of ``grading.standards`` / ``grading.standards_io``, render.

Who: anyone with ``view_grading`` reads the national standards and their own group's internal
ones (regulators: national only); a tenant admin (``manage_standards``) imports the group's own
standards as a background job; the platform operator (a superuser, who holds no tenant grants)
imports national standards on a page of its own, in the request.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from compliance.files import ValidatedFileField
from compliance.grading import permissions as grading_perms
from compliance.grading import standards, standards_io
from compliance.grading.models import Item, Part, Standard, StandardVersion
from compliance.grading.selectors import visible_standards
from compliance.imports.views import ImportTemplateView, ImportView
from compliance.jobs.views import access_job
from compliance.pages import ScopedPageMixin
from tenants import roles
from tenants.models import MineProfile
from tenants.scope import dangerously_platform_scope

MINE_LABELS = dict(MineProfile.MineType.choices)


class ImportForm(forms.Form):
    file = ValidatedFileField(
        label=gettext_lazy("Excel file (.xlsx)"), kinds=["xlsx"], max_bytes=lambda: settings.IMPORT_MAX_BYTES
    )

    def __init__(self, *args, scope=None, **kwargs):  # the one import page passes the scope
        super().__init__(*args, **kwargs)


def _versions_prefetch():
    return Prefetch("versions", queryset=StandardVersion.objects.order_by("-effective_from"))


def _mine_labels(standard: Standard) -> list[str]:
    return [str(MINE_LABELS.get(t, t)) for t in standard.mine_types or []]


class StandardListView(ScopedPageMixin, TemplateView):
    template_name = "grading/standards/list.html"
    required_perm = grading_perms.VIEW_GRADING

    def get_context_data(self, **kwargs):
        rows = list(visible_standards(self.scope).prefetch_related(_versions_prefetch()).order_by("code"))
        for standard in rows:
            standard.mine_labels = _mine_labels(standard)
        national = [s for s in rows if s.is_national]
        own = [s for s in rows if not s.is_national]
        return super().get_context_data(
            national=national,
            own=own,
            can_import=self.scope.has_perm(grading_perms.MANAGE_STANDARDS)
            and self.scope.tenant_id is not None,
            **kwargs,
        )


class StandardDetailView(ScopedPageMixin, TemplateView):
    template_name = "grading/standards/detail.html"
    required_perm = grading_perms.VIEW_GRADING

    def get_context_data(self, pk, **kwargs):
        standard = standards.access_standard(self.scope, pk)
        versions = list(
            standard.versions.annotate(item_count=Count("items", distinct=True)).order_by("-effective_from")
        )
        return super().get_context_data(
            standard=standard,
            versions=versions,
            mine_labels=_mine_labels(standard),
            can_manage=standards.can_manage(self.scope, standard),
            **kwargs,
        )


def part_tree(version: StandardVersion) -> list[Part]:
    """Top-level parts with ``.subparts`` and leaf parts with ``.item_list`` (three queries)."""
    parts = list(version.parts.order_by("position", "code"))
    items = list(Item.objects.filter(version=version).order_by("position", "code"))
    by_part: dict[int, list[Item]] = {}
    for item in items:
        by_part.setdefault(item.part_id, []).append(item)
    children: dict[int | None, list[Part]] = {}
    for part in parts:
        part.item_list = by_part.get(part.id, [])
        part.points = sum((i.max_points for i in part.item_list), 0)
        children.setdefault(part.parent_id, []).append(part)
    for part in parts:
        part.subparts = children.get(part.id, [])
        if part.subparts:
            part.points = sum((c.points for c in part.subparts), 0)
            part.item_count = sum(len(c.item_list) for c in part.subparts)
        else:
            part.item_count = len(part.item_list)
    return children.get(None, [])


class VersionDetailView(ScopedPageMixin, TemplateView):
    template_name = "grading/standards/version.html"
    required_perm = grading_perms.VIEW_GRADING

    def get_context_data(self, pk, **kwargs):
        version = standards.access_version(self.scope, pk)
        standard = version.standard
        tree = part_tree(version)
        names = {}
        for part in tree:
            names[part.code] = part.name
            for child in part.subparts:
                names[child.code] = child.name
        percentage = standard.method == Standard.Method.PERCENTAGE
        rules = list(version.level_rules.filter(superseded_at__isnull=True).order_by("level"))
        for rule in rules:
            rule.phrases = standards.level_rule_phrases(rule, names, percentage=percentage)
        labels = standards.precondition_labels()
        return super().get_context_data(
            version=version,
            standard=standard,
            tree=tree,
            total_points=sum((p.points for p in tree), 0),
            item_count=sum(p.item_count for p in tree),
            veto_count=sum(
                1 for p in tree for leaf in (p.subparts or [p]) for i in leaf.item_list if i.is_veto
            ),
            rules=rules,
            preconditions=[labels.get(code, code) for code in version.preconditions or []],
            mine_labels=_mine_labels(standard),
            percentage=percentage,
            **kwargs,
        )


class VersionExportView(ScopedPageMixin, View):
    required_perm = grading_perms.VIEW_GRADING

    def get(self, request, pk):
        version = standards.access_version(self.scope, pk)
        response = HttpResponse(standards_io.version_export(version), content_type=standards_io.XLSX)
        name = f"standard-{version.standard.code}-{version.label}.xlsx".encode("ascii", "ignore").decode()
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class StandardImportTemplateView(ImportTemplateView):
    """The template holds an example only; the platform operator (no tenant grants) may fetch it too."""

    kind = standards_io.IMPORT_KIND

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and user.is_superuser and not request.scope.grants:
            self.scope = request.scope
            return View.dispatch(self, request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)


class StandardImportJobView(ScopedPageMixin, TemplateView):
    """The import's progress bar and, when done, its result or every problem; htmx polls it."""

    required_perm = roles.VIEW_JOBS

    def get_template_names(self):
        return ["grading/standards/_job.html"] if self.request.htmx else ["grading/standards/import_job.html"]

    def get_context_data(self, pk, **kwargs):
        job = access_job(self.scope, pk)
        if job.kind != standards_io.IMPORT_KIND:
            raise Http404
        version = None
        if job.status == job.Status.SUCCEEDED and (job.result or {}).get("version_id"):
            version = StandardVersion.objects.filter(
                pk=job.result["version_id"], standard__owner_tenant_id=job.tenant_id
            ).first()
        return super().get_context_data(job=job, version=version, **kwargs)


class NationalImportView(LoginRequiredMixin, View):
    """The platform operator's import of a national standard (or a new version of one). A
    superuser holds no tenant grants, so this page is outside ScopedPageMixin: it checks
    superuser status itself and writes in the platform scope, which touches reference data and
    the platform audit chain only."""

    template_name = "grading/standards/national_import.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.is_superuser:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def _render(self, request, form, errors=(), status=200):
        national = (
            Standard.objects.filter(owner_tenant__isnull=True)
            .prefetch_related(_versions_prefetch())
            .order_by("code")
        )
        context = {"form": form, "errors": list(errors), "national": national}
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        return self._render(request, ImportForm())

    def post(self, request):
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._render(request, form, status=400)
        # The operator's own tool (superuser checked above): national standards are platform
        # reference data, written and audited in the platform scope.
        with dangerously_platform_scope() as platform:
            created, errors = standards_io.national_import(
                scope=platform, content=form.cleaned_data["file"].read()
            )
        if errors:
            return self._render(request, form, errors, status=400)
        version = created[0]
        messages.success(
            request,
            _("Imported %(name)s, version %(label)s.")
            % {"name": version.standard.name, "label": version.label},
        )
        return redirect("grading:standard-national-import")


urlpatterns = [
    path("standards/", StandardListView.as_view(), name="standard-list"),
    path("standards/import/", ImportView.as_view(kind=standards_io.IMPORT_KIND), name="standard-import"),
    path("standards/import/template/", StandardImportTemplateView.as_view(), name="standard-import-template"),
    path("standards/import/<uuid:pk>/", StandardImportJobView.as_view(), name="standard-import-job"),
    path("standards/national-import/", NationalImportView.as_view(), name="standard-national-import"),
    path("standards/<int:pk>/", StandardDetailView.as_view(), name="standard-detail"),
    path("standards/versions/<int:pk>/", VersionDetailView.as_view(), name="version-detail"),
    path("standards/versions/<int:pk>/export/", VersionExportView.as_view(), name="version-export"),
]
