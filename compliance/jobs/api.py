from drf_spectacular.utils import extend_schema
from rest_framework import mixins

from compliance.api import ScopedViewSet
from tenants.api import ERRORS, JobSerializer

from .models import Job


@extend_schema(responses={200: JobSerializer, **ERRORS})
class JobViewSet(mixins.RetrieveModelMixin, ScopedViewSet):
    """Status, progress and result of a background job (e.g. an import)."""

    model = Job
    serializer_class = JobSerializer

    def scoped_queryset(self, scope):
        return scope.filter_queryset(Job.objects.all())
