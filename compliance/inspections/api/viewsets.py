"""API: inspections with their spot-exam results (逢查必考).

``GET /api/v1/inspections/`` lists the inspections in the caller's scope, each with everyone
drawn and their result; ``POST`` records a new inspection (CONDUCT_INSPECTIONS on the unit).
Workers (who read only their own records) get 403: an inspection names colleagues.
"""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from compliance.api import ScopedRelatedField, ScopedViewSet
from compliance.errors import ERRORS
from compliance.inspections import selectors as inspection_selectors
from compliance.inspections import services
from compliance.inspections.models import Inspection, SpotCheck
from tenants import selectors

WORKER_403 = OpenApiResponse(
    description="Not permitted: a worker, a regulator writing, or no inspection rights here"
)


class SpotResultSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)
    post_category = serializers.CharField(source="person.post_category", read_only=True)
    paper_title = serializers.CharField(source="paper.title", read_only=True)
    status = serializers.SerializerMethodField(
        help_text="not_started, in_progress, submitted or expired (submitted at the deadline)"
    )
    score = serializers.SerializerMethodField()
    max_score = serializers.SerializerMethodField()
    passed = serializers.SerializerMethodField()

    class Meta:
        model = SpotCheck
        fields = [
            "id",
            "person",
            "person_name",
            "post_category",
            "paper",
            "paper_title",
            "selection",
            "status",
            "score",
            "max_score",
            "passed",
        ]
        read_only_fields = fields

    def _attempt(self, obj):
        return obj.attempt

    def get_status(self, obj) -> str:
        attempt = self._attempt(obj)
        return attempt.status if attempt is not None else "not_started"

    def get_score(self, obj) -> float | None:
        attempt = self._attempt(obj)
        return float(attempt.score) if attempt is not None and attempt.score is not None else None

    def get_max_score(self, obj) -> float | None:
        attempt = self._attempt(obj)
        return float(attempt.max_score) if attempt is not None else None

    def get_passed(self, obj) -> bool | None:
        attempt = self._attempt(obj)
        return attempt.passed if attempt is not None else None


class InspectionSerializer(serializers.ModelSerializer):
    org_unit = ScopedRelatedField(access=selectors.access_org_unit, help_text="The inspected unit")
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True)
    group = serializers.CharField(source="tenant.name", read_only=True)
    spot_checks = SpotResultSerializer(many=True, read_only=True)

    class Meta:
        model = Inspection
        fields = [
            "id",
            "org_unit",
            "org_unit_name",
            "group",
            "kind",
            "date",
            "inspectors",
            "notes",
            "spot_checks",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]


class InspectionFilter(django_filters.FilterSet):
    org_unit = django_filters.UUIDFilter(method="by_unit", help_text="An org unit: its whole subtree")
    kind = django_filters.ChoiceFilter(choices=Inspection.Kind.choices)
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = Inspection
        fields = ["org_unit", "kind", "date_from", "date_to"]

    def by_unit(self, qs, name, value):
        unit = selectors.access_org_unit(self.request.scope, value)
        return qs.filter(tenant_id=unit.tenant_id, org_unit__path__startswith=unit.path)


@extend_schema(responses={200: InspectionSerializer, 401: ERRORS[401], 403: WORKER_403, 404: ERRORS[404]})
@extend_schema_view(
    list=extend_schema(responses={200: InspectionSerializer(many=True), **ERRORS, 403: WORKER_403}),
)
class InspectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    model = Inspection
    serializer_class = InspectionSerializer
    filterset_class = InspectionFilter

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if inspection_selectors.worker_only(self.scope):
            raise exceptions.PermissionDenied()

    def scoped_queryset(self, scope):
        checks = SpotCheck.objects.select_related("person", "paper", "attempt").order_by("created_at")
        return (
            scope.filter_queryset(Inspection.objects.select_related("org_unit", "tenant"))
            .prefetch_related(Prefetch("spot_checks", queryset=checks))
            .order_by("-date", "-created_at")
        )

    @extend_schema(
        request=InspectionSerializer,
        responses={201: InspectionSerializer, **ERRORS, 403: WORKER_403},
    )
    def create(self, request):
        """Record an inspection (CONDUCT_INSPECTIONS on the inspected unit); draw people on the
        inspection's page."""
        data = InspectionSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        inspection = services.create_inspection(
            scope=self.scope,
            org_unit=v["org_unit"],
            user=request.user,
            kind=v["kind"],
            date=v["date"],
            inspectors=v["inspectors"],
            notes=v.get("notes", ""),
        )
        inspection = self.get_queryset().get(pk=inspection.pk)
        return Response(
            InspectionSerializer(inspection, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


router = SimpleRouter()
router.register("inspections", InspectionViewSet, basename="inspection")

urlpatterns = [*router.urls]
