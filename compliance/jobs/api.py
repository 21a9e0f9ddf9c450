from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action

from compliance.api import ScopedViewSet
from compliance.errors import ERRORS
from compliance.files import KINDS

from . import services
from .models import Job
from .views import input_response


# A job as the API shows it; also the answer (202) of every endpoint that starts one.
class JobSerializer(serializers.ModelSerializer):
    class Meta:
        model = Job
        fields = ["id", "kind", "status", "progress", "message", "result", "created_at", "finished_at"]


@extend_schema(responses={200: JobSerializer, **ERRORS})
class JobViewSet(mixins.RetrieveModelMixin, ScopedViewSet):
    """Status, progress and result of a background job (e.g. an import)."""

    model = Job
    serializer_class = JobSerializer

    def scoped_queryset(self, scope):
        return scope.filter_queryset(Job.objects.select_related("org_unit"))

    @extend_schema(
        responses={
            **{(200, kind.content_type): OpenApiTypes.BINARY for kind in KINDS.values()},
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            **ERRORS,
        }
    )
    @action(detail=True, methods=["get"], url_path="input")
    def input(self, request, pk=None):
        """The file the job was started with, as an attachment (e.g. an import's Excel sheet).
        Needs the permission of the job's kind (for an import of people: revealing resident IDs);
        each download is audited."""
        stored, filename, content_type = services.job_input_open(scope=self.scope, job=self.get_object())
        return input_response(stored, filename, content_type)
