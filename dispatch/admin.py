from django.contrib import admin

from core_billing.admin import ReadOnlyAdmin, ScopedAuditedAdmin

from .models import RepairWorker, WorkOrder


@admin.register(RepairWorker)
class RepairWorkerAdmin(ScopedAuditedAdmin):
    list_display = ("user", "station", "is_active")
    list_filter = ("station", "is_active")
    list_select_related = ("user", "station")
    autocomplete_fields = ("user",)


@admin.register(WorkOrder)
class WorkOrderAdmin(ReadOnlyAdmin):
    """Work orders change only through their steps (console, API, SMS)."""

    list_display = ("number", "station", "status", "worker", "created_at")
    list_filter = ("station", "status", "category")
    search_fields = ("number", "address", "contact_name")
