"""API (read): grade certificates with their history, and each mine's grading status.

- ``GET /api/v1/grading/certificates/`` (filters ``level``, ``status``, ``mine``, ``org_unit``) and
  ``/{id}/`` — every certificate with its events, oldest first.
- ``GET /api/v1/grading/mines/`` (filters ``level``, ``permitted``, ``recheck``, ``deadline``,
  ``assessment``, ``org_unit`` — the same as the mine list page) and ``/{id}/`` — the level, the
  production permission and the countdowns of each mine, in a constant number of queries.
"""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from compliance.api import ScopedViewSet
from compliance.errors import ERRORS
from compliance.grading import dashboard, grades, production
from compliance.grading.models import GradeCertificate, GradeEvent, Level
from compliance.grading.scoring import level_name
from tenants import selectors
from tenants.models import OrgUnit

NO_BODY_ERRORS = {k: v for k, v in ERRORS.items() if k != 400}
BAD_FILTER = OpenApiResponse(description="A filter value that is not one of its choices")


class GradeEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = GradeEvent
        fields = ["id", "kind", "occurred_on", "from_level", "to_level", "reason", "check_score", "accident"]
        read_only_fields = fields


class GradeCertificateSerializer(serializers.ModelSerializer):
    mine_name = serializers.CharField(source="mine.name", read_only=True)
    group = serializers.CharField(source="tenant.name", read_only=True)
    level_name = serializers.SerializerMethodField()
    events = GradeEventSerializer(many=True, read_only=True)

    class Meta:
        model = GradeCertificate
        fields = [
            "id",
            "number",
            "mine",
            "mine_name",
            "group",
            "assessment",
            "awarded_level",
            "level",
            "level_name",
            "awarded_on",
            "recheck_due",
            "status",
            "events",
        ]
        read_only_fields = fields

    def get_level_name(self, obj) -> str:
        return level_name(obj.level)


class GradeCertificateFilter(django_filters.FilterSet):
    level = django_filters.TypedChoiceFilter(choices=Level.choices, coerce=int)
    status = django_filters.ChoiceFilter(choices=GradeCertificate.Status.choices)
    mine = django_filters.UUIDFilter(method="by_mine", help_text="A mine")
    org_unit = django_filters.UUIDFilter(method="by_unit", help_text="An org unit: its whole subtree")

    class Meta:
        model = GradeCertificate
        fields = ["level", "status", "mine", "org_unit"]

    def by_mine(self, qs, name, value):
        mine = selectors.access_mine(self.request.scope, value)
        return qs.filter(mine=mine)

    def by_unit(self, qs, name, value):
        unit = selectors.access_org_unit(self.request.scope, value)
        return qs.filter(tenant_id=unit.tenant_id, mine__path__startswith=unit.path)


@extend_schema(responses={200: GradeCertificateSerializer, **NO_BODY_ERRORS})
@extend_schema_view(
    list=extend_schema(
        responses={200: GradeCertificateSerializer(many=True), **NO_BODY_ERRORS, 400: BAD_FILTER}
    )
)
class GradeCertificateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Grade certificates in your scope, each with its history (award, downgrades, failed spot
    checks, re-checks, revocation, lapse)."""

    model = GradeCertificate
    serializer_class = GradeCertificateSerializer
    filterset_class = GradeCertificateFilter

    def scoped_queryset(self, scope):
        # The certificates are scoped; their events belong to them (same tenant, same mine).
        events = GradeEvent.dangerously_unscoped.order_by("occurred_on", "created_at")
        return grades.certificate_list(scope=scope).prefetch_related(Prefetch("events", queryset=events))


class RuleWarningSerializer(serializers.Serializer):
    text = serializers.CharField()
    source = serializers.CharField(help_text="The document and article to check")


class ProductionStopSerializer(serializers.Serializer):
    reason = serializers.CharField()
    area = serializers.CharField(allow_blank=True, help_text="Blank: the whole mine is stopped")
    since = serializers.DateField(allow_null=True)
    binding = serializers.BooleanField(
        help_text="False: rests on an unverified criterion (待核实), a warning that stops nothing"
    )
    source = serializers.CharField(allow_blank=True, help_text="The document behind it")
    url = serializers.CharField(allow_blank=True)


class MineStatusSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="mine.pk")
    name = serializers.CharField(source="mine.name")
    group = serializers.CharField(source="mine.tenant.name")
    mine_type = serializers.SerializerMethodField()
    production_status = serializers.CharField(allow_blank=True)
    level = serializers.IntegerField(
        allow_null=True, help_text="Of a valid grade whose re-check is not past due"
    )
    level_name = serializers.CharField(source="level_label")
    certificate = serializers.UUIDField(source="mine.grade_certificate_id", allow_null=True)
    certificate_number = serializers.CharField(source="mine.grade_number", allow_null=True)
    certificate_status = serializers.CharField(allow_null=True)
    recheck_due = serializers.DateField(allow_null=True)
    recheck_overdue = serializers.BooleanField()
    permitted_to_produce = serializers.BooleanField(
        source="permitted",
        allow_null=True,
        help_text="Whether it may produce: false for a coal mine without a grade that counts and for "
        "any mine a major hazard stops as a whole; null for a non-coal mine otherwise",
    )
    level3_deadline = serializers.DateField(
        allow_null=True, help_text="A producing non-coal mine: the date it must reach Level 3 by"
    )
    level3_days_left = serializers.IntegerField(allow_null=True, help_text="Negative: overdue")
    level3_overdue = serializers.BooleanField()
    level1_eligible_on = serializers.DateField(
        allow_null=True, help_text="A Level 2 mine: the first day it may apply for Level 1"
    )
    last_accident_on = serializers.DateField(allow_null=True)
    assessment_in_progress = serializers.BooleanField()
    stopped_since = serializers.DateField(allow_null=True, help_text="A stopped (suspended) mine: since when")
    warnings = RuleWarningSerializer(
        many=True, help_text="待核实: consequences of unverified rules, shown but not acted on"
    )
    stops = ProductionStopSerializer(
        many=True, help_text="Production stops (e.g. a major hazard until accepted): the mine or an area"
    )
    grade = serializers.CharField(source="grade_words", help_text="The grade, in words")
    production = serializers.CharField(source="production_words", help_text="Production permission, in words")

    def get_mine_type(self, obj) -> str | None:
        profile = getattr(obj.mine, "mine_profile", None)
        return profile.mine_type if profile is not None else None


class MineStatusFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(
        choices=[(v, v) for v in dashboard.LEVEL_VALUES], method="passthrough", help_text="1, 2, 3 or none"
    )
    permitted = django_filters.ChoiceFilter(
        choices=[(v, v) for v in dashboard.PERMITTED_VALUES],
        method="passthrough",
        help_text="Coal mines: no (not permitted to produce) or yes",
    )
    recheck = django_filters.ChoiceFilter(
        choices=[(v, v) for v in dashboard.RECHECK_VALUES],
        method="passthrough",
        help_text="due (90 days) or overdue",
    )
    deadline = django_filters.ChoiceFilter(
        choices=[(v, v) for v in dashboard.DEADLINE_VALUES],
        method="passthrough",
        help_text="overdue: producing non-coal mines past their deadline for Level 3",
    )
    assessment = django_filters.ChoiceFilter(
        choices=[(v, v) for v in dashboard.ASSESSMENT_VALUES],
        method="passthrough",
        help_text="Mines with an assessment in this state",
    )
    org_unit = django_filters.UUIDFilter(method="by_unit", help_text="An org unit: its whole subtree")

    class Meta:
        model = OrgUnit
        fields = ["level", "permitted", "recheck", "deadline", "assessment", "org_unit"]

    def passthrough(self, qs, name, value: str):
        return qs.filter(dashboard.mine_filter(today=timezone.localdate(), **{name: value}))

    def by_unit(self, qs, name, value):
        unit = selectors.access_org_unit(self.request.scope, value)
        return qs.filter(tenant_id=unit.tenant_id, path__startswith=unit.path)


@extend_schema(responses={200: MineStatusSerializer, **NO_BODY_ERRORS})
@extend_schema_view(
    list=extend_schema(responses={200: MineStatusSerializer(many=True), **NO_BODY_ERRORS, 400: BAD_FILTER})
)
class MineGradingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Each mine's grading status: level, production permission, countdowns."""

    model = OrgUnit
    serializer_class = MineStatusSerializer
    filterset_class = MineStatusFilter

    def scoped_queryset(self, scope):
        return production.graded_mines(scope=scope)

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        if page is None:
            return Response(
                MineStatusSerializer(production.statuses(queryset, scope=request.scope), many=True).data
            )
        return self.get_paginated_response(
            MineStatusSerializer(production.statuses(page, scope=request.scope), many=True).data
        )

    def retrieve(self, request, *args, **kwargs):
        return Response(
            MineStatusSerializer(production.statuses([self.get_object()], scope=request.scope)[0]).data
        )


router = SimpleRouter()
router.register("grading/certificates", GradeCertificateViewSet, basename="grade-certificate")
router.register("grading/mines", MineGradingViewSet, basename="grading-mine")

urlpatterns = [*router.urls]
