"""API: certificates (scoped; a worker sees their own) and one's own notifications."""

from __future__ import annotations

import django_filters
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from compliance.api import ScopedAPIMixin, ScopedViewSet
from compliance.errors import ERRORS
from compliance.notifications import services as notification_services
from compliance.notifications.models import Notification
from compliance.training import certificates as certs
from compliance.training import reviews
from compliance.training.models import Certificate, CertificateReview
from tenants import selectors
from tenants.models import Person


class CertificateSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)
    display_status = serializers.SerializerMethodField(
        help_text="valid, void (a special-operation certificate past its review date with no review "
        "recorded, where that rule is verified), expired (past its expiry date) or revoked — as of today"
    )
    warning = serializers.SerializerMethodField(
        help_text="A consequence of an unverified rule (待核实), with the source to check; empty if none"
    )

    class Meta:
        model = Certificate
        fields = [
            "id",
            "person",
            "person_name",
            "kind",
            "operation_type",
            "number",
            "issued_on",
            "expires_on",
            "review_due_on",
            "issuer",
            "source",
            "status",
            "display_status",
            "warning",
            "created_at",
        ]
        read_only_fields = fields

    def get_display_status(self, obj) -> str:
        return certs.display_status(obj, self.context.get("today"), self.context.get("book"))

    def get_warning(self, obj) -> str:
        return certs.review_warning(obj, self.context.get("today"), self.context.get("book"))


class CertificateReviewSerializer(serializers.ModelSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True, default="")

    class Meta:
        model = CertificateReview
        fields = [
            "id",
            "certificate",
            "kind",
            "reviewed_on",
            "authority",
            "retraining_hours",
            "extended",
            "in_operation_since",
            "previous_due_on",
            "next_due_on",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = [
            "id",
            "certificate",
            "previous_due_on",
            "next_due_on",
            "recorded_by",
            "created_at",
        ]
        extra_kwargs = {"retraining_hours": {"required": False}, "kind": {"required": False}}


class CertificateFilter(django_filters.FilterSet):
    person = django_filters.UUIDFilter(field_name="person_id")
    org_unit = django_filters.UUIDFilter(method="by_unit", help_text="An org unit: its whole subtree")
    kind = django_filters.ChoiceFilter(choices=Certificate.Kind.choices)
    operation_type = django_filters.ChoiceFilter(choices=Person.OperationType.choices)
    status = django_filters.ChoiceFilter(choices=Certificate.Status.choices)
    expires_before = django_filters.DateFilter(field_name="expires_on", lookup_expr="lte")

    class Meta:
        model = Certificate
        fields = ["person", "org_unit", "kind", "operation_type", "status", "expires_before"]

    def by_unit(self, qs, name, value):
        unit = selectors.access_org_unit(self.request.scope, value)
        return qs.filter(person__org_unit__path__startswith=unit.path)


@extend_schema(responses={200: CertificateSerializer, **ERRORS})
class CertificateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Certificates in your scope (a worker: their own). ``status`` is the stored state (valid or
    revoked); ``display_status`` also tells an expired one."""

    model = Certificate
    serializer_class = CertificateSerializer
    filterset_class = CertificateFilter

    def scoped_queryset(self, scope):
        return certs.certificate_list(scope=scope)

    def get_serializer_context(self):
        context = super().get_serializer_context() | {"today": timezone.localdate()}
        if not getattr(self, "swagger_fake_view", False):
            context["book"] = certs.RuleBook.load()  # two queries for the whole page
        return context

    @extend_schema(
        methods=["get"], request=None, responses={200: CertificateReviewSerializer(many=True), **ERRORS}
    )
    @extend_schema(
        methods=["post"],
        request=CertificateReviewSerializer,
        responses={201: CertificateReviewSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get", "post"], serializer_class=CertificateReviewSerializer)
    def reviews(self, request, pk=None):
        """A special-operation certificate's reviews (复审) and practical re-exams, newest first;
        POST records one as the reviewing authority held it (field-by-field errors, nothing saved
        on an error). The certificate's next review date follows from the rules."""
        cert = self.get_object()
        if request.method == "GET":
            rows = reviews.review_list(scope=self.scope, cert=cert)
            return Response(CertificateReviewSerializer(rows, many=True).data)
        serializer = CertificateReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # ``cert`` came through the scoped list, its person and unit with it.
        review = reviews.record_review(
            scope=self.scope, cert=cert, data=serializer.validated_data, by=request.user
        )
        return Response(CertificateReviewSerializer(review).data, status=status.HTTP_201_CREATED)


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "title", "body", "link", "created_at", "read_at"]
        read_only_fields = fields


class MyNotificationsView(ScopedAPIMixin, generics.ListAPIView):
    """My own notifications, newest first (certificate reminders and the like)."""

    serializer_class = NotificationSerializer
    filter_backends: list = []

    @extend_schema(
        responses={
            200: NotificationSerializer(many=True),
            401: ERRORS[401],
            403: ERRORS[403],
            404: OpenApiResponse(description="No such page of results"),
        }
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            # Schema generation only: an empty queryset reads nothing.
            return Notification.dangerously_unscoped.none()
        # One's own notifications only, whatever the role (RLS still applies on PostgreSQL).
        return notification_services.own_notifications(self.request.user)


router = SimpleRouter()
router.register("certificates", CertificateViewSet, basename="certificate")

urlpatterns = [
    *router.urls,
    path("me/notifications/", MyNotificationsView.as_view(), name="me-notifications"),
]
