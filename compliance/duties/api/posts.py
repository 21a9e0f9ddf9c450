"""API: the mine-manager posts and leaders on shift, under /api/v1/duties/.

- ``rosters/``: every mine in scope with its holders, vacancies and warnings (the regulator's list);
- ``appointments/``: list, read, appoint (POST), ``{id}/end/`` (the departure);
- ``filings/``: list (``?late=true``), read, ``{id}/file/`` (the filing made);
- ``shift-plans/``: list, plan a leader (POST, replacing whoever was planned), remove (DELETE);
- ``shift-records/``: list, read, record a shift (POST, replacing that shift's record);
- ``shift-coverage/``: coverage per mine for ``?month=YYYY-MM``.

Reads need ``VIEW_POSTS`` (a worker gets 403), writes ``MANAGE_POSTS`` at the mine; regulators
read their region and never write (403).
"""

from __future__ import annotations

import datetime

import django_filters
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from compliance.api import ScopedRelatedField, ScopedViewSet
from compliance.duties import selectors, services
from compliance.duties.models import Post, PostAppointment, PostFiling, ShiftPlan, ShiftRecord
from compliance.duties.permissions import VIEW_POSTS
from compliance.errors import DESTROY_SCHEMA, ERRORS
from tenants.models import OrgUnit
from tenants.selectors import access_org_unit

NOT_PERMITTED = OpenApiResponse(
    description="Not permitted: a worker, a regulator writing, or no posts rights here"
)


class _PostsViewSet(ScopedViewSet):
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not self.scope.has_perm(VIEW_POSTS) or self.scope.self_only:
            raise exceptions.PermissionDenied()


def _today():
    from django.utils import timezone

    return timezone.localdate()


# --- serializers --------------------------------------------------------------------------------------
class AppointmentSerializer(serializers.ModelSerializer):
    mine = ScopedRelatedField(access=selectors.access_mine, help_text="The mine (org unit id)")
    mine_name = serializers.CharField(source="mine.name", read_only=True)
    person = ScopedRelatedField(access=selectors.access_person, help_text="The person appointed")
    person_name = serializers.CharField(source="person.name", read_only=True)
    post_label = serializers.CharField(source="get_post_display", read_only=True)

    class Meta:
        model = PostAppointment
        fields = [
            "id",
            "mine",
            "mine_name",
            "post",
            "post_label",
            "person",
            "person_name",
            "started_on",
            "ended_on",
            "departure_reason",
            "full_time",
            "education",
            "mining_field",
            "years_experience",
            "assessment_passed_on",
            "created_at",
        ]
        read_only_fields = ["id", "ended_on", "departure_reason", "created_at"]


class DepartureSerializer(serializers.Serializer):
    ended_on = serializers.DateField()
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class FilingSerializer(serializers.ModelSerializer):
    mine = serializers.UUIDField(source="mine_id", read_only=True)
    mine_name = serializers.CharField(source="mine.name", read_only=True)
    appointment = serializers.UUIDField(source="appointment_id", read_only=True)
    post = serializers.CharField(source="appointment.post", read_only=True)
    person_name = serializers.CharField(source="appointment.person.name", read_only=True)
    late = serializers.SerializerMethodField(help_text="Filed after the deadline, or not filed and past it")

    class Meta:
        model = PostFiling
        fields = [
            "id",
            "mine",
            "mine_name",
            "appointment",
            "post",
            "person_name",
            "kind",
            "event_on",
            "due_on",
            "filed_on",
            "reference",
            "late",
        ]
        read_only_fields = fields

    def get_late(self, obj) -> bool:
        return obj.is_late(_today())


class FilingRecordSerializer(serializers.Serializer):
    filed_on = serializers.DateField()
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class WarningSerializer(serializers.Serializer):
    kind = serializers.CharField()
    post = serializers.CharField()
    message = serializers.CharField()
    rule = serializers.CharField()
    binding = serializers.BooleanField(help_text="False: an unverified rule, a warning only")


class HolderSerializer(serializers.Serializer):
    post = serializers.CharField()
    appointment = serializers.UUIDField(source="pk")
    person = serializers.UUIDField(source="person_id")
    person_name = serializers.CharField(source="person.name")
    full_time = serializers.BooleanField()
    started_on = serializers.DateField()


class RosterSerializer(serializers.Serializer):
    mine = serializers.UUIDField(source="mine.pk")
    mine_name = serializers.CharField(source="mine.name")
    coal = serializers.BooleanField(source="is_coal")
    holders = serializers.SerializerMethodField()
    vacancies = serializers.ListField(child=serializers.CharField())
    warnings = WarningSerializer(many=True)

    def get_holders(self, roster) -> list[dict]:
        return HolderSerializer(list(roster.holders.values()), many=True).data


class ShiftPlanSerializer(serializers.ModelSerializer):
    mine = ScopedRelatedField(access=selectors.access_mine)
    leader = ScopedRelatedField(access=selectors.access_person)
    leader_name = serializers.CharField(source="leader.name", read_only=True)

    class Meta:
        model = ShiftPlan
        fields = ["id", "mine", "on_date", "shift", "leader", "leader_name"]
        read_only_fields = ["id"]


class RecordSerializer(serializers.ModelSerializer):
    mine = ScopedRelatedField(access=selectors.access_mine)
    leader = ScopedRelatedField(access=selectors.access_person, required=False, allow_null=True)
    leader_name = serializers.CharField(source="leader.name", read_only=True, default=None)
    leader_up_early = serializers.BooleanField(read_only=True)

    class Meta:
        model = ShiftRecord
        fields = [
            "id",
            "mine",
            "on_date",
            "shift",
            "crew_down_at",
            "crew_up_at",
            "leader",
            "leader_name",
            "leader_down_at",
            "leader_up_at",
            "leader_up_early",
            "source",
        ]
        read_only_fields = ["id", "source"]


class CoverageSerializer(serializers.Serializer):
    mine = serializers.UUIDField(source="mine.pk")
    mine_name = serializers.CharField(source="mine.name")
    shifts = serializers.IntegerField()
    with_leader = serializers.IntegerField()
    without_leader = serializers.IntegerField()
    up_early = serializers.IntegerField()
    planned = serializers.IntegerField()
    plan_missed = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)


# --- filters ------------------------------------------------------------------------------------------
class _MineFilter(django_filters.FilterSet):
    mine = django_filters.UUIDFilter(method="by_mine", help_text="A mine, or any org unit: its whole subtree")

    def by_mine(self, qs, name, value):
        unit = access_org_unit(self.request.scope, value)
        return qs.filter(tenant_id=unit.tenant_id, mine__path__startswith=unit.path)


class AppointmentFilter(_MineFilter):
    post = django_filters.ChoiceFilter(choices=Post.choices)
    current = django_filters.BooleanFilter(
        field_name="ended_on", lookup_expr="isnull", help_text="In post now"
    )

    class Meta:
        model = PostAppointment
        fields = ["mine", "post", "current"]


class FilingFilter(_MineFilter):
    late = django_filters.BooleanFilter(method="by_late", help_text="Late (true) or on time (false)")

    class Meta:
        model = PostFiling
        fields = ["mine", "late"]

    def by_late(self, qs, name, value):
        from django.db.models import F, Q

        condition = Q(filed_on__isnull=True, due_on__lt=_today()) | Q(filed_on__gt=F("due_on"))
        return qs.filter(condition) if value else qs.exclude(condition)


class ShiftFilter(_MineFilter):
    date_from = django_filters.DateFilter(field_name="on_date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="on_date", lookup_expr="lte")


class PlanFilter(ShiftFilter):
    class Meta:
        model = ShiftPlan
        fields = ["mine", "date_from", "date_to"]


class RecordFilter(ShiftFilter):
    class Meta:
        model = ShiftRecord
        fields = ["mine", "date_from", "date_to"]


class UnitFilter(django_filters.FilterSet):
    org_unit = django_filters.UUIDFilter(method="by_unit", help_text="An org unit: the mines under it")

    class Meta:
        model = OrgUnit
        fields = ["org_unit"]

    def by_unit(self, qs, name, value):
        unit = access_org_unit(self.request.scope, value)
        return qs.filter(tenant_id=unit.tenant_id, path__startswith=unit.path)


# --- viewsets -----------------------------------------------------------------------------------------
@extend_schema(responses={200: RosterSerializer, 401: ERRORS[401], 403: NOT_PERMITTED, 404: ERRORS[404]})
@extend_schema_view(
    list=extend_schema(responses={200: RosterSerializer(many=True), **ERRORS, 403: NOT_PERMITTED})
)
class RosterViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _PostsViewSet):
    """The roster of each mine in scope: holders, vacant required posts, warnings (by the rules in
    force for the mine, each with its source and whether it binds)."""

    model = OrgUnit
    serializer_class = RosterSerializer
    filterset_class = UnitFilter

    def scoped_queryset(self, scope):
        return selectors.mines(scope)

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        rows = selectors.rosters(self.scope, page, today=_today())
        return self.get_paginated_response(RosterSerializer(rows, many=True).data)

    def retrieve(self, request, pk=None):
        [roster] = selectors.rosters(self.scope, [self.get_object()], today=_today())
        return Response(RosterSerializer(roster).data)


@extend_schema(responses={200: AppointmentSerializer, 401: ERRORS[401], 403: NOT_PERMITTED, 404: ERRORS[404]})
@extend_schema_view(
    list=extend_schema(responses={200: AppointmentSerializer(many=True), **ERRORS, 403: NOT_PERMITTED})
)
class AppointmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _PostsViewSet):
    model = PostAppointment
    serializer_class = AppointmentSerializer
    filterset_class = AppointmentFilter

    def scoped_queryset(self, scope):
        return selectors.appointments(scope).order_by("mine__path", "post", "-started_on")

    @extend_schema(
        request=AppointmentSerializer, responses={201: AppointmentSerializer, **ERRORS, 403: NOT_PERMITTED}
    )
    def create(self, request):
        """Appoint a person to a post at a mine (MANAGE_POSTS there); the filing is created with
        its deadline. 400 when the post has a holder."""
        data = AppointmentSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        appt = services.appointment_create(scope=self.scope, **v)
        return Response(AppointmentSerializer(appt).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=DepartureSerializer, responses={200: AppointmentSerializer, **ERRORS, 403: NOT_PERMITTED}
    )
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        """The holder leaves the post; the departure is filed."""
        appt = self.get_object()
        data = DepartureSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appt = services.appointment_end(
            scope=self.scope,
            appointment=appt,
            ended_on=data.validated_data["ended_on"],
            reason=data.validated_data["reason"],
        )
        return Response(AppointmentSerializer(appt).data)


@extend_schema(responses={200: FilingSerializer, 401: ERRORS[401], 403: NOT_PERMITTED, 404: ERRORS[404]})
@extend_schema_view(
    list=extend_schema(responses={200: FilingSerializer(many=True), **ERRORS, 403: NOT_PERMITTED})
)
class FilingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _PostsViewSet):
    model = PostFiling
    serializer_class = FilingSerializer
    filterset_class = FilingFilter

    def scoped_queryset(self, scope):
        return selectors.filings(scope)

    @extend_schema(
        request=FilingRecordSerializer, responses={200: FilingSerializer, **ERRORS, 403: NOT_PERMITTED}
    )
    @action(detail=True, methods=["post"], url_path="file")
    def file(self, request, pk=None):
        """The filing was made with the regulator (date and reference)."""
        filing = self.get_object()
        data = FilingRecordSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        filing = services.filing_record(scope=self.scope, filing=filing, **data.validated_data)
        return Response(FilingSerializer(filing).data)


@extend_schema(responses={200: ShiftPlanSerializer, 401: ERRORS[401], 403: NOT_PERMITTED, 404: ERRORS[404]})
@extend_schema_view(
    list=extend_schema(responses={200: ShiftPlanSerializer(many=True), **ERRORS, 403: NOT_PERMITTED}),
    destroy=DESTROY_SCHEMA,
)
class ShiftPlanViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, _PostsViewSet
):
    model = ShiftPlan
    serializer_class = ShiftPlanSerializer
    filterset_class = PlanFilter

    def scoped_queryset(self, scope):
        return selectors.shift_plans(scope).order_by("on_date", "shift")

    @extend_schema(
        request=ShiftPlanSerializer, responses={201: ShiftPlanSerializer, **ERRORS, 403: NOT_PERMITTED}
    )
    def create(self, request):
        """Plan a leader for one shift (replacing whoever was planned for it)."""
        data = ShiftPlanSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        plan = services.shift_plan_set(scope=self.scope, **data.validated_data)
        return Response(ShiftPlanSerializer(plan).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.shift_plan_delete(scope=self.scope, plan=instance)


@extend_schema(responses={200: RecordSerializer, 401: ERRORS[401], 403: NOT_PERMITTED, 404: ERRORS[404]})
@extend_schema_view(
    list=extend_schema(responses={200: RecordSerializer(many=True), **ERRORS, 403: NOT_PERMITTED})
)
class ShiftRecordViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _PostsViewSet):
    model = ShiftRecord
    serializer_class = RecordSerializer
    filterset_class = RecordFilter

    def scoped_queryset(self, scope):
        return selectors.shift_records(scope).order_by("-on_date", "-shift")

    @extend_schema(request=RecordSerializer, responses={201: RecordSerializer, **ERRORS, 403: NOT_PERMITTED})
    def create(self, request):
        """Record one shift: crew and leader times (replacing that shift's record)."""
        data = RecordSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        record = services.shift_record_save(scope=self.scope, **data.validated_data)
        return Response(RecordSerializer(record).data, status=status.HTTP_201_CREATED)


MONTH = OpenApiParameter("month", str, description="YYYY-MM (default: this month)")


@extend_schema_view(
    list=extend_schema(
        parameters=[MONTH], responses={200: CoverageSerializer(many=True), **ERRORS, 403: NOT_PERMITTED}
    )
)
class CoverageViewSet(mixins.ListModelMixin, _PostsViewSet):
    """Shift coverage per mine for a month: shifts recorded, led, without a leader, the leader up
    before the crew, planned and not led as planned."""

    model = OrgUnit
    serializer_class = CoverageSerializer
    filterset_class = UnitFilter

    def scoped_queryset(self, scope):
        return selectors.mines(scope)

    def list(self, request):
        today = _today()
        try:
            year, month = (int(x) for x in request.query_params.get("month", "").split("-"))
            first, last = selectors.month_bounds(year, month)
        except (ValueError, TypeError):
            if request.query_params.get("month"):
                raise exceptions.ValidationError({"month": ["YYYY-MM"]}) from None
            first, last = selectors.month_bounds(today.year, today.month)
        if not datetime.date(2000, 1, 1) <= first <= datetime.date(2100, 1, 1):
            raise exceptions.ValidationError({"month": ["YYYY-MM"]})
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        rows = selectors.coverage(self.scope, page, first=first, last=last)
        return self.get_paginated_response(CoverageSerializer(rows, many=True).data)


router = SimpleRouter()
router.register("rosters", RosterViewSet, basename="duties-roster")
router.register("appointments", AppointmentViewSet, basename="duties-appointment")
router.register("filings", FilingViewSet, basename="duties-filing")
router.register("shift-plans", ShiftPlanViewSet, basename="duties-shift-plan")
router.register("shift-records", ShiftRecordViewSet, basename="duties-shift-record")
router.register("shift-coverage", CoverageViewSet, basename="duties-shift-coverage")

urlpatterns = [*router.urls]
