from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from tenants.scope import PLATFORM

from . import services
from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """The platform operator sees every token (never a key) and may revoke them."""

    list_display = [
        "name",
        "user",
        "tenant",
        "key_prefix",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["tenant"]
    search_fields = ["name", "user__username", "key_prefix"]
    readonly_fields = [f.name for f in ApiToken._meta.fields if f.name != "key_hash"]
    exclude = ["key_hash"]
    actions = ["revoke"]

    def get_queryset(self, request):
        # Django admin runs in the platform scope (superusers only).
        return ApiToken.dangerously_unscoped.select_related("user", "tenant")

    def has_add_permission(self, request):
        return False  # a key is made by its owner and shown to them alone

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the record stays for the audit trail

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        for token in queryset:
            services.api_token_revoke(scope=PLATFORM, token=token)
        messages.success(request, _("Revoked."))
