"""Django admin for the platform operator: tenants, agencies and their users.

Admin runs in the platform scope (superusers only, see ScopeMiddleware)."""

from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from .models import AgencyMembership, Membership, MineProfile, OrgUnit, Person, RegulatorAgency, Tenant
from .services import agency_create, tenant_create


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "credit_code", "created_at"]
    search_fields = ["name", "credit_code"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:  # creation also makes the HQ root and audits it
            created = tenant_create(name=obj.name, credit_code=obj.credit_code)
            obj.pk = created.pk


@admin.register(RegulatorAgency)
class RegulatorAgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "level", "region_prefix"]
    list_filter = ["level"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            created = agency_create(name=obj.name, level=obj.level, region_prefix=obj.region_prefix)
            obj.pk = created.pk


@admin.register(AgencyMembership)
class AgencyMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "agency"]


@admin.register(OrgUnit)
class OrgUnitAdmin(GuardedModelAdmin):
    list_display = ["name", "kind", "tenant", "depth"]
    list_filter = ["kind", "tenant"]
    search_fields = ["name"]
    readonly_fields = ["tenant", "parent", "kind", "path", "depth"]

    def has_add_permission(self, request):  # units are built by the tenant admin in the app
        return False


@admin.register(MineProfile)
class MineProfileAdmin(admin.ModelAdmin):
    list_display = ["org_unit", "mine_type", "region_code", "production_status"]
    list_filter = ["mine_type", "production_status"]
    # Who oversees the mine: changed in the app by the group admin, with a reason that the
    # regulators of both regions see (tenants.services.mine_profile_update), never silently here.
    readonly_fields = ["region_code", "mine_type"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "employee_no", "resident_id_masked", "tenant", "post_category", "status"]
    list_filter = ["post_category", "status"]
    readonly_fields = ["resident_id_masked"]
    exclude = ["resident_id_cipher", "resident_id_digest"]

    def has_add_permission(self, request):
        return False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "org_unit", "tenant"]
    list_filter = ["role"]
