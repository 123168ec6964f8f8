from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = _("Messaging")

    def ready(self):
        from core_billing.navigation import register_nav

        from .context import register_builtin_providers
        from .panels import register_panels
        from .providers import register as register_lower_layer_providers

        from core_billing.metrics import register_source

        from .metrics import gateway_latency, messages_by_status

        from . import receivers  # noqa: F401  (billing's signals: receipt SMS, verification codes)

        register_source("messages", messages_by_status)
        register_source("gateway_latency", gateway_latency)
        register_builtin_providers()
        register_lower_layer_providers()
        register_panels()
        register_nav(_("SMS topics"), "messaging:topic-list", "messaging.view_topic", order=21)
        register_nav(_("Staff notices"), "messaging:staff-send", "messaging.send_staff_message", order=22)
