"""API: the accident register.

``GET /api/v1/grading/accidents/`` (filters ``mine``, ``org_unit``, ``date_from``, ``date_to``,
``outsourced``) and ``/{id}/``; ``POST`` records an accident (MANAGE_GRADING on the mine);
``contractor_name`` (optional) names the outsourcing company whose staff were the casualties. A
fatal one changes the mine's valid grade at once by the accident rule of the grade's edition
(grading.AccidentRule); the response names the grade events it caused, and ``grade_warning`` the
consequence of an unverified rule (待核实), which changes nothing. The class is checked against
deaths, serious injuries and direct loss (国务院令第493号 Art. 3): a lower class than they imply is a
400 on ``accident_class``.
"""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from compliance.api import ScopedRelatedField, ScopedViewSet
from compliance.errors import ERRORS
from compliance.grading import accidents
from compliance.grading.models import Accident
from tenants import selectors

NO_BODY_ERRORS = {k: v for k, v in ERRORS.items() if k != 400}
FORBIDDEN = OpenApiResponse(
    description="Not permitted: no right to record accidents at this mine, or any write by a regulator"
)


class AccidentSerializer(serializers.ModelSerializer):
    mine = ScopedRelatedField(access=selectors.access_mine, help_text="The mine")
    mine_name = serializers.CharField(source="mine.name", read_only=True)
    group = serializers.CharField(source="tenant.name", read_only=True)
    deaths = serializers.IntegerField(min_value=0, max_value=32767, default=0)
    injuries = serializers.IntegerField(min_value=0, max_value=32767, default=0)
    serious_injuries = serializers.IntegerField(min_value=0, max_value=32767, default=0)
    direct_loss = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, default=0, help_text="Direct economic loss in 万元"
    )
    grade_events = serializers.SerializerMethodField(help_text="Grade events this accident caused")

    class Meta:
        model = Accident
        fields = [
            "id",
            "mine",
            "mine_name",
            "group",
            "occurred_on",
            "accident_class",
            "deaths",
            "injuries",
            "serious_injuries",
            "direct_loss",
            "description",
            "contractor_name",
            "grade_events",
            "grade_warning",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]

    grade_warning = serializers.SerializerMethodField(
        help_text="待核实: what an unverified accident rule would do to the grade (detail and create only)"
    )

    def get_grade_warning(self, obj) -> str:
        warnings = self.context.get("warnings") or {}
        return warnings.get(obj.pk, "")

    def get_grade_events(self, obj) -> list[str]:
        events = self.context.get("events") or {}
        return [str(pk) for pk in events.get(obj.pk, [])]


class AccidentFilter(django_filters.FilterSet):
    mine = django_filters.UUIDFilter(method="by_mine", help_text="A mine")
    org_unit = django_filters.UUIDFilter(method="by_unit", help_text="An org unit: its whole subtree")
    date_from = django_filters.DateFilter(field_name="occurred_on", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="occurred_on", lookup_expr="lte")
    outsourced = django_filters.BooleanFilter(
        method="by_outsourced",
        help_text="true: casualties were a contractor's staff (contractor_name set); false: own employees",
    )

    class Meta:
        model = Accident
        fields = ["mine", "org_unit", "date_from", "date_to", "outsourced"]

    def by_outsourced(self, qs, name, value):
        return accidents.by_outsourced(qs, value)

    def by_mine(self, qs, name, value):
        return qs.filter(mine=selectors.access_mine(self.request.scope, value))

    def by_unit(self, qs, name, value):
        unit = selectors.access_org_unit(self.request.scope, value)
        return qs.filter(tenant_id=unit.tenant_id, mine__path__startswith=unit.path)


@extend_schema(responses={200: AccidentSerializer, **NO_BODY_ERRORS})
@extend_schema_view(list=extend_schema(responses={200: AccidentSerializer(many=True), **ERRORS}))
class AccidentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Accidents at the mines in your scope."""

    model = Accident
    serializer_class = AccidentSerializer
    filterset_class = AccidentFilter

    def scoped_queryset(self, scope):
        return accidents.accident_list(scope=scope)

    def retrieve(self, request, *args, **kwargs):
        accident = self.get_object()
        return Response(AccidentSerializer(accident, context=self._one(request, accident)).data)

    def _one(self, request, accident) -> dict:
        return {
            "request": request,
            "events": {accident.pk: [e.pk for e in accidents.accident_events(accident)]},
            "warnings": {accident.pk: accidents.consequence_warning(accident)},
        }

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(page if page is not None else queryset)
        context = {"request": request, "events": accidents.events_by_accident(rows)}
        data = AccidentSerializer(rows, many=True, context=context).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    @extend_schema(request=AccidentSerializer, responses={201: AccidentSerializer, **ERRORS, 403: FORBIDDEN})
    def create(self, request):
        """Record an accident (MANAGE_GRADING on the mine). A fatal one downgrades or revokes the
        mine's valid grade by the configured rule."""
        data = AccidentSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        mine = values.pop("mine")
        accident = accidents.record_accident(scope=self.scope, mine=mine, data=values, actor=request.user)
        accident = self.get_queryset().get(pk=accident.pk)
        return Response(
            AccidentSerializer(accident, context=self._one(request, accident)).data,
            status=status.HTTP_201_CREATED,
        )


router = SimpleRouter()
router.register("grading/accidents", AccidentViewSet, basename="grading-accident")

urlpatterns = [*router.urls]
