from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        from core_billing.navigation import register_nav

        register_nav(_("Webhooks"), "outbound:webhooks", "webhooks.view_webhooksubscription", order=90)
