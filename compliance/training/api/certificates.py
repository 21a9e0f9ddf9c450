"""API: certificates (scoped; a worker sees their own) and one's own notifications."""

from __future__ import annotations

import django_filters
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, mixins, serializers
from rest_framework.routers import SimpleRouter

from compliance.api import ScopedAPIMixin, ScopedViewSet
from compliance.errors import ERRORS
from compliance.notifications import services as notification_services
from compliance.notifications.models import Notification
from compliance.training import certificates as certs
from compliance.training.models import Certificate
from tenants import selectors
from tenants.models import Person


class CertificateSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)
    display_status = serializers.SerializerMethodField(
        help_text="valid, expired (past its expiry date) or revoked — as of today"
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
            "created_at",
        ]
        read_only_fields = fields

    def get_display_status(self, obj) -> str:
        return certs.display_status(obj, self.context.get("today"))


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
        return super().get_serializer_context() | {"today": timezone.localdate()}


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
