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


# --- billing -------------------------------------------------------------------------
# Settings are saved through the billing services (head office only, audited, and a
# price or settings change re-prices the season at once); the ledger is read-only.

from .models import (AccountChange, Adjustment, AdjustmentCategory, ChangeReason, DiscountTier,  # noqa: E402
                     LedgerEntry, PriceChange, Receipt, Season, SeasonAccount, Tariff)
from .services import billing as billing_services  # noqa: E402


@admin.register(Season)
class SeasonAdmin(admin.ModelAdmin):
    list_display = ("name", "start_date", "end_date", "heating_days", "status", "is_current", "precision")
    readonly_fields = ("status", "is_current")

    def save_model(self, request, obj, form, change):
        reason = str(_("changed in admin"))
        if not change:
            fields = {f: form.cleaned_data.get(f) for f in billing_services.SEASON_FIELDS}
            created = billing_services.season_create(actor=request.user, reason=reason, **fields)
            obj.pk = created.pk
            obj._state.adding = False
            return
        billing_services.season_update(actor=request.user, season=Season.objects.get(pk=obj.pk),
                                       changes={f: form.cleaned_data[f] for f in form.changed_data
                                                if f in billing_services.SEASON_FIELDS}, reason=reason)

    def has_delete_permission(self, request, obj=None):
        return False


class SeasonSettingAdmin(admin.ModelAdmin):
    list_filter = ("season",)

    def save_model(self, request, obj, form, change):
        billing_services.season_setting_save(actor=request.user, obj=obj, reason=str(_("changed in admin")))

    def delete_model(self, request, obj):
        billing_services.season_setting_delete(actor=request.user, obj=obj, reason=str(_("deleted in admin")))

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(Tariff)
class TariffAdmin(SeasonSettingAdmin):
    list_display = ("season", "customer_type", "unit_price", "base_price", "heat_price")


@admin.register(DiscountTier)
class DiscountTierAdmin(SeasonSettingAdmin):
    list_display = ("season", "until", "rate")


@admin.register(AdjustmentCategory)
class AdjustmentCategoryAdmin(SeasonSettingAdmin):
    list_display = ("season", "code", "name", "kind", "formula", "value", "is_active")


@admin.register(ChangeReason)
class ChangeReasonAdmin(SeasonSettingAdmin):
    list_display = ("season", "code", "name", "applies_to", "is_active")


@admin.register(SeasonAccount)
class SeasonAccountAdmin(ReadOnlyAdmin):
    list_display = ("season", "customer", "station", "area", "heating_status", "charged", "paid", "due", "owed")
    list_filter = ("season", "station", "heating_status")
    search_fields = ("customer__account_no", "customer__name")
    list_select_related = ("season", "customer", "station")


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("posted_at", "account", "kind", "amount", "actor", "reason")
    list_filter = ("kind", "station")
    search_fields = ("account__customer__account_no", "reason")
    list_select_related = ("account__season", "account__customer", "actor")


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    list_display = ("number", "customer", "amount", "method", "paid_on", "collector")
    list_filter = ("method", "station")
    search_fields = ("number", "customer__account_no", "provider_txn_id")


@admin.register(AccountChange)
class AccountChangeAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "account", "kind", "effective_date", "status", "area", "actor")
    list_filter = ("kind", "station")


@admin.register(Adjustment)
class AdjustmentAdmin(ReadOnlyAdmin):
    list_display = ("requested_at", "account", "category", "amount", "status", "requested_by", "decided_by")
    list_filter = ("status", "station")


@admin.register(PriceChange)
class PriceChangeAdmin(admin.ModelAdmin):
    list_display = ("at", "season", "customer_type", "accounts", "money_moved", "actor", "reason")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- online payments: read-only; links are revoked through the audited service ---------

from .models import OnlineOrder, PayLink  # noqa: E402
from .services.paylinks import paylink_revoke  # noqa: E402


@admin.register(PayLink)
class PayLinkAdmin(ReadOnlyAdmin):
    list_display = ("token", "customer", "season", "station", "created_at", "expires_at", "revoked_at")
    list_filter = ("station",)
    search_fields = ("customer__account_no", "token")
    list_select_related = ("customer", "season", "station")
    actions = ["revoke"]

    @admin.action(description=_("Revoke the selected pay links"))
    def revoke(self, request, queryset):
        for link in queryset:
            paylink_revoke(actor=request.user, link=link, reason=str(_("revoked in admin")))


@admin.register(OnlineOrder)
class OnlineOrderAdmin(ReadOnlyAdmin):
    list_display = ("out_trade_no", "customer", "provider", "amount", "status", "provider_txn_id", "created_at",
                    "paid_at")
    list_filter = ("status", "provider", "station")
    search_fields = ("out_trade_no", "provider_txn_id", "customer__account_no")
    list_select_related = ("customer",)
