"""Read-only API of the grading standards library (imports are done on the pages).

- ``GET /api/v1/grading/standards/`` and ``/{id}/`` — the standards the caller may read (national
  ones for anyone with ``view_grading``, regulators included; a group's internal ones for that
  group only), each with its versions.
- ``GET /api/v1/grading/versions/{id}/`` — one version with its parts, items and level rules.
"""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.routers import SimpleRouter

from compliance.api import ScopedViewSet
from compliance.errors import ERRORS
from compliance.grading.models import Item, LevelRule, Part, Standard, StandardVersion
from compliance.grading.selectors import visible_standards, visible_versions

LIST_ERRORS = {k: v for k, v in ERRORS.items() if k not in (400, 404)} | {
    404: OpenApiResponse(description="No such page of the list")
}
DETAIL_ERRORS = {k: v for k, v in ERRORS.items() if k != 400}


class _Reference:
    """Standards are reference data, not tenant-owned: for the schema generator's empty queryset
    (``ScopedViewSet`` asks ``model.dangerously_unscoped``)."""

    def __init__(self, model):
        self.dangerously_unscoped = model.objects


class VersionSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = StandardVersion
        fields = ["id", "label", "document_no", "effective_from", "effective_to", "recheck_months"]


class StandardSerializer(serializers.ModelSerializer):
    is_national = serializers.BooleanField(read_only=True)
    versions = VersionSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Standard
        fields = ["id", "code", "name", "method", "mine_types", "is_national", "versions"]


class PartSerializer(serializers.ModelSerializer):
    parent = serializers.IntegerField(source="parent_id", allow_null=True, read_only=True)

    class Meta:
        model = Part
        fields = ["id", "code", "name", "parent", "weight", "position"]


class ItemSerializer(serializers.ModelSerializer):
    part = serializers.IntegerField(source="part_id", read_only=True)

    class Meta:
        model = Item
        fields = ["id", "code", "part", "title", "max_points", "guidance", "is_veto", "position"]


class LevelRuleSerializer(serializers.ModelSerializer):
    part_minimums = serializers.DictField(child=serializers.FloatField(), read_only=True)
    fatal_lookback_years = serializers.DictField(child=serializers.IntegerField(), read_only=True)

    class Meta:
        model = LevelRule
        fields = [
            "level",
            "min_total",
            "min_every_part",
            "part_minimums",
            "fatal_lookback_years",
            "clean_history_days",
            "source",
            "verified",
        ]


class VersionSerializer(serializers.ModelSerializer):
    standard = serializers.IntegerField(source="standard_id", read_only=True)
    standard_code = serializers.CharField(source="standard.code", read_only=True)
    standard_name = serializers.CharField(source="standard.name", read_only=True)
    method = serializers.CharField(source="standard.method", read_only=True)
    preconditions = serializers.ListField(child=serializers.CharField(), read_only=True)
    parts = PartSerializer(many=True, read_only=True)
    items = ItemSerializer(many=True, read_only=True)
    level_rules = LevelRuleSerializer(many=True, read_only=True)

    class Meta:
        model = StandardVersion
        fields = [
            "id",
            "standard",
            "standard_code",
            "standard_name",
            "method",
            "label",
            "document_no",
            "effective_from",
            "effective_to",
            "preconditions",
            "recheck_months",
            # The provenance of the re-check interval (grading.rules, kind grading.recheck).
            "source",
            "verified",
            "notes",
            "parts",
            "items",
            "level_rules",
        ]


class _ReadOnly(ScopedViewSet):
    lookup_value_regex = "[0-9]{1,18}"


@extend_schema_view(
    list=extend_schema(responses={200: StandardSerializer, **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: StandardSerializer, **DETAIL_ERRORS}),
)
class StandardViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _ReadOnly):
    """Grading standards: national ones and your group's own, each with its versions."""

    model = _Reference(Standard)
    serializer_class = StandardSerializer

    def scoped_queryset(self, scope):
        return (
            visible_standards(scope)
            .prefetch_related(
                Prefetch("versions", queryset=StandardVersion.objects.order_by("-effective_from"))
            )
            .order_by("owner_tenant_id", "code")
        )


@extend_schema_view(retrieve=extend_schema(responses={200: VersionSerializer, **DETAIL_ERRORS}))
class VersionViewSet(mixins.RetrieveModelMixin, _ReadOnly):
    """One standard version with its parts, items and level rules."""

    model = _Reference(StandardVersion)
    serializer_class = VersionSerializer

    def scoped_queryset(self, scope):
        return visible_versions(scope).prefetch_related(
            Prefetch("parts", queryset=Part.objects.order_by("position", "code")),
            Prefetch("items", queryset=Item.objects.order_by("position", "code")),
            Prefetch(
                "level_rules", queryset=LevelRule.objects.filter(superseded_at__isnull=True).order_by("level")
            ),
        )


router = SimpleRouter()
router.register("grading/standards", StandardViewSet, basename="grading-standard")
router.register("grading/versions", VersionViewSet, basename="grading-version")
urlpatterns = router.urls
