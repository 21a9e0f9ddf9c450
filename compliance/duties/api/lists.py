"""API: responsibility lists, signatures and duty assessments, under /api/v1/duties/lists/….

- ``posts/``: the group's post catalogue (POST: MANAGE_DUTY_LISTS at the group HQ);
- ``templates/``: each post's list at each unit with the items in force;
  ``versions/`` POST publishes a new version (the whole list; an adaptation keeps every item of the
  list above by its ``key``, word for word);
- ``holders/``: who holds which post, with where their signature stands;
- ``mine/``: the caller's own lists with their items (the worker's app);
- ``acknowledgements/``: signatures; POST signs a version of one's own list in force;
- ``assessments/``: duty assessments; POST scores every item of a holder's list for a period.
"""

from __future__ import annotations

import django_filters
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from compliance.access import access_or_404
from compliance.api import ScopedRelatedField, ScopedViewSet
from compliance.duties import selectors_lists as sel
from compliance.duties import services_lists as svc
from compliance.duties.models.lists import (
    Acknowledgement,
    AssessmentScore,
    DutyAssessment,
    DutyPost,
    ListItem,
    ListTemplate,
    ListVersion,
    PostHolder,
)
from compliance.errors import DESTROY_SCHEMA, ERRORS
from tenants import selectors as tenant_selectors


def access_post(scope, pk):
    return access_or_404(scope, sel.posts(scope), pk)


def access_holder(scope, pk):
    return access_or_404(scope, scope.queryset(PostHolder).select_related("person__org_unit", "post"), pk)


def access_person(scope, pk):
    return tenant_selectors.access_person(scope, pk)


# --- serializers ---------------------------------------------------------------------------------------
class DutyPostSerializer(serializers.ModelSerializer):
    class Meta:
        model = DutyPost
        fields = ["id", "code", "name", "level", "is_mine_principal", "position"]
        read_only_fields = ["id"]


class ListItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = ListItem
        fields = ["id", "key", "position", "duty", "scope", "criterion", "evidence", "max_score", "inherited"]
        read_only_fields = fields


class ListTemplateSerializer(serializers.ModelSerializer):
    post_name = serializers.CharField(source="post.name", read_only=True)
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True)
    version = serializers.IntegerField(source="current_version.number", read_only=True, allow_null=True)
    published_at = serializers.DateTimeField(
        source="current_version.published_at", read_only=True, allow_null=True
    )

    class Meta:
        model = ListTemplate
        fields = ["id", "post", "post_name", "org_unit", "org_unit_name", "base", "version", "published_at"]
        read_only_fields = fields


class ListTemplateDetailSerializer(ListTemplateSerializer):
    items = serializers.SerializerMethodField()

    class Meta(ListTemplateSerializer.Meta):
        fields = [*ListTemplateSerializer.Meta.fields, "items"]
        read_only_fields = fields

    def get_items(self, obj) -> list[dict]:
        return ListItemSerializer(sel.version_items(obj.current_version), many=True).data


class ItemInputSerializer(serializers.Serializer):
    key = serializers.UUIDField(
        required=False, allow_null=True, help_text="An item of the list above: its key"
    )
    duty = serializers.CharField(max_length=2000)
    scope = serializers.CharField(max_length=300, required=False, allow_blank=True)
    criterion = serializers.CharField(max_length=2000)
    evidence = serializers.CharField(max_length=300, required=False, allow_blank=True)
    max_score = serializers.IntegerField(min_value=1, max_value=100, required=False, default=10)


class PublishSerializer(serializers.Serializer):
    post = ScopedRelatedField(access=access_post)
    org_unit = ScopedRelatedField(
        access=tenant_selectors.access_org_unit, help_text="Group HQ, subsidiary or mine"
    )
    items = ItemInputSerializer(many=True, allow_empty=False, max_length=svc.MAX_ITEMS)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ListVersionSerializer(serializers.ModelSerializer):
    items = ListItemSerializer(many=True, read_only=True)

    class Meta:
        model = ListVersion
        fields = ["id", "template", "number", "note", "base_version", "published_at", "items"]
        read_only_fields = fields


class HolderSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="holder.pk", read_only=True)
    person = serializers.UUIDField(source="holder.person_id", read_only=True)
    person_name = serializers.CharField(source="holder.person.name", read_only=True)
    post = serializers.UUIDField(source="holder.post_id", read_only=True)
    post_name = serializers.CharField(source="holder.post.name", read_only=True)
    since = serializers.DateField(source="holder.since", read_only=True)
    template = serializers.UUIDField(source="template.pk", read_only=True, allow_null=True, default=None)
    version = serializers.UUIDField(source="version.pk", read_only=True, allow_null=True, default=None)
    version_number = serializers.IntegerField(
        source="version.number", read_only=True, allow_null=True, default=None
    )
    status = serializers.CharField(read_only=True, help_text="signed, due, overdue or no_list")
    due_on = serializers.DateField(read_only=True, allow_null=True)


class MyListSerializer(HolderSerializer):
    items = ListItemSerializer(many=True, read_only=True)


class HolderInputSerializer(serializers.Serializer):
    person = ScopedRelatedField(access=access_person)
    post = ScopedRelatedField(access=access_post)
    since = serializers.DateField(required=False)


class AcknowledgementSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)
    version_number = serializers.IntegerField(source="version.number", read_only=True)

    class Meta:
        model = Acknowledgement
        fields = [
            "id",
            "person",
            "person_name",
            "version",
            "version_number",
            "signed_name",
            "acknowledged_at",
        ]
        read_only_fields = ["id", "person", "person_name", "version_number", "acknowledged_at"]
        extra_kwargs = {"version": {"read_only": True}}


class SignSerializer(serializers.Serializer):
    version = serializers.UUIDField(help_text="The version of your own list in force")
    signed_name = serializers.CharField(max_length=64, help_text="Your full name as on the books")


class AssessmentScoreSerializer(serializers.ModelSerializer):
    class Meta:
        model = AssessmentScore
        fields = ["item", "score", "comment", "evidence"]
        read_only_fields = fields


class DutyAssessmentSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)
    post_name = serializers.CharField(source="template.post.name", read_only=True)
    scores = AssessmentScoreSerializer(many=True, read_only=True)

    class Meta:
        model = DutyAssessment
        fields = [
            "id", "person", "person_name", "template", "post_name", "version", "cycle", "period_start",
            "score", "passed", "comment", "assessor_name", "assessed_at", "scores",
        ]  # fmt: skip
        read_only_fields = fields


class ScoreInputSerializer(serializers.Serializer):
    item = serializers.UUIDField()
    score = serializers.DecimalField(max_digits=5, decimal_places=1, min_value=0, max_value=100)
    comment = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    evidence = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class AssessInputSerializer(serializers.Serializer):
    holder = ScopedRelatedField(access=access_holder)
    day = serializers.DateField(help_text="Any day of the period assessed")
    scores = ScoreInputSerializer(many=True, max_length=svc.MAX_ITEMS)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


# --- viewsets --------------------------------------------------------------------------------------------
@extend_schema(responses={200: DutyPostSerializer, **ERRORS})
@extend_schema_view(list=extend_schema(responses={200: DutyPostSerializer(many=True), **ERRORS}))
class DutyPostViewSet(mixins.ListModelMixin, ScopedViewSet):
    model = DutyPost
    serializer_class = DutyPostSerializer

    def scoped_queryset(self, scope):
        return sel.posts(scope)

    @extend_schema(request=DutyPostSerializer, responses={201: DutyPostSerializer, **ERRORS})
    def create(self, request):
        data = DutyPostSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        post = svc.duty_post_create(scope=self.scope, **data.validated_data)
        return Response(DutyPostSerializer(post).data, status=status.HTTP_201_CREATED)


class TemplateFilter(django_filters.FilterSet):
    post = django_filters.UUIDFilter(method="by_post", help_text="A post: its lists at every unit")

    class Meta:
        model = ListTemplate
        fields = ["post"]

    def by_post(self, qs, name, value):
        return qs.filter(post=access_post(self.request.scope, value))


@extend_schema(responses={200: ListTemplateDetailSerializer, **ERRORS})
@extend_schema_view(list=extend_schema(responses={200: ListTemplateSerializer(many=True), **ERRORS}))
class ListTemplateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    model = ListTemplate
    filterset_class = TemplateFilter

    def get_serializer_class(self):
        return ListTemplateDetailSerializer if self.action == "retrieve" else ListTemplateSerializer

    def scoped_queryset(self, scope):
        return sel.templates(scope)


@extend_schema(responses={200: ListVersionSerializer, **ERRORS})
class ListVersionViewSet(mixins.RetrieveModelMixin, ScopedViewSet):
    model = ListVersion
    serializer_class = ListVersionSerializer

    def scoped_queryset(self, scope):
        return sel.versions_with_items(scope)

    @extend_schema(request=PublishSerializer, responses={201: ListVersionSerializer, **ERRORS})
    def create(self, request):
        """Publish a new version of a post's list at a unit (the first creates the list or the
        adaptation of the nearest list above)."""
        data = PublishSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        version = svc.list_publish(
            scope=self.scope,
            post=v["post"],
            org_unit=v["org_unit"],
            items=[dict(i) for i in v["items"]],
            note=v["note"],
        )
        version = self.get_queryset().get(pk=version.pk)
        return Response(ListVersionSerializer(version).data, status=status.HTTP_201_CREATED)


class HolderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=[("signed", "signed"), ("due", "due"), ("overdue", "overdue"), ("no_list", "no_list")],
        method="noop",
    )
    org_unit = django_filters.UUIDFilter(method="noop", help_text="An org unit: its whole subtree")

    class Meta:
        model = PostHolder
        fields = ["status", "org_unit"]

    def noop(self, qs, name, value):
        return qs  # applied by the viewset, over the joined rows


@extend_schema(responses={200: HolderSerializer, **ERRORS})
@extend_schema_view(list=extend_schema(responses={200: HolderSerializer(many=True), **ERRORS}))
class PostHolderViewSet(mixins.ListModelMixin, ScopedViewSet):
    model = PostHolder
    filterset_class = HolderFilter
    serializer_class = HolderSerializer

    def scoped_queryset(self, scope):
        return scope.queryset(PostHolder).select_related("person__org_unit", "post")

    def list(self, request):
        self.filter_queryset(self.get_queryset())  # validates the filters (400 on a bad one)
        unit_id = request.query_params.get("org_unit")
        unit = tenant_selectors.access_org_unit(self.scope, unit_id) if unit_id else None
        rows = sel.acknowledgement_rows(self.scope, unit=unit, status=request.query_params.get("status", ""))
        page = self.paginate_queryset(rows)
        if page is not None:
            return self.get_paginated_response(HolderSerializer(page, many=True).data)
        return Response(HolderSerializer(rows, many=True).data)

    @extend_schema(request=HolderInputSerializer, responses={201: HolderSerializer, **ERRORS})
    def create(self, request):
        data = HolderInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        holder = svc.post_holder_assign(
            scope=self.scope, person=v["person"], post=v["post"], since=v.get("since")
        )
        holder = self.get_queryset().get(pk=holder.pk)
        [row] = sel._dues(self.scope.tenant_ids, [holder], today=timezone.localdate())
        return Response(HolderSerializer(row).data, status=status.HTTP_201_CREATED)

    @DESTROY_SCHEMA
    def destroy(self, request, pk=None):
        svc.post_holder_remove(scope=self.scope, holder=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(list=extend_schema(responses={200: MyListSerializer(many=True), **ERRORS}))
class MyListViewSet(mixins.ListModelMixin, ScopedViewSet):
    """The caller's own lists in force, with their items and signature status."""

    model = PostHolder
    serializer_class = MyListSerializer
    pagination_class = None

    def scoped_queryset(self, scope):
        return scope.queryset(PostHolder).none()

    def list(self, request):
        return Response(MyListSerializer(sel.my_lists(self.scope), many=True).data)


@extend_schema(responses={200: AcknowledgementSerializer, **ERRORS})
@extend_schema_view(list=extend_schema(responses={200: AcknowledgementSerializer(many=True), **ERRORS}))
class AcknowledgementViewSet(mixins.ListModelMixin, ScopedViewSet):
    model = Acknowledgement
    serializer_class = AcknowledgementSerializer

    def scoped_queryset(self, scope):
        return (
            scope.queryset(Acknowledgement).select_related("person", "version").order_by("-acknowledged_at")
        )

    @extend_schema(request=SignSerializer, responses={201: AcknowledgementSerializer, **ERRORS})
    def create(self, request):
        """Sign (签字确认) a version of your own list in force; 404 for any other version."""
        data = SignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        dues = [d for d in sel.my_lists(self.scope) if d.version is not None and d.version.pk == v["version"]]
        if not dues:
            from rest_framework.exceptions import NotFound

            raise NotFound("version: not found")
        ack = svc.list_acknowledge(scope=self.scope, version=dues[0].version, signed_name=v["signed_name"])
        return Response(AcknowledgementSerializer(ack).data, status=status.HTTP_201_CREATED)


class AssessmentFilter(django_filters.FilterSet):
    period_start = django_filters.DateFilter(help_text="The first day of the month or quarter")
    person = django_filters.UUIDFilter(method="by_person")

    class Meta:
        model = DutyAssessment
        fields = ["period_start", "person"]

    def by_person(self, qs, name, value):
        return qs.filter(person=access_person(self.request.scope, value))


@extend_schema(responses={200: DutyAssessmentSerializer, **ERRORS})
@extend_schema_view(list=extend_schema(responses={200: DutyAssessmentSerializer(many=True), **ERRORS}))
class AssessmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    model = DutyAssessment
    serializer_class = DutyAssessmentSerializer
    filterset_class = AssessmentFilter

    def scoped_queryset(self, scope):
        return sel.assessments_with_scores(scope)

    @extend_schema(request=AssessInputSerializer, responses={201: DutyAssessmentSerializer, **ERRORS})
    def create(self, request):
        """Score every item of a holder's list in force for the period containing ``day``."""
        data = AssessInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        assessment = svc.duty_assess(
            scope=self.scope,
            holder=v["holder"],
            day=v["day"],
            scores=[{**s, "item": str(s["item"])} for s in v["scores"]],
            comment=v["comment"],
        )
        assessment = self.get_queryset().get(pk=assessment.pk)
        return Response(DutyAssessmentSerializer(assessment).data, status=status.HTTP_201_CREATED)


router = SimpleRouter()
router.register("lists/posts", DutyPostViewSet, basename="duty-post")
router.register("lists/templates", ListTemplateViewSet, basename="duty-list-template")
router.register("lists/versions", ListVersionViewSet, basename="duty-list-version")
router.register("lists/holders", PostHolderViewSet, basename="duty-post-holder")
router.register("lists/mine", MyListViewSet, basename="duty-my-list")
router.register("lists/acknowledgements", AcknowledgementViewSet, basename="duty-acknowledgement")
router.register("lists/assessments", AssessmentViewSet, basename="duty-assessment")

urlpatterns = [*router.urls]
