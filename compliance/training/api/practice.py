"""API of supervised practice (师带徒) of new underground coal workers.

- ``GET /api/v1/training/supervised-practices/`` and ``/{id}/`` — practices in your scope (a
  worker: their own), with whether the worker is still in practice today (not qualified alone).
- ``POST /api/v1/training/supervised-practices/`` — record one (MANAGE_TRAINING at the worker's
  unit; never a regulator); the end date follows from the rule pack of the worker's mine.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from compliance.api import ScopedRelatedField, ScopedViewSet
from compliance.errors import ERRORS
from compliance.training import practice
from compliance.training.models import SupervisedPractice
from tenants import selectors


class PracticeSerializer(serializers.ModelSerializer):
    person = ScopedRelatedField(access=selectors.access_person)
    mentor = ScopedRelatedField(access=selectors.access_person)
    person_name = serializers.CharField(source="person.name", read_only=True)
    mentor_name = serializers.CharField(source="mentor.name", read_only=True)
    in_practice = serializers.SerializerMethodField(
        help_text="Still in practice today: not counted as qualified to work alone"
    )

    class Meta:
        model = SupervisedPractice
        fields = [
            "id",
            "person",
            "person_name",
            "mentor",
            "mentor_name",
            "starts_on",
            "ends_on",
            "note",
            "in_practice",
        ]
        read_only_fields = ["id", "ends_on"]
        validators: list = []  # the service checks everything, with clearer messages

    def get_in_practice(self, obj) -> bool:
        today = self.context.get("today") or timezone.localdate()
        return obj.starts_on <= today < obj.ends_on


@extend_schema(responses={200: PracticeSerializer, **ERRORS})
class PracticeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    model = SupervisedPractice
    serializer_class = PracticeSerializer
    filter_backends: list = []

    def scoped_queryset(self, scope):
        return practice.practice_list(scope=scope)

    def get_serializer_context(self):
        return super().get_serializer_context() | {"today": timezone.localdate()}

    @extend_schema(request=PracticeSerializer, responses={201: PracticeSerializer, **ERRORS})
    def create(self, request):
        data = PracticeSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        record = practice.practice_record(
            scope=self.scope,
            person=fields["person"],
            mentor=fields["mentor"],
            starts_on=fields["starts_on"],
            note=fields.get("note", ""),
        )
        return Response(
            PracticeSerializer(record, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


router = SimpleRouter()
router.register("training/supervised-practices", PracticeViewSet, basename="training-practice")

urlpatterns = router.urls
