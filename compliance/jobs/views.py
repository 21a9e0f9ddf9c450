from django.http import Http404
from django.views.generic import TemplateView

from compliance.pages import ScopedPageMixin
from tenants import roles

from .models import Job


def access_job(scope, pk) -> Job:
    job = scope.filter_queryset(Job.objects.select_related("org_unit")).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


class JobDetailView(ScopedPageMixin, TemplateView):
    """A job's progress bar; while it runs, htmx re-fetches the bar every second."""

    required_perm = roles.VIEW_JOBS

    def get_template_names(self):
        return ["jobs/_progress.html"] if self.request.htmx else ["jobs/job_detail.html"]

    def get_context_data(self, pk, **kwargs):
        return super().get_context_data(job=access_job(self.scope, pk), **kwargs)
