"""API, read-only: the question bank (with answers) and exam papers with their blueprints.

- ``GET /api/v1/questions/`` and ``/questions/{id}/`` need ``view_question_bank`` (safety
  managers, group admins, HQ auditors): everyone else — regulators and workers included — gets
  403, since a question carries its answer key. Any version can be fetched by id; the list holds
  current versions (``?retired=true``: the last version of each retired question).
- ``GET /api/v1/papers/`` and ``/papers/{id}/`` need ``view_training`` and a scope beyond one's own
  records: workers get 403 (they use ``/api/v1/me/exams/``). Papers carry no answers.

Writes happen on the pages (``training.views.bank``) through ``training.bank``.
"""

from __future__ import annotations

import django_filters
from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from compliance.api import ScopedViewSet
from compliance.errors import ERRORS
from compliance.training import bank
from compliance.training import permissions as training_perms
from compliance.training import selectors as training_selectors
from compliance.training.models import (
    ExamPaper,
    MineType,
    PaperSection,
    PostCategory,
    Question,
    QuestionOption,
)
from tenants import roles, selectors


class QuestionOptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = QuestionOption
        fields = ["id", "position", "text", "is_correct"]
        read_only_fields = fields


class QuestionSerializer(serializers.ModelSerializer):
    options = QuestionOptionSerializer(many=True, read_only=True)

    class Meta:
        model = Question
        fields = [
            "id",
            "family",
            "version",
            "is_current",
            "org_unit",
            "type",
            "stem",
            "explanation",
            "post_categories",
            "mine_types",
            "topic",
            "difficulty",
            "options",
            "created_at",
        ]
        read_only_fields = fields


class QuestionFilter(django_filters.FilterSet):
    type = django_filters.ChoiceFilter(choices=Question.Type.choices, method="noop")
    topic = django_filters.CharFilter(method="noop", help_text="Exact topic")
    post_category = django_filters.ChoiceFilter(
        choices=PostCategory.choices, method="noop", help_text="Tagged with it, or untagged (any)"
    )
    mine_type = django_filters.ChoiceFilter(
        choices=MineType.choices, method="noop", help_text="Tagged with it, or untagged (any)"
    )
    difficulty = django_filters.TypedChoiceFilter(
        choices=[(1, "1"), (2, "2"), (3, "3")], coerce=int, method="noop"
    )
    search = django_filters.CharFilter(method="noop", help_text="Stem, explanation or topic")
    retired = django_filters.BooleanFilter(
        method="noop", help_text="true: the last version of every retired question instead of current ones"
    )
    org_unit = django_filters.UUIDFilter(method="noop", help_text="A bank's org unit: its whole subtree")

    class Meta:
        model = Question
        fields = [
            "type",
            "topic",
            "post_category",
            "mine_type",
            "difficulty",
            "search",
            "retired",
            "org_unit",
        ]

    def noop(self, qs, name, value):
        return qs  # every filter is applied together by filter_queryset, through the selector

    def filter_queryset(self, queryset):
        if self.request.parser_context["kwargs"].get("pk"):
            return queryset  # a single version by id, whatever its state
        data = self.form.cleaned_data
        qs = training_selectors.question_list(
            scope=self.request.scope,
            type=data.get("type") or "",
            topic=data.get("topic") or "",
            post_category=data.get("post_category") or "",
            mine_type=data.get("mine_type") or "",
            difficulty=data.get("difficulty"),
            search=data.get("search") or "",
            retired=bool(data.get("retired")),
        ).prefetch_related("options")
        if data.get("org_unit"):
            unit = selectors.access_org_unit(self.request.scope, data["org_unit"])
            qs = qs.filter(org_unit__path__startswith=unit.path)
        return qs


@extend_schema(responses={200: QuestionSerializer, **ERRORS})
class QuestionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Questions of the bank with their options and correct answers (read-only)."""

    model = Question
    serializer_class = QuestionSerializer
    filterset_class = QuestionFilter

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not self.scope.has_perm(training_perms.VIEW_QUESTION_BANK):
            raise PermissionDenied

    def scoped_queryset(self, scope):
        qs = Question.objects.select_related("org_unit").prefetch_related("options")
        return scope.filter_queryset(qs).order_by("topic", "-created_at", "id")


class PaperSectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = PaperSection
        fields = [
            "position",
            "question_type",
            "post_category",
            "mine_type",
            "topic",
            "difficulty",
            "count",
            "points",
        ]
        read_only_fields = fields


class PaperSerializer(serializers.ModelSerializer):
    sections = PaperSectionSerializer(many=True, read_only=True)
    question_count = serializers.IntegerField(read_only=True, help_text="Questions drawn per attempt")
    attempt_count = serializers.IntegerField(read_only=True, help_text="Attempts you can see")

    class Meta:
        model = ExamPaper
        fields = [
            "id",
            "org_unit",
            "title",
            "duration_minutes",
            "pass_mark",
            "attempts_allowed",
            "shuffle_questions",
            "shuffle_options",
            "show_answers",
            "audience_post_categories",
            "audience_units",
            "audience_people",
            "opens_at",
            "closes_at",
            "issues_certificate",
            "certificate_operation_type",
            "is_spot_exam",
            "clears_suspension",
            "is_active",
            "sections",
            "question_count",
            "attempt_count",
            "created_at",
        ]
        read_only_fields = fields


class PaperDetailSerializer(PaperSerializer):
    warnings = serializers.ListField(
        child=serializers.CharField(),
        source="rule_warnings",
        read_only=True,
        help_text="A pass mark or attempts looser than the rule pack at the paper's unit while that "
        "pack is unverified (待核实, naming the source to check); a verified pack refuses them instead",
    )

    class Meta(PaperSerializer.Meta):
        fields = [*PaperSerializer.Meta.fields, "warnings"]
        read_only_fields = fields


class PaperFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(field_name="title", lookup_expr="icontains", help_text="In the title")
    is_spot_exam = django_filters.BooleanFilter()
    is_active = django_filters.BooleanFilter()
    org_unit = django_filters.UUIDFilter(method="by_unit", help_text="An org unit: its whole subtree")

    class Meta:
        model = ExamPaper
        fields = ["search", "is_spot_exam", "is_active", "org_unit"]

    def by_unit(self, qs, name, value):
        unit = selectors.access_org_unit(self.request.scope, value)
        return qs.filter(org_unit__path__startswith=unit.path)


@extend_schema(responses={200: PaperSerializer, **ERRORS})
class PaperViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Exam papers with their blueprints and audiences (read-only; no answers)."""

    model = ExamPaper
    serializer_class = PaperSerializer
    filterset_class = PaperFilter

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        perms = {p for role in self.scope.roles for p in roles.perms_of(role)}
        self_only = roles.SELF_ONLY in perms and len(self.scope.roles) == 1
        if not self.scope.has_perm(training_perms.VIEW_TRAINING) or self_only:
            raise PermissionDenied

    def scoped_queryset(self, scope):
        return training_selectors.paper_list(scope=scope).prefetch_related(
            "sections", "audience_units", "audience_people"
        )

    def get_serializer_class(self):
        return PaperDetailSerializer if self.action == "retrieve" else PaperSerializer

    @extend_schema(responses={200: PaperDetailSerializer, **ERRORS})
    def retrieve(self, request, *args, **kwargs):
        # Only the one paper: the list would ask the pack of every paper's unit.
        paper = self.get_object()
        paper.rule_warnings = bank.pack_minimum_warnings(scope=self.scope, paper=paper)
        return Response(self.get_serializer(paper).data)


router = SimpleRouter()
router.register("questions", QuestionViewSet, basename="question")
router.register("papers", PaperViewSet, basename="paper")

urlpatterns = [*router.urls]
