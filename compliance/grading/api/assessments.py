"""API: self-assessments (安全生产标准化自评). The paths and shapes below are fixed (issue 5).

- ``POST /api/v1/assessments/`` ``{"mine", "standard_version"}`` → 201 with the assessment.
- ``PUT /api/v1/assessments/{id}/items/{item_id}/`` ``{"deductions": [{"points", "reason"}],
  "not_applicable", "reason"}`` replaces the item's scoring. An optional ``row_version`` (from the
  item's last response) makes the save conditional: someone else saved since → 409 with who and
  when, nothing stored. Without it the save replaces whatever is there (last writer wins) — fine
  for a script that owns the assessment; the web pages always send it.
- ``GET /api/v1/assessments/{id}/result/`` → ``{"total", "parts": [{"code", "name", "score"}],
  "level", "blocking_rule", "deciding_rule": {"rule", "source", "verified", …}}`` (plus
  ``level_name``, ``unverified_rules``, ``progress`` and ``reviewed``): the mine's
  figures while in draft or submitted, the reviewer's once the HQ review has begun, the frozen
  ones once approved.
- ``POST /api/v1/assessments/{id}/submit/``; ``GET`` list and detail.
"""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from compliance.access import first_or_404
from compliance.api import ScopedRelatedField, ScopedViewSet
from compliance.errors import ERRORS
from compliance.grading import assessment_selectors, assessments
from compliance.grading import permissions as grading_perms
from compliance.grading.models import Assessment, ItemScore, StandardVersion
from compliance.grading.scoring import level_name, mine_item_score, q2
from tenants import selectors

CONFLICT = OpenApiResponse(
    description="Not stored: the item was saved by someone else after the given row_version (the body "
    "names who and when, and gives the saved item), or the assessment is no longer in a state that "
    "allows this (e.g. already submitted)"
)
FORBIDDEN = OpenApiResponse(
    description="Not permitted: no grading rights here (e.g. a worker), or any write by a regulator"
)
NO_BODY_ERRORS = {k: v for k, v in ERRORS.items() if k != 400}


def access_version(scope, pk) -> StandardVersion:
    """A standard version the caller's group may use: a national one or the group's own."""
    # Versions are not tenant rows (national ones belong to nobody): the owner is the rule.
    version = first_or_404(StandardVersion.objects.select_related("standard"), pk=pk)
    owner = version.standard.owner_tenant_id
    if owner is not None and owner not in scope.tenant_ids:
        raise Http404
    return version


class VersionField(serializers.IntegerField):
    """A standard version by id; a version of another group's own standard is 404, like a missing one."""

    def to_internal_value(self, data):
        pk = super().to_internal_value(data)
        try:
            return access_version(self.context["request"].scope, pk)
        except Exception as exc:
            raise exceptions.NotFound(f"{self.field_name}: not found") from exc

    def to_representation(self, value):
        return getattr(value, "pk", value)


class AssessmentSerializer(serializers.ModelSerializer):
    mine = ScopedRelatedField(access=selectors.access_mine, help_text="The mine assessed")
    mine_name = serializers.CharField(source="mine.name", read_only=True)
    standard_version = VersionField(source="version", help_text="The standard version (id) assessed against")
    standard_name = serializers.CharField(source="version.standard.name", read_only=True)
    version_label = serializers.CharField(source="version.label", read_only=True)
    items = serializers.IntegerField(source="item_count", read_only=True, default=None)
    items_scored = serializers.IntegerField(source="touched_count", read_only=True, default=None)
    total = serializers.FloatField(read_only=True, allow_null=True, help_text="Frozen on approval")
    level = serializers.IntegerField(read_only=True, allow_null=True, help_text="Frozen on approval: 1, 2, 3")

    class Meta:
        model = Assessment
        fields = [
            "id",
            "mine",
            "mine_name",
            "standard_version",
            "standard_name",
            "version_label",
            "status",
            "assessed_on",
            "submitted_at",
            "approved_at",
            "items",
            "items_scored",
            "total",
            "level",
            "blocking_rule",
            "created_at",
        ]
        read_only_fields = [
            "id",
            "status",
            "assessed_on",
            "submitted_at",
            "approved_at",
            "blocking_rule",
            "created_at",
        ]


class DeductionInSerializer(serializers.Serializer):
    points = serializers.DecimalField(max_digits=7, decimal_places=2, help_text="Points deducted, > 0")
    reason = serializers.CharField(allow_blank=True, trim_whitespace=True, help_text="Why (required)")
    location = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class ItemSaveSerializer(serializers.Serializer):
    deductions = DeductionInSerializer(many=True, required=False, default=list)
    not_applicable = serializers.BooleanField(required=False, default=False)
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Why the item does not apply (required then)"
    )
    row_version = serializers.IntegerField(
        required=False,
        min_value=0,
        allow_null=True,
        default=None,
        help_text="The item's row_version this save is based on; a stale one answers 409",
    )


class DeductionOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    points = serializers.FloatField()
    reason = serializers.CharField()
    location = serializers.CharField()
    has_evidence = serializers.BooleanField()


class ItemScoreSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    code = serializers.CharField()
    max_points = serializers.FloatField()
    not_applicable = serializers.BooleanField()
    reason = serializers.CharField()
    deducted = serializers.FloatField()
    score = serializers.FloatField(allow_null=True, help_text="The mine's figure; null when not applicable")
    review_score = serializers.FloatField(allow_null=True)
    review_comment = serializers.CharField()
    row_version = serializers.IntegerField()
    updated_by = serializers.CharField(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)
    deductions = DeductionOutSerializer(many=True)


class ItemConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    current = ItemScoreSerializer(required=False, help_text="The saved item, when someone else saved it")


class PartScoreSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    score = serializers.FloatField(allow_null=True, help_text="Null when nothing in it applies")


class DecidingRuleSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    rule = serializers.CharField(help_text="The level rule in words")
    source = serializers.CharField(help_text="Document number and article the rule is read from")
    verified = serializers.BooleanField(help_text="False: 待核实, the outcome only warns")
    rule_id = serializers.IntegerField(allow_null=True)


class AssessmentResultSerializer(serializers.Serializer):
    total = serializers.FloatField(allow_null=True)
    parts = PartScoreSerializer(many=True)
    level = serializers.IntegerField(allow_null=True, help_text="1, 2 or 3; null: no level")
    level_name = serializers.CharField()
    blocking_rule = serializers.CharField(help_text="Why the next level up was not reached, in words")
    deciding_rule = DecidingRuleSerializer(
        allow_null=True,
        help_text="The level rule met (or, with no level, the lowest one missed); null when a "
        "precondition or veto item decided",
    )
    unverified_rules = DecidingRuleSerializer(
        many=True, help_text="Rules the outcome rests on that are 待核实"
    )
    progress = serializers.IntegerField(help_text="Per cent of items scored")
    reviewed = serializers.BooleanField(help_text="Whether the HQ reviewer's figures are used")


def _f(value):
    return float(value) if value is not None else None


def item_body(score: ItemScore) -> dict:
    item = score.item
    deductions = list(score.deductions.all())
    mine_score = mine_item_score(
        item.max_points, deducted=score.deducted, not_applicable=score.not_applicable
    )
    return {
        "item": item.pk,
        "code": item.code,
        "max_points": float(item.max_points),
        "not_applicable": score.not_applicable,
        "reason": score.reason,
        "deducted": float(score.deducted),
        "score": _f(mine_score),
        "review_score": _f(score.review_score),
        "review_comment": score.review_comment,
        "row_version": score.row_version,
        "updated_by": score.updated_by.get_username() if score.updated_by else None,
        "updated_at": score.updated_at,
        "deductions": [
            {
                "id": d.pk,
                "points": float(d.points),
                "reason": d.reason,
                "location": d.location,
                "has_evidence": bool(d.evidence),
            }
            for d in deductions
        ],
    }


def result_body(assessment: Assessment) -> dict:
    result = assessment_selectors.counting_result(assessment)
    deciding = result.deciding
    return {
        # Figures rounded for display; the level was decided on the exact ones.
        "total": _f(q2(result.total)) if result.total is not None else None,
        "parts": [
            {"code": p.code, "name": p.name, "score": _f(q2(p.score)) if p.score is not None else None}
            for p in result.parts
        ],
        "level": result.level,
        "level_name": str(level_name(result.level)),
        "blocking_rule": result.blocking_rule,
        # The level rule that decided, its source and whether it is verified (待核实 otherwise).
        "deciding_rule": deciding.as_dict() if deciding is not None else None,
        "unverified_rules": [d.as_dict() for d in result.unverified],
        "progress": result.progress,
        "reviewed": assessment.status in (Assessment.Status.UNDER_REVIEW, Assessment.Status.APPROVED),
    }


class AssessmentFilter(django_filters.FilterSet):
    mine = django_filters.UUIDFilter(method="by_mine", help_text="A mine or any unit above it: its subtree")
    status = django_filters.ChoiceFilter(choices=Assessment.Status.choices)

    class Meta:
        model = Assessment
        fields = ["mine", "status"]

    def by_mine(self, qs, name, value):
        unit = selectors.access_org_unit(self.request.scope, value)
        return qs.filter(tenant_id=unit.tenant_id, mine__path__startswith=unit.path)


ITEM_ID = OpenApiParameter("item_id", int, OpenApiParameter.PATH, description="The standard item's id")


@extend_schema(responses={200: AssessmentSerializer, 401: ERRORS[401], 403: FORBIDDEN, 404: ERRORS[404]})
@extend_schema_view(
    list=extend_schema(responses={200: AssessmentSerializer(many=True), **ERRORS, 403: FORBIDDEN}),
)
class AssessmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    model = Assessment
    serializer_class = AssessmentSerializer
    filterset_class = AssessmentFilter

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not self.scope.has_perm(grading_perms.VIEW_GRADING):
            raise exceptions.PermissionDenied()

    def scoped_queryset(self, scope):
        return assessments.assessment_list(scope=scope)

    @extend_schema(
        request=AssessmentSerializer,
        responses={201: AssessmentSerializer, **ERRORS, 403: FORBIDDEN},
    )
    def create(self, request):
        """Start a self-assessment of a mine against a standard version that applies to the mine's
        type and is in force today (MANAGE_GRADING on the mine); one unscored row per item."""
        data = AssessmentSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        assessment = assessments.start(
            scope=self.scope, mine=v["mine"], version=v["version"], actor=request.user
        )
        assessment = self.get_queryset().get(pk=assessment.pk)
        return Response(AssessmentSerializer(assessment, context={"request": request}).data, status=201)

    @extend_schema(
        request=ItemSaveSerializer,
        parameters=[ITEM_ID],
        responses={200: ItemScoreSerializer, **ERRORS, 403: FORBIDDEN, 409: ItemConflictSerializer},
    )
    @action(detail=True, methods=["put"], url_path=r"items/(?P<item_id>\d{1,18})", url_name="item")
    def item(self, request, pk=None, item_id=None):
        """Score one item: its deductions, or not applicable with a reason (the assessment in draft)."""
        assessment = self.get_object()
        item = assessments.item_of(assessment, item_id)
        data = ItemSaveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        try:
            assessments.save_item(
                scope=self.scope,
                assessment=assessment,
                item=item,
                deductions=[dict(d) for d in v["deductions"]],
                not_applicable=v["not_applicable"],
                reason=v["reason"],
                based_on_version=v["row_version"],
                actor=request.user,
            )
        except assessments.StaleItemSave as exc:
            current = assessments.item_score_of(assessment, item)
            return Response({"detail": exc.message, "current": item_body(current)}, status=409)
        except assessments.WrongState as exc:
            return Response({"detail": exc.message}, status=409)
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(_nested(exc)) from exc
        return Response(item_body(assessments.item_score_of(assessment, item)))

    @extend_schema(responses={200: AssessmentResultSerializer, **NO_BODY_ERRORS, 403: FORBIDDEN})
    @action(detail=True, methods=["get"])
    def result(self, request, pk=None):
        """Total, part scores, the level earned and the rule that blocked the next level, in words."""
        return Response(result_body(self.get_object()))

    @extend_schema(
        request=None,
        responses={200: AssessmentSerializer, **ERRORS, 403: FORBIDDEN, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit for the group HQ's review: every item must be scored or marked not applicable."""
        assessment = self.get_object()
        try:
            assessments.submit(scope=self.scope, assessment=assessment, actor=request.user)
        except assessments.WrongState as exc:
            return Response({"detail": exc.message}, status=409)
        assessment = self.get_queryset().get(pk=assessment.pk)
        return Response(AssessmentSerializer(assessment, context={"request": request}).data)


def _nested(exc: DjangoValidationError) -> dict:
    """``deductions.0.points`` style keys from the service, as the API's nested field errors."""
    if not hasattr(exc, "error_dict"):
        return {"non_field_errors": [str(m) for m in exc.messages]}
    out: dict = {}
    rows: dict = {}
    for key, messages in exc.message_dict.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "deductions":
            rows.setdefault(parts[1], {}).setdefault(parts[2], []).extend(messages)
        else:
            out.setdefault(key, []).extend(messages)
    if rows:
        if "deductions" in out:  # a message about all the deductions beside the per-row ones
            out.setdefault("non_field_errors", []).extend(out.pop("deductions"))
        out["deductions"] = rows
    return out


router = SimpleRouter()
router.register("assessments", AssessmentViewSet, basename="assessment")

urlpatterns = [*router.urls]
