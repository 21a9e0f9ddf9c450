"""API of agency-owned records (DESIGN.md "Agency-owned records"):

- ``GET|POST /api/v1/agency/inspections/``, ``GET …/<id>/``: a regulator's inspections of mines of
  its region (its agency's only); the mine's group reads those about its mines.
- ``GET|POST /api/v1/agency/findings/``, ``GET …/<id>/``: their findings; ``POST …/<id>/register/``
  — a manager of the mine registers a hazard finding into the mine's register (source "regulator").
- ``GET|POST /api/v1/agency/spot-exams/``, ``GET …/<id>/``, ``POST …/<id>/code/``: 逢查必考 by the
  regulator — draw people at the inspected mine, issue each a one-time code for their phone, read
  the results (a failure suspends the person from post on the agency's order).
- ``GET|POST /api/v1/agency/supervision/``, ``GET …/<id>/``, ``POST …/<id>/close/``: 挂牌督办.

A regulator's writes here are not refused by its read-only scope (``agency_records``); everything
else it sends stays refused."""

from __future__ import annotations

import django_filters
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from compliance.api import ScopedRelatedField, ScopedViewSet
from compliance.errors import ERRORS
from compliance.inspections import selectors as inspection_selectors
from compliance.inspections.hazards import selectors as hazard_selectors
from compliance.inspections.hazards.api import HazardDetailSerializer
from tenants import selectors as tenant_selectors

from . import selectors, services
from .models import AgencyFinding, AgencyInspection, AgencySpotCheck, SupervisionListing


class AgencyInspectionSerializer(serializers.ModelSerializer):
    mine = ScopedRelatedField(access=tenant_selectors.access_mine, help_text="A mine of the agency's region")
    mine_name = serializers.CharField(source="mine.name", read_only=True)
    group = serializers.CharField(source="tenant.name", read_only=True)
    agency_name = serializers.CharField(source="agency.name", read_only=True)

    class Meta:
        model = AgencyInspection
        fields = [
            "id", "agency_name", "mine", "mine_name", "group", "kind", "inspected_on", "inspectors",
            "summary", "created_at",
        ]  # fmt: skip
        read_only_fields = ["id", "created_at"]


class AgencyFindingSerializer(serializers.ModelSerializer):
    inspection = ScopedRelatedField(access=selectors.access_inspection)
    criterion = ScopedRelatedField(access=hazard_selectors.access_criterion, required=False, allow_null=True)
    hazard = serializers.SerializerMethodField()

    class Meta:
        model = AgencyFinding
        fields = [
            "id", "inspection", "kind", "text", "location", "grade", "criterion", "deadline", "hazard",
            "created_at",
        ]  # fmt: skip
        read_only_fields = ["id", "created_at"]

    def get_hazard(self, obj) -> str | None:
        """The hazard this finding became in the mine's register (not shown to the agency)."""
        # Loaded by findings_of (pages) or the list's join; none: a missing reverse one-to-one
        # raises an AttributeError subclass, which getattr turns into None.
        hazard = getattr(obj, "registered_hazard", None) or getattr(obj, "hazard", None)
        request = self.context.get("request")
        if hazard is None or request is None or request.scope.is_regulator:
            return None
        return str(hazard.pk)


class SupervisionListingSerializer(serializers.ModelSerializer):
    hazard = ScopedRelatedField(
        access=hazard_selectors.access_hazard, help_text="A major hazard of the region"
    )
    hazard_number = serializers.CharField(source="hazard.number", read_only=True)
    mine = serializers.UUIDField(source="mine_id", read_only=True)
    mine_name = serializers.CharField(source="mine.name", read_only=True)
    group = serializers.CharField(source="tenant.name", read_only=True)

    class Meta:
        model = SupervisionListing
        fields = [
            "id", "hazard", "hazard_number", "mine", "mine_name", "group", "authority", "document_no",
            "listed_on", "deadline", "status", "closed_on", "closing_note", "created_at",
        ]  # fmt: skip
        read_only_fields = ["id", "mine", "status", "closed_on", "closing_note", "created_at"]
        extra_kwargs = {"authority": {"required": False}}


class AgencySpotCheckSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)
    employee_no = serializers.CharField(source="person.employee_no", read_only=True)
    paper_title = serializers.CharField(source="paper.title", read_only=True)
    status = serializers.SerializerMethodField()
    score = serializers.DecimalField(
        source="attempt.score", max_digits=6, decimal_places=2, read_only=True, allow_null=True, default=None
    )
    passed = serializers.BooleanField(source="attempt.passed", read_only=True, allow_null=True, default=None)
    suspended = serializers.SerializerMethodField()

    class Meta:
        model = AgencySpotCheck
        fields = [
            "id", "inspection", "person", "person_name", "employee_no", "paper", "paper_title", "status",
            "score", "passed", "suspended", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_status(self, obj) -> str:
        """not_started, or the attempt's status (in_progress, submitted, …)."""
        return obj.attempt.status if obj.attempt_id else "not_started"

    def get_suspended(self, obj) -> bool:
        """Whether the failure keeps the person suspended from post (by the agency's order)."""
        return bool(getattr(obj, "open_suspension_id", None))


class SpotDrawSerializer(serializers.Serializer):
    inspection = ScopedRelatedField(access=selectors.access_inspection)
    paper = serializers.UUIDField(help_text="An active spot-exam paper of the mine's group")
    count = serializers.IntegerField(min_value=1, max_value=inspection_selectors.MAX_DRAW)


class SpotCodeSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Six digits, shown once, typed on the spot-exam page")
    expires_at = serializers.DateTimeField()
    link = serializers.CharField()


class CloseSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class _ByMine(django_filters.FilterSet):
    mine = django_filters.UUIDFilter(method="by_mine", help_text="A mine (a foreign one is 404)")

    def by_mine(self, qs, name, value):
        return qs.filter(mine=tenant_selectors.access_mine(self.request.scope, value))


class InspectionFilter(_ByMine):
    inspected_from = django_filters.DateFilter(field_name="inspected_on", lookup_expr="gte")
    inspected_to = django_filters.DateFilter(field_name="inspected_on", lookup_expr="lte")
    kind = django_filters.ChoiceFilter(choices=AgencyInspection.Kind.choices)

    class Meta:
        model = AgencyInspection
        fields = []


class ListingFilter(_ByMine):
    status = django_filters.ChoiceFilter(choices=SupervisionListing.Status.choices)

    class Meta:
        model = SupervisionListing
        fields = []


class _AgencyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    agency_records = True

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if inspection_selectors.worker_only(self.scope):
            raise exceptions.PermissionDenied()

    def _body(self, serializer_class):
        data = serializer_class(data=self.request.data, context={"request": self.request})
        data.is_valid(raise_exception=True)
        return data.validated_data

    def _keeper(self):
        if not selectors.keeps_records(self.scope):
            raise exceptions.PermissionDenied()


@extend_schema_view(
    list=extend_schema(responses={200: AgencyInspectionSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: AgencyInspectionSerializer, **ERRORS}),
)
class AgencyInspectionViewSet(_AgencyViewSet):
    model = AgencyInspection
    serializer_class = AgencyInspectionSerializer
    filterset_class = InspectionFilter

    def scoped_queryset(self, scope):
        return (
            selectors.inspections(scope=scope)
            .select_related("agency", "mine", "tenant")
            .order_by("-inspected_on", "-created_at")
        )

    @extend_schema(request=AgencyInspectionSerializer, responses={201: AgencyInspectionSerializer, **ERRORS})
    def create(self, request):
        """Record an inspection at a mine of the agency's region (regulators only)."""
        self._keeper()
        v = self._body(AgencyInspectionSerializer)
        inspection = services.inspection_record(scope=self.scope, user=request.user, **v)
        inspection = self.get_queryset().get(pk=inspection.pk)
        return Response(AgencyInspectionSerializer(inspection).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(responses={200: AgencyFindingSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: AgencyFindingSerializer, **ERRORS}),
)
class AgencyFindingViewSet(_AgencyViewSet):
    model = AgencyFinding
    serializer_class = AgencyFindingSerializer

    def scoped_queryset(self, scope):
        return selectors.finding_list(scope=scope)

    def _out(self, finding, code=status.HTTP_200_OK):
        return Response(AgencyFindingSerializer(finding, context={"request": self.request}).data, status=code)

    @extend_schema(request=AgencyFindingSerializer, responses={201: AgencyFindingSerializer, **ERRORS})
    def create(self, request):
        """Record a finding on one of the agency's inspections (regulators only)."""
        self._keeper()
        v = self._body(AgencyFindingSerializer)
        finding = services.finding_add(
            scope=self.scope,
            inspection=v["inspection"],
            kind=v["kind"],
            text=v["text"],
            location=v.get("location", ""),
            grade=v.get("grade", ""),
            criterion=v.get("criterion"),
            deadline=v.get("deadline"),
        )
        return self._out(finding, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={201: HazardDetailSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def register(self, request, pk=None):
        """A manager of the mine registers this hazard finding into the mine's register."""
        finding = self.get_object()
        if not selectors.can_register(self.scope, finding):
            raise exceptions.PermissionDenied()
        hazard = services.finding_register(scope=self.scope, finding=finding, user=request.user)
        hazard = hazard_selectors.hazards(scope=self.scope).prefetch_related("events").get(pk=hazard.pk)
        return Response(
            HazardDetailSerializer(hazard, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


class SpotCheckFilter(django_filters.FilterSet):
    inspection = django_filters.UUIDFilter(
        method="by_inspection", help_text="An inspection (a foreign one is 404)"
    )

    def by_inspection(self, qs, name, value):
        return qs.filter(inspection=selectors.access_inspection(self.request.scope, value))

    class Meta:
        model = AgencySpotCheck
        fields = []


@extend_schema_view(
    list=extend_schema(responses={200: AgencySpotCheckSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: AgencySpotCheckSerializer, **ERRORS}),
)
class AgencySpotCheckViewSet(_AgencyViewSet):
    model = AgencySpotCheck
    serializer_class = AgencySpotCheckSerializer
    filterset_class = SpotCheckFilter

    def scoped_queryset(self, scope):
        return selectors.spot_check_list(scope=scope)

    @extend_schema(
        request=SpotDrawSerializer, responses={201: AgencySpotCheckSerializer(many=True), **ERRORS}
    )
    def create(self, request):
        """Draw people on post at the inspected mine for a spot exam (regulators only)."""
        self._keeper()
        v = self._body(SpotDrawSerializer)
        inspection = v["inspection"]
        papers = {p.pk: p for p in inspection_selectors.spot_papers_for(inspection.mine)}
        checks = services.spot_draw(
            scope=self.scope, inspection=inspection, paper=papers.get(v["paper"]), count=v["count"]
        )
        rows = self.get_queryset().filter(pk__in=[c.pk for c in checks])
        return Response(AgencySpotCheckSerializer(rows, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={201: SpotCodeSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def code(self, request, pk=None):
        """A one-time code for the drawn person's phone (any earlier one stops working)."""
        self._keeper()
        check = self.get_object()
        code = services.spot_code_issue(scope=self.scope, spot_check=check)
        link = request.build_absolute_uri(f"{reverse('inspections:spot-enter')}?s={check.pk}")
        body = {"code": code, "expires_at": check.code_expires_at, "link": link}
        return Response(SpotCodeSerializer(body).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(responses={200: SupervisionListingSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: SupervisionListingSerializer, **ERRORS}),
)
class SupervisionListingViewSet(_AgencyViewSet):
    model = SupervisionListing
    serializer_class = SupervisionListingSerializer
    filterset_class = ListingFilter

    def scoped_queryset(self, scope):
        return (
            selectors.listings(scope=scope)
            .select_related("mine", "hazard", "tenant")
            .order_by("status", "deadline", "-listed_on")
        )

    def _out(self, listing, code=status.HTTP_200_OK):
        listing = self.get_queryset().get(pk=listing.pk)
        return Response(SupervisionListingSerializer(listing).data, status=code)

    @extend_schema(
        request=SupervisionListingSerializer, responses={201: SupervisionListingSerializer, **ERRORS}
    )
    def create(self, request):
        """List a major hazard of the agency's region for supervision (挂牌督办; regulators only)."""
        self._keeper()
        v = self._body(SupervisionListingSerializer)
        listing = services.supervision_list(
            scope=self.scope,
            hazard=v["hazard"],
            user=request.user,
            listed_on=v["listed_on"],
            deadline=v["deadline"],
            document_no=v.get("document_no", ""),
            authority=v.get("authority", ""),
        )
        return self._out(listing, status.HTTP_201_CREATED)

    @extend_schema(request=CloseSerializer, responses={200: SupervisionListingSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close the listing (摘牌) once the mine's acceptance has passed (the listing agency only)."""
        self._keeper()
        v = self._body(CloseSerializer)
        listing = services.supervision_close(
            scope=self.scope, listing=self.get_object(), user=request.user, note=v["note"]
        )
        return self._out(listing)


router = SimpleRouter()
router.register("agency/inspections", AgencyInspectionViewSet, basename="agency-inspection")
router.register("agency/findings", AgencyFindingViewSet, basename="agency-finding")
router.register("agency/spot-exams", AgencySpotCheckViewSet, basename="agency-spot-check")
router.register("agency/supervision", SupervisionListingViewSet, basename="agency-listing")

urlpatterns = [*router.urls]
