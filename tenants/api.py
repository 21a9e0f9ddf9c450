"""API of who-is-who: thin serializers and viewsets over selectors and services."""

from __future__ import annotations

import django_filters
from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance.api import ScopedAPIMixin, ScopedRelatedField, ScopedViewSet
from compliance.errors import DESTROY_SCHEMA, ERRORS
from compliance.files import ValidatedFileSerializerField
from compliance.http import no_store
from compliance.jobs.api import JobSerializer

from . import people_io, roles, selectors, services
from .models import Membership, MineProfile, OrgUnit, Person


class MeView(ScopedAPIMixin, APIView):
    @extend_schema(
        responses={
            200: inline_serializer(
                "Me",
                {
                    "username": serializers.CharField(),
                    "kind": serializers.CharField(),
                    "roles": serializers.ListField(child=serializers.CharField()),
                    "read_only": serializers.BooleanField(),
                    "person": serializers.UUIDField(allow_null=True),
                },
            ),
            401: ERRORS[401],
            403: ERRORS[403],
        }
    )
    def get(self, request):
        scope = request.scope
        return Response(
            {
                "username": request.user.get_username(),
                "kind": scope.kind,
                "roles": sorted(scope.roles),
                "read_only": scope.read_only,
                "person": str(scope.person_id) if scope.person_id else None,
            }
        )


# --- org tree and mines ----------------------------------------------------------------------------
class MineProfileSerializer(serializers.ModelSerializer):
    class Meta:
        model = MineProfile
        fields = [
            "mine_type",
            "region_code",
            "mining_licence_no",
            "mining_licence_expires",
            "safety_licence_no",
            "safety_licence_expires",
            "business_licence_no",
            "business_licence_expires",
            "production_status",
            "production_status_since",
            "rated_capacity",
            "production_started_on",
        ]


class MineProfileUpdateSerializer(MineProfileSerializer):
    reason = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=500,
        help_text="Why the region code or mine type changes: required then, and only the group "
        "admin may change them (anyone else: 400 naming the field). The regulators of the old "
        "and the new region see the change and are notified.",
    )

    class Meta(MineProfileSerializer.Meta):
        fields = [*MineProfileSerializer.Meta.fields, "reason"]


class OrgUnitSerializer(serializers.ModelSerializer):
    parent = ScopedRelatedField(access=selectors.access_org_unit)
    mine_profile = MineProfileSerializer(required=False)

    class Meta:
        model = OrgUnit
        fields = ["id", "parent", "kind", "name", "depth", "mine_profile"]
        read_only_fields = ["depth"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.kind != OrgUnit.Kind.MINE:
            data.pop("mine_profile", None)
        return data


class OrgUnitRenameSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)


class OrgUnitMoveSerializer(serializers.Serializer):
    parent = ScopedRelatedField(access=selectors.access_org_unit, help_text="The new parent unit")


class OrgUnitFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=OrgUnit.Kind.choices)

    class Meta:
        model = OrgUnit
        fields = ["kind"]


@extend_schema(responses={200: OrgUnitSerializer, **ERRORS})
class OrgUnitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    model = OrgUnit
    serializer_class = OrgUnitSerializer
    filterset_class = OrgUnitFilter

    def scoped_queryset(self, scope):
        return selectors.org_unit_list(scope=scope)

    @extend_schema(request=OrgUnitSerializer, responses={201: OrgUnitSerializer, **ERRORS})
    def create(self, request):
        data = OrgUnitSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        unit = services.org_unit_create(
            scope=self.scope,
            parent=v["parent"],
            kind=v["kind"],
            name=v["name"],
            mine_profile=v.get("mine_profile"),
        )
        return Response(
            OrgUnitSerializer(unit, context={"request": request}).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=OrgUnitRenameSerializer, responses={200: OrgUnitSerializer, **ERRORS})
    def partial_update(self, request, pk=None):
        unit = self.get_object()
        data = OrgUnitRenameSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        unit = services.org_unit_rename(scope=self.scope, unit=unit, name=data.validated_data["name"])
        return Response(OrgUnitSerializer(unit, context={"request": request}).data)

    @extend_schema(request=OrgUnitMoveSerializer, responses={200: OrgUnitSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move the unit, with everything under it, under another unit of the same group."""
        unit = self.get_object()
        data = OrgUnitMoveSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        unit = services.org_unit_move(scope=self.scope, unit=unit, parent=data.validated_data["parent"])
        return Response(OrgUnitSerializer(unit, context={"request": request}).data)

    @extend_schema(
        responses={
            204: None,
            **ERRORS,
            409: OpenApiResponse(
                description="Other records (courses, inspections, papers…) still refer to the unit: "
                "the message names them"
            ),
        }
    )
    def destroy(self, request, pk=None):
        """Delete an empty unit. Units and people under it are moved or removed first (400); a unit
        that other records still refer to is not deleted (409)."""
        services.org_unit_delete(scope=self.scope, unit=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class MineSerializer(serializers.ModelSerializer):
    group = serializers.CharField(source="tenant.name", read_only=True)
    parent_name = serializers.CharField(source="parent.name", read_only=True, default="")
    profile = MineProfileSerializer(source="mine_profile", read_only=True)
    headcount = serializers.SerializerMethodField()

    class Meta:
        model = OrgUnit
        fields = ["id", "name", "group", "parent_name", "profile", "headcount"]

    def get_headcount(self, obj) -> dict[str, int]:
        return {key: getattr(obj, f"count_{key}", 0) for key in selectors.HEADCOUNT_KEYS}


class MineFilter(django_filters.FilterSet):
    region = django_filters.CharFilter(method="by_region", help_text="Region-code prefix")
    mine_type = django_filters.ChoiceFilter(
        field_name="mine_profile__mine_type", choices=MineProfile.MineType.choices
    )
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = OrgUnit
        fields = ["region", "mine_type", "search"]

    def by_region(self, qs, name, value):
        return qs.filter(mine_profile__region_code__startswith=value)


@extend_schema(responses={200: MineSerializer, **ERRORS})
class MineViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Mines with profile, licences and head counts on post by post category."""

    model = OrgUnit
    serializer_class = MineSerializer
    filterset_class = MineFilter

    def scoped_queryset(self, scope):
        return selectors.mine_list(scope=scope)

    @extend_schema(request=MineProfileUpdateSerializer, responses={200: MineSerializer, **ERRORS})
    def partial_update(self, request, pk=None):
        mine = self.get_object()
        data = MineProfileUpdateSerializer(mine.mine_profile, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.mine_profile_update(scope=self.scope, profile=mine.mine_profile, **data.validated_data)
        return Response(MineSerializer(self.get_object()).data)


# --- people -----------------------------------------------------------------------------------------
class PersonSerializer(serializers.ModelSerializer):
    org_unit = ScopedRelatedField(access=selectors.access_org_unit)
    resident_id = serializers.CharField(
        write_only=True, required=False, help_text="18 characters; stored encrypted"
    )
    resident_id_masked = serializers.CharField(read_only=True)
    has_login = serializers.SerializerMethodField()

    class Meta:
        model = Person
        fields = [
            "id",
            "org_unit",
            "name",
            "resident_id",
            "resident_id_masked",
            "phone",
            "employee_no",
            "employer",
            "post_category",
            "operation_type",
            "job_title",
            "status",
            "status_reason",
            "has_login",
            "created_at",
            "updated_at",
        ]
        # Uniqueness is checked per tenant by the service (the tenant is not an input).
        validators = []

    def get_has_login(self, obj) -> bool:
        return obj.user_id is not None


class PersonFilter(django_filters.FilterSet):
    org_unit = django_filters.UUIDFilter(method="by_unit", help_text="An org unit: its whole subtree")
    post_category = django_filters.ChoiceFilter(choices=Person.PostCategory.choices)
    status = django_filters.ChoiceFilter(choices=Person.Status.choices)
    search = django_filters.CharFilter(method="by_text", help_text="Name, employee number or job title")

    class Meta:
        model = Person
        fields = ["org_unit", "post_category", "status", "search"]

    def by_unit(self, qs, name, value):
        unit = selectors.access_org_unit(self.request.scope, value)
        return qs.filter(org_unit__path__startswith=unit.path)

    def by_text(self, qs, name, value):
        return selectors.people_list(scope=self.request.scope, search=value).filter(pk__in=qs.values("pk"))


class ImportSerializer(serializers.Serializer):
    file = ValidatedFileSerializerField(
        kinds=["xlsx"], max_bytes=lambda: settings.IMPORT_MAX_BYTES, help_text=".xlsx made from the template"
    )
    org_unit = ScopedRelatedField(
        access=selectors.access_org_unit, help_text="Default unit for rows without one"
    )


@extend_schema(responses={200: PersonSerializer, **ERRORS})
@extend_schema_view(destroy=DESTROY_SCHEMA)
class PersonViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    ScopedViewSet,
):
    model = Person
    serializer_class = PersonSerializer
    filterset_class = PersonFilter

    def scoped_queryset(self, scope):
        return selectors.people_list(scope=scope)

    @extend_schema(request=PersonSerializer, responses={201: PersonSerializer, **ERRORS})
    def create(self, request):
        data = PersonSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        if not fields.get("resident_id"):
            raise serializers.ValidationError({"resident_id": [_("This field is required.")]})
        person = services.person_create(scope=self.scope, **fields)
        return Response(
            PersonSerializer(person, context={"request": request}).data, status=status.HTTP_201_CREATED
        )

    def perform_update(self, serializer):
        serializer.instance = services.person_update(
            scope=self.scope, person=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.person_delete(scope=self.scope, person=instance)

    @extend_schema(
        request=None,
        responses={
            200: inline_serializer("RevealedResidentId", {"resident_id": serializers.CharField()}),
            **ERRORS,
        },
    )
    @action(detail=True, methods=["post"], url_path="reveal-resident-id")
    def reveal_resident_id(self, request, pk=None):
        """The full resident ID number, for a permitted role; the reveal is audited."""
        number = services.person_reveal_resident_id(scope=self.scope, person=self.get_object())
        return no_store(Response({"resident_id": number}))

    @extend_schema(
        request={"multipart/form-data": ImportSerializer}, responses={202: JobSerializer, **ERRORS}
    )
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser])
    def import_xlsx(self, request):
        """Import people from Excel: all rows or none; a job reports every bad row."""
        data = ImportSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        job = people_io.people_import_start(
            scope=self.scope,
            user=request.user,
            org_unit=data.validated_data["org_unit"],
            upload=data.validated_data["file"],
        )
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={(200, people_io.XLSX): OpenApiTypes.BINARY, **ERRORS})
    @action(detail=False, methods=["get"], url_path="export")
    def export_xlsx(self, request):
        """The filtered list as Excel (an export of personal data: audited)."""
        people = self.filter_queryset(self.get_queryset())
        content = people_io.people_export(scope=self.scope, people=people)
        return _xlsx_response(content, "people.xlsx")

    @extend_schema(responses={(200, people_io.XLSX): OpenApiTypes.BINARY, **ERRORS})
    @action(detail=False, methods=["get"], url_path="import-template")
    def import_template(self, request):
        return _xlsx_response(people_io.import_template(), "people-template.xlsx")


def _xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=people_io.XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return no_store(response)


# --- roles --------------------------------------------------------------------------------------------
class MembershipSerializer(serializers.ModelSerializer):
    org_unit = ScopedRelatedField(access=selectors.access_org_unit)
    person = ScopedRelatedField(
        access=selectors.access_person, write_only=True, help_text="A person with a login"
    )
    username = serializers.CharField(source="user.username", read_only=True)
    role = serializers.ChoiceField(choices=roles.ROLE_CHOICES)

    class Meta:
        model = Membership
        fields = ["id", "org_unit", "person", "username", "role", "created_at"]


@extend_schema(responses={200: MembershipSerializer, **ERRORS})
@extend_schema_view(destroy=DESTROY_SCHEMA)
class MembershipViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ScopedViewSet
):
    model = Membership
    serializer_class = MembershipSerializer

    def scoped_queryset(self, scope):
        return selectors.membership_list(scope=scope)

    @extend_schema(request=MembershipSerializer, responses={201: MembershipSerializer, **ERRORS})
    def create(self, request):
        data = MembershipSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if v["person"].user is None:
            raise serializers.ValidationError({"person": [_("This person has no login yet.")]})
        membership = services.membership_grant(
            scope=self.scope, user=v["person"].user, org_unit=v["org_unit"], role=v["role"]
        )
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.membership_revoke(scope=self.scope, membership=instance)
