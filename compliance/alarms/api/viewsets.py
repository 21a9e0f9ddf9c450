"""API of monitoring alarms.

- ``POST /api/v1/alarms/ingest/``: a mine's monitoring system posts alarms with its feed key
  (``Authorization: Token kaf_…``), one alarm or ``{"alarms": [...]}`` (at most 500). Idempotent by
  the system's alarm id per mine: 201 when something new was stored, 200 when every alarm was
  stored before; the body is the stored alarms either way. A batch is all or nothing (400 with
  the problems); naming another mine is 403 and stores nothing.
- ``GET /api/v1/alarms/`` the queue in the caller's scope (filters as on the page);
  ``GET /api/v1/alarms/<id>/`` one alarm with its history.
- ``POST /api/v1/alarms/<id>/acknowledge|check|close/``: the handling steps; a step the alarm's
  state does not allow answers 409.
- ``GET /api/v1/alarms/stats/``: per mine and month, count, closed on time, late, open.
"""

from __future__ import annotations

import dataclasses

import django_filters
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, generics, mixins, permissions, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from compliance.alarms import selectors, services
from compliance.alarms.auth import AlarmFeedAuthentication
from compliance.alarms.models import Alarm, AlarmEvent, AlarmFeed, Kind, System
from compliance.api import ScopedAPIMixin, ScopedViewSet
from compliance.audit.context import current_actor, set_actor
from compliance.errors import ERRORS
from tenants import selectors as tenant_selectors
from tenants.selectors import EMPTY_SCOPE, scope_for_user

CONFLICT = OpenApiResponse(description="The alarm's state does not allow this step")


class AlarmEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AlarmEvent
        fields = ["id", "action", "from_status", "to_status", "actor_name", "note", "at"]
        read_only_fields = fields


class AlarmSerializer(serializers.ModelSerializer):
    mine = serializers.UUIDField(source="mine_id", read_only=True)
    mine_name = serializers.CharField(source="mine.name", read_only=True)
    group = serializers.CharField(source="tenant.name", read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Alarm
        fields = [
            "id", "mine", "mine_name", "group", "system", "kind", "point_code", "location", "value", "unit",
            "limit", "occurred_at", "ended_at", "source_id", "source", "received_at", "status",
            "acknowledged_by", "acknowledged_at", "checked_by", "checked_at", "findings", "cause", "measures",
            "closed_by", "closed_at", "acknowledge_due_at", "close_due_at", "deadline_verified",
            "deadline_source", "escalation", "overdue",
        ]  # fmt: skip
        read_only_fields = fields

    def get_overdue(self, obj) -> bool:
        """Past a running deadline; a warning only while ``deadline_verified`` is false (待核实)."""
        return obj.overdue_at(timezone.now())


class AlarmDetailSerializer(AlarmSerializer):
    events = AlarmEventSerializer(many=True, read_only=True)

    class Meta(AlarmSerializer.Meta):
        fields = [*AlarmSerializer.Meta.fields, "events"]
        read_only_fields = fields


# --- intake -------------------------------------------------------------------------------------------
class ReadingField(serializers.DecimalField):
    """A measured value: more decimals than the four stored are rounded (the service does it),
    never refused; at most 10 whole digits."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=None, decimal_places=None, required=False, allow_null=True, default=None,
                         **kwargs)  # fmt: skip

    def validate_precision(self, value):
        if abs(value) >= services.READING_LIMIT:
            self.fail("max_whole_digits", max_whole_digits=10)
        return value


class AlarmInSerializer(serializers.Serializer):
    source_id = serializers.CharField(max_length=64, help_text="The system's own id of the alarm")
    system = serializers.ChoiceField(choices=System.choices)
    kind = serializers.ChoiceField(choices=Kind.choices)
    point_code = serializers.CharField(max_length=64, help_text="The point (测点) code, e.g. T0101")
    location = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    value = ReadingField()
    unit = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")
    limit = ReadingField()
    occurred_at = serializers.DateTimeField(help_text="With a zone offset; without one, China time")
    ended_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    mine = serializers.UUIDField(
        required=False, help_text="Optional; when given it must be the feed's own mine (else 403)"
    )


class IngestBatchSerializer(serializers.Serializer):
    alarms = serializers.ListField(child=AlarmInSerializer(), min_length=1, max_length=services.MAX_BATCH)


class IngestBatchResultSerializer(serializers.Serializer):
    alarms = AlarmSerializer(many=True)


class FeedOnly(permissions.BasePermission):
    """Only a mine's alarm feed posts alarms; a logged-in person gets 403, nobody 401."""

    def has_permission(self, request, view) -> bool:
        return isinstance(getattr(request, "auth", None), AlarmFeed)


INGEST_REQUEST = PolymorphicProxySerializer(
    component_name="AlarmIngestRequest",
    serializers=[AlarmInSerializer, IngestBatchSerializer],
    resource_type_field_name=None,
)
INGEST_RESPONSE = PolymorphicProxySerializer(
    component_name="AlarmIngestResponse",
    serializers=[AlarmSerializer, IngestBatchResultSerializer],
    resource_type_field_name=None,
)


class AlarmIngestView(ScopedAPIMixin, generics.GenericAPIView):
    authentication_classes = [AlarmFeedAuthentication, SessionAuthentication]
    permission_classes = [FeedOnly]
    serializer_class = AlarmInSerializer

    def _resolve_scope(self, request):
        self.perform_authentication(request)
        if isinstance(request.auth, AlarmFeed):
            return services.feed_scope(request.auth)
        if request.user.is_authenticated:
            return scope_for_user(request.user)  # refused by FeedOnly: only a feed posts
        return EMPTY_SCOPE

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        feed = request.auth
        # The trail names the system that posted: the feed, at its mine.
        set_actor(dataclasses.replace(current_actor(), username=f"feed:{feed.key_prefix}", role="alarm_feed"))

    @extend_schema(
        request=INGEST_REQUEST,
        responses={
            201: INGEST_RESPONSE,
            200: OpenApiResponse(INGEST_RESPONSE, description="Every alarm was stored before (a retry)"),
            **ERRORS,
        },
        summary="Post alarms of the feed's mine (idempotent by the system's alarm id)",
    )
    def post(self, request):
        """One alarm, or ``{"alarms": [...]}``. A retry answers 200 with the same body."""
        feed: AlarmFeed = request.auth
        batch = isinstance(request.data, dict) and "alarms" in request.data
        data = (IngestBatchSerializer if batch else AlarmInSerializer)(data=request.data)
        data.is_valid(raise_exception=True)
        items = data.validated_data["alarms"] if batch else [data.validated_data]
        if any(item.get("mine") not in (None, feed.mine_id) for item in items):
            raise exceptions.PermissionDenied("This key posts the alarms of its own mine only.")
        results = services.alarms_ingest(
            scope=self.scope,
            mine=feed.mine,
            feed=feed,
            items=[services.Incoming(**{k: v for k, v in item.items() if k != "mine"}) for item in items],
        )
        code = status.HTTP_201_CREATED if any(created for _a, created in results) else status.HTTP_200_OK
        stored = [a for a, _created in results]
        body = (
            {"alarms": AlarmSerializer(stored, many=True).data} if batch else AlarmSerializer(stored[0]).data
        )
        return Response(body, status=code)


# --- the queue and the handling -------------------------------------------------------------------------
class AlarmNoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class CheckSerializer(serializers.Serializer):
    findings = serializers.CharField(max_length=4000)


class AlarmCloseSerializer(serializers.Serializer):
    cause = serializers.CharField(max_length=4000)
    measures = serializers.CharField(max_length=4000)


class AlarmFilter(django_filters.FilterSet):
    mine = django_filters.UUIDFilter(method="by_mine", help_text="A mine or unit: its whole subtree")
    kind = django_filters.ChoiceFilter(choices=Kind.choices)
    status = django_filters.ChoiceFilter(
        choices=[*Alarm.Status.choices, (selectors.UNCLOSED, "unclosed")],
        method="by_status",
        help_text="A status, or unclosed (every status but closed)",
    )
    overdue = django_filters.BooleanFilter(method="by_overdue")
    point_code = django_filters.CharFilter()
    occurred_from = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_to = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lte")

    class Meta:
        model = Alarm
        fields = ["mine", "kind", "status", "overdue", "point_code", "occurred_from", "occurred_to"]

    def by_mine(self, qs, name, value):
        unit = tenant_selectors.access_org_unit(self.request.scope, value)
        return qs.filter(tenant_id=unit.tenant_id, mine__path__startswith=unit.path)

    def by_overdue(self, qs, name, value):
        cond = services.q_overdue(timezone.now())
        return qs.filter(cond) if value else qs.exclude(cond)

    def by_status(self, qs, name, value):
        return (
            qs.filter(status__in=Alarm.OPEN_STATES)
            if value == selectors.UNCLOSED
            else qs.filter(status=value)
        )


class StatsRowSerializer(serializers.Serializer):
    month = serializers.CharField()
    mine_id = serializers.UUIDField()
    mine__name = serializers.CharField()
    tenant__name = serializers.CharField()
    count = serializers.IntegerField()
    on_time = serializers.IntegerField()
    late = serializers.IntegerField()
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    on_time_rate = serializers.IntegerField(allow_null=True)


@extend_schema(responses={200: AlarmDetailSerializer, **ERRORS})
@extend_schema_view(list=extend_schema(responses={200: AlarmSerializer(many=True), **ERRORS}))
class AlarmViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    model = Alarm
    serializer_class = AlarmSerializer
    filterset_class = AlarmFilter

    def get_serializer_class(self):
        return AlarmDetailSerializer if self.action == "retrieve" else AlarmSerializer

    def scoped_queryset(self, scope):
        qs = selectors.alarms(scope=scope).select_related("mine", "tenant")
        if self.action == "retrieve":
            qs = qs.prefetch_related("events")
        return qs.order_by("-occurred_at", "pk")

    def _step(self, request, serializer_class, run):
        data = serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        alarm = self.get_object()
        alarm = run(alarm, data.validated_data)
        alarm = self.get_queryset().prefetch_related("events").get(pk=alarm.pk)
        return Response(AlarmDetailSerializer(alarm, context={"request": request}).data)

    @extend_schema(
        request=AlarmNoteSerializer, responses={200: AlarmDetailSerializer, **ERRORS, 409: CONFLICT}
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """Take the alarm on (确认): who and when are recorded."""
        return self._step(
            request,
            AlarmNoteSerializer,
            lambda a, v: services.alarm_acknowledge(
                scope=self.scope, alarm=a, user=request.user, note=v["note"]
            ),
        )

    @extend_schema(request=CheckSerializer, responses={200: AlarmDetailSerializer, **ERRORS, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def check(self, request, pk=None):
        """The on-site check (现场核查) and what was found."""
        return self._step(
            request,
            CheckSerializer,
            lambda a, v: services.alarm_check(
                scope=self.scope, alarm=a, user=request.user, findings=v["findings"]
            ),
        )

    @extend_schema(
        request=AlarmCloseSerializer, responses={200: AlarmDetailSerializer, **ERRORS, 409: CONFLICT}
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close the loop (闭环): cause and measures."""
        return self._step(
            request,
            AlarmCloseSerializer,
            lambda a, v: services.alarm_close(
                scope=self.scope, alarm=a, user=request.user, cause=v["cause"], measures=v["measures"]
            ),
        )

    @extend_schema(responses={200: StatsRowSerializer(many=True), **ERRORS}, filters=False)
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def stats(self, request):
        """Per mine and month (the last six): alarms, closed on time, closed late, open, overdue."""
        return Response(StatsRowSerializer(selectors.monthly_stats(scope=self.scope), many=True).data)


router = SimpleRouter()
router.register("alarms", AlarmViewSet, basename="alarm")

urlpatterns = [path("alarms/ingest/", AlarmIngestView.as_view(), name="alarm-ingest"), *router.urls]
