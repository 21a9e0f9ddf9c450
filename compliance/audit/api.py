import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers

from compliance.api import ScopedViewSet, UtcDateTimeFilter
from compliance.errors import ERRORS

from .display import action_choices, action_label, kind_label
from .models import AuditEvent
from .selectors import audit_event_list


class AuditEventSerializer(serializers.ModelSerializer):
    # Any action of the platform or of a capability (the model's choices are the platform's own
    # only): a plain string, so the schema does not promise fewer values than the trail holds.
    action = serializers.CharField(read_only=True)
    # In the caller's language, from the registry every capability fills (compliance.registry).
    action_label = serializers.SerializerMethodField()
    object_kind = serializers.SerializerMethodField()

    def get_action_label(self, event) -> str:
        return action_label(event.action)

    def get_object_kind(self, event) -> str:
        return kind_label(event.object_type)

    class Meta:
        model = AuditEvent
        fields = [
            "seq",
            "created_at",
            "actor_label",
            "role",
            "action",
            "action_label",
            "object_type",
            "object_kind",
            "object_id",
            "object_repr",
            "before",
            "after",
            "request_id",
            "ip",
            "hash",
        ]


class AuditEventFilter(django_filters.FilterSet):
    # Every action of the platform and of every capability (compliance.registry).
    action = django_filters.ChoiceFilter(choices=action_choices)
    object_type = django_filters.CharFilter()
    actor = django_filters.CharFilter(field_name="actor_label")
    since = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = ["action", "object_type", "actor", "since", "until"]


@extend_schema(responses={200: AuditEventSerializer, **ERRORS})
class AuditEventViewSet(mixins.ListModelMixin, ScopedViewSet):
    """The audit trail of your scope, newest first (HQ auditors, tenant admins, regulators)."""

    model = AuditEvent
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter

    def scoped_queryset(self, scope):
        return audit_event_list(scope=scope)
