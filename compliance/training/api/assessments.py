"""API of the managers' statutory assessment sittings (安全生产知识和管理能力考核).

- ``GET /api/v1/training/assessment-sittings/`` and ``/{id}/`` — sittings in your scope (a worker:
  their own), oldest first; ``?person=`` narrows to one person (a foreign one is 404).
- ``POST /api/v1/training/assessment-sittings/`` — record one as the assessing authority held it
  (MANAGE_TRAINING at the person's unit; never a regulator). A sitting inside the year's wait
  after a failed re-sit is refused when that rule is verified; otherwise it is recorded and the
  answer's ``warnings`` name the rule to check (待核实).
"""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from compliance.api import ScopedRelatedField, ScopedViewSet
from compliance.errors import ERRORS
from compliance.training import assessments
from compliance.training.models import ManagerAssessmentSitting
from tenants import selectors


class SittingSerializer(serializers.ModelSerializer):
    person = ScopedRelatedField(access=selectors.access_person)
    person_name = serializers.CharField(source="person.name", read_only=True)
    score = serializers.DecimalField(
        max_digits=4, decimal_places=1, min_value=0, max_value=100, required=False, allow_null=True
    )
    warnings = serializers.SerializerMethodField(
        help_text="On a new sitting: consequences of unverified rules (待核实) with the source to check"
    )

    class Meta:
        model = ManagerAssessmentSitting
        fields = [
            "id",
            "person",
            "person_name",
            "kind",
            "applied_on",
            "sat_on",
            "authority",
            "result",
            "score",
            "created_at",
            "warnings",
        ]
        read_only_fields = ["id", "kind", "created_at"]
        validators: list = []  # the service checks everything, with clearer messages

    def get_warnings(self, obj) -> list[str]:
        return self.context.get("warnings", [])


class SittingFilter(django_filters.FilterSet):
    person = django_filters.UUIDFilter(method="by_person", help_text="One person's sittings")

    class Meta:
        model = ManagerAssessmentSitting
        fields = ["person"]

    def by_person(self, qs, name, value):
        person = selectors.access_person(self.request.scope, value)
        return qs.filter(person_id=person.pk)


@extend_schema(responses={200: SittingSerializer, **ERRORS})
class SittingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    model = ManagerAssessmentSitting
    serializer_class = SittingSerializer
    filterset_class = SittingFilter

    def scoped_queryset(self, scope):
        return assessments.sitting_list(scope=scope)

    @extend_schema(request=SittingSerializer, responses={201: SittingSerializer, **ERRORS})
    def create(self, request):
        data = SittingSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        sitting, warnings = assessments.sitting_record(
            scope=self.scope, person=fields["person"], data=fields, by=request.user
        )
        return Response(
            SittingSerializer(sitting, context=self.get_serializer_context() | {"warnings": warnings}).data,
            status=status.HTTP_201_CREATED,
        )


router = SimpleRouter()
router.register("training/assessment-sittings", SittingViewSet, basename="training-assessment-sitting")

urlpatterns = router.urls
