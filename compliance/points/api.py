"""API of team safety points under ``/api/v1/points/…``: the ledger (list, record, reverse), the
balances of the current cycle, and a mine's monthly team ranking. Thin: parse, call one service or
selector, answer.

Regulators read the ranking (team-level figures) and nothing of a person; every write is refused
to them (403) by the read-only scope before any lookup.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from compliance.api import ScopedRelatedField, ScopedViewSet
from compliance.errors import ERRORS
from tenants.models import OrgUnit

from . import selectors, services
from .models import Balance, Entry

NO_BODY_ERRORS = {k: v for k, v in ERRORS.items() if k != 400}


class PointsEntrySerializer(serializers.ModelSerializer):
    person = ScopedRelatedField(access=selectors.access_recordable_person)
    person_name = serializers.CharField(source="person.name", read_only=True)
    team = serializers.UUIDField(source="team_id", read_only=True)
    team_name = serializers.CharField(source="team.name", read_only=True)
    rule = ScopedRelatedField(access=selectors.access_rule)
    rule_code = serializers.CharField(source="rule.code", read_only=True)
    reverses = serializers.UUIDField(source="reverses_id", read_only=True, allow_null=True)

    class Meta:
        model = Entry
        fields = [
            "id",
            "person",
            "person_name",
            "team",
            "team_name",
            "occurred_on",
            "cycle_start",
            "rule",
            "rule_code",
            "points",
            "reason",
            "evidence_url",
            "source_kind",
            "source_ref",
            "reverses",
            "created_at",
        ]
        read_only_fields = ["id", "cycle_start", "points", "source_kind", "source_ref", "created_at"]
        validators: list = []


class PointsRecordedSerializer(serializers.Serializer):
    entry = PointsEntrySerializer(allow_null=True)
    proposal = serializers.UUIDField(allow_null=True, help_text="The proposal waiting for approval, if any")
    warnings = serializers.ListField(child=serializers.CharField())


class PointsReverseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


@extend_schema(responses={200: PointsEntrySerializer, **NO_BODY_ERRORS})
@extend_schema_view(list=extend_schema(responses={200: PointsEntrySerializer(many=True), **ERRORS}))
class EntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The points ledger: append-only entries (a worker sees their own)."""

    model = Entry
    serializer_class = PointsEntrySerializer

    def scoped_queryset(self, scope):
        return selectors.entry_list(scope=scope)

    @extend_schema(request=PointsEntrySerializer, responses={201: PointsRecordedSerializer, **ERRORS})
    def create(self, request):
        """Record an entry under a rule; a rule needing approval gives a proposal instead."""
        data = PointsEntrySerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        done = services.entry_record(
            scope=self.scope,
            person=v["person"],
            rule=v["rule"],
            occurred_on=v["occurred_on"],
            reason=v["reason"],
            evidence_url=v.get("evidence_url", ""),
        )
        entry = self.get_queryset().get(pk=done.entry.pk) if done.entry else None
        body = {
            "entry": PointsEntrySerializer(entry).data if entry else None,
            "proposal": str(done.proposal.pk) if done.proposal else None,
            "warnings": done.warnings,
        }
        return Response(body, status=201)

    @extend_schema(request=PointsReverseSerializer, responses={201: PointsEntrySerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="reverse")
    def reverse(self, request, pk=None):
        """Correct an entry: a reversing entry of the opposite points, with the reason."""
        entry = self.get_object()
        data = PointsReverseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reversal = services.entry_reverse(scope=self.scope, entry=entry, reason=data.validated_data["reason"])
        return Response(PointsEntrySerializer(self.get_queryset().get(pk=reversal.pk)).data, status=201)


class PointsBalanceSerializer(serializers.ModelSerializer):
    person = serializers.UUIDField(source="person_id", read_only=True)
    person_name = serializers.CharField(source="person.name", read_only=True)
    team = serializers.UUIDField(source="team_id", read_only=True)
    team_name = serializers.CharField(source="team.name", read_only=True)

    class Meta:
        model = Balance
        fields = ["person", "person_name", "team", "team_name", "cycle_start", "opening", "balance"]


@extend_schema_view(list=extend_schema(responses={200: PointsBalanceSerializer(many=True), **ERRORS}))
class BalanceViewSet(mixins.ListModelMixin, ScopedViewSet):
    """Balances of the current cycle, lowest first (people with no entry yet hold the opening)."""

    model = Balance
    serializer_class = PointsBalanceSerializer

    def scoped_queryset(self, scope):
        tenant_id = scope.tenant_id
        if tenant_id is None:
            return Balance.dangerously_unscoped.none()
        return selectors.balance_list(scope=scope, cycle_start=selectors.current_cycle(tenant_id))


class PointsTeamRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    team = serializers.UUIDField(source="team.pk")
    team_name = serializers.CharField(source="team.name")
    members = serializers.IntegerField()
    points = serializers.IntegerField(help_text="Net points of the month's entries of the team")
    deductions = serializers.IntegerField()
    violations = serializers.IntegerField()
    per_member = serializers.FloatField()


class PointsMineSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="pk")
    name = serializers.CharField()


class PointsRankingSerializer(serializers.Serializer):
    mine = PointsMineSerializer()
    month = serializers.DateField()
    teams = PointsTeamRowSerializer(many=True)


MONTH = OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM (default: this month)")


@extend_schema(responses={200: PointsMineSerializer, **NO_BODY_ERRORS})
@extend_schema_view(list=extend_schema(responses={200: PointsMineSerializer(many=True), **ERRORS}))
class RankingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The mines with a team ranking (list) and a mine's monthly team ranking (detail)."""

    model = OrgUnit
    serializer_class = PointsMineSerializer

    def scoped_queryset(self, scope):
        return selectors.ranking_mines(scope)

    @extend_schema(responses={200: PointsRankingSerializer, **ERRORS}, parameters=[MONTH])
    def retrieve(self, request, *args, **kwargs):
        """A mine's teams in a month, best first (team-level figures only)."""
        mine = self.get_object()
        month = timezone.localdate().replace(day=1)
        raw = request.query_params.get("month", "")
        if raw:
            try:
                month = datetime.datetime.strptime(raw, "%Y-%m").date()
            except ValueError:
                raise DRFValidationError({"month": ["YYYY-MM"]}) from None
        rows = selectors.team_ranking(scope=self.scope, mine=mine, month=month)
        return Response(PointsRankingSerializer({"mine": mine, "month": month, "teams": rows}).data)


router = SimpleRouter()
router.register("points/entries", EntryViewSet, basename="points-entry")
router.register("points/balances", BalanceViewSet, basename="points-balance")
router.register("points/ranking", RankingViewSet, basename="points-ranking")

urlpatterns = [*router.urls]
