"""API of training hours and sessions: thin serializers and viewsets over training.hours and
training.courses.

- ``GET /api/v1/training/hours/?year=&org_unit=&short_only=&flagged_only=`` — hours against the
  rules per person in the caller's scope (a worker: themself only), shortest first, paginated.
- ``GET /api/v1/training/sessions/`` and ``/{id}/`` — sessions with their attendance (a worker:
  only sessions they attended, and only their own attendance row).
- ``POST /api/v1/training/sessions/`` — a session with its attendance, in one transaction
  (MANAGE_TRAINING at the unit holding it; never a regulator).
"""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from compliance.api import ScopedRelatedField, ScopedViewSet
from compliance.errors import ERRORS
from compliance.training import courses, hours
from compliance.training.models import Attendance, TrainingSession
from tenants import selectors
from tenants.models import Person

LIST_ERRORS = {k: v for k, v in ERRORS.items() if k != 404} | {
    400: OpenApiResponse(description="Invalid filter (e.g. a year outside 2000–2100)"),
    404: OpenApiResponse(description="The org_unit filter names a unit outside your scope (or none)"),
}


# --- hours -------------------------------------------------------------------------------------------
class HoursQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(
        min_value=hours.MIN_YEAR, max_value=hours.MAX_YEAR, required=False, help_text="Default: this year"
    )
    org_unit = ScopedRelatedField(
        access=selectors.access_org_unit, required=False, help_text="Only people of this unit's subtree"
    )
    short_only = serializers.BooleanField(
        required=False, default=False, help_text="Only people short of hours"
    )
    flagged_only = serializers.BooleanField(
        required=False, default=False, help_text="Only people flagged for retraining"
    )


class HoursRowSerializer(serializers.ModelSerializer):
    person = serializers.UUIDField(source="pk", read_only=True)
    org_unit = serializers.UUIDField(source="org_unit_id", read_only=True)
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True)
    mine_type = serializers.CharField(allow_null=True, read_only=True)
    is_new = serializers.BooleanField(
        read_only=True, help_text="New in the post this year: owes initial hours"
    )
    required = serializers.DecimalField(max_digits=7, decimal_places=1, read_only=True)
    hours_done = serializers.DecimalField(max_digits=7, decimal_places=1, read_only=True)
    shortfall = serializers.DecimalField(max_digits=7, decimal_places=1, read_only=True)
    post_change_flag = serializers.BooleanField(read_only=True, help_text="New post, no training since")
    absence_flag = serializers.BooleanField(
        read_only=True, help_text="Back after a long absence, no training since"
    )
    rule = serializers.SerializerMethodField(
        help_text="The hours rule that set `required`: its pack, region, source and whether it is "
        "verified (an unverified rule's shortfall is a warning, 待核实)"
    )

    def get_rule(self, obj) -> dict | None:
        rules = self.context.get("rules")
        rule = hours.deciding_rule(rules, obj) if rules is not None else None
        if rule is None:
            return None
        return {
            "pack": rule.pack.code,
            "level": rule.pack.level,
            "region_prefix": rule.pack.region_prefix,
            "source": rule.source,
            "verified": rule.verified,
        }

    class Meta:
        model = Person
        fields = [
            "person",
            "employee_no",
            "name",
            "org_unit",
            "org_unit_name",
            "post_category",
            "operation_type",
            "mine_type",
            "is_new",
            "required",
            "hours_done",
            "shortfall",
            "post_change_flag",
            "absence_flag",
            "rule",
        ]


@extend_schema_view(
    list=extend_schema(parameters=[HoursQuerySerializer], responses={200: HoursRowSerializer, **LIST_ERRORS})
)
class TrainingHoursViewSet(mixins.ListModelMixin, ScopedViewSet):
    """Hours required this year by post category and mine type versus hours done, per person."""

    model = Person
    serializer_class = HoursRowSerializer
    filter_backends: list = []

    def scoped_queryset(self, scope):
        query = HoursQuerySerializer(data=self.request.query_params, context={"request": self.request})
        query.is_valid(raise_exception=True)
        f = query.validated_data
        year = f.get("year") or hours.today().year
        # Resolved once for the page: the rows name their deciding rule from it (no query per row).
        self.rules = hours.rules_for_year(year, scope=scope)
        return hours.people_hours(
            scope=scope,
            year=year,
            org_unit=f.get("org_unit"),
            short_only=f["short_only"],
            flagged_only=f["flagged_only"],
            people=Person.objects.select_related("org_unit"),
            rules=self.rules,
        )

    def get_serializer_context(self):
        return super().get_serializer_context() | {"rules": getattr(self, "rules", None)}


# --- sessions ---------------------------------------------------------------------------------------
class AttendanceSerializer(serializers.ModelSerializer):
    person = ScopedRelatedField(access=selectors.access_person)
    employee_no = serializers.CharField(source="person.employee_no", read_only=True)
    name = serializers.CharField(source="person.name", read_only=True)
    hours = serializers.DecimalField(
        max_digits=5,
        decimal_places=1,
        required=False,
        allow_null=True,
        help_text="Default: the session's hours",
    )

    class Meta:
        model = Attendance
        fields = ["id", "person", "employee_no", "name", "hours"]
        read_only_fields = ["id"]


class SessionSerializer(serializers.ModelSerializer):
    course = ScopedRelatedField(access=courses.access_course)
    course_title = serializers.CharField(source="course.title", read_only=True)
    org_unit = ScopedRelatedField(
        access=selectors.access_org_unit, required=False, help_text="Default: the course's unit"
    )
    hours = serializers.DecimalField(
        max_digits=5, decimal_places=1, required=False, help_text="Default: the course's hours"
    )
    attendances = AttendanceSerializer(many=True, required=False)

    class Meta:
        model = TrainingSession
        fields = [
            "id",
            "course",
            "course_title",
            "org_unit",
            "starts_on",
            "ends_on",
            "hours",
            "instructor",
            "location",
            "attendances",
        ]
        read_only_fields = ["id"]
        # The model's check constraint is enforced by the service with a clearer message.
        validators: list = []

    def validate_attendances(self, value):
        ids = [a["person"].pk for a in value]
        if len(ids) != len(set(ids)):
            raise serializers.ValidationError("The same person is listed twice.")
        return value


@extend_schema(responses={200: SessionSerializer, **ERRORS})
class TrainingSessionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    model = TrainingSession
    serializer_class = SessionSerializer
    filter_backends: list = []

    def scoped_queryset(self, scope):
        return courses.session_list(scope=scope).prefetch_related("attendances__person")

    @extend_schema(request=SessionSerializer, responses={201: SessionSerializer, **ERRORS})
    def create(self, request):
        data = SessionSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        people = fields.pop("attendances", [])
        with transaction.atomic():
            session = courses.session_create(scope=self.scope, **fields)
            for row in people:
                courses.attendance_add(
                    scope=self.scope, session=session, people=[row["person"]], hours=row.get("hours")
                )
        session = (
            courses.session_list(scope=self.scope).prefetch_related("attendances__person").get(pk=session.pk)
        )
        return Response(
            SessionSerializer(session, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


router = SimpleRouter()
router.register("training/hours", TrainingHoursViewSet, basename="training-hours")
router.register("training/sessions", TrainingSessionViewSet, basename="training-session")

urlpatterns = router.urls
