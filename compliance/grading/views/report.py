"""The PDF assessment report: a POST starts the background job and opens its progress page, which
offers the file once it is ready (``compliance.jobs`` ``job-output``)."""

from __future__ import annotations

from django.shortcuts import redirect
from django.urls import path
from django.views import View

from compliance.grading import permissions as grading_perms
from compliance.grading import report
from compliance.pages import ScopedPageMixin


class AssessmentReportView(ScopedPageMixin, View):
    """Generate the PDF report of an assessment (POST only; the page button is
    ``grading/report/_button.html``)."""

    required_perm = grading_perms.VIEW_GRADING

    def post(self, request, pk):
        assessment = report.access_assessment(self.scope, pk)
        job = report.report_start(scope=self.scope, user=request.user, assessment=assessment)
        return redirect("job-detail", pk=job.pk)


urlpatterns = [
    path("assessments/<uuid:pk>/report/", AssessmentReportView.as_view(), name="assessment-report"),
]
