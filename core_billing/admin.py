"""Django admin for reference data.  Writes go through the audited services;
querysets through the station scope; the audit log is read-only for everyone."""
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .audit import audit_record
from .models import (AuditLog, Building, CollectorAssignment, Community, Customer, CustomerType, ExchangeStation,
                     ImportJob, Station, User)
from .services.org import reference_delete, reference_save

admin.site.site_header = _("Nuanxin administration")
admin.site.site_title = _("Nuanxin")


class ScopedAuditedAdmin(admin.ModelAdmin):
    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs.visible_to(request.user) if hasattr(qs, "visible_to") else qs

    def save_model(self, request, obj, form, change):
        reference_save(actor=request.user, obj=obj, reason=_("changed in admin"))

    def delete_model(self, request, obj):
        reference_delete(actor=request.user, obj=obj, reason=_("deleted in admin"))

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(Station)
class StationAdmin(ScopedAuditedAdmin):
    list_display = ("code", "name", "hotline", "is_active")
    search_fields = ("code", "name")


@admin.register(ExchangeStation)
class ExchangeStationAdmin(ScopedAuditedAdmin):
    list_display = ("code", "name", "station", "is_active")
    list_filter = ("station",)
    search_fields = ("code", "name")


@admin.register(Community)
class CommunityAdmin(ScopedAuditedAdmin):
    list_display = ("name", "station", "address")
    list_filter = ("station",)
    search_fields = ("name",)


@admin.register(Building)
class BuildingAdmin(ScopedAuditedAdmin):
    list_display = ("name", "community", "station", "exchange_station", "unit_count")
    list_filter = ("station",)
    search_fields = ("name", "community__name")
    list_select_related = ("community", "station", "exchange_station")
    autocomplete_fields = ("community",)


@admin.register(CustomerType)
class CustomerTypeAdmin(ScopedAuditedAdmin):
    list_display = ("code", "name", "sort_order", "is_active")


@admin.register(CollectorAssignment)
class CollectorAssignmentAdmin(ScopedAuditedAdmin):
    list_display = ("collector", "community", "building", "station")
    list_filter = ("station",)
    list_select_related = ("collector", "community", "building__community", "station")


class ReadOnlyAdmin(admin.ModelAdmin):
    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    """Read-only here: customers are edited in the console, where phones are normalised."""

    list_display = ("account_no", "name", "station", "building", "unit", "room", "area", "heating_status")
    list_filter = ("station", "heating_status", "metering_mode", "customer_type")
    search_fields = ("account_no", "name")
    list_select_related = ("station", "building__community")


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_name", "station", "action", "object_repr", "reason")
    list_filter = ("action", "station")
    search_fields = ("object_repr", "actor_name", "object_id")
    date_hierarchy = "at"


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "filename", "station", "actor", "status", "total_rows", "error_rows")
    exclude = ("source", "error_report")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "full_name", "station", "mobile", "is_active")
    list_filter = ("station", "groups", "is_active")
    search_fields = ("username", "full_name", "mobile")
    fieldsets = BaseUserAdmin.fieldsets + ((_("Nuanxin"), {"fields": ("station", "full_name", "mobile")}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + ((_("Nuanxin"), {"fields": ("station", "full_name", "mobile")}),)

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changed = [f for f in form.changed_data if f != "password"]
        audit_record(actor=request.user, action="user.update" if change else "user.create", obj=obj,
                     after={f: str(form.cleaned_data.get(f)) for f in changed if f not in ("password1", "password2")},
                     reason=_("changed in admin"))

    def save_related(self, request, form, formsets, change):
        before = sorted(form.instance.groups.values_list("name", flat=True)) if change else []
        super().save_related(request, form, formsets, change)
        after = sorted(form.instance.groups.values_list("name", flat=True))
        if before != after:
            audit_record(actor=request.user, action="user.roles", obj=form.instance, before={"roles": before},
                         after={"roles": after}, reason=_("changed in admin"))
