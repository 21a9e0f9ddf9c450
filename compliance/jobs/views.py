from django import forms
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from compliance import storage
from compliance.access import access_or_404
from compliance.imports.importers import importer_for
from compliance.pages import ScopedPageMixin, filter_query, paginate, valid_filters
from tenants import roles

from . import services
from .models import Job


class JobFilterForm(forms.Form):
    whose = forms.ChoiceField(
        label=gettext_lazy("Whose"),
        choices=[("", gettext_lazy("My own")), ("all", gettext_lazy("Everyone's in my scope"))],
        required=False,
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=[("", gettext_lazy("All statuses"))] + Job.Status.choices,
        required=False,
    )


class JobListView(ScopedPageMixin, TemplateView):
    """My imports and reports (and, on request, everyone's in my scope): status, errors and the
    files to download again, so a report made last week is found again. One query for the page's
    jobs and one for the count, whatever their number; the download rights are checked per row
    against the scope in memory."""

    template_name = "jobs/job_list.html"
    required_perm = roles.VIEW_JOBS

    def get_context_data(self, **kwargs):
        form = JobFilterForm(self.request.GET or None)
        filters = valid_filters(form)
        everyone = filters.get("whose") == "all"
        qs = services.job_list(
            scope=self.scope,
            user=None if everyone else self.request.user,
            status=filters.get("status", ""),
        )
        page = paginate(self.request, qs)
        for job in page:
            job.kind_label = services.job_kind_label(job.kind)
            job.can_download_input = bool(job.input_file) and services.job_input_allowed(
                scope=self.scope, job=job
            )
            job.can_download_output = services.job_output_allowed(scope=self.scope, job=job)
            job.error_count = len((job.result or {}).get("errors") or [])
            job.title = (job.result or {}).get("output_name") or (job.params or {}).get("filename") or ""
        return super().get_context_data(
            filter_form=form, page=page, everyone=everyone, query=filter_query(self.request), **kwargs
        )


def access_job(scope, pk) -> Job:
    return access_or_404(scope, Job.objects.select_related("org_unit"), pk)


class JobDetailView(ScopedPageMixin, TemplateView):
    """A job's progress bar; while it runs, htmx re-fetches the bar every second."""

    required_perm = roles.VIEW_JOBS

    def get_template_names(self):
        return ["jobs/_progress.html"] if self.request.htmx else ["jobs/job_detail.html"]

    def get_context_data(self, pk, **kwargs):
        job = access_job(self.scope, pk)
        can_download = bool(job.input_file) and services.job_input_allowed(scope=self.scope, job=job)
        importer = importer_for(job.kind)
        return super().get_context_data(
            job=job,
            can_download_input=can_download,
            can_download_output=services.job_output_allowed(scope=self.scope, job=job),
            importer=importer,  # an import's result and its upload page
            import_page_url=importer.page_url(job) if importer is not None else "",
            **kwargs,
        )


class JobInputView(ScopedPageMixin, View):
    """The file a job was started with (e.g. an uploaded Excel sheet), as an attachment. Files live
    outside the web root; this view, after the scope check, is the only way to them."""

    required_perm = roles.VIEW_JOBS

    def get(self, request, pk):
        job = access_job(self.scope, pk)
        stored, filename, content_type = services.job_input_open(scope=self.scope, job=job)
        return input_response(stored, filename, content_type)


class JobOutputView(ScopedPageMixin, View):
    """The file a finished job produced (e.g. a PDF report), as an attachment; like the input,
    only through this view, after the scope check (404) and the kind's ``output_perm`` (403)."""

    required_perm = roles.VIEW_JOBS

    def get(self, request, pk):
        job = access_job(self.scope, pk)
        stored, filename, content_type = services.job_output_open(scope=self.scope, job=job)
        return input_response(stored, filename, content_type)


def input_response(stored, filename: str, content_type: str):
    return storage.file_response(stored, filename=filename, content_type=content_type)
