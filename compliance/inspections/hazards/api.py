"""API: hidden dangers, their closed loop, findings of inspections and the major-hazard criteria.

- ``GET /api/v1/hazards/`` the register in the caller's scope (filters as on the page);
  ``POST`` registers a hazard (MANAGE_HAZARDS on the mine); ``GET /api/v1/hazards/<id>/`` one
  hazard with its whole history.
- ``POST /api/v1/hazards/<id>/confirm|reject|classify|plan|rectified|accept|close/``: the steps
  of the loop; a step the hazard's state does not allow answers 409. Photos (rectified, accept)
  as multipart ``photos``.
- ``POST /api/v1/hazards/report/``: a worker's report from the phone (multipart, with photos).
- ``GET|POST /api/v1/inspections/findings/``: findings of inspections (hazard, 三违, note).
- ``GET /api/v1/hazard-criteria/``: the major-hazard criteria (reference data, every login).
"""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from compliance.api import ScopedAPIMixin, ScopedRelatedField, ScopedViewSet
from compliance.drf import CappedPagination
from compliance.errors import ERRORS
from compliance.inspections import selectors as inspection_selectors
from compliance.pages import CappedPaginator
from tenants import selectors as tenant_selectors

from . import selectors, services
from .models import Criterion, Finding, Hazard, HazardEvent

CONFLICT = OpenApiResponse(description="The hazard's state does not allow this step")


def _access_inspection(scope, pk):
    return inspection_selectors.access_inspection(scope, pk)


def _access_criterion(scope, pk):
    return selectors.access_criterion(scope, pk)


class CriterionSerializer(serializers.ModelSerializer):
    catalogue = serializers.CharField(source="catalogue.code", read_only=True)
    document_no = serializers.CharField(source="catalogue.document_no", read_only=True)
    family = serializers.CharField(source="catalogue.family", read_only=True)

    class Meta:
        model = Criterion
        fields = [
            "id",
            "catalogue",
            "document_no",
            "family",
            "category_no",
            "category",
            "code",
            "text",
            "source",
            "verified",
        ]
        read_only_fields = fields


class HazardEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = HazardEvent
        fields = ["id", "action", "from_status", "to_status", "actor_name", "note", "at"]
        read_only_fields = fields


class HazardSerializer(serializers.ModelSerializer):
    mine = ScopedRelatedField(access=tenant_selectors.access_mine, help_text="The mine")
    mine_name = serializers.CharField(source="mine.name", read_only=True)
    group = serializers.CharField(source="tenant.name", read_only=True)
    criterion = ScopedRelatedField(access=_access_criterion, required=False, allow_null=True)
    overdue = serializers.SerializerMethodField()
    photo_count = serializers.SerializerMethodField()

    class Meta:
        model = Hazard
        fields = [
            "id", "number", "mine", "mine_name", "group", "location", "description", "grade", "criterion",
            "source", "status", "found_on", "found_by_name", "deadline", "responsible", "measures",
            "stop_scope", "stop_area", "escalation", "reported_at", "condition_gone_on", "overdue",
            "photo_count", "created_at",
        ]  # fmt: skip
        read_only_fields = [
            "id", "number", "status", "found_by_name", "deadline", "responsible", "measures", "stop_scope",
            "stop_area", "escalation", "reported_at", "condition_gone_on", "created_at",
        ]  # fmt: skip
        extra_kwargs = {"source": {"required": False, "default": Hazard.Source.SELF_CHECK}}

    def get_overdue(self, obj) -> bool:
        from django.utils import timezone

        return obj.overdue_on(timezone.localdate())

    def get_photo_count(self, obj) -> int:
        return len(obj.photos or [])


class HazardDetailSerializer(HazardSerializer):
    events = HazardEventSerializer(many=True, read_only=True)

    class Meta(HazardSerializer.Meta):
        fields = [*HazardSerializer.Meta.fields, "target", "funds", "materials", "organisation",
                  "safety_measures", "contingency", "events"]  # fmt: skip


class ClassifySerializer(serializers.Serializer):
    grade = serializers.ChoiceField(choices=Hazard.Grade.choices)
    criterion = ScopedRelatedField(access=_access_criterion, required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class RectificationPlanSerializer(serializers.Serializer):
    responsible = serializers.CharField(max_length=100)
    measures = serializers.CharField()
    deadline = serializers.DateField()
    target = serializers.CharField(required=False, allow_blank=True, default="")
    funds = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    materials = serializers.CharField(required=False, allow_blank=True, default="")
    organisation = serializers.CharField(required=False, allow_blank=True, default="")
    safety_measures = serializers.CharField(required=False, allow_blank=True, default="")
    contingency = serializers.CharField(required=False, allow_blank=True, default="")
    stop_scope = serializers.ChoiceField(choices=Hazard.StopScope.choices, required=False, default="")
    stop_area = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class PhotosSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")
    photos = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class AcceptSerializer(PhotosSerializer):
    passed = serializers.BooleanField()


class ReportSerializer(serializers.Serializer):
    mine = ScopedRelatedField(access=services.access_reportable_mine)
    location = serializers.CharField(max_length=200)
    description = serializers.CharField()
    photos = serializers.ListField(child=serializers.FileField(), min_length=1)


class HazardFilter(django_filters.FilterSet):
    mine = django_filters.UUIDFilter(method="by_mine", help_text="A mine or unit: its whole subtree")
    grade = django_filters.ChoiceFilter(choices=Hazard.Grade.choices)
    status = django_filters.ChoiceFilter(
        choices=[*Hazard.Status.choices, ("open", "open")], method="by_status", help_text="A status, or open"
    )
    source = django_filters.ChoiceFilter(choices=Hazard.Source.choices)
    overdue = django_filters.BooleanFilter(method="by_overdue")
    criterion = django_filters.UUIDFilter(field_name="criterion_id")
    found_from = django_filters.DateFilter(field_name="found_on", lookup_expr="gte")
    found_to = django_filters.DateFilter(field_name="found_on", lookup_expr="lte")

    class Meta:
        model = Hazard
        fields = ["mine", "grade", "status", "source", "overdue", "criterion", "found_from", "found_to"]

    def by_mine(self, qs, name, value):
        unit = tenant_selectors.access_org_unit(self.request.scope, value)
        return qs.filter(tenant_id=unit.tenant_id, mine__path__startswith=unit.path)

    def by_overdue(self, qs, name, value):
        from django.utils import timezone

        cond = selectors.q_overdue(timezone.localdate())
        return qs.filter(cond) if value else qs.exclude(cond)

    def by_status(self, qs, name, value):
        return qs.filter(status__in=Hazard.OPEN) if value == "open" else qs.filter(status=value)


class HazardPagination(CappedPagination):
    """The register counts at most ``selectors.REGISTER_COUNT_CAP`` rows, as its page does."""

    def django_paginator_class(self, rows, size):
        return CappedPaginator(rows, size, cap=selectors.REGISTER_COUNT_CAP)


@extend_schema(responses={200: HazardDetailSerializer, **ERRORS})
@extend_schema_view(list=extend_schema(responses={200: HazardSerializer(many=True), **ERRORS}))
class HazardViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    model = Hazard
    serializer_class = HazardSerializer
    filterset_class = HazardFilter
    pagination_class = HazardPagination  # a province's register is too long to count exactly

    def get_serializer_class(self):
        return HazardDetailSerializer if self.action == "retrieve" else HazardSerializer

    def scoped_queryset(self, scope):
        rows = selectors.register_rows(scope) if self.action == "list" else selectors.hazards(scope=scope)
        qs = rows.select_related("mine", "tenant", "criterion")
        if self.action == "retrieve":
            qs = qs.prefetch_related("events")
        return qs.order_by("-found_on", "-created_at")

    def _done(self, hazard, code=status.HTTP_200_OK):
        hazard = self.get_queryset().prefetch_related("events").get(pk=hazard.pk)
        return Response(HazardDetailSerializer(hazard, context={"request": self.request}).data, status=code)

    @extend_schema(request=HazardSerializer, responses={201: HazardDetailSerializer, **ERRORS})
    def create(self, request):
        """Register a hazard (MANAGE_HAZARDS on the mine). A criterion in force makes it 重大."""
        data = HazardSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        hazard = services.hazard_register(
            scope=self.scope,
            mine=v["mine"],
            user=request.user,
            location=v["location"],
            description=v["description"],
            source=v.get("source", Hazard.Source.SELF_CHECK),
            found_on=v.get("found_on"),
            grade=v.get("grade", Hazard.Grade.GENERAL),
            criterion=v.get("criterion"),
        )
        return self._done(hazard, status.HTTP_201_CREATED)

    def _step(self, request, serializer_class, run):
        # The body is checked first (it names no object but a criterion, looked up in scope), so a
        # malformed body is 400 whatever the id; then the hazard, 404 outside the scope.
        data = serializer_class(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        hazard = self.get_object()
        return self._done(run(hazard, data.validated_data))

    @extend_schema(
        request=ClassifySerializer, responses={200: HazardDetailSerializer, **ERRORS, 409: CONFLICT}
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """Confirm a worker's report into the register."""
        return self._step(
            request,
            ClassifySerializer,
            lambda h, v: services.hazard_confirm(
                scope=self.scope,
                hazard=h,
                user=request.user,
                grade=v["grade"],
                criterion=v.get("criterion"),
                note=v["note"],
            ),
        )

    @extend_schema(request=NoteSerializer, responses={200: HazardDetailSerializer, **ERRORS, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject a worker's report as not a hazard (say why)."""
        return self._step(
            request,
            NoteSerializer,
            lambda h, v: services.hazard_reject(
                scope=self.scope, hazard=h, user=request.user, note=v["note"]
            ),
        )

    @extend_schema(
        request=ClassifySerializer, responses={200: HazardDetailSerializer, **ERRORS, 409: CONFLICT}
    )
    @action(detail=True, methods=["post"])
    def classify(self, request, pk=None):
        """Change the class or criterion of an open hazard (never below a criterion in force)."""
        return self._step(
            request,
            ClassifySerializer,
            lambda h, v: services.hazard_classify(
                scope=self.scope, hazard=h, user=request.user, grade=v["grade"], criterion=v.get("criterion")
            ),
        )

    @extend_schema(
        request=RectificationPlanSerializer, responses={200: HazardDetailSerializer, **ERRORS, 409: CONFLICT}
    )
    @action(detail=True, methods=["post"])
    def plan(self, request, pk=None):
        """Save the rectification plan (a 重大 hazard: the whole treatment plan and the stop)."""
        return self._step(
            request,
            RectificationPlanSerializer,
            lambda h, v: services.hazard_plan(scope=self.scope, hazard=h, user=request.user, **v),
        )

    @extend_schema(request=PhotosSerializer, responses={200: HazardDetailSerializer, **ERRORS, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def rectified(self, request, pk=None):
        """Report the rectification done: the hazard waits for acceptance."""
        return self._step(
            request,
            PhotosSerializer,
            lambda h, v: services.hazard_rectified(
                scope=self.scope, hazard=h, user=request.user, note=v["note"], photos=v["photos"]
            ),
        )

    @extend_schema(request=AcceptSerializer, responses={200: HazardDetailSerializer, **ERRORS, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Acceptance by someone other than the rectifier; photos when it passes."""
        return self._step(
            request,
            AcceptSerializer,
            lambda h, v: services.hazard_accept(
                scope=self.scope,
                hazard=h,
                user=request.user,
                passed=v["passed"],
                note=v["note"],
                photos=v["photos"],
            ),
        )

    @extend_schema(request=NoteSerializer, responses={200: HazardDetailSerializer, **ERRORS, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close (销号) an accepted hazard."""
        return self._step(
            request,
            NoteSerializer,
            lambda h, v: services.hazard_close(scope=self.scope, hazard=h, user=request.user, note=v["note"]),
        )

    @extend_schema(request=ReportSerializer, responses={201: HazardDetailSerializer, **ERRORS})
    @action(detail=False, methods=["post"])
    def report(self, request):
        """A worker's report from the phone (随手拍), with at least one photo; a manager confirms it."""
        data = ReportSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        hazard = services.hazard_report(
            scope=self.scope,
            mine=v["mine"],
            user=request.user,
            location=v["location"],
            description=v["description"],
            photos=v["photos"],
        )
        return self._done(hazard, status.HTTP_201_CREATED)


class FindingSerializer(serializers.ModelSerializer):
    inspection = ScopedRelatedField(access=_access_inspection)
    person = ScopedRelatedField(access=tenant_selectors.access_person, required=False, allow_null=True)
    criterion = ScopedRelatedField(access=_access_criterion, required=False, allow_null=True, write_only=True)
    location = serializers.CharField(required=False, allow_blank=True, default="", write_only=True)
    grade = serializers.ChoiceField(
        choices=Hazard.Grade.choices, required=False, default="general", write_only=True
    )
    hazard = serializers.UUIDField(source="hazard_id", read_only=True, allow_null=True)

    class Meta:
        model = Finding
        fields = ["id", "inspection", "kind", "text", "person", "severity", "location", "grade", "criterion",
                  "hazard", "created_at"]  # fmt: skip
        read_only_fields = ["id", "hazard", "created_at"]


class FindingFilter(django_filters.FilterSet):
    inspection = django_filters.UUIDFilter(method="by_inspection")
    kind = django_filters.ChoiceFilter(choices=Finding.Kind.choices)

    class Meta:
        model = Finding
        fields = ["inspection", "kind"]

    def by_inspection(self, qs, name, value):
        return qs.filter(inspection=_access_inspection(self.request.scope, value))


@extend_schema(responses={200: FindingSerializer, **ERRORS})
@extend_schema_view(list=extend_schema(responses={200: FindingSerializer(many=True), **ERRORS}))
class FindingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    model = Finding
    serializer_class = FindingSerializer
    filterset_class = FindingFilter

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if inspection_selectors.worker_only(self.scope):
            raise exceptions.PermissionDenied()

    def scoped_queryset(self, scope):
        return scope.filter_queryset(Finding.objects.select_related("inspection", "person")).order_by(
            "-created_at"
        )

    @extend_schema(request=FindingSerializer, responses={201: FindingSerializer, **ERRORS})
    def create(self, request):
        """Record a finding on an inspection the caller runs; a hazard finding registers the hazard."""
        data = FindingSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        finding = services.finding_add(
            scope=self.scope,
            inspection=v["inspection"],
            user=request.user,
            kind=v["kind"],
            text=v["text"],
            person=v.get("person"),
            severity=v.get("severity", ""),
            location=v.get("location", ""),
            grade=v.get("grade", "general"),
            criterion=v.get("criterion"),
        )
        return Response(
            FindingSerializer(finding, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


@extend_schema_view(
    list=extend_schema(responses={200: CriterionSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: CriterionSerializer, **ERRORS}),
)
class CriterionViewSet(ScopedAPIMixin, viewsets.ReadOnlyModelViewSet):
    """The major-hazard criteria: national reference data, read by every login."""

    serializer_class = CriterionSerializer
    lookup_value_regex = "[0-9a-fA-F-]{32,36}"
    queryset = Criterion.objects.select_related("catalogue").order_by(
        "catalogue__family", "-catalogue__effective_from", "position"
    )
    filterset_fields = ["verified"]


router = SimpleRouter()
router.register("hazards", HazardViewSet, basename="hazard")
router.register("inspections/findings", FindingViewSet, basename="inspection-finding")
router.register("hazard-criteria", CriterionViewSet, basename="hazard-criterion")

urlpatterns = [*router.urls]
