"""The one import page and its template download, for every registered importer. A capability's
URLconf mounts them with its importer's kind, keeping its own URLs:
``ImportView.as_view(kind=people_io.IMPORT_KIND)``."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from compliance.pages import ScopedPageMixin, apply_service_errors

from .importers import Importer, importer_for
from .writer import XLSX


class _ImporterMixin:
    kind: str = ""

    @property
    def importer(self) -> Importer:
        importer = importer_for(self.kind)
        if importer is None:
            raise LookupError(f"no importer registered for {self.kind!r}")
        return importer

    @property
    def required_perm(self):
        return self.importer.perm


class ImportView(_ImporterMixin, ScopedPageMixin, View):
    """Upload → the background job (progress, then the result with every row's problem)."""

    def _render(self, request, form, status=200):
        return render(request, self.importer.page_template, {"form": form}, status=status)

    def get(self, request):
        return self._render(request, self.importer.form_class()(scope=self.scope))

    def post(self, request):
        importer = self.importer
        form = importer.form_class()(request.POST, request.FILES, scope=self.scope)
        if form.is_valid():
            try:
                job = importer.start(
                    scope=self.scope,
                    user=request.user,
                    org_unit=form.cleaned_data.get("org_unit"),
                    upload=form.cleaned_data["file"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                return redirect(importer.job_url_name, pk=job.pk)
        return self._render(request, form, status=400)


class ImportTemplateView(_ImporterMixin, ScopedPageMixin, View):
    """The importer's template workbook, in the user's language."""

    def get(self, request):
        importer = self.importer
        response = HttpResponse(importer.template(), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{importer.template_filename}"'
        return response
