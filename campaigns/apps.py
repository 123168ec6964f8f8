from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self):
        from core_billing.navigation import register_nav

        from . import receivers  # noqa: F401  (connects the message-status receiver)

        register_nav(_("Campaigns"), "campaigns:list", "campaigns.view_campaign", order=30)
