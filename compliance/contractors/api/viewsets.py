"""API of outsourcing under ``/api/v1/contractors/…``: companies (the group's register),
qualifications, engagements (created and extended within the caps), staff assignments and
appraisals, and a mine's caps used. Thin: parse, call one service or selector, answer.

A refused engagement is a 400 whose messages name the rule and its document; an unverified rule
lets it through with its 待核实 text in ``warnings``.
"""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from compliance.api import ScopedRelatedField, ScopedViewSet
from compliance.contractors import selectors, services
from compliance.contractors.models import (
    AGREEMENT_KEYS,
    Appraisal,
    Contractor,
    Engagement,
    Qualification,
    StaffAssignment,
    WorkKind,
)
from compliance.contractors.permissions import VIEW_CONTRACTORS
from compliance.errors import ERRORS
from tenants import selectors as tenant_selectors
from tenants.models import OrgUnit

NO_BODY_ERRORS = {k: v for k, v in ERRORS.items() if k != 400}


def _require_view(scope) -> None:
    from django.core.exceptions import PermissionDenied

    if not scope.has_perm(VIEW_CONTRACTORS):
        raise PermissionDenied(VIEW_CONTRACTORS)


# --- companies -------------------------------------------------------------------------------------
class ContractorSerializer(serializers.ModelSerializer):
    group = serializers.CharField(source="tenant.name", read_only=True)
    work_kind = serializers.ChoiceField(choices=WorkKind.choices)

    class Meta:
        model = Contractor
        fields = [
            "id",
            "group",
            "name",
            "credit_code",
            "legal_representative",
            "contact_name",
            "contact_phone",
            "work_kind",
            "status",
            "status_reason",
            "status_on",
            "phase_out_proposed_on",
            "lapsed_since",
            "created_at",
        ]
        read_only_fields = [
            "id",
            "status",
            "status_reason",
            "status_on",
            "phase_out_proposed_on",
            "lapsed_since",
            "created_at",
        ]
        # The register's uniqueness (per group) is the service's to check, field by field.
        validators: list = []


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Contractor.Status.choices)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    on = serializers.DateField(required=False, allow_null=True, default=None)


class ContractorFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Contractor.Status.choices)
    work_kind = django_filters.ChoiceFilter(choices=WorkKind.choices)

    class Meta:
        model = Contractor
        fields = ["status", "work_kind"]


@extend_schema(responses={200: ContractorSerializer, **NO_BODY_ERRORS})
@extend_schema_view(list=extend_schema(responses={200: ContractorSerializer(many=True), **ERRORS}))
class ContractorViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Contractor companies in your group's register."""

    model = Contractor
    serializer_class = ContractorSerializer
    filterset_class = ContractorFilter

    def scoped_queryset(self, scope):
        return selectors.contractor_list(scope=scope).select_related("tenant")

    @extend_schema(request=ContractorSerializer, responses={201: ContractorSerializer, **ERRORS})
    def create(self, request):
        """Add a contractor (MANAGE_CONTRACTORS); the credit code is checked by its check character."""
        data = ContractorSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        contractor = services.contractor_create(scope=self.scope, data=dict(data.validated_data))
        return Response(ContractorSerializer(self.get_queryset().get(pk=contractor.pk)).data, status=201)

    @extend_schema(request=StatusSerializer, responses={200: ContractorSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, pk=None):
        """Approve, suspend, phase out (清退, with reason and date) or blacklist."""
        contractor = self.get_object()
        data = StatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.contractor_set_status(scope=self.scope, contractor=contractor, **data.validated_data)
        return Response(ContractorSerializer(self.get_queryset().get(pk=contractor.pk)).data)


# --- qualifications ----------------------------------------------------------------------------------
class QualificationSerializer(serializers.ModelSerializer):
    contractor = ScopedRelatedField(access=selectors.access_contractor, help_text="The contractor")
    kind = serializers.ChoiceField(choices=Qualification.Kind.choices)
    has_scan = serializers.SerializerMethodField()

    class Meta:
        model = Qualification
        fields = [
            "id",
            "contractor",
            "kind",
            "grade",
            "scope_text",
            "number",
            "issuer",
            "valid_from",
            "valid_until",
            "has_scan",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]
        validators: list = []

    def get_has_scan(self, obj) -> bool:
        return bool(obj.scan)


class QualificationFilter(django_filters.FilterSet):
    contractor = django_filters.UUIDFilter(method="by_contractor", help_text="A contractor")

    class Meta:
        model = Qualification
        fields = ["contractor"]

    def by_contractor(self, qs, name, value):
        return qs.filter(contractor=selectors.access_contractor(self.request.scope, value))


@extend_schema(responses={200: QualificationSerializer, **NO_BODY_ERRORS})
@extend_schema_view(list=extend_schema(responses={200: QualificationSerializer(many=True), **ERRORS}))
class QualificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Qualifications of the contractors in your register (scans on the contractor's page)."""

    model = Qualification
    serializer_class = QualificationSerializer
    filterset_class = QualificationFilter

    def scoped_queryset(self, scope):
        return scope.filter_queryset(Qualification.objects.all()).order_by(
            "contractor_id", "kind", "-valid_until"
        )

    @extend_schema(request=QualificationSerializer, responses={201: QualificationSerializer, **ERRORS})
    def create(self, request):
        """Record a qualification; a valid one lifts the holds a lapse placed on the staff."""
        data = QualificationSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        contractor = values.pop("contractor")
        qualification = services.qualification_record(scope=self.scope, contractor=contractor, data=values)
        return Response(QualificationSerializer(qualification).data, status=201)


# --- engagements -------------------------------------------------------------------------------------
class EngagementSerializer(serializers.ModelSerializer):
    mine = ScopedRelatedField(access=tenant_selectors.access_mine, help_text="The mine")
    mine_name = serializers.CharField(source="mine.name", read_only=True)
    contractor = ScopedRelatedField(access=selectors.access_contractor, help_text="The contractor")
    contractor_name = serializers.CharField(source="contractor.name", read_only=True)
    project_manager = ScopedRelatedField(
        access=tenant_selectors.access_person, help_text="The project manager"
    )
    parent = ScopedRelatedField(
        access=selectors.access_engagement,
        required=False,
        allow_null=True,
        help_text="The engagement this work is passed on under (转包/分包: refused)",
    )
    work_kind = serializers.ChoiceField(choices=WorkKind.choices)
    agreement_items = serializers.ListField(
        child=serializers.ChoiceField(choices=AGREEMENT_KEYS), required=False, max_length=len(AGREEMENT_KEYS)
    )
    warnings = serializers.SerializerMethodField(
        help_text="待核实: unverified rules this engagement does not meet"
    )

    class Meta:
        model = Engagement
        fields = [
            "id",
            "mine",
            "mine_name",
            "contractor",
            "contractor_name",
            "parent",
            "work_kind",
            "scope_of_work",
            "underground_system",
            "labour_only",
            "main_ventilation",
            "starts_on",
            "ends_on",
            "contract_number",
            "agreement_items",
            "project_manager",
            "project_manager_certificate",
            "warnings",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]
        validators: list = []

    def get_warnings(self, obj) -> list[str]:
        return (self.context.get("warnings") or {}).get(obj.pk, [])


class ExtendSerializer(serializers.Serializer):
    ends_on = serializers.DateField()


class EngagementFilter(django_filters.FilterSet):
    mine = django_filters.UUIDFilter(method="by_mine", help_text="A mine")
    contractor = django_filters.UUIDFilter(method="by_contractor", help_text="A contractor")

    class Meta:
        model = Engagement
        fields = ["mine", "contractor"]

    def by_mine(self, qs, name, value):
        return qs.filter(mine=tenant_selectors.access_mine(self.request.scope, value))

    def by_contractor(self, qs, name, value):
        return qs.filter(contractor=selectors.access_contractor(self.request.scope, value))


@extend_schema(responses={200: EngagementSerializer, **NO_BODY_ERRORS})
@extend_schema_view(list=extend_schema(responses={200: EngagementSerializer(many=True), **ERRORS}))
class EngagementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Outsourced projects at the mines in your scope."""

    model = Engagement
    serializer_class = EngagementSerializer
    filterset_class = EngagementFilter

    def scoped_queryset(self, scope):
        return selectors.engagement_list(scope=scope)

    @extend_schema(request=EngagementSerializer, responses={201: EngagementSerializer, **ERRORS})
    def create(self, request):
        """Engage a contractor at a mine (MANAGE_CONTRACTORS there), within the caps."""
        data = EngagementSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        mine, contractor, parent = values.pop("mine"), values.pop("contractor"), values.pop("parent", None)
        result = services.engagement_create(
            scope=self.scope, mine=mine, contractor=contractor, data=values, parent=parent, actor=request.user
        )
        engagement = self.get_queryset().get(pk=result.engagement.pk)
        context = {"warnings": {engagement.pk: result.warnings}}
        return Response(
            EngagementSerializer(engagement, context=context).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=ExtendSerializer, responses={200: EngagementSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def extend(self, request, pk=None):
        """Move the end date; a later end is checked against the caps again."""
        engagement = self.get_object()
        data = ExtendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.engagement_extend(
            scope=self.scope, engagement=engagement, ends_on=data.validated_data["ends_on"]
        )
        engagement = self.get_queryset().get(pk=engagement.pk)
        return Response(
            EngagementSerializer(engagement, context={"warnings": {engagement.pk: result.warnings}}).data
        )


# --- staff and appraisals ---------------------------------------------------------------------------
class StaffSerializer(serializers.ModelSerializer):
    engagement = ScopedRelatedField(access=selectors.access_engagement, help_text="The engagement")
    person = ScopedRelatedField(access=tenant_selectors.access_person, help_text="The person")
    person_name = serializers.CharField(source="person.name", read_only=True)
    contractor = serializers.UUIDField(source="contractor_id", read_only=True)

    class Meta:
        model = StaffAssignment
        fields = [
            "id",
            "engagement",
            "person",
            "person_name",
            "contractor",
            "assigned_on",
            "left_on",
            "created_at",
        ]
        read_only_fields = ["id", "left_on", "created_at"]
        extra_kwargs = {"assigned_on": {"required": False}}
        validators: list = []


class StaffFilter(django_filters.FilterSet):
    engagement = django_filters.UUIDFilter(method="by_engagement", help_text="An engagement")

    class Meta:
        model = StaffAssignment
        fields = ["engagement"]

    def by_engagement(self, qs, name, value):
        return qs.filter(engagement=selectors.access_engagement(self.request.scope, value))


@extend_schema(responses={200: StaffSerializer, **NO_BODY_ERRORS})
@extend_schema_view(list=extend_schema(responses={200: StaffSerializer(many=True), **ERRORS}))
class StaffViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Contractor staff assignments (a contractor's own staff see their own)."""

    model = StaffAssignment
    serializer_class = StaffSerializer
    filterset_class = StaffFilter

    def scoped_queryset(self, scope):
        return selectors.staff_list(scope=scope)

    @extend_schema(request=StaffSerializer, responses={201: StaffSerializer, **ERRORS})
    def create(self, request):
        """Assign a person of the group to an engagement (their employer becomes the contractor)."""
        data = StaffSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        assignment = services.staff_assign(
            scope=self.scope,
            engagement=values["engagement"],
            person=values["person"],
            assigned_on=values.get("assigned_on"),
        )
        return Response(StaffSerializer(self.get_queryset().get(pk=assignment.pk)).data, status=201)

    @extend_schema(request=None, responses={200: StaffSerializer, **NO_BODY_ERRORS})
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        """End the assignment (a hold it caused is lifted)."""
        assignment = services.staff_release(scope=self.scope, assignment=self.get_object())
        return Response(StaffSerializer(self.get_queryset().get(pk=assignment.pk)).data)


class AppraisalSerializer(serializers.ModelSerializer):
    engagement = ScopedRelatedField(access=selectors.access_engagement, help_text="The engagement")
    contractor = serializers.UUIDField(source="contractor_id", read_only=True)
    score = serializers.IntegerField(min_value=0, max_value=100)

    class Meta:
        model = Appraisal
        fields = ["id", "engagement", "contractor", "period", "score", "poor", "findings", "created_at"]
        read_only_fields = ["id", "poor", "created_at"]
        validators: list = []


@extend_schema(responses={200: AppraisalSerializer, **NO_BODY_ERRORS})
@extend_schema_view(list=extend_schema(responses={200: AppraisalSerializer(many=True), **ERRORS}))
class AppraisalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The mines' monthly appraisals of their contractors."""

    model = Appraisal
    serializer_class = AppraisalSerializer

    def scoped_queryset(self, scope):
        return selectors.appraisal_list(scope=scope)

    @extend_schema(request=AppraisalSerializer, responses={201: AppraisalSerializer, **ERRORS})
    def create(self, request):
        """Record a month's appraisal; the rule's number of poor ones in a row proposes phase-out."""
        data = AppraisalSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        appraisal = services.appraisal_record(
            scope=self.scope,
            engagement=values.pop("engagement"),
            actor=request.user,
            period=values["period"],
            score=values["score"],
            findings=values.get("findings", ""),
        )
        return Response(AppraisalSerializer(appraisal).data, status=201)


# --- a mine's caps ------------------------------------------------------------------------------------
class SystemCapSerializer(serializers.Serializer):
    system = serializers.CharField()
    contractors = serializers.IntegerField()
    at_most = serializers.IntegerField()


class MineCapsSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="pk")
    name = serializers.CharField()
    small = serializers.BooleanField(help_text="Counted as a small mine for the mining cap")
    mining_contractors = serializers.IntegerField()
    mining_at_most = serializers.IntegerField()
    systems = SystemCapSerializer(many=True)
    employees = serializers.IntegerField(required=False)
    contractor_staff = serializers.IntegerField(required=False)


def _caps_body(mine: OrgUnit, caps: dict, headcounts: dict | None = None) -> dict:
    body = {
        "pk": mine.pk,
        "name": mine.name,
        "small": caps["small"],
        "mining_contractors": caps["mining"][0],
        "mining_at_most": caps["mining"][1],
        "systems": [{"system": s, "contractors": n, "at_most": m} for s, (n, m) in caps["systems"].items()],
    }
    return body | (headcounts or {})


@extend_schema(responses={200: MineCapsSerializer, **NO_BODY_ERRORS})
@extend_schema_view(list=extend_schema(responses={200: MineCapsSerializer(many=True), **ERRORS}))
class MineCapsViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Each mine's outsourcing caps used today (and, for one mine, its head counts)."""

    model = OrgUnit
    serializer_class = MineCapsSerializer

    def scoped_queryset(self, scope):
        _require_view(scope)
        return selectors.mine_list(scope=scope)

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(page if page is not None else queryset)
        caps = selectors.caps_used(self.scope, [m.pk for m in rows])
        data = MineCapsSerializer([_caps_body(m, caps[m.pk]) for m in rows], many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request, *args, **kwargs):
        mine = self.get_object()
        caps = selectors.caps_used(self.scope, [mine.pk])[mine.pk]
        return Response(
            MineCapsSerializer(_caps_body(mine, caps, selectors.headcounts(self.scope, mine))).data
        )


router = SimpleRouter()
router.register("contractors/companies", ContractorViewSet, basename="contractor")
router.register("contractors/qualifications", QualificationViewSet, basename="contractor-qualification")
router.register("contractors/engagements", EngagementViewSet, basename="contractor-engagement")
router.register("contractors/staff", StaffViewSet, basename="contractor-staff")
router.register("contractors/appraisals", AppraisalViewSet, basename="contractor-appraisal")
router.register("contractors/mines", MineCapsViewSet, basename="contractor-mine")

urlpatterns = [*router.urls]
