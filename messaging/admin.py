"""Read-only admin views: topics are edited on the console (validated, audited), messages and
replies are records, opt-outs change through the audited service."""
from django.contrib import admin

from .models import InboundMessage, Message, OptOut, Topic


class ReadOnlyScopedAdmin(admin.ModelAdmin):
    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Topic)
class TopicAdmin(ReadOnlyScopedAdmin):
    list_display = ("name", "kind", "is_marketing", "station", "is_active", "updated_at")
    list_filter = ("kind", "is_marketing", "is_active")
    search_fields = ("name", "body")


@admin.register(Message)
class MessageAdmin(ReadOnlyScopedAdmin):
    list_display = ("id", "phone", "status", "kind", "season", "gateway", "attempts", "created_at")
    list_filter = ("status", "kind", "gateway")
    search_fields = ("phone", "gateway_ref", "body")
    list_select_related = ("station",)


@admin.register(InboundMessage)
class InboundAdmin(ReadOnlyScopedAdmin):
    list_display = ("phone", "body", "action", "received_at")
    list_filter = ("action",)


@admin.register(OptOut)
class OptOutAdmin(ReadOnlyScopedAdmin):
    list_display = ("phone", "is_opted_out", "keyword", "source", "changed_at")
    search_fields = ("phone",)
