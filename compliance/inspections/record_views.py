"""The page action that prints an inspection's record (``inspections.record``): POST only, it
starts the job and shows its page, where the PDF is offered when it is ready."""

from __future__ import annotations

from django.shortcuts import redirect
from django.urls import path
from django.views import View

from . import record, selectors
from .permissions import VIEW_INSPECTIONS
from .views import _NotWorkerMixin


class InspectionRecordView(_NotWorkerMixin, View):
    required_perm = VIEW_INSPECTIONS

    def post(self, request, pk):
        inspection = selectors.access_inspection(self.scope, pk)
        job = record.record_start(scope=self.scope, user=request.user, inspection=inspection)
        return redirect("job-detail", pk=job.pk)


urlpatterns = [
    path("inspections/<uuid:pk>/record/", InspectionRecordView.as_view(), name="inspection-record"),
]
