from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        from core_billing.navigation import register_nav

        from core_billing.metrics import register_source

        from . import receivers  # noqa: F401  (connects the domain signals)

        from .outbound.metrics import deliveries_by_status

        register_nav(_("Webhooks"), "outbound:webhooks", "webhooks.view_webhooksubscription", order=90)
        register_source("webhooks", deliveries_by_status)
