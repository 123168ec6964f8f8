from django.contrib import admin

from core_billing.admin import ReadOnlyAdmin

from .models import Audience, Campaign, DunningRun, DunningScheme


# Campaigns, audiences and schemes change only through their services (pages, API): audited, checked.
@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = ("name", "station", "topic", "season", "status", "targeted", "created_count", "created_at")
    list_filter = ("station", "status", "season")
    search_fields = ("name",)


@admin.register(Audience)
class AudienceAdmin(ReadOnlyAdmin):
    list_display = ("name", "station", "updated_at")
    list_filter = ("station",)


@admin.register(DunningScheme)
class DunningSchemeAdmin(ReadOnlyAdmin):
    list_display = ("name", "station", "topic", "season", "start_date", "end_date", "every_days", "is_active")
    list_filter = ("station", "is_active")


@admin.register(DunningRun)
class DunningRunAdmin(ReadOnlyAdmin):
    list_display = ("scheme", "due_date", "campaign", "created_at")
